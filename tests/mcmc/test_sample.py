import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec

import probax.distributions as tfd
from probax.mcmc.kernel_results import get_field
from probax.mcmc.sample import sample
from probax.mcmc.window_adaptation import WindowAdaptationResults
from tests.mcmc.models import (
    CONJUGATE_NORMAL,
    EIGHT_SCHOOLS_REFERENCE,
    assert_mean_within_mcse,
    eight_schools_init,
    eight_schools_log_prob,
)

# `probax.mcmc.sample` is the function once the package is imported; the module holds `_Placement`.
sample_module = importlib.import_module("probax.mcmc.sample")
SMALL = {"num_chains": 2, "num_warmup": 40, "num_samples": 40, "num_chunks": 4, "progress_bar": False}


class CountedTarget:
    """The conjugate normal model's log density, counting how often JAX traces (or calls) it."""

    def __init__(self):
        self.count = 0

    def __call__(self, mu):
        self.count += 1
        return CONJUGATE_NORMAL.log_prob(mu)


TARGET = CountedTarget()


# One chain per (fake CPU) device; the tests below reuse this configuration's compiled program.
CONJUGATE_RUN = {"num_chains": 8, "num_warmup": 300, "num_samples": 300, "progress_bar": False}


@pytest.fixture(scope="module")
def conjugate_run():
    before = TARGET.count
    result = sample(TARGET, init=0.0, seed=0, **CONJUGATE_RUN)
    return result, TARGET.count - before


def test_conjugate_normal_recovered(conjugate_run):
    draws = conjugate_run[0].draws
    assert draws.shape == (8, 300)
    assert_mean_within_mcse(draws, CONJUGATE_NORMAL.posterior_mean, name="mu")
    posterior_var = CONJUGATE_NORMAL.posterior_sd**2
    assert_mean_within_mcse((draws - CONJUGATE_NORMAL.posterior_mean) ** 2, posterior_var, name="variance")


def test_stats_describe_the_draws(conjugate_run):
    stats = conjugate_run[0].stats
    assert sorted(stats) == ["accept_prob", "diverging", "energy", "lp", "n_steps", "step_size", "tree_depth"]
    assert all(value.shape == (8, 300) for value in stats.values())
    np.testing.assert_allclose(
        stats["lp"], jax.vmap(jax.vmap(CONJUGATE_NORMAL.log_prob))(conjugate_run[0].draws), rtol=1e-12
    )
    # Sampling uses the adapted step size, fixed, and by default one for all chains.
    np.testing.assert_array_equal(stats["step_size"], stats["step_size"][:1, :1] * np.ones((8, 300)))
    # tree_depth counts the doublings kept; the leapfrogs include a rejected last doubling.
    assert np.all(stats["n_steps"] >= 1) and np.all(stats["n_steps"] <= 2 ** (stats["tree_depth"] + 1) - 1)
    assert 0.6 < stats["accept_prob"].mean() < 0.98
    assert not stats["diverging"].any()


def test_same_seed_same_draws_and_target_traced_a_bounded_number_of_times(conjugate_run):
    first, traces = conjugate_run
    # Start check, bootstrap and the one chunk program both phases run: not per step, chunk or phase.
    assert traces <= 3
    before = TARGET.count
    again = sample(TARGET, init=0.0, seed=0, **CONJUGATE_RUN)
    assert TARGET.count == before  # compiled programs are reused: no new trace
    np.testing.assert_array_equal(first.draws, again.draws)
    other = sample(TARGET, init=0.0, seed=1, **CONJUGATE_RUN)
    assert not np.array_equal(first.draws, other.draws)


def test_warmup_and_sampling_share_one_compiled_program():
    """The sampling phase runs the warmup's program (adaptation frozen), not a second compile."""
    compiles = []

    def count(name, seconds, fun_name="", **kwargs):
        if name == "/jax/core/compile/backend_compile_duration" and "_run_chunk" in fun_name:
            compiles.append(seconds)

    jax.monitoring.register_event_duration_secs_listener(count)
    try:
        # Chunks of 20 steps: two of warmup, one of sampling.
        result = sample(lambda x: -0.5 * x**2, init=0.0, seed=0, num_chains=3, num_warmup=40,
                        num_samples=20, num_chunks=2, progress_bar=False)
    finally:
        jax.monitoring.unregister_event_duration_listener(count)
    assert len(compiles) == 1
    assert result.draws.shape == (3, 20)
    np.testing.assert_array_equal(result.stats["step_size"], result.stats["step_size"][0, 0])


def test_eight_schools_noncentered():
    result = sample(
        eight_schools_log_prob,
        init=eight_schools_init(),
        num_chains=4,
        num_warmup=300,
        num_samples=300,
        seed=1,
        progress_bar=False,
    )
    mu, log_tau, theta_tilde = result.draws
    assert mu.shape == (4, 300) and theta_tilde.shape == (4, 300, 8)
    for name, draws in (("mu", mu), ("tau", np.exp(log_tau))):
        mean, sd, reference_mcse = EIGHT_SCHOOLS_REFERENCE[name]
        assert_mean_within_mcse(draws, mean, extra_sd=reference_mcse, name=name)
        assert 0.7 * sd < draws.std() < 1.3 * sd
    assert result.stats["diverging"].mean() < 0.02


def test_pinned_joint_distribution_with_constrained_parts():
    model = tfd.JointDistributionNamed(
        dict(
            rate=tfd.Gamma(2.0, 1.0),
            counts=lambda rate: tfd.Sample(tfd.Poisson(rate), 5),
            p=tfd.Beta(2.0, 2.0),
            successes=lambda p: tfd.Binomial(10.0, probs=p),
        )
    )
    posterior = model.experimental_pin(counts=jnp.array([3.0, 1.0, 4.0, 2.0, 5.0]), successes=7.0)
    result = sample(posterior, num_chains=4, num_warmup=300, num_samples=300, seed=2, progress_bar=False)
    rate, p = result.draws["rate"], result.draws["p"]
    assert np.all(rate > 0) and np.all((p > 0) & (p < 1))
    # Conjugate posteriors: rate ~ Gamma(2 + 15, 1 + 5), p ~ Beta(2 + 7, 2 + 3).
    assert_mean_within_mcse(rate, 17 / 6, name="rate")
    assert_mean_within_mcse((rate - 17 / 6) ** 2, 17 / 36, name="rate variance")
    assert_mean_within_mcse(p, 9 / 14, name="p")
    # The mass matrix was estimated in the unconstrained space (flattened as (p, rate)): the variances of
    # logit(p) and softplus^-1(rate) under the exact posteriors, and no correlation (independent parts).
    # The checkpoint holds the sampling kernel's (TransformedTransitionKernel's) results; with two
    # numbers and 100-draw windows, dense_mass="auto" chose a dense metric.
    inverse_mass = result.checkpoint.kernel_results.inner_results.metric.inverse_mass_matrix
    assert inverse_mass.shape == (4, 2, 2)
    rng = np.random.default_rng(0)
    p_exact, rate_exact = rng.beta(9.0, 5.0, 100_000), rng.gamma(17.0, 1 / 6, 100_000)
    expected = [np.var(np.log(p_exact / (1 - p_exact))), np.var(np.log(np.expm1(rate_exact)))]
    np.testing.assert_allclose(np.diagonal(inverse_mass, axis1=1, axis2=2).mean(0), expected, rtol=0.4)
    correlation = inverse_mass[:, 0, 1] / np.sqrt(inverse_mass[:, 0, 0] * inverse_mass[:, 1, 1])
    assert np.all(np.abs(correlation) < 0.3)


def test_dense_mass_on_a_correlated_gaussian():
    covariance = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.3], [0.0, 0.3, 2.0]])
    precision = np.linalg.inv(covariance)
    result = sample(
        lambda x: -0.5 * x @ (precision @ x),
        init=jnp.zeros(3),
        num_chains=4,
        num_warmup=300,
        num_samples=300,
        dense_mass=True,
        seed=3,
        progress_bar=False,
    )
    metric = result.checkpoint.kernel_results.metric
    assert metric.inverse_mass_matrix.shape == (4, 3, 3)
    np.testing.assert_allclose(metric.inverse_mass_matrix.mean(0), covariance, atol=0.3)
    assert_mean_within_mcse(result.draws, np.zeros(3))
    assert_mean_within_mcse(result.draws**2, np.diag(covariance), name="variance")


def test_hmc_kernel_with_step_size_adaptation_only():
    result = sample(CONJUGATE_NORMAL.log_prob, init=0.0, kernel="hmc", num_leapfrog_steps=3, seed=4,
                    adapt_mass_matrix=False, shared_step_size=False, **SMALL)
    assert "tree_depth" not in result.stats and "energy" not in result.stats
    np.testing.assert_array_equal(result.stats["n_steps"], 3)
    assert np.all(np.isfinite(result.draws))
    # The metric stays the identity while the step size was adapted away from its start.
    metric = get_field(result.checkpoint.kernel_results, "metric")
    np.testing.assert_array_equal(metric.inverse_mass_matrix, np.ones_like(metric.inverse_mass_matrix))
    assert not np.allclose(result.stats["step_size"], 1.0)
    # Each chain adapted its own step size.
    first, second = result.stats["step_size"][:, 0]
    assert first != second


def test_chains_are_laid_out_over_the_devices(conjugate_run):
    assert len(jax.devices()) == 8  # tests/conftest.py asks XLA for 8 CPU devices
    assert sample_module._Placement(6).mesh.devices.size == 6  # the largest count dividing num_chains
    assert sample_module._Placement(3).mesh.devices.size == 3
    # Rebuild the run's kernel and run one chunk as `sample` does (the compiled program is reused).
    settings = sample_module._settings(
        kernel="nuts",
        step_size=1.0,
        max_tree_depth=10,
        num_leapfrog_steps=None,
        target_accept_prob=0.8,
        dense_mass="auto",
        adapt_mass_matrix=True,
        shared_step_size=True,
        num_chunks=10,
        **{k: v for k, v in CONJUGATE_RUN.items() if k != "progress_bar"},
    )
    kernel = sample_module._adaptive_kernel(
        sample_module._inner_kernel(sample_module._as_model(TARGET, None), settings), settings
    )
    placement = sample_module._Placement(8)
    states = placement.put(jnp.linspace(-1.0, 1.0, 8))
    keys = placement.put(jax.random.split(jax.random.key(0), 8))
    results, _ = sample_module._bootstrap(kernel, states)
    results = placement.put(results)
    assert isinstance(results, WindowAdaptationResults)
    before = TARGET.count
    states, results, draws, _ = sample_module._run_chunk(
        kernel, states, results, keys, jnp.int32(0), length=settings["chunk_length"]
    )
    assert TARGET.count == before
    for array in (states, results.inner_results.target_log_prob, draws):
        assert len(array.sharding.device_set) == 8
    assert states.sharding.spec == PartitionSpec("chain")


def test_init_errors_name_the_problem():
    with pytest.raises(ValueError, match="init is required"):
        sample(TARGET, seed=0, **SMALL)
    with pytest.raises(ValueError, match=r"chain 0 has no valid start: target_log_prob_fn\(state\) = -inf"):
        sample(lambda x: jnp.log(x) - x, init=0.0, seed=0, **SMALL)
    with pytest.raises(ValueError, match="init_per_chain"):
        sample(TARGET, init=jnp.zeros(3), init_per_chain=True, seed=0, **SMALL)
    # A start no uniform(-2, 2) draw can reach: the error names the part at fault.
    model = tfd.JointDistributionNamed(
        dict(x=tfd.Normal(0.0, 1.0), y=lambda x: tfd.Uniform(x - 10.0, x - 9.0))
    )
    with pytest.raises(ValueError, match=r"random init .* no valid start: log prob part \['y'\] = -inf"):
        sample(model.experimental_pin(y=0.0), seed=0, **SMALL)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kernel": "mala"}, "kernel must be"),
        ({"kernel": "hmc"}, "num_leapfrog_steps"),
        ({"num_chains": 0}, "num_chains"),
        ({"num_samples": 1.5}, "num_samples"),
        ({"step_size": -1.0}, "step_size"),
        ({"seed": None}, "seed"),
        ({"bijector": 3}, "bijector"),
        ({"adapt_mass_matrix": None}, "adapt_mass_matrix"),
        ({"dense_mass": "full"}, "dense_mass"),
        ({"shared_step_size": 1}, "shared_step_size"),
    ],
)
def test_bad_settings_raise(overrides, message):
    with pytest.raises((ValueError, TypeError), match=message):
        sample(TARGET, **{"init": 0.0, "seed": 0, **SMALL, **overrides})


def test_init_per_chain_and_progress_bar(capsys):
    result = sample(
        TARGET,
        init=jnp.linspace(0.5, 1.5, 8),
        init_per_chain=True,
        seed=0,
        **{**CONJUGATE_RUN, "progress_bar": True},
    )
    assert result.draws.shape == (8, 300)
    assert "sampling" in capsys.readouterr().err
