"""Starting points for chains: Stan's random init with retries, and clear errors for bad starts.

A start is valid when the kernel's bootstrap results have a finite target log
probability and a finite gradient: the same computation the sampler makes, so
a transformed kernel's log-det-Jacobian is included. Random starts are drawn
uniformly on (-radius, radius) in the unconstrained space and mapped through the
bijector; each chain retries on its own, in one compiled `lax.while_loop`.
When a chain finds no valid start, the error names the first non-finite term:
a part of the model's log density, the target itself, the log-det-Jacobian, or
a leaf of the gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from probax._internal import threefry
from probax.mcmc.kernel import TransitionKernel
from probax.mcmc.kernel_results import get_field
from probax.mcmc.target import call_target


def _all_finite(tree: Any) -> jax.Array:
    return jnp.all(jnp.asarray([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]))


def is_valid_start(kernel: TransitionKernel, state: Any) -> jax.Array:
    """Whether the kernel's target and its gradient are finite at `state` (one chain).

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> kernel = HamiltonianMonteCarlo(lambda x: jnp.log(x), step_size=0.1, num_leapfrog_steps=1)
      >>> bool(is_valid_start(kernel, 1.0)), bool(is_valid_start(kernel, -1.0))
      (True, False)

    """
    return results_are_finite(kernel.bootstrap_results(state))


def results_are_finite(results: Any) -> jax.Array:
    """Whether kernel results (of one chain) hold a finite target log probability and gradient.

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> kernel = HamiltonianMonteCarlo(lambda x: jnp.log(x), step_size=0.1, num_leapfrog_steps=1)
      >>> bool(results_are_finite(kernel.bootstrap_results(-1.0)))
      False

    """
    return _all_finite((get_field(results, "target_log_prob"), get_field(results, "grads_target_log_prob")))


def random_initial_states(
    kernel: TransitionKernel,
    unconstrained_prototype: Any,
    *,
    num_chains: int,
    seed: jax.Array,
    bijector: Any = None,
    radius: float = 2.0,
    max_tries: int = 100,
) -> tuple[Any, jax.Array]:
    """Draw a valid start per chain, uniformly on (-radius, radius) in the unconstrained space.

    Args:
      kernel: the kernel the chains will run (its bootstrap results decide validity).
      unconstrained_prototype: a state in the unconstrained space (arrays or `ShapeDtypeStruct`s)
        giving the shapes and dtypes to draw.
      num_chains: the number of chains.
      seed: a JAX key.
      bijector: maps unconstrained to constrained values (None: the identity).
      radius: the half-width of the uniform draws (Stan's default: 2).
      max_tries: draws per chain before giving up.

    Returns:
      `(states, valid)`: the (constrained) states with a leading chain axis, and per chain whether
      its state is valid (a chain that never found one keeps its last try).

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> kernel = HamiltonianMonteCarlo(lambda x: -jnp.sum(x**2), step_size=0.1, num_leapfrog_steps=1)
      >>> states, valid = random_initial_states(kernel, jnp.zeros(3), num_chains=2, seed=jax.random.key(0))
      >>> states.shape, bool(jnp.all(jnp.abs(states) < 2.0)), valid.tolist()
      ((2, 3), True, [True, True])

    """
    leaves, treedef = jax.tree.flatten(unconstrained_prototype)

    def draw(key: jax.Array) -> Any:
        keys = threefry.split(key, len(leaves))
        parts = [
            threefry.uniform(k, leaf.shape, leaf.dtype, -radius, radius)
            for k, leaf in zip(keys, leaves, strict=True)
        ]
        unconstrained = jax.tree.unflatten(treedef, parts)
        return unconstrained if bijector is None else bijector.forward(unconstrained)

    def one_chain(key: jax.Array) -> tuple[Any, jax.Array]:
        def keep_trying(carry):
            tries, _, _, valid = carry
            return ~valid & (tries < max_tries)

        def try_again(carry):
            tries, key, _, _ = carry
            key, draw_key = threefry.split(key)
            state = draw(draw_key)
            return tries + 1, key, state, is_valid_start(kernel, state)

        first = draw(key)
        init = (jnp.zeros((), jnp.int32), key, first, jnp.zeros((), bool))
        _, _, state, valid = jax.lax.while_loop(keep_trying, try_again, init)
        return state, valid

    return jax.jit(jax.vmap(one_chain))(threefry.split(seed, num_chains))


def _named_leaves(prefix: str, tree: Any) -> list[tuple[str, jax.Array]]:
    return [
        (f"{prefix}{jax.tree_util.keystr(path)}", leaf)
        for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]
    ]


def non_finite_term(
    kernel: TransitionKernel,
    target_log_prob_fn: Callable[..., Any],
    state: Any,
    log_prob_parts_fn: Callable[[Any], Any] | None = None,
) -> str:
    """Describe the first non-finite term of the log density or its gradient at `state` (one chain).

    Terms are looked at in this order: the parts of `log_prob_parts_fn(state)` (a
    joint distribution's `unnormalized_log_prob_parts`), the target, the kernel's
    target (with a transformed kernel's log-det-Jacobian), then the gradient's leaves.

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> target = lambda x: jnp.sum(jnp.log(x))
      >>> kernel = HamiltonianMonteCarlo(target, step_size=0.1, num_leapfrog_steps=1)
      >>> non_finite_term(kernel, target, jnp.array([1.0, 0.0]))
      'target_log_prob_fn(state) = -inf'

    """
    terms: list[tuple[str, Any]] = []
    if log_prob_parts_fn is not None:
        terms += _named_leaves("log prob part ", log_prob_parts_fn(state))
    terms.append(("target_log_prob_fn(state)", call_target(target_log_prob_fn, state)))
    results = kernel.bootstrap_results(state)
    terms.append(
        ("the log density with the bijector's log-det-Jacobian", get_field(results, "target_log_prob"))
    )
    terms += _named_leaves("gradient ", get_field(results, "grads_target_log_prob"))
    for name, value in terms:
        value = np.asarray(value)
        if not np.all(np.isfinite(value)):
            shown = value if value.ndim == 0 else value[~np.isfinite(value)][:3]
            return f"{name} = {shown}"
    return "no term (all finite)"


def check_initial_states(
    kernel: TransitionKernel,
    target_log_prob_fn: Callable[..., Any],
    states: Any,
    valid: Any,
    *,
    what: str,
    log_prob_parts_fn: Callable[[Any], Any] | None = None,
) -> None:
    """Raise a `ValueError` naming the first invalid chain and its first non-finite term.

    Args:
      kernel: the kernel the chains run.
      target_log_prob_fn: the user's target.
      states: the chains' states (leading chain axis).
      valid: per chain, whether its state is valid.
      what: how the states were found, for the message.
      log_prob_parts_fn: optional per-part log densities, to name the part at fault.

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> target = lambda x: jnp.log(x)
      >>> kernel = HamiltonianMonteCarlo(target, step_size=0.1, num_leapfrog_steps=1)
      >>> check_initial_states(kernel, target, jnp.array([1.0, -1.0]), jnp.array([True, False]),
      ...                      what="init")
      Traceback (most recent call last):
      ...
      ValueError: init: chain 1 has no valid start: target_log_prob_fn(state) = nan

    """
    valid = np.asarray(valid)
    if valid.all():
        return
    chain = int(np.argmin(valid))
    state = jax.tree.map(lambda leaf: leaf[chain], states)
    term = non_finite_term(kernel, target_log_prob_fn, state, log_prob_parts_fn)
    raise ValueError(f"{what}: chain {chain} has no valid start: {term}")
