"""Maps from unconstrained network outputs to positive scales, for the heads' `scale_transform=`.

TFP's heads use a plain softplus (`IndependentNormal`, `IndependentLogistic` and the mixtures built
on them), and so do probax's by default, so a ported model computes the same numbers. A floor keeps
a scale away from zero, where a log-density and its gradient blow up (softplus underflows to 0 below
about -100 in float32); `FlooredSoftplus` is that transform, with an optional input multiplier
that slows the scale's response as in TFP's tutorials: `FlooredSoftplus(1e-5, 0.05)` is
`1e-5 + softplus(0.05 * x)`.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

ScaleTransform = Callable[[jax.Array], jax.Array]


def softplus(x) -> jax.Array:
    """log(1 + exp(x)), TFP's default scale transform.

    Example:
      >>> round(float(softplus(0.)), 6)
      0.693147

    """
    return jax.nn.softplus(x)


class FlooredSoftplus:
    """`floor + softplus(multiplier * x)`: a positive scale bounded away from zero.

    An immutable callable; equal arguments give equal (and equally hashed) transforms, so heads
    holding one compile once.

    Args:
      floor: the smallest scale, positive.
      multiplier: scales the input before the softplus (below 1 makes the scale move slowly).

    Example:
      >>> transform = FlooredSoftplus(floor=1e-3, multiplier=0.05)
      >>> round(float(transform(-1e4)), 6)
      0.001
      >>> from probax.layers.independent_heads import IndependentNormal
      >>> head = IndependentNormal(1, scale_transform=transform)
      >>> round(float(head.make_distribution(jnp.array([0., -1e4])).stddev()[0]), 6)
      0.001

    """

    def __init__(self, floor: float = 1e-5, multiplier: float = 1.0):
        if not floor > 0:
            raise ValueError(f"FlooredSoftplus: floor must be positive, got {floor!r}.")
        self._key = (float(floor), float(multiplier))

    @property
    def floor(self) -> float:
        """The smallest scale returned."""
        return self._key[0]

    @property
    def multiplier(self) -> float:
        """The factor applied to the input."""
        return self._key[1]

    def __call__(self, x) -> jax.Array:
        """`floor + softplus(multiplier * x)` in the floating dtype of `x`."""
        x = jnp.asarray(x)
        dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.result_type(float)
        x = x.astype(dtype)
        return jnp.asarray(self.floor, dtype) + jax.nn.softplus(jnp.asarray(self.multiplier, dtype) * x)

    def __eq__(self, other) -> bool:
        return isinstance(other, FlooredSoftplus) and self._key == other._key

    def __hash__(self) -> int:
        return hash((FlooredSoftplus, self._key))

    def __repr__(self) -> str:
        return f"FlooredSoftplus(floor={self.floor}, multiplier={self.multiplier})"

