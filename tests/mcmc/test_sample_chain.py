from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.bijectors import Exp, Sigmoid
from probax.mcmc.hmc import HamiltonianMonteCarlo
from probax.mcmc.kernel import TransitionKernel, transition_kernel
from probax.mcmc.sample_chain import CheckpointableStatesAndTrace, StatesAndTrace, _run_chain, sample_chain
from probax.mcmc.step_size_adaptation import SimpleStepSizeAdaptation
from probax.mcmc.transformed_kernel import TransformedTransitionKernel
from tests.mcmc.models import assert_mean_within_mcse


class CountResults(NamedTuple):
    steps: jax.Array
    noise: jax.Array


@transition_kernel
class CountingKernel(TransitionKernel):
    """Adds 1 to the state each step and records a uniform draw from the step's key."""

    increment: Any = 1.0

    def bootstrap_results(self, init_state):
        return CountResults(jnp.zeros((), jnp.int32), jnp.zeros(()))

    def one_step(self, current_state, previous_kernel_results, seed=None):
        noise = jax.random.uniform(seed, ())
        return current_state + self.increment, CountResults(previous_kernel_results.steps + 1, noise)


def test_burn_in_and_thinning_count_steps_as_tfp():
    states = sample_chain(np.int64(4), jnp.array(0.0), kernel=CountingKernel(), num_burnin_steps=3,
                          num_steps_between_results=2, trace_fn=None, seed=0)
    # The first kept state follows 1 + burn-in steps, the next ones 1 + thinning steps apart.
    np.testing.assert_array_equal(states, [4.0, 7.0, 10.0, 13.0])


def test_return_types():
    kernel = CountingKernel()
    out = sample_chain(3, jnp.array(0.0), kernel=kernel, seed=0)
    assert isinstance(out, StatesAndTrace)
    _, results = out  # unpacks as TFP's
    assert isinstance(results, CountResults)
    np.testing.assert_array_equal(results.steps, [1, 2, 3])
    traced = sample_chain(3, jnp.array(0.0), kernel=kernel, trace_fn=lambda s, r: 2 * s, seed=0)
    np.testing.assert_array_equal(traced.trace, 2 * traced.all_states)
    final = sample_chain(3, jnp.array(0.0), kernel=kernel, trace_fn=None, return_final_kernel_results=True,
                         seed=0)
    assert isinstance(final, CheckpointableStatesAndTrace) and final.trace is None
    assert int(final.final_kernel_results.steps) == 3


def test_resuming_from_final_results():
    kernel = CountingKernel()
    first = sample_chain(3, jnp.array(0.0), kernel=kernel, return_final_kernel_results=True, seed=0)
    second = sample_chain(2, first.all_states[-1], previous_kernel_results=first.final_kernel_results,
                          kernel=kernel, seed=1)
    np.testing.assert_array_equal(second.trace.steps, [4, 5])
    np.testing.assert_array_equal(second.all_states, [4.0, 5.0])


def test_keys_differ_per_step_and_repeat_per_seed():
    kernel = CountingKernel()
    def noise(seed):
        return sample_chain(200, jnp.array(0.0), kernel=kernel, num_burnin_steps=5, seed=seed).trace.noise

    noise, again, other = noise(3), noise(jax.random.key(3)), noise(4)
    np.testing.assert_array_equal(noise, again)
    assert not np.array_equal(noise, other)
    assert stats.kstest(np.asarray(noise), "uniform").pvalue > 1e-3


def test_compiled_once_and_target_traced_a_bounded_number_of_times():
    traces = []

    def target(x):
        traces.append(1)
        return -0.5 * jnp.sum(x**2)

    kernel = HamiltonianMonteCarlo(target, step_size=0.5, num_leapfrog_steps=3)
    sample_chain(10, jnp.zeros(2), kernel=kernel, num_burnin_steps=5, num_steps_between_results=1, seed=0)
    # Once for the bootstrap and once for the one loop over all steps: burn-in, thinning and kept
    # steps share one copy of the kernel's program.
    traced = len(traces)
    assert traced == 2
    compiled = _run_chain._cache_size()
    # The same kernel configuration with another step size and seed reuses the compiled program:
    # only the (eager) bootstrap at the new start evaluates the target again.
    sample_chain(10, jnp.ones(2), kernel=kernel.copy(step_size=0.3), num_burnin_steps=5,
                 num_steps_between_results=1, seed=1)
    assert _run_chain._cache_size() == compiled
    assert len(traces) == traced + 1


def test_argument_errors():
    kernel = CountingKernel()
    with pytest.raises(ValueError, match="num_results"):
        sample_chain(0, jnp.array(0.0), kernel=kernel, seed=0)
    with pytest.raises(ValueError, match="num_burnin_steps"):
        sample_chain(2, jnp.array(0.0), kernel=kernel, num_burnin_steps=-1, seed=0)
    with pytest.raises(ValueError, match="kernel"):
        sample_chain(2, jnp.array(0.0), seed=0)
    with pytest.raises(ValueError, match="seed"):
        sample_chain(2, jnp.array(0.0), kernel=kernel)
    with pytest.raises(TypeError, match="trace_fn"):
        sample_chain(2, jnp.array(0.0), kernel=kernel, trace_fn="results", seed=0)


def gamma_log_kernel(x, concentration, rate):
    return (concentration - 1.0) * jnp.log(x) - rate * x


def test_changepoint_pattern_list_state_transformed_adapted_hmc():
    # The seed notebook's pattern: a 3-part list state of scalars, constrained by [Exp, Exp, Sigmoid],
    # HMC with a poor initial step size, adapted during 80% of the burn-in. Here the posterior is
    # known: two Gamma(a, b) rates and a Beta(9, 5) switch point.
    def joint_log_prob(early_rate, late_rate, switch):
        early = gamma_log_kernel(early_rate, 12.0, 4.0)
        late = gamma_log_kernel(late_rate, 5.0, 5.0)
        return early + late + 8.0 * jnp.log(switch) + 4.0 * jnp.log1p(-switch)

    burnin = 500
    kernel = SimpleStepSizeAdaptation(
        inner_kernel=TransformedTransitionKernel(
            inner_kernel=HamiltonianMonteCarlo(joint_log_prob, step_size=0.05, num_leapfrog_steps=3),
            bijector=[Exp(), Exp(), Sigmoid()],
        ),
        num_adaptation_steps=int(burnin * 0.8),
    )

    def run(key):
        return sample_chain(num_results=3000, num_burnin_steps=burnin, current_state=[1.0, 1.0, 0.5],
                            kernel=kernel, seed=key, trace_fn=lambda _, results: results.new_step_size)

    (early, late, switch), step_size = jax.jit(jax.vmap(run))(jax.random.split(jax.random.key(0), 4))
    assert np.all(np.asarray(step_size) > 0.1)  # adapted up from 0.05
    for name, draws, truth in (
        ("early", early, stats.gamma(12.0, scale=1 / 4.0)),
        ("late", late, stats.gamma(5.0, scale=1 / 5.0)),
        ("switch", switch, stats.beta(9.0, 5.0)),
    ):
        assert_mean_within_mcse(np.asarray(draws), truth.mean(), name=name)
        assert_mean_within_mcse((np.asarray(draws) - truth.mean()) ** 2, truth.var(), name=name + " variance")


