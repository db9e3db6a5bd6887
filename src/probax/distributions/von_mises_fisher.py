"""The von Mises-Fisher distribution on the unit sphere in R^d."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln

from probax._internal import threefry
from probax.distributions import constraints, matrix_constraints
from probax.distributions.distribution import (
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Distribution,
    ParameterProperties,
)
from probax.math.bessel import bessel_iv_ratio, log_bessel_ive, one_minus_bessel_iv_ratio
from probax.math.random import random_gamma


def _one_minus_w_inverse_cdf(kappa, key, shape):
    """1 - w for d = 3, where the cdf of w = <x, mu> inverts in closed form (reparameterized).

    F(w) = (e^{kappa w} - e^{-kappa}) / (e^{kappa} - e^{-kappa}), so with e = 1 - F uniform,
    1 - w = -log1p(e expm1(-2 kappa)) / kappa, accurate for tiny and huge kappa alike.
    """
    e = threefry.uniform(key, shape, kappa.dtype)
    positive = kappa > 0
    safe_kappa = jnp.where(positive, kappa, 1.0)
    return jnp.where(positive, -jnp.log1p(e * jnp.expm1(-2 * safe_kappa)) / safe_kappa, 2 * e)


@functools.partial(jax.jit, static_argnames=("dimension", "shape"))
def _one_minus_w_wood(kappa, dimension: int, key, shape):
    """1 - w by Wood's (1994) rejection sampler, all draws proposed together each round.

    Proposals w = (1 - (1 + b) z) / (1 - (1 - b) z), z ~ Beta((d-1)/2, (d-1)/2), are
    accepted when kappa (w - x0) + (d-1) log((1 - x0 w) / (1 - x0^2)) >= log u, with
    b = (d-1) / (2 kappa + sqrt(4 kappa^2 + (d-1)^2)) and x0 = (1 - b) / (1 + b). Both
    sides are written in 1 - w and b, which stay accurate when kappa is large.
    """
    dtype = kappa.dtype
    m = dimension - 1
    b = m / (2 * kappa + jnp.sqrt(4 * jnp.square(kappa) + m * m))
    one_minus_x0 = 2 * b / (1 + b)
    log1p_x0 = jnp.log1p((1 - b) / (1 + b))

    def propose(state):
        step, done, one_minus_w = state
        gamma_key, uniform_key = jax.random.split(jax.random.fold_in(key, step))
        pair_shape = (2, *shape)
        log_gammas = random_gamma(gamma_key, jnp.full(pair_shape, 0.5 * m, dtype), pair_shape, log_space=True)
        log_total = jnp.logaddexp(log_gammas[0], log_gammas[1])
        z, one_minus_z = jnp.exp(log_gammas[0] - log_total), jnp.exp(log_gammas[1] - log_total)
        proposal = 2 * b * z / (one_minus_z + b * z)
        log_ratio = kappa * (one_minus_x0 - proposal) + m * (
            jnp.log1p((1 - b) * proposal / (2 * b)) - log1p_x0
        )
        accept = log_ratio >= -threefry.exponential(uniform_key, shape, dtype)
        return step + 1, done | accept, jnp.where(done, one_minus_w, proposal)

    init = (jnp.asarray(0, jnp.int32), jnp.zeros(shape, bool), jnp.zeros(shape, dtype))
    return jax.lax.while_loop(lambda state: ~jnp.all(state[1]), propose, init)[2]


def _tangent_directions(mean_direction, key):
    """Uniform unit vectors orthogonal to `mean_direction` (one per leading index)."""
    d = mean_direction.shape[-1]
    if d == 2:
        perpendicular = jnp.stack([-mean_direction[..., 1], mean_direction[..., 0]], axis=-1)
        sign = jax.random.rademacher(key, mean_direction.shape[:-1], mean_direction.dtype)
        return sign[..., None] * perpendicular
    g = threefry.normal(key, mean_direction.shape, mean_direction.dtype)
    g = g - jnp.sum(g * mean_direction, axis=-1, keepdims=True) * mean_direction
    return g / jnp.linalg.norm(g, axis=-1, keepdims=True)


class VonMisesFisher(Distribution):
    """The von Mises-Fisher distribution on the unit sphere S^{d-1} in R^d.

        p(x) = C_d(kappa) exp(kappa <mean_direction, x>),
        C_d(kappa) = kappa^{d/2 - 1} / ((2 pi)^{d/2} I_{d/2 - 1}(kappa)),

    with I_v the modified Bessel function of the first kind; kappa = 0 is the uniform law on
    the sphere. The normalizer, mean, covariance and entropy use `probax.math.bessel`, so they
    hold from kappa = 0 to kappa far beyond where I_v overflows, in any dimension d >= 2.

    Sampling draws w = <x, mean_direction> (in closed form for d = 3, reparameterized in both
    parameters as in TFP; by Wood's rejection sampler otherwise, reparameterized in
    `mean_direction` only) and a uniform direction orthogonal to `mean_direction`.

    Args:
      mean_direction: unit vectors, shaped `batch_shape + [d]` with d >= 2.
      concentration: kappa >= 0, shaped `batch_shape`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = VonMisesFisher(mean_direction=jnp.array([0., 0., 1.]), concentration=10.)
      >>> d.sample(4, seed=0).shape
      (4, 3)
      >>> d.mean().round(4).tolist()  # (coth(10) - 1/10) times the mean direction
      [0.0, 0.0, 0.9]

    """

    _MEAN_DIRECTION_ERROR = "VonMisesFisher: mean_direction must have shape [..., d] with d >= 2, got {}."

    def __init__(self, mean_direction, concentration, validate_args=False, allow_nan_stats=True, name=None):
        shape = jnp.shape(mean_direction)
        if len(shape) < 1 or shape[-1] < 2:
            raise ValueError(self._MEAN_DIRECTION_ERROR.format(shape))
        super().__init__(mean_direction=mean_direction, concentration=concentration,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            mean_direction=ParameterProperties(event_ndims=1, constraint=matrix_constraints.unit_vector),
            concentration=ParameterProperties(constraint=constraints.nonnegative),
        )

    @property
    def reparameterization_type(self):
        """Fully reparameterized for d = 3 (closed-form inverse cdf), as in TFP; not otherwise."""
        return FULLY_REPARAMETERIZED if self._dimension() == 3 else NOT_REPARAMETERIZED

    def _dimension(self) -> int:
        return self.mean_direction.shape[-1]

    def _event_shape(self):
        return (self._dimension(),)

    def _support(self):
        return matrix_constraints.unit_vector

    def _shifted_log_normalization(self):
        """log(1 / C_d(kappa)) - kappa: the log normalizer without its part that grows like kappa."""
        d = self._dimension()
        order = 0.5 * d - 1
        kappa = self.concentration
        positive = kappa > 0
        safe_kappa = jnp.where(positive, kappa, 1.0)
        value = 0.5 * d * math.log(2 * math.pi) + log_bessel_ive(order, safe_kappa)
        if order:
            value = value - order * jnp.log(safe_kappa)
        log_sphere_area = math.log(2.0) + 0.5 * d * math.log(math.pi) - gammaln(0.5 * d)
        return jnp.where(positive, value, log_sphere_area)

    def _log_prob(self, x):
        cosine = jnp.sum(x * self.mean_direction, axis=-1)
        return self.concentration * (cosine - 1) - self._shifted_log_normalization()

    def _sample(self, shape, key):
        d = self._dimension()
        w_key, direction_key = jax.random.split(key)
        kappa = jnp.broadcast_to(self.concentration, shape)
        mean_direction = jnp.broadcast_to(self.mean_direction, (*shape, d))
        if d == 3:
            one_minus_w = _one_minus_w_inverse_cdf(kappa, w_key, shape)
        else:
            # The rejection loop is not differentiable in kappa (TFP: not reparameterized).
            one_minus_w = _one_minus_w_wood(jax.lax.stop_gradient(kappa), d, w_key, shape)
        sine = jnp.sqrt(one_minus_w * (2 - one_minus_w))
        tangent = _tangent_directions(mean_direction, direction_key)
        return (1 - one_minus_w)[..., None] * mean_direction + sine[..., None] * tangent

    def _mean(self):
        ratio = bessel_iv_ratio(0.5 * self._dimension(), self.concentration)
        return ratio[..., None] * self.mean_direction

    def _mode(self):
        # The base class broadcasts it to batch_shape + event_shape.
        return self.mean_direction

    def _moments_along_and_across(self):
        """(Var <x, mu>, variance of each direction orthogonal to mu), shaped like kappa."""
        d = self._dimension()
        kappa = self.concentration
        ratio = bessel_iv_ratio(0.5 * d, kappa)
        complement = one_minus_bessel_iv_ratio(0.5 * d, kappa)
        positive = kappa > 0
        # E[1 - w^2] / (d - 1) = A(kappa) / kappa, which tends to 1 / d at kappa = 0.
        across = jnp.where(positive, ratio / jnp.where(positive, kappa, 1.0), 1 / d)
        along = complement * (1 + ratio) - (d - 1) * across
        return along, across

    def covariance(self) -> jax.Array:
        """Covariance of the event: (A/kappa) (I - mu mu^T) + Var(w) mu mu^T, A = I_{d/2} / I_{d/2-1}.

        Var(w) = 1 - A^2 - (d - 1) A / kappa loses relative precision like kappa * eps when
        kappa is large (its terms are of order 1 / kappa, the result of order 1 / kappa^2).
        """
        aligned = self._with_batch_rank(len(self.batch_shape))
        d = self._dimension()
        along, across = aligned._moments_along_and_across()
        mu = aligned.mean_direction
        outer = mu[..., :, None] * mu[..., None, :]
        eye = jnp.eye(d, dtype=mu.dtype).reshape((1,) * (mu.ndim - 1) + (d, d))
        result = across[..., None, None] * (eye - outer) + along[..., None, None] * outer
        return jnp.broadcast_to(result, (*self.batch_shape, d, d))

    def _variance(self):
        along, across = self._moments_along_and_across()
        squared = jnp.square(self.mean_direction)
        return across[..., None] * (1 - squared) + along[..., None] * squared

    def _entropy(self):
        kappa = self.concentration
        complement = one_minus_bessel_iv_ratio(0.5 * self._dimension(), kappa)
        return self._shifted_log_normalization() + kappa * complement

    def experimental_default_event_space_bijector(self):
        """TFP's choice, `Chain([Invert(Square()), SoftmaxCentered()])`: R^{d-1} onto the positive orthant.

        It reaches only the points with all coordinates positive (the square roots of the
        simplex), as in TFP: MCMC or variational inference through it explores that orthant
        alone, so use it only where the mass lies there.

        Example:
          >>> d = VonMisesFisher(jnp.array([0.6, 0.8]), 1.)
          >>> y = d.experimental_default_event_space_bijector().forward(jnp.zeros(1))
          >>> round(float(jnp.sum(y**2)), 6)
          1.0

        """
        from probax.bijectors import Chain, Invert, SoftmaxCentered, Square

        validate = self.validate_args
        return Chain([Invert(Square(validate_args=validate), validate_args=validate),
                      SoftmaxCentered(validate_args=validate)], validate_args=validate)
