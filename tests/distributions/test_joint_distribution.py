"""JointDistribution flavours: structure, sampling, scoring against hand-written densities, transforms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from probax.distributions.independent import Independent
from tests.distributions import joint_models

FLAVOURS = {
    "sequential": joint_models.eight_schools_sequential,
    "named": joint_models.eight_schools_named,
    "coroutine": joint_models.eight_schools_coroutine,
}
NAMES = ("avg_effect", "avg_stddev", "school_effects_std", "treatment_effects")


def as_named(value):
    """A flavour's structure (list, dict, named tuple) as a dict keyed by NAMES."""
    if isinstance(value, dict):
        return value
    if hasattr(value, "_asdict"):
        return value._asdict()
    return dict(zip(NAMES, value, strict=True))


def as_flavour(model, named):
    """A dict keyed by NAMES in `model`'s own structure."""
    return model._pack([named[n] for n in NAMES])


def eight_schools_oracle(avg_effect, avg_stddev, school_effects_std):
    """Hand-written joint log density with scipy, the way users wrote `joint_log_prob` before."""
    theta = avg_effect + avg_stddev * school_effects_std
    return (
        scipy.stats.norm(0, 5).logpdf(avg_effect)
        + scipy.stats.halfcauchy(0, 5).logpdf(avg_stddev)
        + scipy.stats.norm(0, 1).logpdf(school_effects_std).sum()
        + scipy.stats.norm(theta, joint_models.SCHOOL_STDERRS).logpdf(joint_models.SCHOOL_EFFECTS).sum()
    )


POINT = dict(avg_effect=np.float64(4.0), avg_stddev=np.float64(2.5),
             school_effects_std=np.linspace(-1.0, 1.5, 8), treatment_effects=joint_models.SCHOOL_EFFECTS)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_eight_schools_log_prob_matches_hand_written_density(flavour):
    model = FLAVOURS[flavour]()
    expected = eight_schools_oracle(POINT["avg_effect"], POINT["avg_stddev"], POINT["school_effects_std"])
    value = as_flavour(model, POINT)
    np.testing.assert_allclose(model.log_prob(value), expected, rtol=1e-12)
    if not isinstance(value, dict):  # one positional per part
        np.testing.assert_allclose(model.log_prob(*value), expected, rtol=1e-12)
    parts = as_named(model.log_prob_parts(value))
    np.testing.assert_allclose(sum(parts.values()), model.log_prob(value), rtol=1e-12)
    np.testing.assert_allclose(parts["avg_stddev"], scipy.stats.halfcauchy(0, 5).logpdf(2.5), rtol=1e-12)


def test_three_flavours_agree_on_batched_values():
    models = {f: make() for f, make in FLAVOURS.items()}
    draws = models["named"].sample(5, seed=3)
    results = {f: np.asarray(models[f].log_prob(as_flavour(models[f], draws))) for f in models}
    assert results["named"].shape == (5,)
    np.testing.assert_array_equal(results["sequential"], results["named"])
    np.testing.assert_array_equal(results["coroutine"], results["named"])


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_structure_follows_tfp(flavour):
    model = FLAVOURS[flavour]()
    # A sequential model's last part is named by TFP's default rule: no later function names it.
    assert model._part_names() == ((*NAMES[:3], "x") if flavour == "sequential" else NAMES)
    assert as_named(model.event_shape) == dict(
        avg_effect=(), avg_stddev=(), school_effects_std=(8,), treatment_effects=(8,))
    assert as_named(model.batch_shape) == dict.fromkeys(NAMES, ())
    assert set(as_named(model.dtype).values()) == {jnp.dtype(jnp.float64)}
    draws = as_named(model.sample((2, 3), seed=0))
    assert {k: v.shape for k, v in draws.items()} == dict(
        avg_effect=(2, 3), avg_stddev=(2, 3), school_effects_std=(2, 3, 8), treatment_effects=(2, 3, 8))
    assert model.log_prob(model.sample((2, 3), seed=0)).shape == (2, 3)


def test_sequential_names_follow_tfp_rules():
    model = tfd.JointDistributionSequential([
        tfd.Normal(0.0, 1.0), tfd.Normal(0.0, 1.0, name="a"), lambda a: tfd.Normal(a, 1.0),
        tfd.Normal(0.0, 1.0),
    ])
    assert model._part_names() == ("x2", "a", "x1", "x")
    coroutine = tfd.JointDistributionCoroutine(lambda: (yield tfd.Root(tfd.Normal(0.0, 1.0))))
    assert coroutine._part_names() == ("var0",)


def test_sample_holds_given_parts_and_draws_the_rest():
    model = joint_models.eight_schools_named()
    draws = model.sample(4, seed=1, avg_stddev=np.zeros(4))
    np.testing.assert_array_equal(draws["avg_stddev"], 0.0)
    # With zero spread every school's effect is the average effect plus noise of the known stderr.
    distributions, values = model.sample_distributions(4, seed=1, avg_stddev=np.zeros(4))
    np.testing.assert_allclose(distributions["treatment_effects"].mean(),
                               np.broadcast_to(np.asarray(values["avg_effect"])[:, None], (4, 8)))
    # Same seed, same draws; a different seed differs.
    again = model.sample(4, seed=1, avg_stddev=np.zeros(4))
    np.testing.assert_array_equal(again["avg_effect"], draws["avg_effect"])
    assert not np.allclose(model.sample(4, seed=2)["avg_effect"], draws["avg_effect"])


def test_sample_moments_of_dependent_model():
    # y | mu ~ N(mu, 1), mu ~ N(1, 2): y ~ N(1, sqrt(5)).
    model = tfd.JointDistributionSequential([tfd.Normal(1.0, 2.0), lambda mu: tfd.Normal(mu, 1.0)])
    _, y = model.sample(40_000, seed=0)
    assert scipy.stats.kstest(np.asarray(y), scipy.stats.norm(1.0, np.sqrt(5.0)).cdf).pvalue > 1e-3


def test_jit_vmap_grad_and_return_from_jit():
    model = joint_models.eight_schools_sequential()
    draws = jax.jit(lambda key: model.sample(6, seed=key))(jax.random.key(0))
    batched = jax.vmap(model.log_prob)(draws)
    np.testing.assert_allclose(batched, model.log_prob(draws), rtol=1e-12)
    np.testing.assert_allclose(jax.jit(model.log_prob)(draws), model.log_prob(draws), rtol=1e-12)
    gradient = jax.grad(lambda values: model.log_prob(values))([x[0] for x in draws])
    assert all(np.all(np.isfinite(g)) for g in gradient)
    rebuilt = jax.jit(lambda: joint_models.eight_schools_named())()
    assert isinstance(rebuilt, tfd.JointDistributionNamed)
    np.testing.assert_allclose(rebuilt.log_prob(**POINT),
                               joint_models.eight_schools_named().log_prob(**POINT))
    # A model whose part parameters are traced: vmapped over a batch of prior scales.
    def log_prob_at(scale):
        model = tfd.JointDistributionNamed(dict(mu=tfd.Normal(0.0, scale), y=lambda mu: tfd.Normal(mu, 1.0)))
        return model.log_prob(mu=0.5, y=1.0)
    scales = jnp.array([1.0, 2.0, 3.0])
    expected = scipy.stats.norm(0, np.asarray(scales)).logpdf(0.5) + scipy.stats.norm(0.5, 1).logpdf(1.0)
    np.testing.assert_allclose(jax.vmap(log_prob_at)(scales), expected, rtol=1e-12)


def test_named_model_samples_identically_after_a_pytree_round_trip():
    model = joint_models.eight_schools_named()
    leaves, treedef = jax.tree_util.tree_flatten(model)
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    for name in NAMES:
        np.testing.assert_array_equal(rebuilt.sample(seed=7)[name], model.sample(seed=7)[name])


def test_changepoint_model_matches_seed_joint_log_prob():
    counts = joint_models.synthetic_counts()
    model = joint_models.changepoint_model(counts)
    lambda_1, lambda_2, tau = 14.0, 24.5, 0.45
    # Seed 001's hand-written joint_log_prob, with scipy in place of TFP.
    alpha = 1.0 / counts.mean()
    late = tau * counts.size <= np.arange(counts.size)
    prior = scipy.stats.expon(scale=1 / alpha)
    expected = (prior.logpdf(lambda_1) + prior.logpdf(lambda_2)
                + scipy.stats.uniform().logpdf(tau)
                + scipy.stats.poisson(np.where(late, lambda_2, lambda_1)).logpmf(counts).sum())
    value = dict(lambda_1=lambda_1, lambda_2=lambda_2, tau=tau, counts=counts)
    np.testing.assert_allclose(model.log_prob(value), expected, rtol=1e-12)
    posterior = model.experimental_pin(counts=counts)
    np.testing.assert_allclose(posterior.unnormalized_log_prob(lambda_1=lambda_1, lambda_2=lambda_2, tau=tau),
                               expected, rtol=1e-12)


def test_summaries_of_independent_parts_and_refusal_otherwise():
    model = tfd.JointDistributionSequential([tfd.Normal(1.0, 2.0), tfd.Exponential(4.0)])
    np.testing.assert_allclose(model.mean(), [1.0, 0.25])
    np.testing.assert_allclose(model.variance(), [4.0, 1 / 16])
    np.testing.assert_allclose(model.stddev(), [2.0, 0.25])
    expected_entropy = scipy.stats.norm(1, 2).entropy() + scipy.stats.expon(scale=0.25).entropy()
    np.testing.assert_allclose(model.entropy(), expected_entropy, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="built from other parts"):
        joint_models.eight_schools_named().mean()


def test_bad_models_and_values_get_clear_errors():
    with pytest.raises(ValueError, match="non-empty list"):
        tfd.JointDistributionSequential([])
    with pytest.raises(TypeError, match="model entry 1"):
        tfd.JointDistributionSequential([tfd.Normal(0.0, 1.0), 3.0])
    with pytest.raises(ValueError, match="takes 2 arguments"):
        tfd.JointDistributionSequential([tfd.Normal(0.0, 1.0), lambda a, b: tfd.Normal(a, b)])
    with pytest.raises(ValueError, match=r"takes \['sigma'\], which are not parts"):
        tfd.JointDistributionNamed(dict(mu=tfd.Normal(0.0, 1.0), y=lambda mu, sigma: tfd.Normal(mu, sigma)))
    with pytest.raises(ValueError, match="cycle"):
        tfd.JointDistributionNamed(dict(a=lambda b: tfd.Normal(b, 1.0), b=lambda a: tfd.Normal(a, 1.0)))
    with pytest.raises(ValueError, match="unique"):
        tfd.JointDistributionSequential([tfd.Normal(0.0, 1.0, name="a"), tfd.Normal(0.0, 1.0, name="a")])
    with pytest.raises(TypeError, match="part 0 must be a Distribution"):
        tfd.JointDistributionCoroutine(lambda: (yield 3.0))
    model = joint_models.eight_schools_named()
    with pytest.raises(ValueError, match=r"missing values for parts \['treatment_effects'\]"):
        model.log_prob(avg_effect=0.0, avg_stddev=1.0, school_effects_std=np.zeros(8))
    with pytest.raises(ValueError, match=r"unknown part names \['tau'\]"):
        model.log_prob(tau=1.0, **POINT)
    with pytest.raises(ValueError, match="expected 4 values"):
        joint_models.eight_schools_sequential().log_prob([0.0, 1.0])
    with pytest.raises(ValueError, match="seed"):
        model.sample(2)


def test_float32_parts_stay_float32():
    model = tfd.JointDistributionSequential([
        tfd.Normal(np.float32(0.0), np.float32(1.0)),
        lambda mu: Independent(tfd.Normal(mu[..., None], jnp.ones(3, jnp.float32)), 1),
    ])
    draws = model.sample(2, seed=0)
    assert [x.dtype for x in draws] == [jnp.float32, jnp.float32]
    assert model.log_prob(draws).dtype == jnp.float32
