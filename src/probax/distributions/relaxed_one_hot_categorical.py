"""The Concrete (Gumbel-softmax) relaxations of a one-hot categorical, on the simplex and in log space.

Maddison, Mnih and Teh (2017), "The Concrete Distribution"; Jang, Gu and Poole (2017).
With class log-probabilities l and temperature t, a draw is

    Y = log_softmax((l + G) / t),   G_k iid standard Gumbel,

(`ExpRelaxedOneHotCategorical`), and X = exp(Y) = softmax((l + G) / t) lies on the
simplex (`RelaxedOneHotCategorical`). As t -> 0, X approaches a one-hot
Categorical(l) draw; both are reparameterized.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.multinomial import ClassProbabilitiesMixin
from probax.distributions.parameterization import exactly_one


@dataclass(frozen=True)
class LogSimplex(constraints.Constraint):
    """Logarithms of probability vectors: non-positive entries with logsumexp 0 (last axis)."""

    def check(self, x):
        """Membership of `x` (NaN fails)."""
        tolerance = 10 * jnp.finfo(jnp.result_type(x, float)).eps * x.shape[-1]
        return jnp.all(x <= 0, axis=-1) & (jnp.abs(special.logsumexp(x, axis=-1)) <= tolerance)


log_simplex = LogSimplex("the logarithm of a probability vector (logsumexp 0)", event_ndims=1)


class _RelaxedOneHotCategoricalBase(ClassProbabilitiesMixin, Distribution):
    """Parameters and the Gumbel-softmax draw shared by the two Concrete families.

    `_categorical()` is the distribution relaxed: the limit as the temperature goes to 0.
    """

    def __init__(self, temperature, logits=None, probs=None, validate_args=False, allow_nan_stats=True,
                 name=None):
        exactly_one(type(self).__name__, logits=logits, probs=probs)
        super().__init__(temperature=temperature, logits=logits, probs=probs, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            temperature=ParameterProperties(constraint=constraints.positive),
            logits=ParameterProperties(event_ndims=1, constraint=constraints.real),
            probs=ParameterProperties(event_ndims=1, constraint=constraints.simplex),
        )

    def _relaxed_logits(self, shape, key):
        """(l + G) / t for Gumbel noise G, shaped `shape + [K]`."""
        log_probs = self._categorical()._log_probs()
        gumbel = jax.random.gumbel(key, (*shape, log_probs.shape[-1]), log_probs.dtype)
        return (log_probs + gumbel) / self.temperature[..., None]

    def _log_density_of_log(self, y):
        """Maddison et al.'s log density of Y = log X at `y` (see `ExpRelaxedOneHotCategorical`).

        log p(y) = log (K - 1)! + (K - 1) log t + sum_k (l_k - t y_k) - K logsumexp_k (l_k - t y_k).
        """
        log_probs = self._categorical()._log_probs()
        temperature = self.temperature
        num_classes = log_probs.shape[-1]
        scores = log_probs - temperature[..., None] * y
        log_factorial = jax.lax.lgamma(jnp.asarray(num_classes, y.dtype))
        normalizer = log_factorial + (num_classes - 1) * jnp.log(temperature)
        return normalizer + jnp.sum(scores, axis=-1) - num_classes * special.logsumexp(scores, axis=-1)


class ExpRelaxedOneHotCategorical(_RelaxedOneHotCategoricalBase):
    """The logarithm of a RelaxedOneHotCategorical (Concrete) draw: `log_softmax((l + G) / t)`.

    Working in log space keeps draws finite at low temperatures, where the simplex
    coordinates themselves underflow to 0 (TFP's advice for such temperatures).

    The density is Maddison et al.'s (and TFP's),

        log p(y) = log (K - 1)! + (K - 1) log t + sum_k (l_k - t y_k) - K logsumexp_k (l_k - t y_k),

    which equals `RelaxedOneHotCategorical.log_prob(exp(y)) + sum_k y_k`. It is a density
    with respect to the measure dy_1 ... dy_{K-1} / exp(y_K) on the log-simplex (the same
    measure whichever coordinate is left out); with respect to the Lebesgue measure on
    the first K - 1 coordinates the density is `exp(log_prob(y) - y_K)`.

    Args:
      temperature: positive temperature t, shaped like the batch.
      logits: unnormalized class log-probabilities, shaped `batch_shape + [K]`.
      probs: class probabilities (non-negative, summing to 1 along the last axis).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = ExpRelaxedOneHotCategorical(0.5, logits=jnp.zeros(3))
      >>> y = d.sample(seed=0)
      >>> round(float(jax.nn.logsumexp(y)), 5)
      0.0
      >>> d.sample(2, seed=0).shape
      (2, 3)

    """

    _value_support = log_simplex

    def _sample(self, shape, key):
        return jax.nn.log_softmax(self._relaxed_logits(shape, key), axis=-1)

    def _log_prob(self, y):
        return self._log_density_of_log(y)

    def experimental_default_event_space_bijector(self):
        """`Log() o SoftmaxCentered()`: from R^(K-1) onto the logarithms of probability vectors."""
        from probax import bijectors as tfb

        return tfb.Chain([tfb.Log(), tfb.SoftmaxCentered()])


class RelaxedOneHotCategorical(_RelaxedOneHotCategoricalBase):
    """Concrete (Gumbel-softmax) relaxation of a one-hot categorical: `softmax((l + G) / t)`.

    pdf(x) = (K - 1)! t**(K - 1) prod_k (p_k x_k**(-t - 1)) / (sum_k p_k x_k**(-t))**K on the
    simplex, with respect to the Lebesgue measure on the first K - 1 coordinates
    (Maddison et al. 2017). Draws are reparameterized. At low temperatures coordinates
    can underflow to exactly 0, where the density is not finite: use
    `ExpRelaxedOneHotCategorical` there.

    Args:
      temperature: positive temperature t, shaped like the batch.
      logits: unnormalized class log-probabilities, shaped `batch_shape + [K]`.
      probs: class probabilities p (non-negative, summing to 1 along the last axis).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = RelaxedOneHotCategorical(temperature=1., probs=jnp.array([0.5, 0.5]))
      >>> d.sample(4, seed=0).sum(-1).round(5).tolist()
      [1.0, 1.0, 1.0, 1.0]
      >>> round(float(d.prob(jnp.array([0.3, 0.7]))), 6)  # uniform on [0, 1] when K = 2 and t = 1
      1.0

    """

    _value_support = constraints.simplex

    def _sample(self, shape, key):
        return jax.nn.softmax(self._relaxed_logits(shape, key), axis=-1)

    def _log_prob(self, x):
        log_x = jnp.log(x)
        return self._log_density_of_log(log_x) - jnp.sum(log_x, axis=-1)
