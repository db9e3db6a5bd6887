"""JointDistributionNamed: a model as a dict of distributions and functions of other parts, by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from probax.distributions._model_functions import as_model_entry, required_arguments
from probax.distributions.distribution import Distribution
from probax.distributions.joint_distribution import JointDistribution, Root


def _resolution_order(model: Mapping[str, Any]) -> tuple[str, ...]:
    """Part names ordered so every part comes after the parts its function names (stable)."""
    dependencies = {}
    for name, entry in model.items():
        if isinstance(entry, Distribution):
            dependencies[name] = ()
            continue
        arguments, varargs = required_arguments(entry)
        if varargs:
            raise ValueError(f"JointDistributionNamed: the function for {name!r} must not take *args.")
        unknown = [a for a in arguments if a not in model]
        if unknown:
            raise ValueError(
                f"JointDistributionNamed: the function for {name!r} takes {unknown}, which are not parts "
                f"of the model ({list(model)})."
            )
        dependencies[name] = arguments
    order: list[str] = []
    while len(order) < len(model):
        ready = [n for n in model if n not in order and all(d in order for d in dependencies[n])]
        if not ready:
            cycle = [n for n in model if n not in order]
            raise ValueError(f"JointDistributionNamed: the parts {cycle} depend on one another in a cycle.")
        order.append(ready[0])
    return tuple(order)


class JointDistributionNamed(JointDistribution):
    """A joint distribution given as a dict whose values are distributions or functions.

    A function entry names the parts it depends on by its parameter names
    (`y=lambda mu, sigma: Normal(mu, sigma)`); parts are drawn in an order that respects
    these dependencies. Samples and `log_prob` values are dicts keyed by part name.

    Args:
      model: a mapping from part name to a distribution or a function returning one.
      validate_args: check values.
      name: a name.

    Example:
      >>> from probax.distributions import Exponential, JointDistributionNamed, Normal
      >>> model = JointDistributionNamed(dict(
      ...     mu=Normal(0., 10.),
      ...     sigma=Exponential(1.),
      ...     y=lambda mu, sigma: Normal(mu, sigma),
      ... ))
      >>> sorted(model.sample(seed=0))
      ['mu', 'sigma', 'y']
      >>> model.log_prob(mu=0., sigma=1., y=0.5).shape
      ()

    """

    _child_names = ("model",)
    _static_names = ("part_order",)

    def __init__(self, model: Mapping[str, Any], validate_args: bool = False, name: str | None = None):
        if not isinstance(model, Mapping) or not model:
            raise ValueError("JointDistributionNamed: model must be a non-empty dict.")
        entries = {key: as_model_entry(entry, type(self).__name__, key) for key, entry in model.items()}
        super().__init__(model=entries, part_order=_resolution_order(entries), validate_args=validate_args,
                         allow_nan_stats=True, name=name)

    @property
    def parameters(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this distribution."""
        return dict(model=dict(self.model), validate_args=self.validate_args, name=self.name)

    def _model_coroutine(self):
        values: dict[str, Any] = {}
        for name in self.part_order:
            entry = self.model[name]
            if isinstance(entry, Distribution):
                values[name] = yield Root(entry)
            else:
                arguments = required_arguments(entry)[0]
                distribution = entry(**{a: values[a] for a in arguments})
                values[name] = yield (distribution if arguments else Root(distribution))

    def _part_names(self) -> tuple[str, ...]:
        return self.part_order

    def _pack(self, flat, names=None):
        return dict(zip(self.part_order if names is None else names, flat, strict=True))

    def _given_distributions(self):
        if all(isinstance(entry, Distribution) for entry in self.model.values()):
            return [self.model[name] for name in self.part_order]
        return None
