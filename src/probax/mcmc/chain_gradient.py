"""A target's value and gradient for one chain that vmaps into one gradient of the whole batch.

Samplers are written for one chain and vmapped over chains. `vmap(value_and_grad(f))` and
`value_and_grad(sum(vmap(f)))` give the same numbers, but XLA does not compile them alike: the
vmapped gradient can contract a matrix along its leading axis (`P^T v` for a target written
`z @ (P @ z)`), which the CPU backend's fast matrix kernels do not take, while the gradient of
the summed batch multiplies row vectors by `P` as the forward pass does. On a 100-d Gaussian
this halves the cost of a NUTS leapfrog step. `chain_value_and_grad` returns the per-chain
function with a batching rule that switches to the second form; it stays differentiable.

The target is traced once, to a jaxpr, so that everything it closes over (data, or tracers of
an enclosing `vmap` over data sets) becomes an explicit argument the batching rule can see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

FlatValueAndGradient = Callable[[jax.Array], tuple[jax.Array, jax.Array]]


def chain_value_and_grad(
    log_prob: Callable[[jax.Array], jax.Array], example: jax.Array
) -> FlatValueAndGradient:
    """`jax.value_and_grad(log_prob)`, batched as the gradient of the summed batch under `vmap`.

    Args:
      log_prob: a scalar function of one flat state.
      example: a flat state of the shape and dtype the result will be called with.

    Returns:
      `flat -> (log_prob(flat), gradient)`, equal to `jax.value_and_grad(log_prob)` and
      differentiable like it.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> value_and_grad = chain_value_and_grad(lambda x: -jnp.sum(x**2), jnp.zeros(2))
      >>> values, grads = jax.vmap(value_and_grad)(jnp.array([[1.0, 2.0], [0.5, 0.0]]))
      >>> values.tolist(), grads.tolist()
      ([-5.0, -0.25], [[-2.0, -4.0], [-1.0, -0.0]])

    """
    closed = jax.make_jaxpr(log_prob)(example)

    def log_prob_of(flat: jax.Array, *consts: Any) -> jax.Array:
        (value,) = jax.core.eval_jaxpr(closed.jaxpr, consts, flat)
        return value

    plain = jax.value_and_grad(log_prob_of)

    @jax.custom_batching.custom_vmap
    def batched(flat: jax.Array, *consts: Any) -> tuple[jax.Array, jax.Array]:
        return plain(flat, *consts)

    @batched.def_vmap
    def _batching_rule(
        axis_size: int, in_batched: Sequence[bool], flat: jax.Array, *consts: Any
    ) -> tuple[tuple[jax.Array, jax.Array], tuple[bool, bool]]:
        del axis_size
        flat_batched, *consts_batched = in_batched
        const_axes = tuple(0 if is_batched else None for is_batched in consts_batched)
        if not flat_batched:
            # Only the closure varies over the batch: one gradient per member, the plain way.
            return jax.vmap(plain, (None, *const_axes))(flat, *consts), (True, True)
        values, pullback = jax.vjp(lambda x: jax.vmap(log_prob_of, (0, *const_axes))(x, *consts), flat)
        (grads,) = pullback(jnp.ones_like(values))
        return (values, grads), (True, True)

    @jax.custom_jvp
    def value_and_grad(flat: jax.Array, *consts: Any) -> tuple[jax.Array, jax.Array]:
        return batched(flat, *consts)

    @value_and_grad.defjvp
    def _value_and_grad_jvp(primals: tuple, tangents: tuple) -> tuple:
        return jax.jvp(plain, primals, tangents)

    return lambda flat: value_and_grad(flat, *closed.consts)
