"""The transition-kernel protocol (TFP's): `bootstrap_results` and a pure `one_step`.

A kernel is an immutable pytree: a frozen dataclass whose array-valued settings
(step sizes, scales) are leaves and whose configuration (the target function,
integer counts, flags) is static. Its results are NamedTuples of arrays, so a
chain is a `lax.scan` over `one_step` and many chains are a `vmap`.

Subclasses are declared with the `transition_kernel` decorator; fields marked
with `static_field()` are static, the others are pytree leaves.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import jax


def static_field(**kwargs: Any) -> Any:
    """A dataclass field that is static configuration, not a pytree leaf.

    Example:
      >>> import dataclasses
      >>> dataclasses.field is not static_field
      True

    """
    return dataclasses.field(metadata={"static": True}, **kwargs)


def transition_kernel(cls: type) -> type:
    """Make `cls` a frozen dataclass registered as a pytree (leaves: its non-static fields).

    Example:
      >>> @transition_kernel
      ... class Noop(TransitionKernel):
      ...     scale: float = 1.0
      ...     def bootstrap_results(self, init_state):
      ...         return ()
      ...     def one_step(self, current_state, previous_kernel_results, seed=None):
      ...         return current_state, previous_kernel_results
      >>> jax.tree_util.tree_leaves(Noop(scale=2.0))
      [2.0]

    """
    cls = dataclasses.dataclass(frozen=True)(cls)
    return jax.tree_util.register_dataclass(cls)


class TransitionKernel:
    """Base class of Markov chain transition kernels (TFP's protocol).

    Subclasses implement `one_step(current_state, previous_kernel_results, seed)`
    returning `(next_state, kernel_results)` and `bootstrap_results(init_state)`,
    both pure functions of their arguments. `is_calibrated` says whether the
    kernel leaves its target invariant by itself (an "uncalibrated" proposal
    needs a `MetropolisHastings` wrapper).
    """

    is_calibrated: ClassVar[bool] = True

    def one_step(self, current_state: Any, previous_kernel_results: Any, seed: Any = None) -> tuple[Any, Any]:
        """Advance the chain by one step; returns `(next_state, kernel_results)`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement one_step.")

    def bootstrap_results(self, init_state: Any) -> Any:
        """The kernel results for a chain that starts at `init_state`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement bootstrap_results.")

    @property
    def parameters(self) -> dict[str, Any]:
        """The constructor arguments, by name."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    def copy(self, **overrides: Any) -> TransitionKernel:
        """A copy of this kernel with some constructor arguments replaced."""
        return dataclasses.replace(self, **overrides)
