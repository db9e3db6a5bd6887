"""Trainable: a distribution-building function and the parameters it is built from, as one pytree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax


class Trainable:
    """A surrogate with explicit trainable parameters: `build_fn(params)` is the distribution.

    A pytree whose leaves are the leaves of `params` and whose static part is `build_fn`, so
    it passes through `jit`, `grad` and `lax.scan`, and optax updates `params` directly.
    `fit_surrogate_posterior` takes one and returns the fitted distribution.

    Args:
      build_fn: a function from a pytree of parameters to a distribution.
      params: the initial parameters (any pytree of arrays).

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.distributions import Normal
      >>> q = Trainable(lambda p: Normal(p['loc'], jnp.exp(p['log_scale'])),
      ...               {'loc': jnp.array(1.), 'log_scale': jnp.array(0.)})
      >>> float(q.build().mean())
      1.0
      >>> len(jax.tree.leaves(q))
      2

    """

    def __init__(self, build_fn: Callable[[Any], Any], params: Any):
        if not callable(build_fn):
            raise TypeError(f"Trainable: build_fn must be callable, got {type(build_fn).__name__}.")
        self.build_fn = build_fn
        self.params = params

    def build(self):
        """The distribution at the current parameters."""
        return self.build_fn(self.params)

    def with_params(self, params: Any) -> Trainable:
        """The same surrogate family at other parameters."""
        return Trainable(self.build_fn, params)

    def __repr__(self) -> str:
        shapes = jax.tree.map(lambda leaf: getattr(leaf, "shape", ()), self.params)
        return f"Trainable(build_fn={getattr(self.build_fn, '__name__', self.build_fn)!r}, params={shapes})"


jax.tree_util.register_pytree_node(
    Trainable,
    lambda t: ((t.params,), t.build_fn),
    lambda build_fn, children: Trainable(build_fn, children[0]),
)
