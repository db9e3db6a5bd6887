"""Heads for independent coordinates: Independent{Normal, Logistic, Bernoulli, Poisson}.

Each reads the last dimension of `params` the way TFP's layer does and returns
`Independent(Family(...), reinterpreted_batch_ndims=len(event_shape))`, with batch shape
`params.shape[:-1]` and event shape `event_shape`:

- Normal, Logistic: the first half of the last dimension is `loc`, the second half goes through
  `scale_transform` (softplus, TFP's choice) to `scale`; each half is reshaped to `event_shape`.
- Bernoulli: the whole last dimension is `logits`; Poisson: it is `log_rate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import jax.numpy as jnp

from probax.distributions.bernoulli import Bernoulli
from probax.distributions.distribution import Distribution
from probax.distributions.independent import Independent
from probax.distributions.logistic import Logistic
from probax.distributions.normal import Normal
from probax.distributions.poisson import Poisson
from probax.layers.distribution_lambda import DistributionLambda, check_params, event_shape_tuple, event_size
from probax.layers.scale_transforms import ScaleTransform, softplus

EventShape = int | Sequence[int]


def _independent(base: Distribution, event_shape: tuple[int, ...], validate_args: bool) -> Independent:
    return Independent(base, reinterpreted_batch_ndims=len(event_shape), validate_args=validate_args)


def _loc_and_scale(params, event_shape: EventShape, scale_transform: ScaleTransform, owner: str):
    """Split `params` into `loc` (first half) and `scale_transform(second half)`, shaped `batch + event`."""
    shape = event_shape_tuple(event_shape, owner)
    params = check_params(params, 2 * event_size(shape, owner), owner)
    loc, raw_scale = jnp.split(params, 2, axis=-1)
    out_shape = params.shape[:-1] + shape
    return shape, loc.reshape(out_shape), scale_transform(raw_scale.reshape(out_shape))


def _reshaped(params, event_shape: EventShape, owner: str):
    """`params` (last dimension `prod(event_shape)`) reshaped to `batch + event_shape`."""
    shape = event_shape_tuple(event_shape, owner)
    params = check_params(params, event_size(shape, owner), owner)
    return shape, params.reshape(params.shape[:-1] + shape)


class _IndependentHead(DistributionLambda):
    """Shared constructor of the independent heads: `new` bound to the event shape and options."""

    def __init__(self, event_shape: EventShape = (), convert_to_tensor_fn=Distribution.sample,
                 validate_args: bool = False, *, rngs=None, activity_regularizer=None, **options):
        self.event_shape = event_shape_tuple(event_shape, type(self).__name__)
        self.validate_args = bool(validate_args)
        make = partial(type(self).new, event_shape=self.event_shape, validate_args=self.validate_args,
                       **options)
        super().__init__(make, convert_to_tensor_fn, rngs=rngs, activity_regularizer=activity_regularizer)


class IndependentNormal(_IndependentHead):
    """Independent normals over `event_shape` from `2 * prod(event_shape)` params (TFP's layout).

    Args:
      event_shape: shape of one event (an int `n` means `(n,)`).
      convert_to_tensor_fn: how the output becomes an array for further layers (see
        `DistributionLambda`).
      validate_args: check parameters and values.
      scale_transform: maps the raw second half of `params` to positive scales; default softplus
        as in TFP (`FlooredSoftplus` adds a floor).
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> from flax import nnx
      >>> model = nnx.Sequential(nnx.Linear(1, IndependentNormal.params_size(1), rngs=nnx.Rngs(0)),
      ...                        IndependentNormal(1))
      >>> yhat = model(jnp.ones((5, 1)))
      >>> yhat.batch_shape, yhat.event_shape, yhat.log_prob(jnp.zeros((5, 1))).shape
      ((5,), (1,), (5,))

    """

    def __init__(self, event_shape: EventShape = (), convert_to_tensor_fn=Distribution.sample,
                 validate_args: bool = False, *, scale_transform: ScaleTransform = softplus, rngs=None,
                 activity_regularizer=None):
        super().__init__(event_shape, convert_to_tensor_fn, validate_args, rngs=rngs,
                         activity_regularizer=activity_regularizer, scale_transform=scale_transform)

    @staticmethod
    def new(params, event_shape: EventShape = (), validate_args: bool = False,
            scale_transform: ScaleTransform = softplus) -> Independent:
        """The distribution for `params` (a plain function of arrays).

        Example:
          >>> d = IndependentNormal.new(jnp.array([1., 0.]), event_shape=1)
          >>> d.mean().tolist(), round(float(d.stddev()[0]), 6)
          ([1.0], 0.693147)

        """
        shape, loc, scale = _loc_and_scale(params, event_shape, scale_transform, "IndependentNormal")
        return _independent(Normal(loc, scale, validate_args=validate_args), shape, validate_args)

    @staticmethod
    def params_size(event_shape: EventShape = ()) -> int:
        """`2 * prod(event_shape)`: a loc and a raw scale per coordinate.

        Example:
          >>> IndependentNormal.params_size([2, 3])
          12

        """
        return 2 * event_size(event_shape, "IndependentNormal.params_size")


class IndependentLogistic(_IndependentHead):
    """Independent logistics over `event_shape` from `2 * prod(event_shape)` params (TFP's layout).

    Args:
      event_shape: shape of one event (an int `n` means `(n,)`).
      convert_to_tensor_fn: how the output becomes an array for further layers.
      validate_args: check parameters and values.
      scale_transform: maps the raw second half of `params` to positive scales; default softplus.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> d = IndependentLogistic(2)(jnp.zeros((3, 4)))
      >>> d.batch_shape, d.event_shape
      ((3,), (2,))

    """

    def __init__(self, event_shape: EventShape = (), convert_to_tensor_fn=Distribution.sample,
                 validate_args: bool = False, *, scale_transform: ScaleTransform = softplus, rngs=None,
                 activity_regularizer=None):
        super().__init__(event_shape, convert_to_tensor_fn, validate_args, rngs=rngs,
                         activity_regularizer=activity_regularizer, scale_transform=scale_transform)

    @staticmethod
    def new(params, event_shape: EventShape = (), validate_args: bool = False,
            scale_transform: ScaleTransform = softplus) -> Independent:
        """The distribution for `params` (a plain function of arrays).

        Example:
          >>> IndependentLogistic.new(jnp.array([2., 0.])).mean().tolist()
          2.0

        """
        shape, loc, scale = _loc_and_scale(params, event_shape, scale_transform, "IndependentLogistic")
        return _independent(Logistic(loc, scale, validate_args=validate_args), shape, validate_args)

    @staticmethod
    def params_size(event_shape: EventShape = ()) -> int:
        """`2 * prod(event_shape)`.

        Example:
          >>> IndependentLogistic.params_size(3)
          6

        """
        return 2 * event_size(event_shape, "IndependentLogistic.params_size")


class IndependentBernoulli(_IndependentHead):
    """Independent Bernoullis over `event_shape` from `prod(event_shape)` logits (TFP's layout).

    Args:
      event_shape: shape of one event (an int `n` means `(n,)`).
      convert_to_tensor_fn: how the output becomes an array for further layers.
      sample_dtype: dtype of draws; None (TFP's default) uses the dtype of `params`.
      validate_args: check parameters and values.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> d = IndependentBernoulli([2, 2])(jnp.zeros((5, 4)))
      >>> d.batch_shape, d.event_shape, round(float(d.log_prob(jnp.ones((2, 2)))[0]), 6)
      ((5,), (2, 2), -2.772589)

    """

    def __init__(self, event_shape: EventShape = (), convert_to_tensor_fn=Distribution.sample,
                 sample_dtype=None, validate_args: bool = False, *, rngs=None, activity_regularizer=None):
        super().__init__(event_shape, convert_to_tensor_fn, validate_args, rngs=rngs,
                         activity_regularizer=activity_regularizer, dtype=sample_dtype)

    @staticmethod
    def new(params, event_shape: EventShape = (), dtype=None, validate_args: bool = False) -> Independent:
        """The distribution for `params` (a plain function of arrays).

        Example:
          >>> IndependentBernoulli.new(jnp.array([0.]), event_shape=1).mean().tolist()
          [0.5]

        """
        shape, logits = _reshaped(params, event_shape, "IndependentBernoulli")
        base = Bernoulli(logits=logits, dtype=logits.dtype if dtype is None else dtype,
                         validate_args=validate_args)
        return _independent(base, shape, validate_args)

    @staticmethod
    def params_size(event_shape: EventShape = ()) -> int:
        """`prod(event_shape)`: one logit per coordinate.

        Example:
          >>> IndependentBernoulli.params_size([28, 28])
          784

        """
        return event_size(event_shape, "IndependentBernoulli.params_size")


class IndependentPoisson(_IndependentHead):
    """Independent Poissons over `event_shape` from `prod(event_shape)` log rates (TFP's layout).

    Args:
      event_shape: shape of one event (an int `n` means `(n,)`).
      convert_to_tensor_fn: how the output becomes an array for further layers.
      validate_args: check parameters and values.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> d = IndependentPoisson(1)(jnp.log(jnp.array([[2.], [3.]])))
      >>> [round(v, 6) for v in d.mean()[:, 0].tolist()]
      [2.0, 3.0]

    """

    def __init__(self, event_shape: EventShape = (), convert_to_tensor_fn=Distribution.sample,
                 validate_args: bool = False, *, rngs=None, activity_regularizer=None):
        super().__init__(event_shape, convert_to_tensor_fn, validate_args, rngs=rngs,
                         activity_regularizer=activity_regularizer)

    @staticmethod
    def new(params, event_shape: EventShape = (), validate_args: bool = False) -> Independent:
        """The distribution for `params` (a plain function of arrays).

        Example:
          >>> round(float(IndependentPoisson.new(jnp.zeros(1)).mean()), 6)
          1.0

        """
        shape, log_rate = _reshaped(params, event_shape, "IndependentPoisson")
        return _independent(Poisson(log_rate=log_rate, validate_args=validate_args), shape, validate_args)

    @staticmethod
    def params_size(event_shape: EventShape = ()) -> int:
        """`prod(event_shape)`: one log rate per coordinate.

        Example:
          >>> IndependentPoisson.params_size(4)
          4

        """
        return event_size(event_shape, "IndependentPoisson.params_size")
