import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sc

from probax.math.log_factorial import log_factorial

COUNTS = np.concatenate([np.arange(0.0, 200.0), [511.0, 4096.0, 1e5, 1e7, 1e9, 1e12]])


@pytest.mark.parametrize(("dtype", "rtol"), [(jnp.float32, 4e-7), (jnp.float64, 1e-15)])
def test_matches_lgamma_of_k_plus_one(dtype, rtol):
    k = jnp.asarray(COUNTS, dtype)
    got = log_factorial(k)
    assert got.dtype == dtype
    expected = sc.gammaln(np.asarray(k, np.float64) + 1)
    # Relative to max(|log k!|, 1): log 0! = log 1! = 0 exactly.
    np.testing.assert_allclose(np.asarray(got, np.float64), expected, rtol=rtol, atol=rtol)
    assert float(got[0]) == float(got[1]) == 0.0


def test_table_and_series_meet_without_a_step():
    # log(k!) - log((k-1)!) = log k across the hand-over from the table (k < 32) to the series.
    k = jnp.arange(25.0, 40.0, dtype=jnp.float64)
    np.testing.assert_allclose(np.diff(np.asarray(log_factorial(k))), np.log(np.asarray(k[1:])), rtol=1e-14)


def test_integer_input_jit_vmap_and_finite_gradient():
    np.testing.assert_allclose(log_factorial(jnp.arange(5)), sc.gammaln(np.arange(5) + 1.0), rtol=1e-6)
    batch = jnp.asarray([[3.0, 40.0], [0.0, 100.0]])
    expected = sc.gammaln(np.asarray(batch) + 1)
    np.testing.assert_allclose(jax.jit(jax.vmap(log_factorial))(batch), expected, rtol=1e-6)
    assert np.all(np.isfinite(jax.grad(lambda k: jnp.sum(log_factorial(k)))(batch)))
