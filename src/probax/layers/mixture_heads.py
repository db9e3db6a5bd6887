"""Mixture heads: MixtureSameFamily, MixtureNormal, MixtureLogistic, CategoricalMixtureOfOneHotCategorical.

TFP's layout: of the last dimension of `params`, the first `num_components` entries are the mixture
logits; the rest is reshaped to `[num_components, component_params_size]` (component k's parameters
are contiguous) and handed to the component head, whose batch then ends in the component axis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import jax.numpy as jnp

from probax.distributions.categorical import Categorical
from probax.distributions.distribution import Distribution
from probax.distributions.mixture_same_family import MixtureSameFamily as MixtureSameFamilyDistribution
from probax.layers.distribution_lambda import DistributionLambda, check_params
from probax.layers.independent_heads import IndependentLogistic, IndependentNormal
from probax.layers.multivariate_heads import OneHotCategorical
from probax.layers.scale_transforms import ScaleTransform, softplus

EventShape = int | Sequence[int]


def _check_num_components(num_components, owner: str) -> int:
    is_int = isinstance(num_components, int | jnp.integer) and not isinstance(num_components, bool)
    if not is_int or num_components < 1:
        raise ValueError(f"{owner}: num_components must be a positive int, got {num_components!r}.")
    return int(num_components)


def _component_maker(component_layer) -> Callable[..., Distribution]:
    """The plain distribution builder of a head (no key drawn), or the callable itself."""
    if isinstance(component_layer, DistributionLambda):
        return component_layer.make_distribution
    if not callable(component_layer):
        raise TypeError(f"MixtureSameFamily: component_layer must be a head or a callable, "
                        f"got {type(component_layer).__name__}.")
    return component_layer


class MixtureSameFamily(DistributionLambda):
    """A mixture of `num_components` distributions built by `component_layer` from one params vector.

    Args:
      num_components: the number of components K.
      component_layer: a head (e.g. `IndependentNormal(event_shape)`) or a callable mapping params
        shaped `batch + [K, component_params_size]` to a distribution with batch `batch + [K]`.
      convert_to_tensor_fn: how the output becomes an array for further layers.
      validate_args: check parameters and values.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> size = MixtureSameFamily.params_size(3, IndependentNormal.params_size(2))
      >>> d = MixtureSameFamily(3, IndependentNormal(2))(jnp.zeros((4, size)))
      >>> size, d.batch_shape, d.event_shape
      (15, (4,), (2,))

    """

    def __init__(self, num_components: int, component_layer, convert_to_tensor_fn=Distribution.sample,
                 validate_args: bool = False, *, rngs=None, activity_regularizer=None):
        self.num_components = _check_num_components(num_components, "MixtureSameFamily")
        self.component_layer = component_layer
        self.validate_args = bool(validate_args)
        make = partial(MixtureSameFamily.new, num_components=self.num_components,
                       component_layer=component_layer, validate_args=self.validate_args)
        super().__init__(make, convert_to_tensor_fn, rngs=rngs, activity_regularizer=activity_regularizer)

    @staticmethod
    def new(params, num_components: int, component_layer, validate_args: bool = False) -> Distribution:
        """The mixture for `params` (a plain function of arrays).

        Example:
          >>> d = MixtureSameFamily.new(jnp.zeros(6), 2, IndependentNormal())
          >>> d.batch_shape, d.event_shape
          ((), ())

        """
        num_components = _check_num_components(num_components, "MixtureSameFamily")
        params = check_params(params, None, "MixtureSameFamily")
        extra = params.shape[-1] - num_components
        if extra <= 0 or extra % num_components:
            raise ValueError(
                f"MixtureSameFamily: params must have last dimension num_components * (1 + "
                f"component_params_size) with num_components={num_components}, got shape {params.shape}."
            )
        component_params = params[..., num_components:].reshape((*params.shape[:-1], num_components, -1))
        components = _component_maker(component_layer)(component_params)
        return MixtureSameFamilyDistribution(
            Categorical(logits=params[..., :num_components], validate_args=validate_args), components,
            validate_args=validate_args,
        )

    @staticmethod
    def params_size(num_components: int, component_params_size: int) -> int:
        """`num_components * (1 + component_params_size)`: a logit and a component's params each.

        Example:
          >>> MixtureSameFamily.params_size(16, 2)
          48

        """
        return _check_num_components(num_components, "MixtureSameFamily.params_size") * (
            1 + int(component_params_size))


class _MixtureOfIndependent(DistributionLambda):
    """A mixture of `num_components` copies of the head `component_head` over `event_shape`.

    Subclasses name the component head (a loc-scale `Independent*` head); everything else is shared.
    """

    component_head: type[IndependentNormal] | type[IndependentLogistic]

    def __init__(self, num_components: int, event_shape: EventShape = (),
                 convert_to_tensor_fn=Distribution.sample, validate_args: bool = False, *,
                 scale_transform: ScaleTransform = softplus, rngs=None, activity_regularizer=None):
        self.num_components = _check_num_components(num_components, type(self).__name__)
        make = partial(type(self).new, num_components=self.num_components, event_shape=event_shape,
                       validate_args=bool(validate_args), scale_transform=scale_transform)
        super().__init__(make, convert_to_tensor_fn, rngs=rngs, activity_regularizer=activity_regularizer)

    @classmethod
    def new(cls, params, num_components: int, event_shape: EventShape = (), validate_args: bool = False,
            scale_transform: ScaleTransform = softplus) -> Distribution:
        """The mixture for `params` (a plain function of arrays)."""
        check_params(params, cls.params_size(num_components, event_shape), cls.__name__)
        component = partial(cls.component_head.new, event_shape=event_shape, validate_args=validate_args,
                            scale_transform=scale_transform)
        return MixtureSameFamily.new(params, num_components, component, validate_args)

    @classmethod
    def params_size(cls, num_components: int, event_shape: EventShape = ()) -> int:
        """`num_components * (1 + 2 prod(event_shape))`: logits, then each component's loc and scale."""
        return MixtureSameFamily.params_size(num_components, cls.component_head.params_size(event_shape))


class MixtureNormal(_MixtureOfIndependent):
    """A mixture of `num_components` independent normals over `event_shape` (TFP's layout).

    `MixtureNormal.new(params, num_components, event_shape)` builds the distribution from an array;
    `MixtureNormal.params_size(num_components, event_shape)` is `num_components * (1 + 2 * event size)`.

    Args:
      num_components: the number of components K.
      event_shape: shape of one event (an int `n` means `(n,)`).
      convert_to_tensor_fn: how the output becomes an array for further layers.
      validate_args: check parameters and values.
      scale_transform: maps raw scale params to positive scales; default softplus as in TFP.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> from flax import nnx
      >>> params_size = MixtureNormal.params_size(16, [1])
      >>> params_size
      48
      >>> model = nnx.Sequential(nnx.Linear(1, params_size, rngs=nnx.Rngs(0)), MixtureNormal(16, [1]))
      >>> model(jnp.ones((8, 1))).log_prob(jnp.zeros((8, 1))).shape
      (8,)
      >>> d = MixtureNormal.new(jnp.array([0., 0., -1., 0., 1., 0.]), 2)  # logits, (loc, scale) x 2
      >>> round(float(d.mean()), 6), round(float(d.stddev()), 4)
      (0.0, 1.2167)

    """

    component_head = IndependentNormal


class MixtureLogistic(_MixtureOfIndependent):
    """A mixture of `num_components` independent logistics over `event_shape` (TFP's layout).

    `MixtureLogistic.new(params, num_components, event_shape)` builds the distribution from an array;
    `MixtureLogistic.params_size(num_components, event_shape)` is `num_components * (1 + 2 * event size)`.

    Args:
      num_components: the number of components K.
      event_shape: shape of one event (an int `n` means `(n,)`).
      convert_to_tensor_fn: how the output becomes an array for further layers.
      validate_args: check parameters and values.
      scale_transform: maps raw scale params to positive scales; default softplus as in TFP.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> MixtureLogistic.params_size(3, 2)
      15
      >>> d = MixtureLogistic(4, 2)(jnp.zeros((3, MixtureLogistic.params_size(4, 2))))
      >>> d.batch_shape, d.event_shape
      ((3,), (2,))
      >>> round(float(MixtureLogistic.new(jnp.array([0., 0., -1., 0., 1., 0.]), 2).mean()), 6)
      0.0

    """

    component_head = IndependentLogistic


class CategoricalMixtureOfOneHotCategorical(DistributionLambda):
    """A mixture of `num_components` one-hot categoricals over `event_size` classes (TFP's layout).

    Args:
      event_size: the number of classes.
      num_components: the number of components K.
      convert_to_tensor_fn: how the output becomes an array for further layers.
      sample_dtype: dtype of draws; None uses the dtype of `params`.
      validate_args: check parameters and values.
      rngs: keys for conversions that draw.
      activity_regularizer: optional `fn(dist) -> scalar` recorded as a `RegularizationLoss`.

    Example:
      >>> size = CategoricalMixtureOfOneHotCategorical.params_size(3, 2)
      >>> d = CategoricalMixtureOfOneHotCategorical(3, 2)(jnp.zeros((5, size)))
      >>> size, d.batch_shape, d.event_shape, d.mean()[0].round(6).tolist()
      (8, (5,), (3,), [0.333333, 0.333333, 0.333333])

    """

    def __init__(self, event_size: int, num_components: int, convert_to_tensor_fn=Distribution.sample,
                 sample_dtype=None, validate_args: bool = False, *, rngs=None, activity_regularizer=None):
        self.num_components = _check_num_components(num_components, "CategoricalMixtureOfOneHotCategorical")
        make = partial(CategoricalMixtureOfOneHotCategorical.new, event_size=event_size,
                       num_components=self.num_components, dtype=sample_dtype,
                       validate_args=bool(validate_args))
        super().__init__(make, convert_to_tensor_fn, rngs=rngs, activity_regularizer=activity_regularizer)

    @staticmethod
    def new(params, event_size: int, num_components: int, dtype=None,
            validate_args: bool = False) -> Distribution:
        """The mixture for `params` (a plain function of arrays).

        Example:
          >>> d = CategoricalMixtureOfOneHotCategorical.new(jnp.zeros(6), 2, 2)
          >>> d.event_shape
          (2,)

        """
        size = CategoricalMixtureOfOneHotCategorical.params_size(event_size, num_components)
        params = check_params(params, size, "CategoricalMixtureOfOneHotCategorical")
        component = partial(OneHotCategorical.new, event_size=event_size,
                            dtype=params.dtype if dtype is None else dtype, validate_args=validate_args)
        return MixtureSameFamily.new(params, num_components, component, validate_args)

    @staticmethod
    def params_size(event_size: int, num_components: int) -> int:
        """`num_components * (1 + event_size)`.

        Example:
          >>> CategoricalMixtureOfOneHotCategorical.params_size(10, 3)
          33

        """
        return MixtureSameFamily.params_size(num_components, OneHotCategorical.params_size(event_size))
