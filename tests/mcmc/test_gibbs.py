from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.mcmc import (
    ExactConditional,
    Gibbs,
    HamiltonianMonteCarlo,
    NoUTurnSampler,
    RandomWalkMetropolis,
    SliceSampler,
    WindowAdaptation,
)
from probax.mcmc.kernel_results import get_field
from tests.mcmc.chains import run_chains
from tests.mcmc.models import assert_moments_within_mcse, correlated_gaussian

GAUSSIAN_5 = correlated_gaussian(5)


def _gaussian_5(a, b):
    return GAUSSIAN_5.log_prob(jnp.concatenate([a, b]))


def _x_then_y(x, y):
    """x ~ N(0, 1), y | x ~ N(x, 1): y's conditional is known exactly, x's is N(y / 2, 1 / 2)."""
    return -0.5 * x**2 - 0.5 * (y - x) ** 2


def _draw_y(state, seed):
    return state[0] + jax.random.normal(seed, dtype=jnp.result_type(state[0]))


def _hmc(f):
    return HamiltonianMonteCarlo(f, step_size=0.6, num_leapfrog_steps=3)


def test_nuts_and_slice_blocks_recover_a_correlated_gaussian():
    # The blocks split correlated coordinates (AR(1) correlation 0.5 across the cut).
    kernel = Gibbs(
        _gaussian_5,
        [
            (0, lambda f: WindowAdaptation(NoUTurnSampler(f, step_size=0.5), num_adaptation_steps=300)),
            (1, lambda f: SliceSampler(f, step_size=1.0, max_doublings=5)),
        ],
    )
    mean = jnp.asarray(GAUSSIAN_5.mean)
    states, _ = run_chains(kernel, [mean[:3], mean[3:]], 3000, num_burnin_steps=400)
    draws = np.concatenate(states, axis=-1)
    assert_moments_within_mcse(draws, GAUSSIAN_5.mean, GAUSSIAN_5.variance)
    correlation = np.corrcoef(draws[..., 2].ravel(), draws[..., 3].ravel())[0, 1]
    assert correlation == pytest.approx(0.5, abs=0.05)


def test_exact_conditional_block_and_refreshed_hmc_block_recover_the_joint():
    # HMC keeps x's target value and gradient in its results; they must be recomputed after y moves,
    # or the Metropolis correction uses the old conditional and x's variance comes out wrong.
    kernel = Gibbs(_x_then_y, [(0, _hmc), (1, ExactConditional(_draw_y))])
    states, _ = run_chains(kernel, [jnp.array(0.0), jnp.array(0.0)], 4000, num_burnin_steps=100)
    draws = np.stack(states, axis=-1)
    assert_moments_within_mcse(draws, [0.0, 0.0], [1.0, 2.0])
    assert_moments_within_mcse((draws[..., :1] * draws[..., 1:]), [1.0], [3.0])  # E[xy] = 1, Var[xy] = 3


def test_slice_block_samples_a_piecewise_constant_part():
    # u's density is exp(-floor(u)**2 / 2): mass exp(-k**2 / 2) on each [k, k + 1).
    def target(state):
        return -0.5 * jnp.sum(state["x"] ** 2) - 0.5 * jnp.floor(state["u"]) ** 2

    kernel = Gibbs(
        target,
        [
            ("x", lambda f: NoUTurnSampler(f, step_size=0.8)),
            ("u", lambda f: SliceSampler(f, step_size=1.0, max_doublings=4)),
        ],
    )
    states, _ = run_chains(kernel, {"x": jnp.zeros(2), "u": jnp.array(0.5)}, 3000, num_burnin_steps=100)
    levels = np.arange(-4, 5)
    weights = np.exp(-0.5 * levels**2)
    counts = np.array([np.sum(np.floor(states["u"]) == k) for k in levels])
    assert counts.sum() == states["u"].size  # nothing lands beyond |k| = 4 in 12000 draws
    expected = weights / weights.sum() * counts.sum()
    # Draws are correlated: a lenient chi-square on the thinned counts still catches a wrong shape.
    thinned = np.array([np.sum(np.floor(states["u"][:, ::4]) == k) for k in levels[2:-2]])
    assert stats.chisquare(thinned, expected[2:-2] / expected[2:-2].sum() * thinned.sum()).pvalue > 1e-4
    assert_moments_within_mcse(states["x"], [0.0, 0.0], [1.0, 1.0])


def test_block_results_are_current_and_adaptation_carries_over():
    kernel = Gibbs(
        _x_then_y,
        [
            (0, lambda f: WindowAdaptation(NoUTurnSampler(f, step_size=1.0), num_adaptation_steps=50)),
            (1, lambda f: RandomWalkMetropolis(f)),
        ],
    )
    state = [jnp.array(0.3), jnp.array(-0.2)]
    results = kernel.bootstrap_results(state)
    step = jax.jit(kernel.one_step)
    for i in range(20):
        state, results = step(state, results, jax.random.key(i))
    nuts_results, walk_results = results.block_results
    assert int(nuts_results.adaptation_step) == 20
    assert float(get_field(nuts_results, "step_size")) != 1.0
    # The last block's cached value belongs to the final state; the first block's to the state it
    # left (x moved, y not yet).
    np.testing.assert_allclose(get_field(walk_results, "target_log_prob"), _x_then_y(*state), rtol=1e-6)
    assert np.isfinite(float(get_field(nuts_results, "target_log_prob")))


class _Pair(NamedTuple):
    x: jax.Array
    y: jax.Array


@pytest.mark.parametrize(
    "make_state",
    [lambda x, y: [x, y], lambda x, y: (x, y), lambda x, y: _Pair(x, y)],
    ids=["list", "tuple", "namedtuple"],
)
def test_state_structure_and_dtype_are_kept(make_state):
    init = make_state(jnp.float32(0.1), jnp.zeros(3, jnp.float32))

    def target(*parts):
        x, y = parts[0] if len(parts) == 1 else parts
        return -0.5 * x**2 - 0.5 * jnp.sum((y - x) ** 2)

    kernel = Gibbs(target, [(0, _hmc), (1, lambda f: SliceSampler(f, step_size=1.0, max_doublings=3))])
    state, _ = kernel.one_step(init, kernel.bootstrap_results(init), seed=0)
    assert type(state) is type(init)
    assert state[0].dtype == jnp.float32 and state[1].shape == (3,) and state[1].dtype == jnp.float32


def test_a_block_may_repeat_and_the_same_seed_repeats_the_draws():
    kernel = Gibbs(_x_then_y, [(0, _hmc), (1, ExactConditional(_draw_y)), (0, _hmc)])
    init = [jnp.array(0.0), jnp.array(0.0)]
    first, _ = run_chains(kernel, init, 50, seed=3)
    second, _ = run_chains(kernel, init, 50, seed=3)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert np.std(first[0]) > 0 and np.std(first[1]) > 0


def test_bad_blocks_and_states_are_refused():
    hmc_block = (0, _hmc)
    with pytest.raises(TypeError, match="target_log_prob_fn must be callable"):
        Gibbs("not a function", [hmc_block])
    with pytest.raises(ValueError, match="at least one"):
        Gibbs(_x_then_y, [])
    with pytest.raises(ValueError, match=r"\(name, make_kernel\) pair"):
        Gibbs(_x_then_y, [(0, "not a factory")])
    with pytest.raises(ValueError, match=r"\(name, make_kernel\) pair"):
        Gibbs(_x_then_y, [_hmc])
    with pytest.raises(TypeError, match="sample_fn must be callable"):
        ExactConditional(3.0)
    init = [jnp.array(0.0), jnp.array(0.0)]
    with pytest.raises(ValueError, match=r"parts \[1\] are in no block"):
        Gibbs(_x_then_y, [hmc_block]).bootstrap_results(init)
    with pytest.raises(ValueError, match=r"blocks name parts \[2\]"):
        Gibbs(_x_then_y, [hmc_block, (1, _hmc), (2, _hmc)]).bootstrap_results(init)
    with pytest.raises(TypeError, match="list, tuple or dict"):
        Gibbs(lambda x: -(x**2), [hmc_block]).bootstrap_results(jnp.zeros(2))
    with pytest.raises(TypeError, match="must return a TransitionKernel"):
        Gibbs(_x_then_y, [hmc_block, (1, lambda f: f)]).bootstrap_results(init)
    wrong_shape = Gibbs(_x_then_y, [hmc_block, (1, ExactConditional(lambda state, seed: jnp.zeros(2)))])
    with pytest.raises(ValueError, match="ExactConditional of block 1 returned"):
        wrong_shape.one_step(init, wrong_shape.bootstrap_results(init), seed=0)
    kernel = Gibbs(_x_then_y, [hmc_block, (1, ExactConditional(_draw_y))])
    with pytest.raises(ValueError, match=r"Gibbs\.one_step needs randomness"):
        kernel.one_step(init, kernel.bootstrap_results(init))
