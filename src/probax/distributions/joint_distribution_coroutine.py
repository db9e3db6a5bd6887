"""JointDistributionCoroutine: a model written as a generator that yields its parts."""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Iterator
from typing import Any

from probax.distributions.joint_distribution import JointDistribution, describe_parts


@functools.lru_cache(maxsize=256)
def struct_tuple(names: tuple[str, ...]) -> type:
    """The named-tuple type for these part names (one type per name tuple, so pytrees match)."""
    return collections.namedtuple("StructTuple", names)


def _explicit_name(_, distribution) -> str | None:
    """The distribution's name when the user gave one that can name a field."""
    name = distribution.name
    usable = not distribution._has_default_name() and name.isidentifier() and not name.startswith("_")
    return name if usable else None


class JointDistributionCoroutine(JointDistribution):
    """A joint distribution written as a generator function (TFP's coroutine form).

    The generator yields each part's distribution and receives its value:
    `mu = yield Root(Normal(0., 1.))`. Parts that depend on no earlier part are wrapped in
    `Root` (they are drawn with the full `sample_shape`). Samples are named tuples whose
    fields are the parts' distribution names where given (`Normal(..., name='mu')`),
    else `var0`, `var1`, ...

    Args:
      model: a function with no arguments that returns the generator.
      validate_args: check values.
      name: a name.

    Example:
      >>> from probax.distributions import HalfNormal, JointDistributionCoroutine, Normal, Root
      >>> def model():
      ...     mu = yield Root(Normal(0., 10., name='mu'))
      ...     sigma = yield Root(HalfNormal(1., name='sigma'))
      ...     yield Normal(mu, sigma, name='y')
      >>> jd = JointDistributionCoroutine(model)
      >>> jd.sample(3, seed=0)._fields
      ('mu', 'sigma', 'y')
      >>> jd.log_prob(mu=0., sigma=1., y=0.5).shape
      ()

    """

    _static_names = ("model", "part_names")

    def __init__(self, model: Callable[[], Iterator], validate_args: bool = False, name: str | None = None):
        if not callable(model):
            raise TypeError(f"JointDistributionCoroutine: model must be a generator function, got {model!r}.")
        explicit = describe_parts(model, _explicit_name, None, "JointDistributionCoroutine")
        names = tuple(name or f"var{i}" for i, name in enumerate(explicit))
        super().__init__(model=model, part_names=names, validate_args=validate_args, allow_nan_stats=True,
                         name=name)

    @property
    def parameters(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this distribution."""
        return dict(model=self.model, validate_args=self.validate_args, name=self.name)

    def _model_coroutine(self):
        return self.model()

    def _part_names(self) -> tuple[str, ...]:
        return self.part_names

    def _pack(self, flat, names=None):
        return struct_tuple(tuple(self.part_names if names is None else names))(*flat)
