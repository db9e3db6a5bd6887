"""Heads with a vector event: MultivariateNormalTriL and OneHotCategorical.

- MultivariateNormalTriL(event_size): the first `event_size` params are `loc`; the remaining
  `event_size * (event_size + 1) / 2` fill the Cholesky factor through `FillScaleTriL` with a
  softplus diagonal shifted by 1e-5, exactly TFP's parameterization.
- OneHotCategorical(event_size): the `event_size` params are the logits.
"""

from __future__ import annotations

from functools import partial

import jax.numpy as jnp

from probax.bijectors.fill_scale_tril import FillScaleTriL
from probax.distributions.distribution import Distribution
from probax.distributions.multivariate_normal_tril import MultivariateNormalTriL as MVNTriLDistribution
from probax.distributions.one_hot_categorical import OneHotCategorical as OneHotCategoricalDistribution
from probax.layers.distribution_lambda import DistributionLambda, check_params

_DIAG_SHIFT = 1e-5


def _check_event_size(event_size, owner: str) -> int:
    if isinstance(event_size, bool) or not isinstance(event_size, int | jnp.integer) or event_size < 1:
        raise ValueError(f"{owner}: event_size must be a positive int, got {event_size!r}.")
    return int(event_size)


class MultivariateNormalTriL(DistributionLambda):
    """A `d`-variate normal from `d + d (d + 1) / 2` params: loc, then the packed Cholesky factor.

    Args:
      event_size: `d`, the dimension of one draw.
      convert_to_tensor_fn: how the output becomes an array for further layers.
      validate_args: check parameters and values.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> d = MultivariateNormalTriL(2)(jnp.zeros((4, MultivariateNormalTriL.params_size(2))))
      >>> d.batch_shape, d.event_shape
      ((4,), (2,))

    """

    def __init__(self, event_size: int, convert_to_tensor_fn=Distribution.sample, validate_args: bool = False,
                 *, rngs=None, activity_regularizer=None):
        self.event_size = _check_event_size(event_size, "MultivariateNormalTriL")
        self.validate_args = bool(validate_args)
        make = partial(MultivariateNormalTriL.new, event_size=self.event_size,
                       validate_args=self.validate_args)
        super().__init__(make, convert_to_tensor_fn, rngs=rngs, activity_regularizer=activity_regularizer)

    @staticmethod
    def new(params, event_size: int, validate_args: bool = False) -> MVNTriLDistribution:
        """The distribution for `params` (a plain function of arrays).

        Example:
          >>> d = MultivariateNormalTriL.new(jnp.array([1., 2., 0., 0., 0.]), 2)
          >>> d.mean().tolist(), round(float(d.scale_tril[1, 1]), 5)
          ([1.0, 2.0], 0.69316)

        """
        event_size = _check_event_size(event_size, "MultivariateNormalTriL")
        size = MultivariateNormalTriL.params_size(event_size)
        params = check_params(params, size, "MultivariateNormalTriL")
        fill = FillScaleTriL(diag_shift=jnp.asarray(_DIAG_SHIFT, params.dtype), validate_args=validate_args)
        scale_tril = fill.forward(params[..., event_size:])
        return MVNTriLDistribution(loc=params[..., :event_size], scale_tril=scale_tril,
                                   validate_args=validate_args)

    @staticmethod
    def params_size(event_size: int) -> int:
        """`d + d (d + 1) / 2`.

        Example:
          >>> MultivariateNormalTriL.params_size(3)
          9

        """
        event_size = _check_event_size(event_size, "MultivariateNormalTriL.params_size")
        return event_size + event_size * (event_size + 1) // 2


class OneHotCategorical(DistributionLambda):
    """A one-hot categorical over `event_size` classes from `event_size` logits.

    Args:
      event_size: the number of classes.
      convert_to_tensor_fn: how the output becomes an array for further layers.
      sample_dtype: dtype of draws; None (TFP's default) uses the dtype of `params`.
      validate_args: check parameters and values.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> d = OneHotCategorical(3)(jnp.zeros((2, 3)))
      >>> d.batch_shape, d.event_shape, round(float(d.log_prob(jnp.array([0., 1., 0.]))[0]), 6)
      ((2,), (3,), -1.098612)

    """

    def __init__(self, event_size: int, convert_to_tensor_fn=Distribution.sample, sample_dtype=None,
                 validate_args: bool = False, *, rngs=None, activity_regularizer=None):
        self.event_size = _check_event_size(event_size, "OneHotCategorical")
        self.sample_dtype = sample_dtype
        self.validate_args = bool(validate_args)
        make = partial(OneHotCategorical.new, event_size=self.event_size, dtype=sample_dtype,
                       validate_args=self.validate_args)
        super().__init__(make, convert_to_tensor_fn, rngs=rngs, activity_regularizer=activity_regularizer)

    @staticmethod
    def new(params, event_size: int, dtype=None,
            validate_args: bool = False) -> OneHotCategoricalDistribution:
        """The distribution for `params` (a plain function of arrays).

        Example:
          >>> [round(p, 6) for p in OneHotCategorical.new(jnp.log(jnp.array([0.2, 0.8])), 2).mean().tolist()]
          [0.2, 0.8]

        """
        event_size = _check_event_size(event_size, "OneHotCategorical")
        params = check_params(params, event_size, "OneHotCategorical")
        return OneHotCategoricalDistribution(logits=params, dtype=params.dtype if dtype is None else dtype,
                                             validate_args=validate_args)

    @staticmethod
    def params_size(event_size: int) -> int:
        """`event_size`: one logit per class.

        Example:
          >>> OneHotCategorical.params_size(10)
          10

        """
        return _check_event_size(event_size, "OneHotCategorical.params_size")
