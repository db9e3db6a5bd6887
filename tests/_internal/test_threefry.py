import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax._internal import threefry

DRAWS = ("uniform", "normal", "exponential", "logistic", "cauchy", "laplace")


def test_cipher_matches_the_published_known_answers():
    # Random123's known-answer vectors for Threefry-2x32 with 20 rounds.
    zero = threefry.threefry2x32(jnp.zeros(2, jnp.uint32), jnp.uint32(0), jnp.uint32(0))
    assert [int(word) for word in zero] == [0x6B200159, 0x99BA4EFE]
    ones = jnp.full((2,), 0xFFFFFFFF, jnp.uint32)
    out = threefry.threefry2x32(ones, ones[0], ones[1])
    assert [int(word) for word in out] == [0x1CB996FC, 0xBB002BE7]


@pytest.mark.parametrize("name", DRAWS)
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 0)])
def test_draws_equal_jax_random_bit_for_bit(name, dtype, shape):
    key = jax.random.key(11)
    ours, theirs = getattr(threefry, name), getattr(jax.random, name)
    np.testing.assert_array_equal(ours(key, shape, dtype), theirs(key, shape, dtype))
    jitted = jax.jit(lambda k: ours(k, shape, dtype))(key)
    np.testing.assert_array_equal(jitted, jax.jit(lambda k: theirs(k, shape, dtype))(key))
    assert jitted.dtype == dtype and jitted.shape == shape


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_bernoulli_equals_jax_random_for_scalar_and_array_probabilities(dtype):
    key = jax.random.key(5)
    probs = jnp.linspace(0.0, 1.0, 12, dtype=dtype).reshape(3, 4)
    np.testing.assert_array_equal(threefry.bernoulli(key, probs), jax.random.bernoulli(key, probs))
    np.testing.assert_array_equal(threefry.bernoulli(key, 0.3, (50,)), jax.random.bernoulli(key, 0.3, (50,)))
    np.testing.assert_array_equal(
        threefry.bernoulli(key, probs[:1], (2, 4)), jax.random.bernoulli(key, probs[:1], (2, 4))
    )
    with pytest.raises(TypeError, match="floating"):
        threefry.bernoulli(key, 1, (2,))


def test_uniform_bounds_legacy_keys_and_vmap():
    key = jax.random.key(2)
    np.testing.assert_array_equal(
        threefry.uniform(key, (50,), jnp.float32, -2.0, 3.0),
        jax.random.uniform(key, (50,), jnp.float32, -2.0, 3.0),
    )
    # Array bounds broadcast against the shape, as in jax.random.
    low, high = jnp.arange(5.0), jnp.arange(5.0) + 0.5
    ours = threefry.uniform(key, (5,), jnp.float32, low, high)
    np.testing.assert_array_equal(ours, jax.random.uniform(key, (5,), jnp.float32, low, high))
    legacy = jax.random.PRNGKey(7)
    np.testing.assert_array_equal(threefry.normal(legacy, (9,)), jax.random.normal(legacy, (9,)))
    keys = jax.random.split(key, 4)
    ours = jax.vmap(lambda k: threefry.normal(k, (3,)))(keys)
    np.testing.assert_array_equal(ours, jax.vmap(lambda k: jax.random.normal(k, (3,)))(keys))


def test_key_splits_folds_and_bits_equal_jax_random():
    key, raw = jax.random.key(8), jax.random.PRNGKey(8)
    data = jax.random.key_data
    for num in (1, 2, 5):
        np.testing.assert_array_equal(data(threefry.split(key, num)), data(jax.random.split(key, num)))
        np.testing.assert_array_equal(threefry.split(raw, num), jax.random.split(raw, num))
    assert threefry.split(key).dtype == key.dtype
    for value in (0, 7, jnp.int32(-3), jnp.uint32(2**31 + 5)):
        ours = threefry.fold_in(key, value)
        np.testing.assert_array_equal(data(ours), data(jax.random.fold_in(key, value)))
        np.testing.assert_array_equal(threefry.fold_in(raw, value), jax.random.fold_in(raw, value))
    keys = jax.random.split(key, 4)
    ours = jax.vmap(threefry.fold_in, in_axes=(0, None))(keys, jnp.int32(11))
    np.testing.assert_array_equal(data(ours), data(jax.vmap(jax.random.fold_in, in_axes=(0, None))(keys, 11)))
    np.testing.assert_array_equal(threefry.bits(key, (2, 3)), jax.random.bits(key, (2, 3), jnp.uint32))
    with pytest.raises(OverflowError):  # as jax.random.fold_in
        threefry.fold_in(key, -3)


def test_other_generators_and_dtypes_fall_back_to_jax_random():
    rbg = jax.random.key(0, impl="rbg")
    np.testing.assert_array_equal(threefry.normal(rbg, (6,)), jax.random.normal(rbg, (6,)))
    key = jax.random.key(4)
    half = threefry.uniform(key, (6,), jnp.bfloat16)
    assert half.dtype == jnp.bfloat16
    np.testing.assert_array_equal(half, jax.random.uniform(key, (6,), jnp.bfloat16))
    with pytest.raises(TypeError):  # jax.random's own error for a non-key
        threefry.normal(None, (2,))
    with jax.threefry_partitionable(False):
        np.testing.assert_array_equal(threefry.uniform(key, (6,)), jax.random.uniform(key, (6,)))


def test_fused_normal_is_one_pass_without_a_loop():
    # jax.random lowers the cipher to a rolled loop on CPU; the fused draw has none.
    text = jax.jit(lambda k: threefry.normal(k, (1000,))).lower(jax.random.key(0)).as_text()
    assert "while" not in text
