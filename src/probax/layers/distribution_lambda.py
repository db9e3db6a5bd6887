"""DistributionLambda: the NNX module that turns the previous layer's output into a distribution.

Every head (`IndependentNormal`, `MixtureNormal`, ...) is a `DistributionLambda` whose
`make_distribution_fn` is the head's static `new`; the maths stays available as that plain function
for code outside NNX (linen, equinox, bare JAX). Calling the module returns the distribution, typed
as its family (see `tensor_coercible`): a head at the end of a model is used for `log_prob` and needs
no key; a head feeding further layers is converted to an array by `convert_to_tensor_fn` (a draw by
default, as in TFP), with the key taken from `seed=` at call or from the `rngs` given at construction.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from probax._internal.prng import as_key
from probax.distributions.distribution import Distribution
from probax.layers.regularization_loss import RegularizationLoss, record_regularization_loss
from probax.layers.tensor_coercible import (
    ConvertToTensorFn,
    conversion_needs_seed,
    tensor_coercible,
    validate_convert_to_tensor_fn,
)


class DistributionLambda(nnx.Module):
    """A layer whose output is `make_distribution_fn(inputs)`, convertible to an array for further layers.

    Args:
      make_distribution_fn: maps the previous layer's output to a probax distribution.
      convert_to_tensor_fn: how the distribution becomes an array when a following layer needs
        one: "sample" (TFP's default, `Distribution.sample`), "mean", "mode", "stddev",
        "variance" (or those `Distribution` methods), or a callable `fn(dist)` / `fn(dist, seed)`.
      rngs: an `nnx.Rngs` (or stream) giving the keys for conversions that draw; not needed when
        the output is only scored with `log_prob`.
      rng_collection: the stream of `rngs` used.
      activity_regularizer: optional `fn(dist) -> scalar` (e.g. `KLDivergenceRegularizer`); its
        value on each call is stored in a `RegularizationLoss` variable (see `regularization_loss`).

    Example:
      >>> from probax.distributions import Bernoulli
      >>> head = DistributionLambda(lambda t: Bernoulli(probs=t), convert_to_tensor_fn="mean")
      >>> d = head(jnp.array([0.25, 0.5]))
      >>> d.batch_shape, jnp.asarray(d).tolist()
      ((2,), [0.25, 0.5])

    """

    def __init__(
        self,
        make_distribution_fn: Callable[..., Distribution],
        convert_to_tensor_fn: ConvertToTensorFn = Distribution.sample,
        *,
        rngs: nnx.Rngs | nnx.RngStream | None = None,
        rng_collection: str = "sample",
        activity_regularizer: Callable[[Distribution], jax.Array] | None = None,
    ):
        if not callable(make_distribution_fn):
            raise TypeError(
                f"{type(self).__name__}: make_distribution_fn must be callable, "
                f"got {type(make_distribution_fn).__name__}."
            )
        self.make_distribution_fn = make_distribution_fn
        self.convert_to_tensor_fn = validate_convert_to_tensor_fn(convert_to_tensor_fn)
        self.rng_collection = rng_collection
        if isinstance(rngs, nnx.Rngs):
            self.rngs = rngs[rng_collection].fork()
        elif isinstance(rngs, nnx.RngStream):
            self.rngs = rngs.fork()
        elif rngs is None:
            self.rngs = nnx.data(None)
        else:
            raise TypeError(f"{type(self).__name__}: rngs must be an nnx.Rngs, an RngStream or None, "
                            f"got {type(rngs).__name__}.")
        self.activity_regularizer = activity_regularizer
        self.regularization_term = None if activity_regularizer is None else RegularizationLoss(jnp.zeros(()))

    def make_distribution(self, inputs) -> Distribution:
        """The plain distribution for `inputs` (no conversion rule attached, no key drawn)."""
        return self.make_distribution_fn(inputs)

    def __call__(self, inputs, *, seed=None) -> Distribution:
        """The distribution for `inputs`, convertible to an array by `convert_to_tensor_fn`.

        Args:
          inputs: the previous layer's output.
          seed: key or int for a conversion that draws; overrides the module's `rngs`.

        Returns:
          A distribution of the family `make_distribution_fn` builds.

        """
        key = None
        if seed is not None:
            key = as_key(seed, f"{type(self).__name__}.__call__")
        elif self.rngs is not None and conversion_needs_seed(self.convert_to_tensor_fn):
            key = self.rngs()
        distribution = tensor_coercible(self.make_distribution(inputs), self.convert_to_tensor_fn, key)
        if self.regularization_term is not None:
            record_regularization_loss(self.regularization_term, self.activity_regularizer(distribution))
        return distribution


def event_shape_tuple(event_shape: int | Sequence[int], owner: str) -> tuple[int, ...]:
    """`event_shape` as a tuple of non-negative ints (an int `n` means `(n,)`, as in TFP).

    Example:
      >>> event_shape_tuple(3, "IndependentNormal"), event_shape_tuple([2, 1], "IndependentNormal")
      ((3,), (2, 1))

    """
    if isinstance(event_shape, int | jnp.integer) and not isinstance(event_shape, bool):
        shape = (int(event_shape),)
    else:
        try:
            if isinstance(event_shape, str):
                raise TypeError(event_shape)
            shape = tuple(operator.index(s) for s in event_shape)
        except TypeError as err:
            raise TypeError(f"{owner}: event_shape must be an int or a sequence of ints, "
                            f"got {event_shape!r}.") from err
    if any(s < 0 for s in shape):
        raise ValueError(f"{owner}: event_shape must hold non-negative sizes, got {shape}.")
    return shape


def event_size(event_shape: int | Sequence[int], owner: str = "params_size") -> int:
    """The number of elements of one event, `prod(event_shape)`.

    Example:
      >>> event_size([2, 3])
      6

    """
    return math.prod(event_shape_tuple(event_shape, owner))


def check_params(params, size: int | None, owner: str) -> jax.Array:
    """`params` as a floating array of rank >= 1 whose last dimension is `size` (any when None).

    Example:
      >>> check_params([1, 2], 2, "IndependentNormal").dtype.kind
      'f'

    """
    params = jnp.asarray(params)
    if not jnp.issubdtype(params.dtype, jnp.floating):
        params = params.astype(jnp.result_type(float))
    if params.ndim == 0 or (size is not None and params.shape[-1] != size):
        expected = "at least one dimension" if size is None else f"last dimension {size} (its params_size)"
        raise ValueError(f"{owner}: params must have {expected}, got shape {params.shape}.")
    return params
