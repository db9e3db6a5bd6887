"""The three kernel estimators agree in mean and variance; they differ only in cross-example correlation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.distributions import Independent, Normal
from probax.layers.variational_estimators import (
    flipout_output,
    local_reparameterization_output,
    mean_field_normal_parts,
    posterior_tensor,
    reparameterization_output,
)

NUM_DRAWS = 4000
RNG = np.random.default_rng(0)
X = jnp.asarray(RNG.normal(size=(3, 4)))
LOC = jnp.asarray(RNG.normal(size=(4, 2)))
SCALE = jnp.asarray(RNG.uniform(0.2, 1.0, size=(4, 2)))
EXPECTED_MEAN = np.asarray(X @ LOC)
EXPECTED_VAR = np.asarray(jnp.square(X) @ jnp.square(SCALE))


def _conv(x, kernel):
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), "VALID",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _draws(estimator):
    keys = jax.random.split(jax.random.key(1), NUM_DRAWS)
    return np.asarray(jax.jit(jax.vmap(estimator))(keys))


ESTIMATORS = {
    "reparameterization": lambda key: reparameterization_output(
        jnp.matmul, X, Independent(Normal(LOC, SCALE), 2), "sample", key)[0],
    "flipout": lambda key: flipout_output(jnp.matmul, X, LOC, SCALE, key),
    "local_reparameterization": lambda key: local_reparameterization_output(jnp.matmul, X, LOC, SCALE, key),
}


@pytest.fixture(scope="module")
def draws():
    return {name: _draws(estimator) for name, estimator in ESTIMATORS.items()}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_mean_and_variance_match_the_kernel_posterior(draws, name):
    samples = draws[name]
    mean_error = (samples.mean(0) - EXPECTED_MEAN) / np.sqrt(EXPECTED_VAR / NUM_DRAWS)
    assert np.max(np.abs(mean_error)) < 5
    # Outputs are normal (reparameterization, local) or nearly so: Var(s^2) ~ 2 var^2 / n.
    var_error = (samples.var(0) - EXPECTED_VAR) / (EXPECTED_VAR * np.sqrt(2 / NUM_DRAWS))
    assert np.max(np.abs(var_error)) < 6


def test_examples_are_correlated_only_under_plain_reparameterization(draws):
    expected_cov = np.asarray((X[0] * X[1]) @ jnp.square(SCALE))  # shared kernel: sum_i x0i x1i s_i^2
    bound = 5 * np.sqrt(EXPECTED_VAR[0] * EXPECTED_VAR[1] / NUM_DRAWS)
    for name, samples in draws.items():
        centred = samples - samples.mean(0)
        cov = (centred[:, 0] * centred[:, 1]).mean(0)
        target = expected_cov if name == "reparameterization" else 0.0
        assert np.all(np.abs(cov - target) < bound), name
    assert np.all(np.abs(expected_cov) > 3 * bound)  # the difference is detectable at this size


def test_local_reparameterization_output_is_normal(draws):
    samples = draws["local_reparameterization"][:, 0, 0]
    z = (samples - EXPECTED_MEAN[0, 0]) / np.sqrt(EXPECTED_VAR[0, 0])
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_flipout_and_reparameterization_agree_for_convolutions():
    x = jnp.asarray(RNG.normal(size=(2, 5, 5, 3)))
    loc = jnp.asarray(RNG.normal(size=(2, 2, 3, 4)))
    scale = jnp.asarray(RNG.uniform(0.2, 1.0, size=(2, 2, 3, 4)))
    mean, var = np.asarray(_conv(x, loc)), np.asarray(_conv(jnp.square(x), jnp.square(scale)))
    posterior = Independent(Normal(loc, scale), 4)
    for estimator in (lambda key: flipout_output(_conv, x, loc, scale, key, spatial_ndims=2),
                      lambda key: reparameterization_output(_conv, x, posterior, "sample", key)[0]):
        samples = _draws(estimator)
        assert np.max(np.abs(samples.mean(0) - mean) / np.sqrt(var / NUM_DRAWS)) < 5
        assert np.max(np.abs(samples.var(0) - var) / (var * np.sqrt(2 / NUM_DRAWS))) < 6


def test_flipout_signs_are_shared_over_spatial_positions():
    # With a zero mean kernel and a constant image, every position of one example sees the same kernel.
    x = jnp.ones((3, 4, 4, 2))
    out = flipout_output(_conv, x, jnp.zeros((1, 1, 2, 3)), jnp.ones((1, 1, 2, 3)), jax.random.key(0), 2)
    assert np.allclose(out, out[:, :1, :1, :])
    assert not np.allclose(out[0], out[1])


def test_local_reparameterization_gradient_is_finite_for_zero_inputs():
    def total(scale):
        x = jnp.zeros((2, 4)).at[0].set(1.0)  # the second row is all zeros: zero output variance
        return jnp.sum(local_reparameterization_output(jnp.matmul, x, LOC, scale, jax.random.key(0)))

    grad = jax.grad(total)(SCALE)
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)


def test_float32_stays_float32():
    x, loc, scale = (a.astype(jnp.float32) for a in (X, LOC, SCALE))
    out = flipout_output(jnp.matmul, x, loc, scale, jax.random.key(0))
    local = local_reparameterization_output(jnp.matmul, x, loc, scale, jax.random.key(0))
    assert out.dtype == local.dtype == jnp.float32


def test_posterior_helpers():
    posterior = Independent(Normal(LOC, 2.0), 2)
    loc, scale = mean_field_normal_parts(posterior, "DenseFlipout")
    np.testing.assert_array_equal(loc, LOC)
    assert scale.shape == LOC.shape and np.all(scale == 2.0)
    np.testing.assert_array_equal(posterior_tensor(posterior, "mean", jax.random.key(0)), LOC)
    with pytest.raises(TypeError, match=r"DenseFlipout.*Independent\(Normal"):
        mean_field_normal_parts(Normal(LOC, 1.0), "DenseFlipout")
