"""JointDistributionPinned: a joint distribution with some parts fixed to observed values.

Pinning turns a generative model into the (unnormalized) posterior over its other
parts: the target that MCMC and variational inference take, with its own map from
unconstrained space onto the supports of the free parts.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal.prng import as_key
from probax._internal.shapes import as_shape, broadcast_sum
from probax.distributions.joint_distribution import JointDistribution, sampling_chooser


class JointDistributionPinned:
    """The parts of `distribution` that are not pinned, with the pinned parts held at their values.

    Values of the free parts take the model's structure restricted to them (a list for
    Sequential, a dict for Named, a named tuple for Coroutine), or go by position or name.
    `unnormalized_log_prob` (also `log_prob`) is the joint log density with the pins
    plugged in: the log posterior up to its normalizing constant.

    Args:
      distribution: a JointDistribution.
      *pins: values of the parts by position (None for a free part), or one structure.
      **named_pins: values of the parts by name.

    Example:
      >>> from probax.distributions import JointDistributionNamed, Exponential, Poisson
      >>> model = JointDistributionNamed(dict(rate=Exponential(1.), count=lambda rate: Poisson(rate)))
      >>> posterior = model.experimental_pin(count=3.)
      >>> posterior.event_shape
      {'rate': ()}
      >>> bijector = posterior.experimental_default_event_space_bijector()
      >>> float(bijector.forward({'rate': 0.})['rate']) > 0.  # onto the positive reals
      True

    """

    def __init__(self, distribution: JointDistribution, *pins, **named_pins):
        if not isinstance(distribution, JointDistribution):
            raise TypeError(
                f"JointDistributionPinned: distribution must be a JointDistribution, "
                f"got {type(distribution).__name__}."
            )
        flat = distribution._flat_values(pins, named_pins, "experimental_pin", partial=True)
        if all(value is None for value in flat):
            raise ValueError("JointDistributionPinned: pin at least one part (by position or name).")
        if all(value is not None for value in flat):
            raise ValueError(
                "JointDistributionPinned: every part is pinned; use the joint distribution's log_prob."
            )
        self.distribution = distribution
        self.pins = tuple(None if value is None else jnp.asarray(value) for value in flat)

    # ------------------------------------------------------------------ pytree
    def _tree_flatten(self):
        return (self.distribution, self.pins), None

    @classmethod
    def _tree_unflatten(cls, _, children):
        instance = object.__new__(cls)
        instance.distribution, instance.pins = children
        return instance

    # ------------------------------------------------------------------ structure
    @property
    def name(self) -> str:
        """The pinned distribution's name."""
        return self.distribution.name

    @property
    def pinned_names(self) -> tuple[str, ...]:
        """Names of the pinned parts."""
        names = self.distribution._part_names()
        return tuple(n for n, pin in zip(names, self.pins, strict=True) if pin is not None)

    @property
    def unpinned_names(self) -> tuple[str, ...]:
        """Names of the free parts, in model order."""
        names = self.distribution._part_names()
        return tuple(n for n, pin in zip(names, self.pins, strict=True) if pin is None)

    def _free(self, flat: list) -> list:
        return [value for value, pin in zip(flat, self.pins, strict=True) if pin is None]

    def _pack_free(self, flat_free: list):
        return self.distribution._pack(flat_free, self.unpinned_names)

    def _merged(self, args: tuple, kwargs: dict, what: str) -> list:
        """Full per-part values: the pins, and the free parts' values from `args`/`kwargs`."""
        free = iter(self.distribution._flat_values(args, kwargs, what, names=self.unpinned_names))
        return [next(free) if pin is None else pin for pin in self.pins]

    def _described(self, index: int) -> list:
        return self._free(self.distribution._describe_parts(
            lambda _, d: (d.batch_shape, d.event_shape, d.dtype)[index], given=self.pins))

    @property
    def batch_shape(self):
        """Batch shapes of the free parts, in the model's structure."""
        return self._pack_free(self._described(0))

    @property
    def event_shape(self):
        """Event shapes of the free parts, in the model's structure."""
        return self._pack_free(self._described(1))

    @property
    def dtype(self):
        """Sample dtypes of the free parts, in the model's structure."""
        return self._pack_free(self._described(2))

    def __repr__(self) -> str:
        return (f"<probax.distributions.JointDistributionPinned '{self.name}' "
                f"pinned={list(self.pinned_names)} free={list(self.unpinned_names)}>")

    # ------------------------------------------------------------------ densities
    def unnormalized_log_prob(self, *args, **kwargs) -> jax.Array:
        """Joint log density of the free parts' values with the pins plugged in.

        Values come as one structure of the free parts, one positional per free part, or by name.
        """
        merged = self._merged(args, kwargs, "unnormalized_log_prob")
        return broadcast_sum(self.distribution._log_prob_parts_flat(merged))

    log_prob = unnormalized_log_prob

    def unnormalized_log_prob_parts(self, *args, **kwargs):
        """Each part's log density (pinned parts included), in the full model's structure."""
        merged = self._merged(args, kwargs, "unnormalized_log_prob_parts")
        return self.distribution._pack(self.distribution._log_prob_parts_flat(merged))

    log_prob_parts = unnormalized_log_prob_parts

    # ------------------------------------------------------------------ sampling
    def sample_unpinned(self, sample_shape=(), seed=None):
        """Draw the free parts from the model (the prior, with the pins plugged in where used).

        These are not posterior draws: they are handy starting points for MCMC.
        """
        key = as_key(seed, "JointDistributionPinned.sample_unpinned")
        shape = as_shape(sample_shape, "sample_shape")
        parts = self.distribution._execute(sampling_chooser(shape, key, self.pins))
        return self._pack_free(self._free([p.value for p in parts]))

    # ------------------------------------------------------------------ transforms
    def experimental_pin(self, *args, **kwargs) -> JointDistributionPinned:
        """Pin more of the free parts (by position among the free parts, or by name)."""
        extra = iter(self.distribution._flat_values(args, kwargs, "experimental_pin",
                                                    names=self.unpinned_names, partial=True))
        merged = [next(extra) if pin is None else pin for pin in self.pins]
        return JointDistributionPinned(self.distribution, merged)

    def experimental_default_event_space_bijector(self):
        """The map from unconstrained space onto the supports of the free parts."""
        from probax.distributions.joint_event_space_bijector import JointEventSpaceBijector

        return JointEventSpaceBijector(self.distribution, self.pins)


jax.tree_util.register_pytree_node(
    JointDistributionPinned, JointDistributionPinned._tree_flatten, JointDistributionPinned._tree_unflatten
)
