"""JointDistributionSequential: a model as a list of distributions and functions of earlier parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from probax.distributions._model_functions import as_model_entry, required_arguments
from probax.distributions.distribution import Distribution
from probax.distributions.joint_distribution import JointDistribution, Root


class JointDistributionSequential(JointDistribution):
    """A joint distribution given as a list whose entries are distributions or functions.

    A function entry receives the values of the parts before it, most recent first, one per
    positional parameter (`lambda scale, loc: Normal(loc, scale)` gets the previous part as
    `scale` and the one before as `loc`); a function with `*args` receives all of them.
    Samples and `log_prob` values are lists with one entry per part. A part is named by
    the parameter names later functions use for it, else by its distribution's explicit
    `name`, else `x`, `x1`, `x2`, ... counting from the last part (TFP's rule); the names
    serve `log_prob(name=...)` and `experimental_pin(name=...)`.

    Args:
      model: a list (or tuple) of distributions and functions returning distributions.
      validate_args: check values.
      name: a name.

    Example:
      >>> from probax.distributions import Exponential, JointDistributionSequential, Normal
      >>> model = JointDistributionSequential([
      ...     Normal(0., 10.),                       # mu
      ...     Exponential(1.),                       # sigma
      ...     lambda sigma, mu: Normal(mu, sigma),   # y
      ... ])
      >>> [x.shape for x in model.sample(5, seed=0)]
      [(5,), (5,), (5,)]
      >>> model.log_prob([0., 1., 0.5]).shape
      ()

    """

    _child_names = ("model",)
    _static_names = ("model_type",)

    def __init__(self, model: Sequence[Any], validate_args: bool = False, name: str | None = None):
        if not isinstance(model, list | tuple) or not model:
            raise ValueError("JointDistributionSequential: model must be a non-empty list or tuple.")
        entries = tuple(as_model_entry(entry, type(self).__name__, i) for i, entry in enumerate(model))
        for i, entry in enumerate(entries):
            if not isinstance(entry, Distribution):
                names = required_arguments(entry)[0]
                if len(names) > i:
                    raise ValueError(
                        f"JointDistributionSequential: model entry {i} takes {len(names)} arguments "
                        f"{list(names)} but only {i} part(s) come before it."
                    )
        super().__init__(model=entries, model_type=type(model), validate_args=validate_args,
                         allow_nan_stats=True, name=name)

    @property
    def parameters(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this distribution."""
        return dict(model=self.model_type(self.model), validate_args=self.validate_args, name=self.name)

    def _model_coroutine(self):
        values: list[Any] = []
        for entry in self.model:
            if isinstance(entry, Distribution):
                value = yield Root(entry)
            else:
                names, varargs = required_arguments(entry)
                previous = values[::-1] if varargs else values[::-1][: len(names)]
                distribution = entry(*previous)
                value = yield (Root(distribution) if not (names or varargs) else distribution)
            values.append(value)

    def _part_names(self) -> tuple[str, ...]:
        names: list[str | None] = [None] * len(self.model)
        for i, entry in enumerate(self.model):
            if isinstance(entry, Distribution) and not entry._has_default_name():
                names[i] = entry.name
        for i, entry in enumerate(self.model):
            if not isinstance(entry, Distribution):
                for k, argument in enumerate(required_arguments(entry)[0]):
                    if names[i - 1 - k] is None:
                        names[i - 1 - k] = argument
        unnamed = 0
        for i in reversed(range(len(names))):
            if names[i] is None:
                names[i] = "x" if unnamed == 0 else f"x{unnamed}"
                unnamed += 1
        return tuple(names)

    def _pack(self, flat, names=None):
        return self.model_type(flat)

    def _given_distributions(self):
        if all(isinstance(entry, Distribution) for entry in self.model):
            return list(self.model)
        return None
