"""Posteriors and priors over a layer's weights: NNX modules whose call returns a distribution.

A variational layer holds, for each weight tensor, a posterior module (trainable) and a prior
module (often fixed). Calling either with no arguments returns the distribution over the whole
tensor, an `Independent` whose event shape is the tensor's shape, so `kl_divergence(q(), p())` is
one scalar. The layers build them through builder functions:

- the `Dense*` / `Conv2D*` layers call `kernel_posterior_fn(dtype, shape, rngs)` (TFP's
  `(dtype, shape, ...)` order): `default_mean_field_normal_fn()` and
  `default_multivariate_normal_fn` are TFP's defaults;
- `DenseVariational` calls `make_posterior_fn(kernel_size, bias_size, dtype, rngs=rngs)` for one
  distribution over the flattened kernel and bias: `posterior_mean_field` and `prior_trainable`
  are the builders of TFP's regression tutorial.

TFP's defaults: a mean-field normal with `loc ~ N(0, 0.1)` and
`scale = eps + softplus(u)`, `u ~ N(-3, 0.1)` (scales near 0.05, so training starts close to a
point estimate), and a standard normal prior.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from probax._internal import threefry
from probax.distributions.deterministic import Deterministic
from probax.distributions.independent import Independent
from probax.distributions.normal import Normal
from probax.layers.distribution_lambda import event_shape_tuple

Initializer = Callable[[jax.Array | None, tuple[int, ...], jnp.dtype], jax.Array]
Shape = int | Sequence[int]

# softplus(_UNIT_SCALE_SHIFT) == 1: TFP's tutorial posterior starts at scale 1.
_UNIT_SCALE_SHIFT = math.log(math.expm1(1.0))


def normal_initializer(mean: float = 0.0, stddev: float = 1.0) -> Initializer:
    """An initializer drawing `mean + stddev * N(0, 1)` (Keras' `RandomNormal(mean, stddev)`).

    Example:
      >>> init = normal_initializer(-3.0, 0.0)
      >>> init(jax.random.key(0), (2,), jnp.float32).tolist()
      [-3.0, -3.0]

    """

    def init(key, shape, dtype=jnp.float32):
        return mean + stddev * threefry.normal(key, shape, dtype)

    return init


DEFAULT_LOC_INITIALIZER = normal_initializer(0.0, 0.1)
DEFAULT_UNTRANSFORMED_SCALE_INITIALIZER = normal_initializer(-3.0, 0.1)


def _initial_value(initializer: Initializer, rngs: nnx.Rngs | None, shape, dtype, owner: str, name: str):
    key = None if rngs is None else rngs.params()
    try:
        return jnp.asarray(initializer(key, shape, dtype), dtype)
    except (TypeError, ValueError) as err:
        if key is not None:
            raise
        raise ValueError(f"{owner}: {name} draws random values; pass rngs=nnx.Rngs(...).") from err


def _independent(distribution, ndims: int) -> Independent:
    return Independent(distribution, reinterpreted_batch_ndims=ndims)


class MeanFieldNormal(nnx.Module):
    """Trainable independent normals over a tensor: `Normal(loc, scale_floor + softplus(u))`.

    Args:
      shape: the tensor's shape (the distribution's event shape).
      dtype: parameter dtype.
      loc_initializer: `init(key, shape, dtype)` for `loc`; default `N(0, 0.1)` (TFP's).
      untransformed_scale_initializer: the same for `u`; default `N(-3, 0.1)` (TFP's).
      scale_floor: added to `softplus(u)`; None means the dtype's machine epsilon (TFP's).
      rngs: keys for random initializers (the `params` stream).

    Example:
      >>> q = MeanFieldNormal((2, 3), rngs=nnx.Rngs(0))()
      >>> scale = q.distribution.scale
      >>> q.event_shape, bool(0.03 < scale.min() and scale.max() < 0.07)
      ((2, 3), True)

    """

    def __init__(self, shape: Shape, dtype=jnp.float32, *,
                 loc_initializer: Initializer = DEFAULT_LOC_INITIALIZER,
                 untransformed_scale_initializer: Initializer = DEFAULT_UNTRANSFORMED_SCALE_INITIALIZER,
                 scale_floor: float | None = None, rngs: nnx.Rngs | None = None):
        owner = type(self).__name__
        shape = event_shape_tuple(shape, owner)
        self.loc = nnx.Param(_initial_value(loc_initializer, rngs, shape, dtype, owner, "loc_initializer"))
        self.untransformed_scale = nnx.Param(_initial_value(
            untransformed_scale_initializer, rngs, shape, dtype, owner, "untransformed_scale_initializer"))
        self.scale_floor = float(jnp.finfo(dtype).eps) if scale_floor is None else float(scale_floor)

    def __call__(self) -> Independent:
        """The distribution over the tensor, `Independent(Normal(loc, scale))`."""
        loc = self.loc[...]
        scale = self.scale_floor + jax.nn.softplus(self.untransformed_scale[...])
        return _independent(Normal(loc, scale), loc.ndim)


class DeterministicPosterior(nnx.Module):
    """A trainable point mass over a tensor, `Independent(Deterministic(loc))` (TFP's `is_singular`).

    The default bias posterior of the variational layers: the bias is learned as a point
    estimate and, with no bias prior, adds no divergence.

    Args:
      shape: the tensor's shape.
      dtype: parameter dtype.
      loc_initializer: `init(key, shape, dtype)`; default `N(0, 0.1)` (TFP's).
      rngs: keys for random initializers.

    Example:
      >>> q = DeterministicPosterior(3, loc_initializer=jax.nn.initializers.zeros)()
      >>> q.sample(seed=0).tolist()
      [0.0, 0.0, 0.0]

    """

    def __init__(self, shape: Shape, dtype=jnp.float32, *,
                 loc_initializer: Initializer = DEFAULT_LOC_INITIALIZER, rngs: nnx.Rngs | None = None):
        owner = type(self).__name__
        shape = event_shape_tuple(shape, owner)
        self.loc = nnx.Param(_initial_value(loc_initializer, rngs, shape, dtype, owner, "loc_initializer"))

    def __call__(self) -> Independent:
        """The point mass at `loc`."""
        loc = self.loc[...]
        return _independent(Deterministic(loc), loc.ndim)


class NormalPrior(nnx.Module):
    """Independent `Normal(loc, scale)` over a tensor; `loc` is trainable when `trainable_loc=True`.

    Args:
      shape: the tensor's shape.
      dtype: dtype of the distribution.
      loc: the initial (or fixed) location of every coordinate.
      scale: the fixed scale of every coordinate.
      trainable_loc: make `loc` an `nnx.Param` (TFP's `prior_trainable`).

    Example:
      >>> p = NormalPrior((2, 2))()
      >>> p.event_shape, float(p.log_prob(jnp.zeros((2, 2))))
      ((2, 2), -3.675754...)

    """

    def __init__(self, shape: Shape, dtype=jnp.float32, *, loc: float = 0.0, scale: float = 1.0,
                 trainable_loc: bool = False):
        self.shape = event_shape_tuple(shape, type(self).__name__)
        self.dtype = jnp.dtype(dtype)
        if not scale > 0:
            raise ValueError(f"{type(self).__name__}: scale must be positive, got {scale!r}.")
        self.scale = float(scale)
        self.loc = nnx.Param(jnp.full(self.shape, loc, self.dtype)) if trainable_loc else float(loc)

    def __call__(self) -> Independent:
        """The prior distribution over the tensor."""
        loc = self.loc[...] if isinstance(self.loc, nnx.Param) else jnp.full(self.shape, self.loc, self.dtype)
        return _independent(Normal(loc, jnp.asarray(self.scale, self.dtype)), len(self.shape))


WeightDistributionFn = Callable[..., nnx.Module]


def default_mean_field_normal_fn(
    is_singular: bool = False,
    loc_initializer: Initializer = DEFAULT_LOC_INITIALIZER,
    untransformed_scale_initializer: Initializer = DEFAULT_UNTRANSFORMED_SCALE_INITIALIZER,
) -> WeightDistributionFn:
    """A builder `fn(dtype, shape, rngs)` of mean-field normal (or, `is_singular`, point-mass) posteriors.

    TFP's `default_mean_field_normal_fn`: the default `kernel_posterior_fn` of the variational
    layers; `default_mean_field_normal_fn(is_singular=True)` is their default `bias_posterior_fn`.

    Example:
      >>> make = default_mean_field_normal_fn()
      >>> make(jnp.float32, (4, 2), nnx.Rngs(0))().event_shape
      (4, 2)

    """

    def build(dtype, shape, rngs=None) -> nnx.Module:
        if is_singular:
            return DeterministicPosterior(shape, dtype, loc_initializer=loc_initializer, rngs=rngs)
        return MeanFieldNormal(shape, dtype, loc_initializer=loc_initializer,
                               untransformed_scale_initializer=untransformed_scale_initializer, rngs=rngs)

    return build


def default_multivariate_normal_fn(dtype, shape, rngs=None) -> NormalPrior:
    """A fixed standard normal over a tensor of `shape` (TFP's default `kernel_prior_fn`).

    Example:
      >>> p = default_multivariate_normal_fn(jnp.float32, (3,))()
      >>> p.mean().tolist(), p.stddev().tolist()
      ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])

    """
    del rngs  # a fixed prior draws nothing
    return NormalPrior(shape, dtype)


def _flat_size(kernel_size: int, bias_size: int, owner: str) -> int:
    for name, value in (("kernel_size", kernel_size), ("bias_size", bias_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{owner}: {name} must be a non-negative int, got {value!r}.")
    return kernel_size + bias_size


def posterior_mean_field(kernel_size: int, bias_size: int = 0, dtype=None, *,
                         rngs: nnx.Rngs | None = None) -> MeanFieldNormal:
    """Mean-field normal posterior over the flattened kernel and bias (TFP tutorial's builder).

    All `loc`s start at 0 and all scales at `1e-5 + softplus(0.5413) = 1 + 1e-5`, as in TFP's
    `posterior_mean_field` for `DenseVariational`.

    Example:
      >>> q = posterior_mean_field(3, 1)()
      >>> q.event_shape, round(float(q.distribution.scale[0]), 4)
      ((4,), 1.0)

    """
    size = _flat_size(kernel_size, bias_size, "posterior_mean_field")
    return MeanFieldNormal((size,), jnp.float32 if dtype is None else dtype,
                           loc_initializer=jax.nn.initializers.zeros,
                           untransformed_scale_initializer=jax.nn.initializers.constant(_UNIT_SCALE_SHIFT),
                           scale_floor=1e-5, rngs=rngs)


def prior_trainable(kernel_size: int, bias_size: int = 0, dtype=None, *,
                    rngs: nnx.Rngs | None = None) -> NormalPrior:
    """Normal prior with a trainable location (from 0) and unit scale (TFP tutorial's builder).

    Example:
      >>> p = prior_trainable(3, 1)
      >>> p().event_shape, type(p.loc).__name__
      ((4,), 'Param')

    """
    del rngs  # the location starts at 0
    size = _flat_size(kernel_size, bias_size, "prior_trainable")
    return NormalPrior((size,), jnp.float32 if dtype is None else dtype, trainable_loc=True)
