import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.mcmc.hmc import HamiltonianMonteCarlo
from probax.mcmc.kernel_results import get_field
from probax.mcmc.langevin import MetropolisAdjustedLangevinAlgorithm
from probax.mcmc.nuts import NoUTurnSampler
from probax.mcmc.window_adaptation import (
    WindowAdaptation,
    regularized_covariance,
    welford_init,
    welford_update,
    window_schedule,
)

SCALES = np.array([3.0, 0.5, 1.0])
COVARIANCE = np.array([[4.0, 1.8], [1.8, 1.0]])
PRECISION = np.linalg.inv(COVARIANCE)


def scaled_gaussian(x):
    return -0.5 * jnp.sum((x / SCALES) ** 2)


def correlated_gaussian(x):
    return -0.5 * x @ (jnp.asarray(PRECISION) @ x)


def test_schedule_is_stans():
    # Stan with num_warmup=1000: init_buffer 75, windows of 25, 50, 100, 200 and a stretched 500, term 50.
    assert window_schedule(1000) == (75, (100, 150, 250, 450, 950))
    assert window_schedule(300) == (75, (100, 150, 250))
    # Too short for 75 + 25 + 50: 15% / 75% / 10%, one window.
    assert window_schedule(100) == (15, (90,))
    assert window_schedule(19) == (19, ())


def test_welford_matches_numpy():
    x = np.random.default_rng(0).normal(size=(40, 3)) @ np.array(
        [[1.0, 0.5, 0.0], [0.0, 2.0, 0.1], [0, 0, 1]]
    )
    for dense in (False, True):
        state = welford_init(3, jnp.float64, dense)
        for row in x:
            state = welford_update(state, jnp.asarray(row))
        np.testing.assert_allclose(state.mean, x.mean(0), rtol=1e-12)
        sample_cov = np.cov(x.T) if dense else x.var(0, ddof=1)
        shrink = 1e-3 * 5 / 45 * (np.eye(3) if dense else 1.0)
        np.testing.assert_allclose(regularized_covariance(state), 40 / 45 * sample_cov + shrink, rtol=1e-10)


def run_adaptation(kernel, init, num_steps, num_chains=4, seed=0):
    """Run `num_chains` chains (step counter shared, as `sample` does): carry, step sizes, accept probs."""
    axes = type(kernel.bootstrap_results(init))(0, None, 0, 0)
    states = jnp.broadcast_to(init, (num_chains, *init.shape))
    results = jax.vmap(kernel.bootstrap_results, out_axes=axes)(states)
    step = jax.vmap(kernel.one_step, in_axes=(0, axes, 0), out_axes=(0, axes), axis_name="chain")

    def body(carry, key):
        carry = step(*carry, jax.random.split(key, num_chains))
        accept_prob = jnp.exp(jnp.minimum(get_field(carry[1], "log_accept_ratio"), 0.0))
        return carry, (get_field(carry[1], "step_size"), accept_prob)

    keys = jax.random.split(jax.random.key(seed), num_steps)
    return jax.jit(lambda c: jax.lax.scan(body, c, keys))((states, results))


def test_diagonal_adaptation_learns_the_variances_and_the_step_size():
    kernel = WindowAdaptation(
        NoUTurnSampler(scaled_gaussian, step_size=1.0), num_adaptation_steps=400, dense_mass=False
    )
    (_, results), (step_sizes, _) = run_adaptation(kernel, jnp.zeros(3), 450)
    inverse_mass = np.asarray(get_field(results, "metric").inverse_mass_matrix)
    assert inverse_mass.shape == (4, 3)
    # The last window holds 200 draws per chain; averaged over 4 chains a variance is within ~10%.
    np.testing.assert_allclose(inverse_mass.mean(0), SCALES**2, rtol=0.25)
    # After the adaptation, the step size is frozen at its averaged value.
    np.testing.assert_array_equal(step_sizes[400:], np.broadcast_to(step_sizes[399], (50, 4)))
    assert int(results.adaptation_step) == 450
    # With the metric matching the target, a unit-scale Gaussian in d=3 takes steps of about 1.
    assert np.all((step_sizes[-1] > 0.4) & (step_sizes[-1] < 2.0))


def test_dense_adaptation_learns_the_covariance_and_the_acceptance_target():
    kernel = WindowAdaptation(
        NoUTurnSampler(correlated_gaussian, step_size=1.0),
        num_adaptation_steps=300,
        dense_mass=True,
        target_accept_prob=0.8,
    )
    # 300 adaptation steps, then 300 with the adaptation frozen (the same compiled program).
    (_, results), (_, accept) = run_adaptation(kernel, jnp.zeros(2), 600)
    inverse_mass = np.asarray(get_field(results, "metric").inverse_mass_matrix)
    assert inverse_mass.shape == (4, 2, 2)
    np.testing.assert_allclose(inverse_mass.mean(0), COVARIANCE, atol=0.6)
    # With the adapted step size, the mean acceptance statistic is near the target.
    assert 0.7 < float(accept[300:].mean()) < 0.95


def two_correlated_pairs(x):
    return correlated_gaussian(x[:2]) + correlated_gaussian(x[2:])


@pytest.mark.parametrize(("window", "dense_estimate"), [(5, False), (10, True)])
def test_a_dense_metric_estimates_correlations_only_from_windows_of_at_least_two_draws_per_dimension(
    window, dense_estimate
):
    # One slow window of `window` draws (10 initial + window + 10 terminal steps) on a 4-d target.
    kernel = WindowAdaptation(
        NoUTurnSampler(two_correlated_pairs, step_size=0.5),
        num_adaptation_steps=20 + window,
        dense_mass=True,
        initial_buffer=10,
        base_window=window,
        terminal_buffer=10,
    )
    assert kernel.schedule.window_ends == (10 + window,)
    (_, results), _ = run_adaptation(kernel, jnp.zeros(4), 20 + window)
    inverse_mass = np.asarray(get_field(results, "metric").inverse_mass_matrix)
    assert inverse_mass.shape == (4, 4, 4)
    off_diagonal = inverse_mass[:, ~np.eye(4, dtype=bool)]
    assert np.all(np.diagonal(inverse_mass, axis1=1, axis2=2) > 0)
    assert np.any(off_diagonal != 0) == dense_estimate


def test_auto_dense_metric_when_the_longest_window_has_two_draws_per_dimension():
    def adaptation(num_steps, **options):
        return WindowAdaptation(NoUTurnSampler(scaled_gaussian, step_size=1.0), num_steps, **options)

    # 1000 steps: windows of 25 .. 500 draws; 300 steps: 25, 50 and 100.
    assert adaptation(1000).uses_dense_metric(250) and not adaptation(1000).uses_dense_metric(251)
    assert adaptation(300).uses_dense_metric(50) and not adaptation(300).uses_dense_metric(51)
    assert not adaptation(10).uses_dense_metric(1)  # fewer than 20 steps: no window at all
    assert not adaptation(1000, adapt_mass_matrix=False).uses_dense_metric(3)
    assert adaptation(10, dense_mass=True).uses_dense_metric(10_000)
    assert not adaptation(1000, dense_mass=False).uses_dense_metric(3)
    # The metric's storage follows: a matrix for the 3-d target under 1000 steps, a vector under 10.
    for num_steps, shape in ((1000, (3, 3)), (10, (3,))):
        results = adaptation(num_steps).bootstrap_results(jnp.zeros(3))
        assert get_field(results, "metric").inverse_mass_matrix.shape == shape
        assert results.moments.m2.shape == shape
    # A kernel without a metric (MALA) adapts only its step size: no d x d moments.
    mala = WindowAdaptation(MetropolisAdjustedLangevinAlgorithm(scaled_gaussian, step_size=0.1), 1000)
    assert mala.bootstrap_results(jnp.zeros(3)).moments.m2.shape == (3,)


def adapted_hmc(**options):
    """150 adaptation steps of HMC (8 leapfrogs) on the scaled Gaussian: final results and step sizes."""
    kernel = WindowAdaptation(
        HamiltonianMonteCarlo(scaled_gaussian, step_size=0.5, num_leapfrog_steps=8),
        num_adaptation_steps=150,
        **options,
    )
    (_, results), (step_sizes, _) = run_adaptation(kernel, jnp.zeros(3), 150)
    return results, step_sizes


def test_step_size_only_keeps_the_identity_metric():
    results, step_sizes = adapted_hmc(adapt_mass_matrix=False)
    np.testing.assert_array_equal(get_field(results, "metric").inverse_mass_matrix, np.ones((4, 3)))
    # The step size still moves: the identity metric needs a step below the smallest scale's.
    assert not np.allclose(step_sizes[-1], 0.5)
    assert np.all(step_sizes[-1] < 2.0 * SCALES.min())


def test_works_around_metropolis_hastings_results():
    results, step_sizes = adapted_hmc(dense_mass=True)
    metric = get_field(results, "metric")
    assert metric.inverse_mass_matrix.shape == (4, 3, 3)
    assert np.all(np.isfinite(step_sizes)) and np.all(step_sizes > 0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"num_adaptation_steps": -1}, "num_adaptation_steps"),
        ({"num_adaptation_steps": 1.5}, "num_adaptation_steps"),
        ({"target_accept_prob": 1.2}, "target_accept_prob"),
        ({"dense_mass": 1}, "dense_mass"),
        ({"dense_mass": "full"}, "dense_mass"),
        ({"adapt_mass_matrix": "no"}, "adapt_mass_matrix"),
        ({"chain_axis_name": 3}, "chain_axis_name"),
    ],
)
def test_bad_settings_raise(overrides, message):
    settings = {"inner_kernel": NoUTurnSampler(scaled_gaussian, step_size=1.0), "num_adaptation_steps": 10}
    with pytest.raises((ValueError, TypeError), match=message):
        WindowAdaptation(**{**settings, **overrides})


def test_per_part_step_size_is_rejected():
    kernel = WindowAdaptation(NoUTurnSampler(lambda a, b: -(a**2) - b**2, step_size=[0.1, 0.2]), 10)
    with pytest.raises(ValueError, match="scalar"):
        kernel.bootstrap_results([jnp.zeros(()), jnp.zeros(())])


def test_shared_step_size_follows_the_chains_mean_accept_statistic():
    hmc = HamiltonianMonteCarlo(scaled_gaussian, step_size=1.0, num_leapfrog_steps=2)
    kernel = WindowAdaptation(hmc, num_adaptation_steps=60, adapt_mass_matrix=False, chain_axis_name="chain")
    (_, results), (step_sizes, accept_probs) = run_adaptation(kernel, jnp.zeros(3), 60)
    # One step size for all chains at every step ...
    np.testing.assert_array_equal(step_sizes, step_sizes[:, :1] * np.ones((1, 4)))
    # ... driven by the chains' mean acceptance statistic (no window restarts dual averaging here).
    expected_error_sum = np.sum(0.8 - np.asarray(accept_probs).mean(axis=1))
    np.testing.assert_allclose(results.step_size_state.error_sum, expected_error_sum, rtol=1e-10)
    # Without the axis name each chain adapts on its own.
    alone = WindowAdaptation(hmc, num_adaptation_steps=60, adapt_mass_matrix=False)
    _, (alone_step_sizes, _) = run_adaptation(alone, jnp.zeros(3), 60)
    assert len(np.unique(np.asarray(alone_step_sizes[-1]))) == 4


def one_leapfrog_accept_prob(step_size, x, p):
    """min(1, exp(-energy error)) of one leapfrog step on a standard normal, from (x, p)."""
    half = p - 0.5 * step_size * x
    new_x = x + step_size * half
    new_p = half - 0.5 * step_size * new_x
    return np.minimum(1.0, np.exp(-0.5 * (new_x**2 + new_p**2 - x**2 - p**2)))


def test_shared_step_size_lands_where_the_mean_acceptance_is_the_target():
    # One leapfrog step on N(0, 1): the stationary mean acceptance at step size e is
    # E[min(1, exp(-dH))] over x, p ~ N(0, 1); the adapted (averaged) step size should make it 0.8.
    x, p = np.random.default_rng(0).normal(size=(2, 400_000))
    low, high = 0.5, 3.0
    for _ in range(40):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if one_leapfrog_accept_prob(middle, x, p).mean() > 0.8 else (low, middle)
    optimum = 0.5 * (low + high)
    hmc = HamiltonianMonteCarlo(lambda z: -0.5 * jnp.sum(z**2), step_size=0.1, num_leapfrog_steps=1)
    kernel = WindowAdaptation(hmc, num_adaptation_steps=500, adapt_mass_matrix=False, chain_axis_name="chain")
    _, (step_sizes, _) = run_adaptation(kernel, jnp.zeros(1), 500, num_chains=32)
    final = float(step_sizes[-1, 0])
    assert abs(final / optimum - 1.0) < 0.05, (final, optimum)
