import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.mcmc.hmc import HamiltonianMonteCarlo
from probax.mcmc.langevin import MetropolisAdjustedLangevinAlgorithm
from probax.mcmc.nuts import NoUTurnSampler
from probax.mcmc.step_size_adaptation import (
    DualAveragingStepSizeAdaptation,
    SimpleStepSizeAdaptation,
    hmc_like_log_accept_prob_getter_fn,
)
from tests.mcmc.chains import eight_schools_summaries, run_chains
from tests.mcmc.models import (
    CONJUGATE_NORMAL,
    EIGHT_SCHOOLS_REFERENCE,
    GAUSSIAN_50,
    assert_mean_within_mcse,
    assert_moments_within_mcse,
    eight_schools_init,
    eight_schools_log_prob,
)

SCALES = jnp.linspace(0.5, 2.0, 10)


def scaled_gaussian(x):
    return -0.5 * jnp.sum((x / SCALES) ** 2)


def accept_prob_and_step_size(_, results):
    return jnp.exp(hmc_like_log_accept_prob_getter_fn(results)), results.new_step_size


@pytest.mark.parametrize(
    "inner",
    [HamiltonianMonteCarlo(scaled_gaussian, 1.0, num_leapfrog_steps=8), NoUTurnSampler(scaled_gaussian, 1.0)],
    ids=["hmc", "nuts"],
)
def test_dual_averaging_reaches_the_target_acceptance(inner):
    kernel = DualAveragingStepSizeAdaptation(inner, num_adaptation_steps=400)
    _, (accept, step_size) = run_chains(kernel, jnp.ones(10), 1400, trace_fn=accept_prob_and_step_size)
    accept = np.asarray(accept)
    # While adapting, the iterates' acceptance averages to the target (what dual averaging solves for).
    assert abs(float(np.mean(accept[:, 200:400])) - 0.75) < 0.03
    # The kept step size is the averaged iterate, whose acceptance is a little higher than the
    # iterates' average (acceptance is concave in the step size there): TFP's kernel gives 0.80
    # (HMC) on this problem, as this one does.
    assert 0.72 < float(np.mean(accept[:, 400:])) < 0.85
    # After adaptation the step size is fixed.
    np.testing.assert_array_equal(step_size[:, 400:], np.broadcast_to(step_size[:, 399:400], (4, 1000)))


def test_dual_averaging_settles_on_the_averaged_iterate():
    mala = MetropolisAdjustedLangevinAlgorithm(scaled_gaussian, 1.0)
    kernel = DualAveragingStepSizeAdaptation(mala, num_adaptation_steps=50, target_accept_prob=0.6)
    state, results = jnp.ones(10), kernel.bootstrap_results(jnp.ones(10))
    step = jax.jit(kernel.one_step)
    sizes = []
    for key in range(52):
        state, results = step(state, results, jax.random.key(key))
        sizes.append(float(results.new_step_size))
    np.testing.assert_allclose(sizes[49], np.exp(results.log_averaging_step), rtol=1e-12)
    assert sizes[49] == sizes[50] == sizes[51] and sizes[48] != sizes[49]
    assert int(results.step) == 52


def test_simple_adaptation_moves_the_step_size_the_right_way():
    def final_step_size(initial):
        hmc = HamiltonianMonteCarlo(scaled_gaussian, step_size=initial, num_leapfrog_steps=3)
        kernel = SimpleStepSizeAdaptation(hmc, num_adaptation_steps=100, adaptation_rate=0.05)
        _, (_, step_size) = run_chains(kernel, jnp.ones(10), 120, num_chains=2,
                                       trace_fn=accept_prob_and_step_size)
        return step_size

    too_large, too_small = final_step_size(5.0), final_step_size(0.01)
    assert np.all(too_large[:, -1] < 1.0) and np.all(too_small[:, -1] > 0.05)
    # Each adapting step changes the size by a factor 1.05 either way; afterwards it is fixed.
    ratios = too_small[:, 1:100] / too_small[:, :99]
    assert np.all(np.isclose(ratios, 1.05) | np.isclose(ratios, 1 / 1.05))
    np.testing.assert_array_equal(too_small[:, 100:], too_small[:, 99:100].repeat(20, axis=1))


def test_per_part_step_sizes_keep_their_ratio():
    def log_prob(a, b):
        return -0.5 * (a**2 + jnp.sum((b / 3.0) ** 2))

    hmc = HamiltonianMonteCarlo(log_prob, step_size=[0.1, 0.3], num_leapfrog_steps=3)
    init = [jnp.array(0.0), jnp.zeros(2)]
    for kernel in (SimpleStepSizeAdaptation(hmc, 20), DualAveragingStepSizeAdaptation(hmc, 20)):
        _, (_, step_size) = run_chains(kernel, init, 10, num_chains=1, trace_fn=accept_prob_and_step_size)
        assert isinstance(step_size, list)
        np.testing.assert_allclose(step_size[1] / step_size[0], 3.0, rtol=1e-10)
        assert not np.allclose(step_size[0], 0.1)


def test_shrinkage_target():
    hmc = HamiltonianMonteCarlo(lambda a, b: -(a**2) - b**2, step_size=[0.1, 0.4], num_leapfrog_steps=2)
    init = [jnp.array(0.0), jnp.array(0.0)]
    default = DualAveragingStepSizeAdaptation(hmc, 10).bootstrap_results(init)
    np.testing.assert_allclose(default.log_shrinkage_target, np.log([1.0, 4.0]), atol=1e-12)
    shared = DualAveragingStepSizeAdaptation(hmc, 10, shrinkage_target=2.0).bootstrap_results(init)
    np.testing.assert_allclose(shared.log_shrinkage_target, np.log([2.0, 2.0]), rtol=1e-12)
    with pytest.raises(ValueError, match="shrinkage_target has 3 parts"):
        DualAveragingStepSizeAdaptation(hmc, 10, shrinkage_target=[1.0, 2.0, 3.0]).bootstrap_results(init)


def test_custom_getter_and_setter():
    seen = []

    def getter(results):
        seen.append("get")
        return results.accepted_results.step_size

    def setter(results, step_size):
        seen.append("set")
        return results._replace(accepted_results=results.accepted_results._replace(step_size=step_size))

    hmc = HamiltonianMonteCarlo(scaled_gaussian, 0.5, 2)
    kernel = SimpleStepSizeAdaptation(hmc, 5, step_size_getter_fn=getter, step_size_setter_fn=setter)
    kernel.one_step(jnp.ones(10), kernel.bootstrap_results(jnp.ones(10)), seed=0)
    assert seen == ["get", "set", "get"]


def test_bad_settings():
    hmc = HamiltonianMonteCarlo(scaled_gaussian, 0.5, 2)
    with pytest.raises(ValueError, match="num_adaptation_steps"):
        SimpleStepSizeAdaptation(hmc, num_adaptation_steps=-1)
    with pytest.raises(ValueError, match="num_adaptation_steps"):
        DualAveragingStepSizeAdaptation(hmc, num_adaptation_steps=2.5)
    with pytest.raises(TypeError, match="inner_kernel"):
        DualAveragingStepSizeAdaptation(scaled_gaussian, num_adaptation_steps=10)


def adapted_hmc(target_log_prob_fn, num_leapfrog_steps, num_adaptation_steps, **kwargs):
    hmc = HamiltonianMonteCarlo(target_log_prob_fn, 0.1, num_leapfrog_steps, **kwargs)
    return DualAveragingStepSizeAdaptation(hmc, num_adaptation_steps)


def test_adapted_hmc_recovers_correlated_gaussian_50d():
    # A diagonal metric from the known variances; the step size is adapted.
    kernel = adapted_hmc(GAUSSIAN_50.log_prob, 7, 300, inverse_mass_matrix=jnp.asarray(GAUSSIAN_50.variance))
    draws, _ = run_chains(kernel, jnp.asarray(GAUSSIAN_50.mean), 2000, num_burnin_steps=300)
    assert_moments_within_mcse(draws, GAUSSIAN_50.mean, GAUSSIAN_50.variance)


def test_adapted_hmc_recovers_conjugate_normal():
    kernel = adapted_hmc(CONJUGATE_NORMAL.log_prob, 3, 200)
    draws, _ = run_chains(kernel, jnp.array(0.0), 2000, num_burnin_steps=200)
    assert_moments_within_mcse(
        draws[..., None], [CONJUGATE_NORMAL.posterior_mean], [CONJUGATE_NORMAL.posterior_sd**2]
    )


def test_adapted_hmc_recovers_eight_schools():
    kernel = adapted_hmc(eight_schools_log_prob, 8, 500)
    states, _ = run_chains(kernel, eight_schools_init(), 3000, num_burnin_steps=500)
    mu, tau = eight_schools_summaries(states)
    for name, draws in (("mu", mu), ("tau", tau)):
        mean, _, reference_mcse = EIGHT_SCHOOLS_REFERENCE[name]
        assert_mean_within_mcse(draws, mean, extra_sd=reference_mcse, name=name)
