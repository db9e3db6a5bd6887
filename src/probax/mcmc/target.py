"""Calling a user's target log density on a chain state, TFP's way.

A state that is a list or tuple (not a namedtuple) is passed as separate
arguments, `target_log_prob_fn(*state)`; any other state (an array, a dict, a
namedtuple, a custom pytree) is passed as one argument. The log density must
return a scalar per chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def is_list_like(state: Any) -> bool:
    """Whether `state` is passed to the target as separate arguments (a plain list or tuple).

    Example:
      >>> is_list_like([1.0, 2.0]), is_list_like({"a": 1.0})
      (True, False)

    """
    return isinstance(state, list | tuple) and not hasattr(state, "_fields")


def call_target(target_log_prob_fn: Callable[..., Any], state: Any) -> jax.Array:
    """`target_log_prob_fn(*state)` for a list or tuple state, else `target_log_prob_fn(state)`.

    Example:
      >>> float(call_target(lambda a, b: a + b, [1.0, 2.0]))
      3.0

    """
    value = target_log_prob_fn(*state) if is_list_like(state) else target_log_prob_fn(state)
    value = jnp.asarray(value)
    if value.ndim != 0:
        raise ValueError(
            "target_log_prob_fn must return one scalar log density per state; got shape "
            f"{value.shape}. Sum over the data, and run several chains with vmap."
        )
    return value


def target_and_gradient(target_log_prob_fn: Callable[..., Any], state: Any) -> tuple[jax.Array, Any]:
    """The target's value at `state` and its gradient, with the state's structure.

    Example:
      >>> value, grad = target_and_gradient(lambda x: -0.5 * x**2, 3.0)
      >>> float(value), float(grad)
      (-4.5, -3.0)

    """
    return jax.value_and_grad(lambda s: call_target(target_log_prob_fn, s))(state)
