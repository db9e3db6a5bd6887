import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import distributions as tfd


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_point_mass(dtype):
    d = tfd.Deterministic(np.array([0.0, -1.5, 3.0], dtype))
    assert d.batch_shape == (3,) and d.event_shape == () and d.dtype == dtype
    x = np.array([[0.0, -1.5, 3.0], [1e-3, -1.5, 2.0]], dtype)
    np.testing.assert_array_equal(d.log_prob(x), [[0.0, 0.0, 0.0], [-np.inf, 0.0, -np.inf]])
    np.testing.assert_array_equal(d.prob(x), [[1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(d.cdf(x), [[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(d.log_cdf(x), [[0.0, 0.0, 0.0], [0.0, 0.0, -np.inf]])
    np.testing.assert_array_equal(d.survival_function(x), [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(d.log_survival_function(x), [[-np.inf] * 3, [-np.inf, -np.inf, 0.0]])
    for method in ("log_prob", "cdf", "log_cdf", "survival_function", "log_survival_function"):
        assert getattr(d, method)(x).dtype == dtype, method
    for method, expected in [("mean", d.loc), ("mode", d.loc), ("variance", 0.0), ("stddev", 0.0)]:
        value = getattr(d, method)()
        assert value.dtype == dtype and value.shape == (3,)
        np.testing.assert_array_equal(value, np.broadcast_to(expected, (3,)))
    np.testing.assert_array_equal(d.entropy(), np.zeros(3))
    np.testing.assert_array_equal(d.quantile(np.array([[0.0], [0.3], [1.0]], dtype)), np.tile(d.loc, (3, 1)))
    assert np.all(np.isnan(d.quantile(np.array([[1.5]], dtype))))


def test_samples_and_reparameterization():
    d = tfd.Deterministic(np.array([[1.0], [2.0]]))
    x = d.sample((4, 5), seed=0)
    assert x.shape == (4, 5, 2, 1)
    np.testing.assert_array_equal(x, np.broadcast_to([[1.0], [2.0]], (4, 5, 2, 1)))
    assert d.reparameterization_type == tfd.FULLY_REPARAMETERIZED
    gradient = jax.grad(lambda m: jnp.sum(tfd.Deterministic(m).sample(3, seed=1)))(jnp.array([1.0, 2.0]))
    np.testing.assert_array_equal(gradient, [3.0, 3.0])


def test_tolerances():
    # A value counts as loc when |x - loc| <= atol + rtol * |loc|.
    d = tfd.Deterministic(loc=np.array([10.0, 10.0, -10.0]), atol=np.array([0.5, 0.0, 0.5]), rtol=0.1)
    loc, slack = np.asarray(d.loc), np.array([1.5, 1.0, 1.5])
    inside = loc + slack * np.array([[1.0], [-1.0]])
    np.testing.assert_array_equal(d.prob(inside), np.ones((2, 3)))
    outside = loc + (slack + 1e-6) * np.array([[1.0], [-1.0]])
    np.testing.assert_array_equal(d.prob(outside), np.zeros((2, 3)))
    # cdf jumps to 1 at the lower edge of the tolerance band.
    np.testing.assert_array_equal(d.cdf(loc - slack), np.ones(3))
    np.testing.assert_array_equal(d.cdf(loc - slack - 1e-6), np.zeros(3))
    only_atol = tfd.Deterministic(0.0, atol=0.25)
    assert float(only_atol.prob(0.25)) == 1.0 and float(only_atol.prob(0.2501)) == 0.0
    assert only_atol.rtol is None and only_atol.batch_shape == ()


def test_tolerance_batch_shapes_broadcast():
    d = tfd.Deterministic(loc=np.zeros(3), atol=np.ones((2, 1)))
    assert d.batch_shape == (2, 3)
    assert d.sample(seed=0).shape == (2, 3)
    assert d.log_prob(0.5).shape == (2, 3)
    assert d.mean().shape == (2, 3) and d.variance().shape == (2, 3) and d.entropy().shape == (2, 3)


def test_validate_args():
    with pytest.raises(ValueError, match="atol"):
        tfd.Deterministic(0.0, atol=-1.0, validate_args=True)
    with pytest.raises(ValueError, match="rtol"):
        tfd.Deterministic(0.0, rtol=-1.0, validate_args=True)
    with pytest.raises(ValueError, match="loc"):
        tfd.Deterministic(np.nan, validate_args=True)


def test_transforms():
    params = dict(loc=np.array([0.0, 1.0]), atol=np.array([0.1, 0.1]))
    points = np.array([[0.0, 1.05], [0.2, 1.0]])
    eager = tfd.Deterministic(**params).log_prob(points)
    jitted = jax.jit(lambda p, x: tfd.Deterministic(**p).log_prob(x))(params, points)
    np.testing.assert_array_equal(jitted, eager)
    returned = jax.jit(lambda p: tfd.Deterministic(**p))(params)
    np.testing.assert_array_equal(returned.log_prob(points), eager)
    stacked = {k: np.stack([v, v]) for k, v in params.items()}
    batched = jax.vmap(lambda p: tfd.Deterministic(**p))(stacked)
    assert batched.batch_shape == (2, 2)
    np.testing.assert_array_equal(batched[1].log_prob(points), eager)
    gradient = jax.grad(lambda m: jnp.sum(tfd.Deterministic(m).log_prob(jnp.array([0.0, 1.0]))))(
        jnp.array([0.0, 1.0])
    )
    np.testing.assert_array_equal(gradient, [0.0, 0.0])
