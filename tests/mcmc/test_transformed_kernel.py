import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.bijectors import Exp, JointMap, Sigmoid, Softplus
from probax.distributions import Beta, Binomial, Gamma, JointDistributionNamed, Poisson, Sample
from probax.mcmc.hmc import HamiltonianMonteCarlo
from probax.mcmc.metropolis_hastings import MetropolisHastings
from probax.mcmc.random_walk_metropolis import UncalibratedRandomWalk
from probax.mcmc.step_size_adaptation import SimpleStepSizeAdaptation
from probax.mcmc.transformed_kernel import TransformedTransitionKernel, transformed_target
from tests.mcmc.chains import run_chains
from tests.mcmc.models import assert_moments_within_mcse

# rate ~ Gamma(2, 1), counts ~ Poisson(rate) x 2 observed [3, 5]: rate | data ~ Gamma(10, 3).
# p ~ Beta(2, 2), successes ~ Binomial(10, p) observed 7: p | data ~ Beta(9, 5).
MODEL = JointDistributionNamed(
    dict(
        rate=Gamma(2.0, 1.0),
        p=Beta(2.0, 2.0),
        counts=lambda rate: Sample(Poisson(rate), 2),
        successes=lambda p: Binomial(10.0, probs=p),
    )
)
POSTERIOR = MODEL.experimental_pin(counts=jnp.array([3.0, 5.0]), successes=7.0)
RATE_POSTERIOR, P_POSTERIOR = stats.gamma(10.0, scale=1 / 3.0), stats.beta(9.0, 5.0)


def independent_log_prob(a, b):
    """Gamma(10, 3) for `a` and Beta(9, 5) for `b` (unnormalized), as a two-argument target."""
    return 9.0 * jnp.log(a) - 3.0 * a + 8.0 * jnp.log(b) + 4.0 * jnp.log1p(-b)


def test_pulled_back_target_single_and_list():
    z = jnp.array([0.3, -1.2])
    single = transformed_target(lambda x: -jnp.sum(x), Exp(), list_state=False)
    np.testing.assert_allclose(single(z), -np.sum(np.exp(z)) + np.sum(z), rtol=1e-12)

    pulled = transformed_target(independent_log_prob, [Exp(), Sigmoid()], list_state=True)
    a, b = 0.4, -0.7
    sig = 1 / (1 + np.exp(-b))
    expected = independent_log_prob(np.exp(a), sig) + a + np.log(sig * (1 - sig))
    np.testing.assert_allclose(pulled(jnp.array(a), jnp.array(b)), expected, rtol=1e-12)


def test_dict_of_bijectors_matches_joint_map():
    def log_prob(state):
        return -jnp.sum(state["x"]) - 2.0 * state["y"]

    z = {"x": jnp.array([0.1, 0.5]), "y": jnp.array(-0.3)}
    per_part = transformed_target(log_prob, {"x": Exp(), "y": Softplus()}, list_state=False)
    whole = transformed_target(log_prob, JointMap({"x": Exp(), "y": Softplus()}), list_state=False)
    softplus = np.log1p(np.exp(-0.3))
    expected = -np.sum(np.exp([0.1, 0.5])) - 2 * softplus + 0.6 + np.log(1 / (1 + np.exp(0.3)))
    np.testing.assert_allclose(per_part(z), expected, rtol=1e-12)
    np.testing.assert_allclose(whole(z), expected, rtol=1e-12)


def test_pinned_joint_distribution_bijector_acts_on_the_whole_state():
    bijector = POSTERIOR.experimental_default_event_space_bijector()
    pulled = transformed_target(POSTERIOR.unnormalized_log_prob, bijector, list_state=False)
    z = {"rate": jnp.array(0.2), "p": jnp.array(-0.4)}
    expected = POSTERIOR.unnormalized_log_prob(bijector.forward(z)) + bijector.forward_log_det_jacobian(z)
    np.testing.assert_allclose(pulled(z), expected, rtol=1e-12)


def test_state_round_trip_and_results():
    hmc = HamiltonianMonteCarlo(independent_log_prob, 0.3, 3)
    kernel = TransformedTransitionKernel(hmc, [Exp(), Sigmoid()])
    init = [jnp.array(3.0), jnp.array(0.6)]
    results = kernel.bootstrap_results(init)
    np.testing.assert_allclose(results.transformed_state[0], np.log(3.0))
    np.testing.assert_allclose(results.transformed_state[1], np.log(0.6 / 0.4))
    same = kernel.bootstrap_results(transformed_init_state=results.transformed_state)
    np.testing.assert_allclose(same.inner_results.accepted_results.target_log_prob,
                               results.inner_results.accepted_results.target_log_prob)
    state, results = kernel.one_step(init, results, seed=0)
    assert isinstance(state, list)
    np.testing.assert_allclose(state[0], np.exp(results.transformed_state[0]), rtol=1e-12)
    assert kernel.is_calibrated


def test_nested_inner_kernels_get_the_transformed_target():
    hmc = HamiltonianMonteCarlo(independent_log_prob, 0.3, 2)
    adapted = TransformedTransitionKernel(SimpleStepSizeAdaptation(hmc, 10), [Exp(), Sigmoid()])
    init = [jnp.array(3.0), jnp.array(0.6)]
    results = adapted.bootstrap_results(init)
    # The inner target is evaluated at the unconstrained state: it includes the log-det.
    z = results.transformed_state
    expected = independent_log_prob(jnp.exp(z[0]), jax.nn.sigmoid(z[1])) + z[0] + jnp.log(0.6 * 0.4)
    lp = results.inner_results.inner_results.accepted_results.target_log_prob
    np.testing.assert_allclose(lp, expected, rtol=1e-12)

    random_walk = TransformedTransitionKernel(
        MetropolisHastings(UncalibratedRandomWalk(independent_log_prob)), [Exp(), Sigmoid()]
    )
    results = random_walk.bootstrap_results(init)
    np.testing.assert_allclose(results.inner_results.accepted_results.target_log_prob, expected, rtol=1e-12)


def test_float32_state_stays_float32_under_python_number_bijector_parameters():
    # The suite runs under x64; `Sigmoid(low=0., high=1.)` must not promote the chain's state.
    def log_prob(b):
        return 8.0 * jnp.log(b) + 4.0 * jnp.log1p(-b)

    kernel = TransformedTransitionKernel(
        HamiltonianMonteCarlo(log_prob, jnp.float32(0.3), 2), Sigmoid(low=0.0, high=1.0)
    )
    init = jnp.float32(0.6)
    results = kernel.bootstrap_results(init)
    state, results = jax.jit(kernel.one_step)(init, results, 0)
    assert state.dtype == jnp.float32
    assert results.transformed_state.dtype == jnp.float32


def test_errors():
    kernel = TransformedTransitionKernel(HamiltonianMonteCarlo(independent_log_prob, 0.3, 2), [Exp()])
    with pytest.raises(ValueError, match="does not match the state"):
        kernel.bootstrap_results([1.0, 0.5])
    with pytest.raises(ValueError, match="exactly one"):
        kernel.bootstrap_results()
    with pytest.raises(TypeError, match="bijector must be"):
        TransformedTransitionKernel(HamiltonianMonteCarlo(independent_log_prob, 0.3, 2), [jnp.exp])
    with pytest.raises(TypeError, match="inner_kernel"):
        TransformedTransitionKernel(independent_log_prob, Exp())


def test_recovers_a_pinned_joint_distribution_posterior():
    bijector = POSTERIOR.experimental_default_event_space_bijector()
    hmc = HamiltonianMonteCarlo(POSTERIOR.unnormalized_log_prob, 0.4, 4)
    kernel = TransformedTransitionKernel(hmc, bijector)
    init = {"rate": jnp.array(3.0), "p": jnp.array(0.6)}
    states, _ = run_chains(kernel, init, 3000, num_burnin_steps=200)
    draws = np.stack([states["rate"], states["p"]], axis=-1)
    truth = (RATE_POSTERIOR, P_POSTERIOR)
    assert_moments_within_mcse(draws, [d.mean() for d in truth], [d.var() for d in truth])
