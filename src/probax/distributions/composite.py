"""The base of distributions built from other distributions (Independent, mixtures, ...).

A composite holds its parts as pytree children (`_child_names`) and has no array
parameters of its own to convert, pad or slice, so the base class's parameter
machinery does not apply: a composite states its own `dtype`, `batch_shape`,
`event_shape` and batch slicing, and implements public methods by calling its
parts' public methods (which do their own broadcasting).
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import jax.numpy as jnp

from probax.distributions.distribution import Distribution


def require_distribution(value, owner: str, argument: str = "distribution") -> None:
    """Raise a TypeError naming `owner` and `argument` unless `value` is a Distribution."""
    if not isinstance(value, Distribution):
        raise TypeError(f"{owner}: {argument} must be a Distribution, got {type(value).__name__}.")


class CompositeDistribution(Distribution):
    """A distribution whose data are other distributions (and, optionally, plain arrays).

    Subclasses list their parts in `_child_names`, implement `dtype`, `_batch_shape`,
    `_event_shape`, `__getitem__` and the public methods they support. Methods they do
    not implement raise `NotImplementedError` naming the class and the method.
    """

    @classmethod
    def _parameter_properties(cls):
        return {}

    # Constructor arguments stored under another attribute name (argument -> attribute).
    _argument_attributes: ClassVar[dict[str, str]] = {}

    @property
    def parameters(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this distribution (`type(d)(**d.parameters)`)."""
        arguments = inspect.signature(type(self).__init__).parameters
        return {
            name: getattr(self, self._argument_attributes.get(name, name))
            for name in arguments
            if name != "self"
        }

    @property
    def dtype(self):
        """Dtype of the samples: the wrapped distribution's, for a wrapper of one."""
        if "distribution" in self._child_names:
            return self.distribution.dtype
        raise NotImplementedError(f"{type(self).__name__} must define dtype.")

    @property
    def reparameterization_type(self):
        """The wrapped distribution's, for a wrapper of one."""
        if "distribution" in self._child_names:
            return self.distribution.reparameterization_type
        raise NotImplementedError(f"{type(self).__name__} must define reparameterization_type.")

    def _value_as_array(self, value):
        return jnp.asarray(value, self.dtype)

    def _default_name(self) -> str:
        # A wrapper of one distribution is named after it: Independent(Normal) -> "IndependentNormal".
        if "distribution" in self._child_names:
            return type(self).__name__ + self.distribution.name
        return type(self).__name__

    def _with_batch_rank(self, rank: int) -> Distribution:
        # The parts broadcast values themselves; there are no parameters to pad.
        return self

    def __getitem__(self, index) -> Distribution:
        """Slice the batch dimensions (subclasses that support slicing override this)."""
        raise self._not_implemented("__getitem__ (batch slicing)")


class InnerSummaries:
    """For wrappers whose mean, variance, stddev and mode are the wrapped distribution's."""

    def _mean(self):
        return self.distribution.mean()

    def _variance(self):
        return self.distribution.variance()

    def _stddev(self):
        return self.distribution.stddev()

    def _mode(self):
        return self.distribution.mode()
