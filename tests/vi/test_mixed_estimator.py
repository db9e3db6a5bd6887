import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.scipy.stats import norm

from probax.distributions import Normal
from probax.vi.fit import fit_surrogate_posterior
from probax.vi.mixed_estimator import MixedGradientEstimator
from probax.vi.surrogate_builders import build_affine_surrogate_posterior, build_factored_surrogate_posterior
from probax.vi.variational_loss import GradientEstimators, monte_carlo_variational_loss

LOG_HIGH, LOG_LOW = np.log(1.6), np.log(0.4)


def step_target(a, b):
    """Smooth in a (N(1, 0.5)); in b a standard normal with 80% of the mass moved below 0 (a step)."""
    return Normal(1.0, 0.5).log_prob(a) + Normal(0.0, 1.0).log_prob(b) + jnp.where(b < 0.0, LOG_HIGH, LOG_LOW)


def exact_negative_elbo(params):
    """-ELBO of the mean-field Gaussian `params` (factored builder's) against `step_target`, closed form."""
    loc, scale = params["loc"], jax.nn.softplus(params["scale"])
    below = norm.cdf(-loc[1] / scale[1])
    expected_log_normal = (
        -0.5 * jnp.log(2 * jnp.pi * jnp.array([0.25, 1.0])) - (scale**2 + (loc - jnp.array([1.0, 0.0])) ** 2)
        / (2 * jnp.array([0.25, 1.0]))
    )
    entropy = jnp.sum(0.5 * jnp.log(2 * jnp.pi * jnp.e * scale**2))
    return -(jnp.sum(expected_log_normal) + below * LOG_HIGH + (1 - below) * LOG_LOW + entropy)


SURROGATE = build_factored_surrogate_posterior([(), ()], initial_unconstrained_scale=0.8)
PARAMS = {"loc": jnp.array([0.3, 0.4]), "scale": SURROGATE.params["scale"]}
MIXED = MixedGradientEstimator(score_function_parts=(1,))


def _loss(params, key, estimator=MIXED, sample_size=16, k=1):
    return monte_carlo_variational_loss(
        step_target, SURROGATE.with_params(params), sample_size=sample_size, importance_sample_size=k,
        gradient_estimator=estimator, seed=key,
    )


def test_gradient_is_unbiased_for_a_piecewise_constant_part():
    keys = jax.random.split(jax.random.key(0), 2000)
    grads = jax.jit(jax.vmap(jax.grad(_loss), in_axes=(None, 0)))(PARAMS, keys)
    exact = jax.grad(exact_negative_elbo)(PARAMS)
    for name in ("loc", "scale"):
        mean = np.asarray(grads[name]).mean(0)
        error = np.asarray(grads[name]).std(0) / np.sqrt(len(keys))
        np.testing.assert_array_less(np.abs(mean - np.asarray(exact[name])), 4 * error + 1e-12)
    # The smooth part is reparameterized: its gradient is the pathwise one, less noisy than the
    # score function's (here about half the standard deviation).
    score_grads = jax.jit(jax.vmap(jax.grad(lambda p, k: _loss(p, k, GradientEstimators.SCORE_FUNCTION)),
                                   in_axes=(None, 0)))(PARAMS, keys)
    assert np.std(grads["loc"][:, 0]) < 0.75 * np.std(score_grads["loc"][:, 0])


def test_reparameterization_alone_misses_the_step_and_the_mix_finds_it():
    def fit(estimator):
        q, _ = fit_surrogate_posterior(
            step_target, SURROGATE, optax.adam(optax.cosine_decay_schedule(0.05, 500)), num_steps=500,
            sample_size=16, gradient_estimator=estimator, seed=0, verbose=False,
        )
        return q.distribution

    # The best mean-field Gaussian, from the closed-form ELBO.
    solver = optax.adam(0.05)

    def descend(carry, _):
        params, state = carry
        updates, state = solver.update(jax.grad(exact_negative_elbo)(params), state)
        return (optax.apply_updates(params, updates), state), None

    best = jax.jit(lambda p: jax.lax.scan(descend, (p, solver.init(p)), length=2000)[0][0])(PARAMS)
    mixed = fit(MIXED)
    np.testing.assert_allclose(mixed.loc, best["loc"], atol=0.06)
    np.testing.assert_allclose(mixed.scale_diag, jax.nn.softplus(best["scale"]), atol=0.06)
    assert float(best["loc"][1]) < -0.3
    reparameterized = fit(GradientEstimators.REPARAMETERIZATION)
    assert abs(float(reparameterized.loc[1])) < 0.05  # blind to the step: stays at N(0, 1)


@pytest.mark.parametrize("k", [1, 3])
def test_value_is_the_same_as_for_the_other_estimators(k):
    @jax.jit
    def values_and_gradient(key):
        mixed, gradient = jax.value_and_grad(_loss)(PARAMS, key, MIXED, 16, k)
        return mixed, _loss(PARAMS, key, GradientEstimators.REPARAMETERIZATION, 16, k), gradient

    mixed, reparameterized, gradient = values_and_gradient(jax.random.key(3))
    np.testing.assert_allclose(mixed, reparameterized, rtol=1e-10)
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(gradient))


def test_parts_by_name_and_float32():
    surrogate = build_factored_surrogate_posterior({"a": (), "b": [2]}, dtype=jnp.float32)

    def target(a, b):
        return Normal(0.0, 1.0).log_prob(a) + jnp.sum(jnp.where(b < 0.0, 0.0, -1.0))

    grad = jax.jit(jax.grad(lambda p: monte_carlo_variational_loss(
        target, surrogate.with_params(p), sample_size=4, seed=0,
        gradient_estimator=MixedGradientEstimator(score_function_parts="b"))))(surrogate.params)
    assert grad["loc"].dtype == jnp.float32 and np.all(np.isfinite(grad["loc"]))
    mask = MixedGradientEstimator(("b",)).coordinate_mask(surrogate.build())
    np.testing.assert_array_equal(mask, [False, True, True])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="score_function_parts"):
        MixedGradientEstimator(score_function_parts=())
    with pytest.raises(ValueError, match=r"\['c'\] are not parts"):
        monte_carlo_variational_loss(
            lambda a, b: a + b, build_factored_surrogate_posterior({"a": (), "b": ()}), seed=0,
            gradient_estimator=MixedGradientEstimator(("c",)),
        )
    with pytest.raises(TypeError, match="mean-field surrogate"):
        monte_carlo_variational_loss(
            lambda z: -jnp.sum(z**2), build_affine_surrogate_posterior([2]), seed=0,
            gradient_estimator=MixedGradientEstimator((0,)),
        )
