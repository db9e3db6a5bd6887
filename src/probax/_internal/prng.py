"""Turning the user's `seed=` argument into a JAX key."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def as_key(seed, caller: str) -> jax.Array:
    """Return a JAX PRNG key for `seed`.

    Args:
      seed: a `jax.random.key`, a legacy `jax.random.PRNGKey` (uint32[2]) or a
        Python/NumPy int.
      caller: the method asking, named in the error when `seed` is missing.

    Returns:
      A key usable by every `jax.random` function.

    Raises:
      ValueError: when `seed` is None or not a key or integer.

    """
    if seed is None:
        raise ValueError(
            f"{caller} needs randomness: pass seed=jax.random.key(0) (or an int). "
            "probax never draws from hidden global state."
        )
    if isinstance(seed, int | np.integer):
        return jax.random.key(int(seed))
    try:
        seed_array = seed if isinstance(seed, jax.Array) else jnp.asarray(seed)
    except TypeError as err:
        raise ValueError(f"{caller}: seed must be a jax.random key or an int, got {seed!r}.") from err
    if jnp.issubdtype(seed_array.dtype, jax.dtypes.prng_key):
        if seed_array.shape != ():
            raise ValueError(
                f"{caller}: seed must be a single key, got a key array of shape {seed_array.shape}."
            )
        return seed_array
    if seed_array.dtype == jnp.uint32 and seed_array.shape == (2,):
        return seed_array
    if jnp.issubdtype(seed_array.dtype, jnp.integer) and seed_array.shape == ():
        return jax.random.key(seed_array)
    raise ValueError(
        f"{caller}: seed must be a jax.random key or an int, got {type(seed).__name__} "
        f"with dtype {seed_array.dtype} and shape {seed_array.shape}."
    )
