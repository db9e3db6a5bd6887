"""NoUTurnSampler: recovery of known posteriors, tree statistics, divergences, pytrees, determinism."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax._internal import threefry
from probax.mcmc.kernel_results import get_field
from probax.mcmc.leapfrog import PhasePoint
from probax.mcmc.metric import make_metric
from probax.mcmc.nuts import NoUTurnSampler, NUTSKernelResults
from probax.mcmc.nuts_tree import (
    _checkpoint_rows,
    _empty_checkpoints,
    _End,
    _log_uniforms,
    _row_dots,
    _slot_checks,
    _store_checkpoint,
    _subtree_turned,
    build_trajectory,
)
from tests.mcmc.models import (
    CONJUGATE_NORMAL,
    EIGHT_SCHOOLS_REFERENCE,
    GAUSSIAN_50,
    assert_mean_within_mcse,
    assert_moments_within_mcse,
    effective_sample_size,
    eight_schools_init,
    eight_schools_log_prob,
    run_chains,
)

KEY = jax.random.key(0)


def stats(state, results):
    return state, (results.tree_depth, results.leapfrogs_taken, results.has_divergence, results.energy)


# (The dense metric whitens the target: its draws are nearly independent and cheap, and the ESS check
# below needs more of them.)
@pytest.mark.parametrize(
    ("inverse_mass", "step_size", "extra_checks", "num_results"),
    [
        (np.ones(50), 0.3, False, 300),
        (GAUSSIAN_50.variance, 0.5, True, 300),
        (GAUSSIAN_50.covariance, 0.5, False, 500),
    ],
    ids=["identity", "diagonal-extra-checks", "dense"],
)
def test_gaussian_50(inverse_mass, step_size, extra_checks, num_results):
    kernel = NoUTurnSampler(
        GAUSSIAN_50.log_prob, step_size, inverse_mass_matrix=inverse_mass, extra_uturn_checks=extra_checks
    )
    draws, (depth, leapfrogs, divergent, energy) = run_chains(
        kernel, jnp.zeros(50), KEY, num_results=num_results, num_burnin=50, trace_fn=stats
    )
    assert_moments_within_mcse(draws, GAUSSIAN_50.mean, GAUSSIAN_50.variance)
    assert not divergent.any()
    np.testing.assert_array_equal(leapfrogs >= 2**depth - 1, True)
    np.testing.assert_array_equal(leapfrogs <= 2 ** (depth + 1) - 1, True)
    # At stationarity the chosen (x, p) is canonical: E[-log p(x)] = E[kinetic] = d / 2 here.
    assert_mean_within_mcse(energy, 50.0, name="energy")
    if inverse_mass.ndim == 2:
        # The true covariance as the metric whitens the target: draws nearly independent.
        # (the batch-means ESS of 500 draws per chain is itself noisy, ~15%: compare its median)
        assert np.median(effective_sample_size(draws)) > 0.8 * draws.shape[0] * num_results


def test_conjugate_normal():
    kernel = NoUTurnSampler(CONJUGATE_NORMAL.log_prob, step_size=0.5)
    draws = run_chains(kernel, jnp.array(0.0), KEY, num_results=500, num_burnin=50)
    model = CONJUGATE_NORMAL
    assert_mean_within_mcse(draws, model.posterior_mean)
    assert_mean_within_mcse((draws - model.posterior_mean) ** 2, model.posterior_sd**2, name="variance")


def test_eight_schools_noncentered_list_state():
    kernel = NoUTurnSampler(eight_schools_log_prob, step_size=0.4)
    mu, log_tau, theta_tilde = run_chains(kernel, eight_schools_init(), KEY, num_results=1000, num_burnin=200)
    assert theta_tilde.shape == (4, 1000, 8)
    for name, draws in [("mu", mu), ("tau", jnp.exp(log_tau))]:
        mean, _, reference_mcse = EIGHT_SCHOOLS_REFERENCE[name]
        assert_mean_within_mcse(draws, mean, extra_sd=reference_mcse, name=name)


def test_dict_state_and_per_part_step_size():
    def log_prob(state):
        return -0.5 * (((state["a"] - 1.0) / 2.0) ** 2 + jnp.sum((state["b"] / 0.5) ** 2))

    kernel = NoUTurnSampler(log_prob, step_size={"a": 0.8, "b": 0.2})
    init = {"a": jnp.array(0.0), "b": jnp.zeros(3)}
    draws = run_chains(kernel, init, KEY, num_results=400, num_burnin=50)
    assert set(draws) == {"a", "b"} and draws["b"].shape == (4, 400, 3)
    assert_moments_within_mcse(draws["a"][..., None], [1.0], [4.0])
    assert_moments_within_mcse(draws["b"], np.zeros(3), np.full(3, 0.25))


def _stan_checks_at(momenta, velocities, leaf, extra_checks, trapezoidal):
    """Brute force: whether one of Stan's U-turn checks made on adding `leaf` fails.

    Every subtree closing at `leaf` is checked and, with the extra checks, one leaf plus its right
    half; "left half plus one leaf" is checked when that leaf (the right half's first) is added.
    The trapezoidal criterion takes half of the span's end momenta off its sum.
    """

    def turned(first, last):
        momentum_sum = momenta[first : last + 1].sum(0)
        if trapezoidal:
            momentum_sum = momentum_sum - 0.5 * (momenta[first] + momenta[last])
        return not (velocities[first] @ momentum_sum > 0 and velocities[last] @ momentum_sum > 0)

    result, size = False, 2
    while (leaf + 1) % size == 0:
        result |= turned(leaf - size + 1, leaf)
        if extra_checks and size >= 4:
            result |= turned(leaf - size // 2, leaf)
        size *= 2
    if extra_checks and leaf % 2 == 0 and leaf > 0:
        result |= turned(leaf - (leaf & -leaf), leaf)
    return result


@pytest.mark.parametrize("trapezoidal", [False, True])
@pytest.mark.parametrize("extra_checks", [False, True])
def test_iterative_uturn_checks_match_brute_force(extra_checks, trapezoidal):
    rng = np.random.default_rng(0)
    num_leaves, dimension = 32, 3
    store = jax.jit(_store_checkpoint)
    checks = jax.jit(lambda table, leaf, *rest: _subtree_turned(*_slot_checks(table, *rest), leaf))
    failures = 0
    for _ in range(6):
        drift = rng.normal(size=dimension)
        momenta = rng.normal(size=(num_leaves, dimension)) * 0.7 + drift
        velocities = momenta * rng.uniform(0.5, 2.0, size=dimension)
        table = _empty_checkpoints(extra_checks, 6, dimension, jnp.float64)
        zeros = jnp.zeros(dimension)
        previous = _End(zeros, zeros, jnp.zeros(()), zeros, zeros)
        momentum_sum = np.zeros(dimension)
        for leaf in range(num_leaves):
            new = _End(zeros, jnp.asarray(momenta[leaf]), jnp.zeros(()), zeros, jnp.asarray(velocities[leaf]))
            rows = _checkpoint_rows(
                new, previous, jnp.asarray(momentum_sum), 2 if extra_checks else 1, trapezoidal
            )
            table = store(table, jnp.int32(leaf), *rows, _row_dots(*rows))
            momentum_sum = momentum_sum + momenta[leaf]
            checked_sum = momentum_sum - 0.5 * momenta[leaf] if trapezoidal else momentum_sum
            leaf_dot_sum = jnp.asarray(velocities[leaf] @ checked_sum)
            got = bool(checks(table, jnp.int32(leaf), new.velocity, jnp.asarray(checked_sum), leaf_dot_sum))
            expected = _stan_checks_at(momenta, velocities, leaf, extra_checks, trapezoidal)
            assert got == expected, leaf
            failures += expected
            previous = new
    assert failures > 10  # the targets do turn: the checks are exercised both ways


def _brute_force_num_leaves(momentum, key, step_size, inverse_mass, scales, max_depth, trapezoidal):
    """Leaves a NUTS trajectory adds, from whole arrays of leapfrog states (no divergences here).

    Doubling `j` goes in the direction `build_trajectory` draws for it and adds up to `2**j` leaves; it
    stops at the first failed check of a subtree closing in it, else the whole trajectory is checked.
    """
    cipher_key = threefry.bits(key, (2,))

    def leapfrog_states(sign, count):
        x, p, out = np.zeros_like(momentum), np.array(momentum), []
        for _ in range(count):
            p = p - 0.5 * sign * step_size * x / scales**2
            x = x + sign * step_size * inverse_mass * p
            p = p - 0.5 * sign * step_size * x / scales**2
            out.append(p)
        return out

    forward_states = leapfrog_states(1.0, 2**max_depth)
    backward_states = leapfrog_states(-1.0, 2**max_depth)
    left, right, num_leaves = 0, 0, 0  # leaves taken on each side
    for depth in range(max_depth):
        draw = np.exp(float(_log_uniforms(cipher_key, jnp.array([2 * depth], jnp.uint32), jnp.float64)[0]))
        forward, size = draw < 0.5, 2**depth
        states = forward_states[right : right + size] if forward else backward_states[left : left + size]
        subtree = np.array(states)
        for leaf in range(size):
            num_leaves += 1
            if _stan_checks_at(subtree, subtree * inverse_mass, leaf, False, trapezoidal):
                return num_leaves
        right, left = (right + size, left) if forward else (right, left + size)
        trajectory = np.array([*backward_states[:left][::-1], momentum, *forward_states[:right]])
        momentum_sum = trajectory.sum(0)
        if trapezoidal:
            momentum_sum -= 0.5 * (trajectory[0] + trajectory[-1])
        ends = trajectory[[0, -1]] * inverse_mass
        if np.any(ends @ momentum_sum <= 0):
            return num_leaves
    return num_leaves


@pytest.mark.parametrize("trapezoidal", [False, True])
def test_trajectory_length_matches_brute_force(trapezoidal):
    scales, inverse_mass = np.array([1.0, 2.0, 0.5]), np.array([1.5, 3.0, 0.4])
    value_and_grad = jax.jit(lambda x: (-0.5 * jnp.sum((x / scales) ** 2), -x / scales**2))
    build = jax.jit(
        lambda momentum, key: build_trajectory(
            value_and_grad,
            make_metric(jnp.asarray(inverse_mass)),
            jnp.array(0.3),
            PhasePoint(jnp.zeros(3), momentum, jnp.array(0.0), jnp.zeros(3)),
            key,
            max_tree_depth=6,
            max_energy_diff=1000.0,
            unrolled_leapfrog_steps=1,
            trapezoidal_uturn=trapezoidal,
        ).num_leaves
    )
    rng = np.random.default_rng(1)
    lengths = []
    for index in range(40):
        momentum, key = rng.normal(size=3) / np.sqrt(inverse_mass), jax.random.key(index)
        expected = _brute_force_num_leaves(momentum, key, 0.3, inverse_mass, scales, 6, trapezoidal)
        assert int(build(jnp.asarray(momentum), key)) == expected, index
        lengths.append(expected)
    assert len(set(lengths)) > 3  # trajectories of several lengths, ended by different checks


def test_counter_based_uniforms():
    # (The cipher's known answers are checked in tests/_internal/test_threefry.py.)
    key = jnp.array([0x13198A2E, 0x03707344], jnp.uint32)
    uniforms = np.exp(np.asarray(_log_uniforms(key, jnp.arange(20_000, dtype=jnp.uint32), jnp.float64)))
    assert uniforms.min() > 0.0 and uniforms.max() < 1.0
    assert scipy.stats.kstest(uniforms, "uniform").pvalue > 1e-3
    # Neighbouring counters are uncorrelated.
    assert abs(np.corrcoef(uniforms[:-1], uniforms[1:])[0, 1]) < 4 / np.sqrt(uniforms.size)


def test_tiny_step_size_reaches_max_tree_depth_with_unrolled_leaves():
    kernel = NoUTurnSampler(lambda x: -0.5 * jnp.sum(x**2), 1e-4, max_tree_depth=3, unrolled_leapfrog_steps=2)
    state = jnp.ones(2)
    _, results = jax.jit(kernel.one_step)(state, kernel.bootstrap_results(state), KEY)
    assert int(results.tree_depth) == 3 and bool(results.reach_max_depth)
    assert int(results.leapfrogs_taken) == 2 * (2**3 - 1)  # two leapfrog steps per leaf
    assert not bool(results.has_divergence)
    assert float(results.log_accept_ratio) == pytest.approx(0.0, abs=1e-6)


def test_divergence_detected_and_rejected():
    funnel = lambda x: -0.5 * (x[0] / 3.0) ** 2 - 0.5 * jnp.sum(x[1:] ** 2) * jnp.exp(-x[0]) - x[0]  # noqa: E731
    kernel = NoUTurnSampler(funnel, step_size=50.0)
    state = jnp.array([-3.0, 0.1, -0.2])
    new_state, results = kernel.one_step(state, kernel.bootstrap_results(state), seed=KEY)
    assert bool(results.has_divergence) and not bool(results.is_accepted)
    np.testing.assert_array_equal(new_state, state)
    assert int(results.tree_depth) == 0 and int(results.leapfrogs_taken) == 1


def test_results_and_energy_at_the_chosen_state():
    kernel = NoUTurnSampler(lambda x: -0.5 * jnp.sum(x**2), step_size=0.5)
    state = jnp.array([1.0, -2.0])
    results = kernel.bootstrap_results(state)
    assert isinstance(results, NUTSKernelResults)
    new_state, results = jax.jit(kernel.one_step)(state, results, KEY)
    np.testing.assert_allclose(results.target_log_prob, -0.5 * jnp.sum(new_state**2), rtol=1e-12)
    np.testing.assert_allclose(results.grads_target_log_prob, -new_state, rtol=1e-12)
    assert float(results.energy) >= -float(results.target_log_prob)  # kinetic energy >= 0
    assert bool(results.is_accepted)
    assert float(get_field(results, "log_accept_ratio")) <= 0.0


def test_same_seed_same_draws():
    kernel = NoUTurnSampler(CONJUGATE_NORMAL.log_prob, step_size=0.5)
    first = run_chains(kernel, jnp.array(0.0), KEY, num_results=50)
    np.testing.assert_array_equal(first, run_chains(kernel, jnp.array(0.0), KEY, num_results=50))
    assert not np.array_equal(first, run_chains(kernel, jnp.array(0.0), jax.random.key(1), num_results=50))
    assert not np.array_equal(first[0], first[1])  # chains are independent


def test_target_traced_a_bounded_number_of_times():
    calls = []

    def counting(x):
        calls.append(None)
        return -0.5 * jnp.sum(x**2)

    kernel = NoUTurnSampler(counting, step_size=0.5)
    run_chains(kernel, jnp.zeros(3), KEY, num_results=100)
    assert len(calls) <= 3  # bootstrap, and the leaf step once (not per step, leaf or chain)


def test_float32():
    kernel = NoUTurnSampler(lambda x: -0.5 * jnp.sum(x**2), step_size=0.5)
    state = jnp.ones(3, jnp.float32)
    new_state, results = kernel.one_step(state, kernel.bootstrap_results(state), seed=KEY)
    assert new_state.dtype == jnp.float32
    assert results.target_log_prob.dtype == jnp.float32 and results.energy.dtype == jnp.float32
    assert np.isfinite(results.log_accept_ratio)


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_tree_depth"):
        NoUTurnSampler(lambda x: -(x**2), step_size=0.1, max_tree_depth=0)
    with pytest.raises(ValueError, match="unrolled_leapfrog_steps"):
        NoUTurnSampler(lambda x: -(x**2), step_size=0.1, unrolled_leapfrog_steps=1.5)
    with pytest.raises(ValueError, match="max_energy_diff"):
        NoUTurnSampler(lambda x: -(x**2), step_size=0.1, max_energy_diff=-1.0)
    with pytest.raises(TypeError, match="trapezoidal_uturn must be a bool"):
        NoUTurnSampler(lambda x: -(x**2), step_size=0.1, trapezoidal_uturn="yes")
    with pytest.raises(TypeError, match="extra_uturn_checks must be a bool"):
        NoUTurnSampler(lambda x: -(x**2), step_size=0.1, extra_uturn_checks=1)
