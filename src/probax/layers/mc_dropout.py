"""MCDropout: dropout that stays on at prediction time (Gal & Ghahramani 2016, "MC dropout").

`nnx.Dropout` switches off in inference mode (`model.eval()`, `nnx.view(deterministic=True)`,
`probax.training.predict`); `MCDropout` has no such switch, so every forward pass, in training and
at prediction, is a draw from the approximate posterior predictive. Average many passes with
`predict_samples` to get the predictive mean and its spread.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from probax._internal import threefry


class MCDropout(nnx.Module):
    """Zero each input with probability `rate` and scale the rest by `1 / (1 - rate)`, on every call.

    Args:
      rate: the drop probability, in [0, 1).
      broadcast_dims: dimensions sharing one mask (e.g. spatial dimensions for channel dropout).
      rng_collection: the stream of `rngs` forked for the masks (default "dropout", as
        `nnx.Dropout`).
      rngs: an `nnx.Rngs` (needed when `rate > 0`).

    Example:
      >>> layer = MCDropout(0.5, rngs=nnx.Rngs(0))
      >>> layer.eval()  # no effect: MC dropout always drops
      >>> sorted(set(layer(jnp.ones(8)).tolist()))
      [0.0, 2.0]

    """

    def __init__(self, rate: float, *, broadcast_dims: Sequence[int] = (), rng_collection: str = "dropout",
                 rngs: nnx.Rngs | None = None):
        owner = type(self).__name__
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise ValueError(f"{owner}: rate must be a number in [0, 1), got {rate!r}.")
        self.rate = float(rate)
        self.broadcast_dims = tuple(broadcast_dims)
        if isinstance(rngs, nnx.Rngs):
            self.rngs = rngs[rng_collection].fork()
        elif rngs is None and self.rate == 0:
            self.rngs = nnx.data(None)
        else:
            raise TypeError(f"{owner}: rngs must be an nnx.Rngs (needed for rate > 0), "
                            f"got {type(rngs).__name__}.")

    def __call__(self, inputs) -> jax.Array:
        """The inputs with a fresh dropout mask applied."""
        x = jnp.asarray(inputs)
        if self.rate == 0:
            return x
        mask_shape = tuple(1 if axis in self._broadcast_axes(x.ndim) else n for axis, n in enumerate(x.shape))
        keep = threefry.bernoulli(self.rngs(), 1.0 - self.rate, mask_shape)
        return jnp.where(jnp.broadcast_to(keep, x.shape), x / (1.0 - self.rate), jnp.zeros_like(x))

    def _broadcast_axes(self, ndim: int) -> set[int]:
        return {axis % ndim for axis in self.broadcast_dims}
