"""Tests of the Euclidean metric: momentum draws ~ N(0, M), kinetic energy, velocity."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.mcmc.metric import identity_metric, kinetic_energy, make_metric, sample_momentum, velocity

DENSE = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
DIAGONAL = np.array([4.0, 1.0, 0.25])


@pytest.mark.parametrize("inverse_mass", [DIAGONAL, DENSE], ids=["diagonal", "dense"])
def test_momentum_covariance_is_the_mass_matrix(inverse_mass):
    metric = make_metric(inverse_mass)
    keys = jax.random.split(jax.random.key(0), 40_000)
    momenta = np.asarray(jax.vmap(lambda k: sample_momentum(metric, k))(keys))
    mass = np.linalg.inv(np.diag(inverse_mass) if inverse_mass.ndim == 1 else inverse_mass)
    sample_cov = np.cov(momenta, rowvar=False)
    # Standard error of a sample covariance entry: sqrt((M_ij^2 + M_ii M_jj) / n).
    stderr = np.sqrt((mass**2 + np.outer(np.diag(mass), np.diag(mass))) / len(momenta))
    np.testing.assert_array_less(np.abs(sample_cov - mass), 5 * stderr)
    np.testing.assert_array_less(np.abs(momenta.mean(0)), 5 * np.sqrt(np.diag(mass) / len(momenta)))


@pytest.mark.parametrize("inverse_mass", [DIAGONAL, DENSE], ids=["diagonal", "dense"])
def test_velocity_and_kinetic_energy(inverse_mass):
    metric = make_metric(inverse_mass)
    p = np.array([0.3, -1.2, 2.0])
    matrix = np.diag(inverse_mass) if inverse_mass.ndim == 1 else inverse_mass
    np.testing.assert_allclose(velocity(metric, jnp.asarray(p)), matrix @ p, rtol=1e-12)
    v = velocity(metric, jnp.asarray(p))
    np.testing.assert_allclose(kinetic_energy(jnp.asarray(p), v), 0.5 * p @ matrix @ p, rtol=1e-12)
    assert metric.is_dense == (inverse_mass.ndim == 2)


def test_float32_stays_float32():
    metric = make_metric(jnp.asarray(DENSE, jnp.float32))
    assert metric.momentum_scale.dtype == jnp.float32
    p = sample_momentum(metric, jax.random.key(1))
    assert p.dtype == jnp.float32
    assert velocity(metric, p).dtype == jnp.float32


def test_identity_metric():
    metric = identity_metric(4, jnp.float32)
    assert metric.inverse_mass_matrix.dtype == jnp.float32
    p = sample_momentum(metric, jax.random.key(2))
    np.testing.assert_array_equal(velocity(metric, p), p)


def test_metric_is_a_pytree_through_jit():
    metric = jax.jit(make_metric)(jnp.asarray(DENSE))
    scale = metric.momentum_scale
    np.testing.assert_allclose(scale @ scale.T, np.linalg.inv(DENSE), rtol=1e-10)


@pytest.mark.parametrize("shape", [(), (2, 3), (2, 2, 2)])
def test_bad_shape_raises(shape):
    with pytest.raises(ValueError, match="inverse_mass_matrix"):
        make_metric(jnp.ones(shape))
