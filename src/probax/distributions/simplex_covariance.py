"""Variance and covariance of the families whose events are (scaled) probability vectors.

Dirichlet, Multinomial, DirichletMultinomial and OneHotCategorical all have a
covariance of the same shape, `scale * (diag(p) - p p^T)` for a probability
vector `p` and a per-distribution `scale`; a family states `scale` and `p`
(`_covariance_parts`) and this mixin does the rest.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal.shapes import pad_leading


def scaled_simplex_covariance(scale: jax.Array, probs: jax.Array) -> jax.Array:
    """`scale * (diag(p) - p p^T)`, batched over the leading axes.

    Args:
      scale: the factor, shaped like the batch (`probs.shape[:-1]`, or broadcastable to it).
      probs: probability vectors along the last axis.

    Returns:
      Covariance matrices shaped `probs.shape + probs.shape[-1:]`.

    Example:
      >>> scaled_simplex_covariance(jnp.array(2.0), jnp.array([0.5, 0.5])).tolist()
      [[0.5, -0.5], [-0.5, 0.5]]

    """
    num_classes = probs.shape[-1]
    identity = pad_leading(jnp.eye(num_classes, dtype=probs.dtype), probs.ndim + 1)
    outer = probs[..., :, None] * probs[..., None, :]
    return scale[..., None, None] * (probs[..., None] * identity - outer)


class SimplexCovarianceMixin:
    """`variance()` and `covariance()` from `_covariance_parts() -> (scale, probs)`.

    The host is a `Distribution` whose covariance is `scale * (diag(p) - p p^T)`, with
    `scale` shaped like the (rank-aligned) batch and `probs` like the batch plus one
    class axis.
    """

    def _covariance_parts(self) -> tuple[jax.Array, jax.Array]:
        raise NotImplementedError

    def _variance(self):
        scale, probs = self._covariance_parts()
        return scale[..., None] * probs * (1 - probs)

    def covariance(self) -> jax.Array:
        """Covariance matrix of the event, shaped `batch_shape + event_shape + event_shape`."""
        aligned = self._with_batch_rank(len(self.batch_shape))
        covariance = scaled_simplex_covariance(*aligned._covariance_parts())
        return jnp.broadcast_to(covariance, self.batch_shape + self.event_shape * 2)
