"""`jax.random`'s draws and key splits, bit for bit, as operations XLA fuses on CPU.

On CPU, `jax.random` lowers its Threefry-2x32 cipher (Salmon et al. 2011) to a
rolled loop, to keep compile times short: the loop runs five times over the
whole array of counters, each pass reading and writing it. Written out as
plain integer operations, the cipher fuses with the counters and with whatever
turns its bits into floats: one pass, nothing stored in between. Where JAX's
defaults hold (a threefry key, `jax_threefry_partitionable`) every function here
returns exactly what its `jax.random` namesake returns for the same key (a key
of counter `i` is Threefry of `(0, i)`, a uint32 draw the XOR of its two
words); otherwise they call `jax.random`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

# Rotation constants of the cipher's 20 rounds (four per key injection) and the key-schedule parity.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


def _rotate_left(x: jax.Array, bits: int) -> jax.Array:
    return jax.lax.shift_left(x, np.uint32(bits)) | jax.lax.shift_right_logical(x, np.uint32(32 - bits))


def threefry2x32(key_words: jax.Array, x0: jax.Array, x1: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The Threefry-2x32 block cipher (20 rounds) of the counter pairs `(x0, x1)` under a key.

    Args:
      key_words: the key's two uint32 words, shape `(2,)`.
      x0: the counters' first uint32 words.
      x1: their second words (the same shape, or broadcastable).

    Returns:
      The two uint32 output words, as `jax.random`'s threefry primitive returns them.

    Example:
      >>> out = threefry2x32(jnp.zeros(2, jnp.uint32), jnp.uint32(0), jnp.uint32(0))
      >>> [hex(int(word)) for word in out]  # the cipher's published known-answer test
      ['0x6b200159', '0x99ba4efe']

    """
    keys = (key_words[0], key_words[1], key_words[0] ^ key_words[1] ^ np.uint32(_PARITY))
    x0, x1 = x0 + keys[0], x1 + keys[1]
    for injection in range(1, 6):
        for bits in _ROTATIONS[(injection - 1) % 2]:
            x0 = x0 + x1
            x1 = _rotate_left(x1, bits) ^ x0
        x0 = x0 + keys[injection % 3]
        x1 = x1 + keys[(injection + 1) % 3] + np.uint32(injection)
    return x0, x1


def _fusable_key_words(key: jax.Array, shape: Sequence[int]) -> jax.Array | None:
    """The key's two words when the fused cipher reproduces `jax.random` for it, else None."""
    if not jax.config.jax_threefry_partitionable or math.prod(shape) >= 2**32 or not hasattr(key, "dtype"):
        return None  # (not a key array: `jax.random` raises its own error)
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.shape != () or str(jax.random.key_impl(key)) != "threefry2x32":
            return None
        return jax.random.key_data(key)
    legacy_threefry = str(jax.config.jax_default_prng_impl) == "threefry2x32"
    if key.dtype == jnp.uint32 and key.shape == (2,) and legacy_threefry:
        return key
    return None


def _counter_words(key_words: jax.Array, shape: Sequence[int]) -> tuple[jax.Array, jax.Array]:
    """The cipher's two words for the counters `(0, i)`, `i` the flat index into `shape`."""
    counters = jax.lax.iota(jnp.uint32, math.prod(shape)).reshape(shape)
    return threefry2x32(key_words, jnp.zeros_like(counters), counters)


def _bits(key_words: jax.Array, shape: Sequence[int], width: int) -> jax.Array:
    """`jax.random.bits` of `width` (32 or 64) for the threefry key with these words."""
    out0, out1 = _counter_words(key_words, shape)
    if width == 32:
        return out0 ^ out1
    return jax.lax.shift_left(out0.astype(jnp.uint64), np.uint64(32)) | out1.astype(jnp.uint64)


@functools.partial(jax.jit, static_argnames=("shape", "dtype"))
def _fused_uniform(key_words, shape, dtype, minval, maxval):
    # Jitted as `jax.random` is, so that eager calls round (fuse multiply-adds) as its do.
    width = dtype.itemsize * 8
    unsigned = jnp.uint32 if width == 32 else jnp.uint64
    # Random mantissa bits under the exponent of 1.0 make a float in [1, 2); minus one, in [0, 1).
    one = np.array(1.0, dtype).view(unsigned)
    mantissa_shift = unsigned(width - np.finfo(dtype).nmant)
    float_bits = jax.lax.shift_right_logical(_bits(key_words, shape, width), mantissa_shift)
    floats = jax.lax.bitcast_convert_type(float_bits | one, dtype) - dtype.type(1.0)
    minval = jnp.asarray(minval, dtype)
    maxval = jnp.asarray(maxval, dtype)
    return jnp.maximum(minval, floats * (maxval - minval) + minval)


@functools.partial(jax.jit, static_argnames=("shape", "dtype"))
def _fused_normal(key_words, shape, dtype):
    lowest = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    uniforms = _fused_uniform(key_words, shape, dtype, lowest, 1.0)
    return dtype.type(np.sqrt(2.0)) * jax.lax.erf_inv(uniforms)


def _draw(jax_draw, fused_draw, key: jax.Array, shape: Sequence[int], dtype, *args) -> jax.Array:
    """`fused_draw(key_words, shape, dtype, *args)` where it equals `jax_draw(key, shape, dtype, *args)`."""
    shape, dtype = tuple(shape), jax.dtypes.canonicalize_dtype(dtype)
    key_words = None
    if dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        key_words = _fusable_key_words(key, shape)
    if key_words is None:
        return jax_draw(key, shape, dtype, *args)
    return fused_draw(key_words, shape, dtype, *args)


def uniform(key: jax.Array, shape: Sequence[int] = (), dtype=float, minval=0.0, maxval=1.0) -> jax.Array:
    """`jax.random.uniform(key, shape, dtype, minval, maxval)`: the same values, fused on CPU.

    Example:
      >>> key = jax.random.key(0)
      >>> bool(jnp.all(uniform(key, (5,), minval=-2.0, maxval=3.0)
      ...               == jax.random.uniform(key, (5,), minval=-2.0, maxval=3.0)))
      True

    """
    return _draw(jax.random.uniform, _fused_uniform, key, shape, dtype, minval, maxval)


def normal(key: jax.Array, shape: Sequence[int] = (), dtype=float) -> jax.Array:
    """`jax.random.normal(key, shape, dtype)`: the same values (inverse error function), fused on CPU.

    Example:
      >>> key = jax.random.key(3)
      >>> bool(jnp.all(normal(key, (2, 3)) == jax.random.normal(key, (2, 3))))
      True

    """
    return _draw(jax.random.normal, _fused_normal, key, shape, dtype)


# Draws `jax.random` makes from one uniform on [low, 1): `low` from the dtype's limits, then a transform.
_FROM_UNIFORM = {
    "exponential": (lambda finfo: 0.0, lambda u: -jnp.log1p(-u)),
    "logistic": (lambda finfo: finfo.tiny, lambda u: jnp.log(u) - jnp.log1p(-u)),
    "cauchy": (lambda finfo: finfo.eps, lambda u: jnp.tan(np.pi * (u - 0.5))),
    "laplace": (lambda finfo: -1.0 + finfo.epsneg, lambda u: jnp.sign(u) * jnp.log1p(-jnp.abs(u))),
}


@functools.partial(jax.jit, static_argnames=("shape", "dtype", "name"))
def _fused_from_uniform(key_words, shape, dtype, name):
    low, transform = _FROM_UNIFORM[name]
    return transform(_fused_uniform(key_words, shape, dtype, low(np.finfo(dtype)), 1.0))


def _from_uniform_draw(name: str):
    def draw(key: jax.Array, shape: Sequence[int] = (), dtype=float) -> jax.Array:
        fused = functools.partial(_fused_from_uniform, name=name)
        return _draw(getattr(jax.random, name), fused, key, shape, dtype)

    draw.__name__ = draw.__qualname__ = name
    draw.__doc__ = f"""`jax.random.{name}(key, shape, dtype)`: the same values, fused on CPU.

    Example:
      >>> key = jax.random.key(4)
      >>> bool(jnp.all({name}(key, (2, 3)) == jax.random.{name}(key, (2, 3))))
      True

    """
    return draw


exponential = _from_uniform_draw("exponential")
logistic = _from_uniform_draw("logistic")
cauchy = _from_uniform_draw("cauchy")
laplace = _from_uniform_draw("laplace")


@functools.partial(jax.jit, static_argnames=("shape", "dtype"))
def _fused_bernoulli(key_words, shape, dtype, p):
    return _fused_uniform(key_words, shape, dtype, 0.0, 1.0) < jnp.broadcast_to(p, shape)


def bernoulli(key: jax.Array, p=0.5, shape: Sequence[int] | None = None) -> jax.Array:
    """`jax.random.bernoulli(key, p, shape)`: the same values (a uniform below `p`), fused on CPU.

    Example:
      >>> key = jax.random.key(2)
      >>> bool(jnp.all(bernoulli(key, 0.3, (6,)) == jax.random.bernoulli(key, 0.3, (6,))))
      True

    """
    p = jnp.asarray(p, jnp.result_type(p))
    shape = p.shape if shape is None else tuple(shape)

    def jax_bernoulli(key, shape, dtype, p):
        return jax.random.bernoulli(key, p, shape)

    return _draw(jax_bernoulli, _fused_bernoulli, key, shape, p.dtype, p)


def _rewrap(words: jax.Array, like: jax.Array) -> jax.Array:
    """Key data `words` as keys of `like`'s kind (typed keys stay typed, raw uint32 keys raw)."""
    if jnp.issubdtype(like.dtype, jax.dtypes.prng_key):
        return jax.random.wrap_key_data(words, impl=jax.random.key_impl(like))
    return words


@functools.partial(jax.jit, static_argnames=("num",))
def _fused_split(key_words, num):
    return jnp.stack(_counter_words(key_words, (num,)), axis=-1)


def split(key: jax.Array, num: int = 2) -> jax.Array:
    """`jax.random.split(key, num)`: the same keys (Threefry of the counters `(0, i)`), fused on CPU.

    Example:
      >>> key = jax.random.key(4)
      >>> bool(jnp.all(jax.random.key_data(split(key, 3)) == jax.random.key_data(jax.random.split(key, 3))))
      True

    """
    key_words = _fusable_key_words(key, (num,)) if isinstance(num, int) else None
    if key_words is None:
        return jax.random.split(key, num)
    return _rewrap(_fused_split(key_words, num), key)


@jax.jit
def _fused_fold_in(key_words, data):
    out0, out1 = threefry2x32(key_words, jnp.uint32(0), data)
    return jnp.stack([out0, out1])


def fold_in(key: jax.Array, data) -> jax.Array:
    """`jax.random.fold_in(key, data)`: the same key (Threefry of the counter `(0, data)`), fused on CPU.

    Example:
      >>> key = jax.random.key(4)
      >>> ours, theirs = fold_in(key, 7), jax.random.fold_in(key, 7)
      >>> bool(jnp.all(jax.random.key_data(ours) == jax.random.key_data(theirs)))
      True

    """
    key_words = _fusable_key_words(key, ())
    if key_words is None or not jnp.issubdtype(jnp.result_type(data), jnp.integer):
        return jax.random.fold_in(key, data)
    # Converted as `jax.random.fold_in` converts it (a negative Python int is an error there too).
    return _rewrap(_fused_fold_in(key_words, jnp.asarray(data, dtype=jnp.uint32)), key)


@functools.partial(jax.jit, static_argnames=("shape",))
def _fused_bits(key_words, shape):
    return _bits(key_words, shape, 32)


def bits(key: jax.Array, shape: Sequence[int] = ()) -> jax.Array:
    """`jax.random.bits(key, shape, jnp.uint32)`: the same uint32 bits, fused on CPU.

    Example:
      >>> key = jax.random.key(6)
      >>> bool(jnp.all(bits(key, (3,)) == jax.random.bits(key, (3,), jnp.uint32)))
      True

    """
    shape = tuple(shape)
    key_words = _fusable_key_words(key, shape)
    if key_words is None:
        return jax.random.bits(key, shape, jnp.uint32)
    return _fused_bits(key_words, shape)
