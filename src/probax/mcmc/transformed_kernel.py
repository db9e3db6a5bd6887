"""TransformedTransitionKernel: run a kernel on an unconstrained space mapped onto the user's.

The bijector's `forward` maps the space the inner kernel moves in onto the
space the target is defined on; the inner kernel sees the pulled-back density
`target(forward(z)) + forward_log_det_jacobian(z, event_ndims=rank of each part)`.
`bijector` is, as in TFP:

- one `Bijector` for a single-part state (an array, or a list of one array);
- a list, tuple or dict of bijectors matching the state's structure, one per part;
- one structured `Bijector` acting on the whole state (`JointMap`, a joint
  distribution's `experimental_default_event_space_bijector()`), recognised by
  its structured `forward_min_event_ndims`.

The inner kernel is rebuilt with the transformed target: the innermost kernel
that has a `target_log_prob_fn` field is copied with the new one and its
wrappers (adaptations, `MetropolisHastings`, ...) are copied around it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from probax.bijectors.bijector import Bijector
from probax.mcmc.kernel import TransitionKernel, transition_kernel
from probax.mcmc.target import call_target, is_list_like


class TransformedTransitionKernelResults(NamedTuple):
    """Results of `TransformedTransitionKernel` (TFP's fields).

    Attributes:
      transformed_state: the chain's state in the inner kernel's (unconstrained) space.
      inner_results: the inner kernel's results.

    """

    transformed_state: Any
    inner_results: Any


def _is_bijector(value: Any) -> bool:
    return isinstance(value, Bijector)


def _acts_on_whole_state(bijector: Any) -> bool:
    return isinstance(bijector, Bijector) and not isinstance(bijector.forward_min_event_ndims, int)


def _per_part_bijectors(bijector: Any, state: Any) -> tuple[list, list, Callable[[list], Any]]:
    """`(bijectors, parts, pack)`: one bijector per part of `state`, and `pack` rebuilding such a state."""
    if isinstance(bijector, Bijector):
        bijector = [bijector]
    if isinstance(bijector, tuple) and not hasattr(bijector, "_fields"):
        bijector = list(bijector)
    bijectors, treedef = jax.tree.flatten(bijector, is_leaf=_is_bijector)
    list_state = is_list_like(state)
    single = not list_state and not isinstance(state, dict)
    try:
        parts = treedef.flatten_up_to([state] if single else list(state) if list_state else state)
    except (TypeError, ValueError) as err:
        raise ValueError(
            "TransformedTransitionKernel: the bijector structure does not match the state: the state has "
            f"structure {jax.tree.structure(state)}, the bijectors {treedef}."
        ) from err

    def pack(values: list) -> Any:
        packed = treedef.unflatten(values)
        if single:
            return packed[0]
        return type(state)(packed) if list_state else packed

    return bijectors, parts, pack


def _map_state(bijector: Any, state: Any, direction: str) -> Any:
    """`bijector.forward` (or `.inverse`) applied to `state`, keeping its structure."""
    if _acts_on_whole_state(bijector):
        return getattr(bijector, direction)(state)
    bijectors, parts, pack = _per_part_bijectors(bijector, state)
    return pack([getattr(b, direction)(part) for b, part in zip(bijectors, parts, strict=True)])


def _forward_and_log_det(bijector: Any, state: Any) -> tuple[Any, jax.Array]:
    """The constrained state and the forward log-det, each part's event rank being its full rank."""
    if _acts_on_whole_state(bijector):
        return bijector.forward_and_log_det(state, jax.tree.map(jnp.ndim, state))
    bijectors, parts, pack = _per_part_bijectors(bijector, state)
    results = [b.forward_and_log_det(part, jnp.ndim(part)) for b, part in zip(bijectors, parts, strict=True)]
    return pack([y for y, _ in results]), sum(log_det for _, log_det in results)


def transformed_target(
    target_log_prob_fn: Callable[..., Any], bijector: Any, list_state: bool
) -> Callable[..., jax.Array]:
    """The target pulled back through `bijector.forward` (with its log-det), called TFP's way.

    Args:
      target_log_prob_fn: the target on the constrained space.
      bijector: one bijector, a structure of them (one per part) or a whole-state bijector.
      list_state: whether the state is a list/tuple (passed to the target as separate arguments).

    Returns:
      A log density of the unconstrained state, with the same calling convention.

    Example:
      >>> from probax.bijectors import Exp
      >>> pulled_back = transformed_target(lambda x: -x, Exp(), list_state=False)
      >>> round(float(pulled_back(jnp.array(0.0))), 4)  # -exp(0) + 0
      -1.0

    """

    def log_prob(*parts: Any) -> jax.Array:
        state = list(parts) if list_state else parts[0]
        constrained, log_det = _forward_and_log_det(bijector, state)
        return call_target(target_log_prob_fn, constrained) + log_det

    return log_prob


def _with_target(kernel: TransitionKernel, target_log_prob_fn: Callable[..., Any]) -> TransitionKernel:
    """A copy of `kernel` whose innermost kernel with a target has `target_log_prob_fn` instead."""
    if hasattr(kernel, "target_log_prob_fn"):
        return kernel.copy(target_log_prob_fn=target_log_prob_fn)
    inner = getattr(kernel, "inner_kernel", None)
    if inner is None:
        raise ValueError(
            f"TransformedTransitionKernel: none of the nested kernels of {type(kernel).__name__} has a "
            "target_log_prob_fn."
        )
    return kernel.copy(inner_kernel=_with_target(inner, target_log_prob_fn))


def _target_of(kernel: TransitionKernel) -> Callable[..., Any]:
    while not hasattr(kernel, "target_log_prob_fn"):
        kernel = getattr(kernel, "inner_kernel", None)
        if kernel is None:
            raise ValueError("TransformedTransitionKernel: no nested kernel has a target_log_prob_fn.")
    return kernel.target_log_prob_fn


@transition_kernel
class TransformedTransitionKernel(TransitionKernel):
    """Runs `inner_kernel` in an unconstrained space that `bijector.forward` maps onto the target's.

    Args:
      inner_kernel: a kernel (possibly wrapped: adaptations, `MetropolisHastings`) whose target
        is defined on the constrained space.
      bijector: a `Bijector` for a single-part state, a list/tuple/dict of bijectors (one per
        state part), or a structured bijector acting on the whole state.

    States passed to and returned by `one_step` are in the target's (constrained) space;
    the results keep the unconstrained state in `transformed_state`.

    Example:
      >>> from probax.bijectors import Exp
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> log_prob = lambda scale: -scale  # an Exponential(1) target on scale > 0
      >>> kernel = TransformedTransitionKernel(HamiltonianMonteCarlo(log_prob, 0.5, 3), bijector=Exp())
      >>> results = kernel.bootstrap_results(jnp.array(1.0))
      >>> state, results = kernel.one_step(jnp.array(1.0), results, seed=0)
      >>> bool(state > 0), bool(jnp.isclose(jnp.log(state), results.transformed_state))
      (True, True)

    """

    inner_kernel: TransitionKernel
    bijector: Any

    def __post_init__(self) -> None:
        if not isinstance(self.inner_kernel, TransitionKernel):
            raise TypeError(
                f"TransformedTransitionKernel: inner_kernel must be a TransitionKernel, got "
                f"{type(self.inner_kernel).__name__}."
            )
        bijectors = jax.tree.leaves(self.bijector, is_leaf=_is_bijector)
        if not bijectors or not all(isinstance(b, Bijector) for b in bijectors):
            raise TypeError(
                "TransformedTransitionKernel: bijector must be a Bijector or a list/tuple/dict of Bijectors, "
                f"got {self.bijector!r}."
            )

    @property
    def is_calibrated(self) -> bool:
        """Whether the inner kernel is calibrated."""
        return self.inner_kernel.is_calibrated

    def _transformed_inner(self, state: Any) -> TransitionKernel:
        target = transformed_target(_target_of(self.inner_kernel), self.bijector, is_list_like(state))
        return _with_target(self.inner_kernel, target)

    def bootstrap_results(
        self, init_state: Any = None, transformed_init_state: Any = None
    ) -> TransformedTransitionKernelResults:
        """Results at a constrained `init_state` or, instead, an unconstrained `transformed_init_state`."""
        if (init_state is None) == (transformed_init_state is None):
            raise ValueError(
                "TransformedTransitionKernel.bootstrap_results: give exactly one of init_state and "
                "transformed_init_state."
            )
        if transformed_init_state is None:
            transformed_init_state = _map_state(self.bijector, init_state, "inverse")
        inner = self._transformed_inner(transformed_init_state)
        return TransformedTransitionKernelResults(
            transformed_state=transformed_init_state,
            inner_results=inner.bootstrap_results(transformed_init_state),
        )

    def one_step(
        self,
        current_state: Any,
        previous_kernel_results: TransformedTransitionKernelResults,
        seed: Any = None,
    ) -> tuple[Any, TransformedTransitionKernelResults]:
        """Step the inner kernel from `previous_kernel_results.transformed_state`; map the result forward."""
        del current_state  # the unconstrained state in the results is the chain's state
        transformed_state = previous_kernel_results.transformed_state
        inner = self._transformed_inner(transformed_state)
        next_transformed, inner_results = inner.one_step(
            transformed_state, previous_kernel_results.inner_results, seed
        )
        next_state = _map_state(self.bijector, next_transformed, "forward")
        return next_state, TransformedTransitionKernelResults(next_transformed, inner_results)
