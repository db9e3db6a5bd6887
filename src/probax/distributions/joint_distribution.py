"""The JointDistribution base: a model as a sequence of (possibly dependent) distributions.

Every flavour (Sequential, Named, Coroutine) reduces to one protocol, TFP's: a
generator that yields distributions, each wrapped in `Root` when it depends on no
earlier part, and receives the value chosen for it. One executor runs that
generator; what it sends back decides the method: a draw (sampling), a given value
(scoring), or a bijector's image of an unconstrained value (the event-space map).

Shapes follow TFP's plain (not auto-batched) joint distributions: a root part is
sampled with `sample_shape`, a dependent part once, its batch shape carrying the
sample dimensions of the parts it was built from. `batch_shape`, `event_shape` and
`dtype` are structures with one entry per part.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from probax._internal.prng import as_key
from probax._internal.shapes import Shape, as_shape, broadcast_sum
from probax.distributions.composite import CompositeDistribution
from probax.distributions.distribution import Distribution


@dataclasses.dataclass(frozen=True)
class Root:
    """Marks a part of a coroutine model that depends on no earlier part.

    Root parts are drawn with the full `sample_shape`; other parts are drawn once, with the
    sample dimensions already present in the parameters they were built from.

    Example:
      >>> from probax.distributions import JointDistributionCoroutine, Normal
      >>> def model():
      ...     mu = yield Root(Normal(0., 1., name='mu'))
      ...     yield Normal(mu, 1., name='y')
      >>> JointDistributionCoroutine(model).sample(4, seed=0).y.shape
      (4,)

    """

    distribution: Distribution


class _Part(NamedTuple):
    distribution: Distribution
    value: Any


# A value chooser: (part index, part distribution, whether it is a root) -> the value to use.
ValueChooser = Callable[[int, Distribution, bool], Any]


def run_model(coroutine: Iterator, choose: ValueChooser, owner: str) -> list[_Part]:
    """Run a model generator, sending `choose(index, distribution, is_root)` back for each part."""
    parts: list[_Part] = []
    try:
        yielded = next(coroutine)
        while True:
            is_root = isinstance(yielded, Root)
            distribution = yielded.distribution if is_root else yielded
            if not isinstance(distribution, Distribution):
                raise TypeError(
                    f"{owner}: part {len(parts)} must be a Distribution, got {type(distribution).__name__}."
                )
            value = choose(len(parts), distribution, is_root)
            parts.append(_Part(distribution, value))
            yielded = coroutine.send(value)
    except StopIteration:
        pass
    return parts


def sampling_chooser(sample_shape: Shape, key, given: Sequence[Any] | None = None) -> ValueChooser:
    """Draw each part (root parts with `sample_shape`) unless `given` holds a value for it."""

    def choose(index, distribution, is_root):
        if given is not None and given[index] is not None:
            return jnp.asarray(given[index], distribution.dtype)
        return distribution.sample(sample_shape if is_root else (), seed=jax.random.fold_in(key, index))

    return choose


def given_values_chooser(flat: Sequence[Any]) -> ValueChooser:
    """Use the given value of every part."""

    def choose(index, distribution, is_root):
        return jnp.asarray(flat[index], distribution.dtype)

    return choose


def describe_parts(make_coroutine: Callable[[], Iterator], describe: Callable[[int, Distribution], Any],
                   given: Sequence[Any] | None, owner: str) -> list:
    """`describe(index, distribution)` per part, from a traced run that computes nothing."""
    captured: list = []

    def run(key):
        parts = run_model(make_coroutine(), sampling_chooser((), key, given), owner)
        captured.extend(describe(i, p.distribution) for i, p in enumerate(parts))
        return [p.value for p in parts]

    jax.eval_shape(run, jax.random.key(0))
    return captured


class JointDistribution(CompositeDistribution):
    """Base of joint distributions over a structure (list, dict, named tuple) of parts.

    Subclasses supply `_model_coroutine()` (the generator protocol), `_part_names()` and
    `_pack(flat_values)` (the user-facing structure); everything else lives here.
    """

    Root = Root

    def __init__(self, **arguments):
        super().__init__(**arguments)
        names = self._part_names()
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"{type(self).__name__}: part names must be unique; repeated: {repeated}.")

    # ------------------------------------------------------------------ subclass hooks
    def _model_coroutine(self) -> Iterator[Distribution | Root]:
        raise NotImplementedError

    def _part_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _pack(self, flat: Sequence[Any], names: Sequence[str] | None = None):
        """Arrange per-part values (for the parts `names`, default all) in the model's structure."""
        raise NotImplementedError

    # ------------------------------------------------------------------ execution
    def _execute(self, choose: ValueChooser) -> list[_Part]:
        return run_model(self._model_coroutine(), choose, type(self).__name__)

    def _run_with_values(self, flat: Sequence[Any]) -> list[_Part]:
        return self._execute(given_values_chooser(flat))

    def _describe_parts(self, describe: Callable[[int, Distribution], Any], given: Sequence | None = None):
        """`describe(part index, part distribution)` for each part, from an abstract (compute-free) run.

        `describe` must return static Python values (shapes, ranks, dtypes): the run is traced.
        """
        return describe_parts(self._model_coroutine, describe, given, type(self).__name__)

    def _single_sample_parts(self) -> list[tuple[Shape, Shape, Any]]:
        """(batch shape, event shape, dtype) of each part."""
        return self._describe_parts(lambda _, d: (d.batch_shape, d.event_shape, d.dtype))

    # ------------------------------------------------------------------ values
    def _flat_values(self, args: tuple, kwargs: Mapping[str, Any], what: str,
                     names: Sequence[str] | None = None, partial: bool = False) -> list[Any]:
        """Per-part values (None where absent and `partial`) from a structure, positionals or names."""
        names = tuple(self._part_names() if names is None else names)
        if len(args) == 1 and not kwargs:
            given = args[0]
            if isinstance(given, Mapping):
                kwargs, args = dict(given), ()
            elif hasattr(given, "_asdict"):
                kwargs, args = dict(given._asdict()), ()
            elif isinstance(given, list | tuple) and len(names) > 1:
                args = tuple(given)
        if args and kwargs:
            raise ValueError(f"{type(self).__name__}.{what}: give values by position or by name, not both.")
        if args:
            if len(args) != len(names):
                raise ValueError(
                    f"{type(self).__name__}.{what}: expected {len(names)} values ({list(names)}), "
                    f"got {len(args)}."
                )
            return list(args)
        unknown = sorted(set(kwargs) - set(names))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.{what}: unknown part names {unknown}; the parts are {list(names)}."
            )
        missing = [n for n in names if n not in kwargs]
        if missing and not partial:
            raise ValueError(f"{type(self).__name__}.{what}: missing values for parts {missing}.")
        return [kwargs.get(n) for n in names]

    # ------------------------------------------------------------------ shapes
    def _batch_shape(self):
        return self._pack([batch for batch, _, _ in self._single_sample_parts()])

    def _event_shape(self):
        return self._pack([event for _, event, _ in self._single_sample_parts()])

    @property
    def dtype(self):
        """Structure of the parts' sample dtypes."""
        return self._pack([dtype for _, _, dtype in self._single_sample_parts()])

    def is_scalar_event(self):
        """Structure of booleans: whether each part's event is a scalar."""
        return self._pack([event == () for _, event, _ in self._single_sample_parts()])

    def is_scalar_batch(self):
        """Structure of booleans: whether each part's batch is a scalar."""
        return self._pack([batch == () for batch, _, _ in self._single_sample_parts()])

    def __repr__(self) -> str:
        return f"<probax.distributions.{type(self).__name__} '{self.name}' parts={list(self._part_names())}>"

    # ------------------------------------------------------------------ sampling
    def sample(self, sample_shape=(), seed=None, value=None, **named_values):
        """Draw every part, in model order; parts given in `value` (or by name) are held fixed.

        Args:
          sample_shape: int or tuple, the shape of independent draws (applied to root parts).
          seed: a `jax.random` key or an int. Required.
          value: optional structure of values (None where a part should be drawn).
          **named_values: values of some parts, by part name.

        Returns:
          The draws, in the model's structure (list, dict or named tuple).

        """
        return self.sample_distributions(sample_shape, seed, value, **named_values)[1]

    def sample_distributions(self, sample_shape=(), seed=None, value=None, **named_values):
        """Draw as `sample`, also returning the distribution each part was drawn from.

        Returns:
          A pair `(distributions, samples)`, both in the model's structure.

        """
        key = as_key(seed, f"{type(self).__name__}.sample")
        shape = as_shape(sample_shape, "sample_shape")
        args = () if value is None else (value,)
        given = self._flat_values(args, named_values, "sample", partial=True)
        parts = self._execute(sampling_chooser(shape, key, given))
        return self._pack([p.distribution for p in parts]), self._pack([p.value for p in parts])

    # ------------------------------------------------------------------ densities
    def _log_prob_parts_flat(self, flat: Sequence[Any]) -> list[jax.Array]:
        return [p.distribution.log_prob(p.value) for p in self._run_with_values(flat)]

    def log_prob_parts(self, *args, **kwargs):
        """Each part's log density at the given values, in the model's structure."""
        return self._pack(self._log_prob_parts_flat(self._flat_values(args, kwargs, "log_prob_parts")))

    def log_prob(self, *args, **kwargs) -> jax.Array:
        """Joint log density: the sum of the parts' log densities (broadcast over batch shapes).

        Values come as one structure (`log_prob(sample)`), one positional per part, or by part
        name (`log_prob(mu=0., y=1.)`).
        """
        return broadcast_sum(self._log_prob_parts_flat(self._flat_values(args, kwargs, "log_prob")))

    def prob(self, *args, **kwargs) -> jax.Array:
        """exp(log_prob)."""
        return jnp.exp(self.log_prob(*args, **kwargs))

    def unnormalized_log_prob(self, *args, **kwargs) -> jax.Array:
        """The same as `log_prob`: every part of a joint distribution is normalized."""
        return self.log_prob(*args, **kwargs)

    def unnormalized_log_prob_parts(self, *args, **kwargs):
        """The same as `log_prob_parts`."""
        return self.log_prob_parts(*args, **kwargs)

    # ------------------------------------------------------------------ summaries of independent parts
    def _given_distributions(self) -> list[Distribution] | None:
        """The parts, when the model lists them all outright (no part built from others)."""
        return None

    def _independent_parts(self, method: str) -> list[Distribution]:
        parts = self._given_distributions()
        if parts is None:
            raise NotImplementedError(
                f"{type(self).__name__}.{method} needs a model whose parts are all given as distributions "
                "(none built from other parts); estimate it from samples instead."
            )
        return parts

    def _per_part(self, method: str):
        return self._pack([getattr(d, method)() for d in self._independent_parts(method)])

    def mean(self):
        """Structure of the parts' means (parts must not depend on one another)."""
        return self._per_part("mean")

    def variance(self):
        """Structure of the parts' variances (parts must not depend on one another)."""
        return self._per_part("variance")

    def stddev(self):
        """Structure of the parts' standard deviations (parts must not depend on one another)."""
        return self._per_part("stddev")

    def mode(self):
        """Structure of the parts' modes (parts must not depend on one another)."""
        return self._per_part("mode")

    def entropy(self) -> jax.Array:
        """Sum of the parts' entropies (parts must not depend on one another)."""
        return broadcast_sum([d.entropy() for d in self._independent_parts("entropy")])

    # ------------------------------------------------------------------ conditioning
    def experimental_pin(self, *args, **kwargs):
        """Fix (observe) some parts; returns the unnormalized posterior over the rest.

        Example:
          >>> from probax.distributions import JointDistributionNamed, Normal
          >>> model = JointDistributionNamed(dict(mu=Normal(0., 1.), y=lambda mu: Normal(mu, 1.)))
          >>> posterior = model.experimental_pin(y=1.5)
          >>> float(posterior.unnormalized_log_prob(mu=0.5)) == float(model.log_prob(mu=0.5, y=1.5))
          True

        """
        from probax.distributions.joint_distribution_pinned import JointDistributionPinned

        return JointDistributionPinned(self, *args, **kwargs)

    condition = experimental_pin

    def experimental_default_event_space_bijector(self, *args, **kwargs):
        """The map from unconstrained space onto the support of every part (pins optional).

        Each part's bijector is its own distribution's event-space bijector, built from the
        values of the parts before it, so supports that depend on other parts are respected.
        """
        from probax.distributions.joint_event_space_bijector import JointEventSpaceBijector

        pins = self._flat_values(args, kwargs, "experimental_default_event_space_bijector", partial=True)
        return JointEventSpaceBijector(self, pins)

