from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax.bijectors import Exp, Sigmoid
from probax.distributions import (
    Beta,
    Exponential,
    JointDistributionCoroutine,
    JointDistributionNamed,
    JointDistributionSequential,
    Normal,
    Sample,
    Uniform,
)
from probax.vi.flow_surrogate import build_flow_surrogate_posterior
from probax.vi.surrogate_builders import build_affine_surrogate_posterior, build_factored_surrogate_posterior
from probax.vi.surrogate_distribution import layout_of
from probax.vi.trainable import Trainable


class Parts(NamedTuple):
    a: jax.Array
    b: jax.Array


def _perturbed(trainable, scale=0.3, seed=0):
    leaves, treedef = jax.tree.flatten(trainable.params)
    keys = jax.random.split(jax.random.key(seed), len(leaves))
    noisy = [
        leaf + scale * jax.random.normal(k, leaf.shape, leaf.dtype)
        for leaf, k in zip(leaves, keys, strict=True)
    ]
    return trainable.with_params(jax.tree.unflatten(treedef, noisy))


@jax.jit
def _draws_and_densities(trainable, key):
    q = trainable.build()
    draws, joint_log_q = q.sample_and_log_prob(7, seed=key)
    return draws, joint_log_q, q.log_prob(draws)


@pytest.mark.parametrize(
    ("structure", "builder"),
    [
        ((), build_factored_surrogate_posterior),
        ([2, 2], build_affine_surrogate_posterior),
        ([(), [2]], build_factored_surrogate_posterior),
        ({"a": (), "b": [2]}, build_affine_surrogate_posterior),
        (Parts((), [2]), build_factored_surrogate_posterior),
    ],
)
def test_structures_sample_and_score_consistently(structure, builder):
    q = _perturbed(builder(structure, initial_unconstrained_scale=0.7))
    draws, joint, log_q = _draws_and_densities(q, jax.random.key(1))
    expected = jax.tree.map(
        lambda s: (7, *s),
        structure,
        is_leaf=lambda s: (
            layout_of(s).size is not None
            and isinstance(s, tuple | list)
            and all(isinstance(i, int) for i in s)
        ),
    )
    assert jax.tree.map(jnp.shape, draws) == expected
    assert type(draws) is type(structure) or not isinstance(structure, Parts | dict)
    np.testing.assert_allclose(joint, log_q, rtol=1e-10)


def test_factored_matches_independent_normals():
    q = build_factored_surrogate_posterior(
        {"a": (), "b": [2]},
        initial_unconstrained_loc={"a": 1.0, "b": [2.0, 3.0]},
        initial_unconstrained_scale=[0.5, 1.0, 2.0],
    ).build()
    value = {"a": jnp.array(0.3), "b": jnp.array([1.0, -1.0])}
    expected = scipy.stats.norm.logpdf([0.3, 1.0, -1.0], [1.0, 2.0, 3.0], [0.5, 1.0, 2.0]).sum()
    np.testing.assert_allclose(q.log_prob(value), expected, rtol=1e-10)
    np.testing.assert_allclose(q.mean()["b"], [2.0, 3.0], rtol=1e-12)


def test_affine_matches_scipy_multivariate_normal():
    q = _perturbed(build_affine_surrogate_posterior([3], initial_unconstrained_scale=1.0)).build()
    scale_tril = np.asarray(q.distribution.scale_tril)
    assert np.allclose(scale_tril, np.tril(scale_tril)) and np.any(
        np.abs(scale_tril[np.tril_indices(3, -1)]) > 0
    )
    x = np.array([0.1, -0.4, 0.9])
    expected = scipy.stats.multivariate_normal.logpdf(
        x, np.asarray(q.distribution.loc), scale_tril @ scale_tril.T
    )
    np.testing.assert_allclose(q.log_prob(jnp.asarray(x)), expected, rtol=1e-10)


def test_structured_bijectors_constrain_and_count_the_jacobian():
    q = build_factored_surrogate_posterior(
        [(), ()],
        bijector=[Exp(), None],
        initial_unconstrained_loc=[0.5, 1.0],
        initial_unconstrained_scale=[0.3, 2.0],
    ).build()
    draws = q.sample(100, seed=0)
    assert bool(jnp.all(draws[0] > 0))
    expected = scipy.stats.lognorm.logpdf(1.7, 0.3, scale=np.exp(0.5)) + scipy.stats.norm.logpdf(
        -0.2, 1.0, 2.0
    )
    np.testing.assert_allclose(q.log_prob([jnp.array(1.7), jnp.array(-0.2)]), expected, rtol=1e-10)


def _pinned_models(dtype):
    one = jnp.asarray(1.0, dtype)
    data = jnp.asarray([1.0, 0.0, 1.0, 1.0], dtype)
    named = JointDistributionNamed(
        dict(
            rate=Exponential(one),
            p=Beta(2 * one, 2 * one),
            loc=Normal(0 * one, one),
            y=lambda rate, p, loc: Sample(Normal(loc, 1 / rate), 4),
        )
    ).experimental_pin(y=data)
    sequential = JointDistributionSequential(
        [Exponential(one), lambda sigma: Uniform(0 * one, sigma), lambda v, sigma: Normal(v, sigma)]
    ).experimental_pin(None, None, one)

    def coroutine():
        root = JointDistributionCoroutine.Root
        scale = yield root(Exponential(one, name="scale"))
        yield Normal(0 * one, scale, name="obs")

    return named, sequential, JointDistributionCoroutine(coroutine).experimental_pin(obs=one)


@pytest.mark.parametrize(
    ("dtype", "index"), [(jnp.float32, 0), (jnp.float64, 0), (jnp.float64, 1), (jnp.float32, 2)]
)
def test_pinned_joint_distributions_get_their_constraints(dtype, index):
    pinned = _pinned_models(dtype)[index]
    q = _perturbed(build_affine_surrogate_posterior(pinned, initial_unconstrained_scale=1.0))
    draws, joint, log_q = _draws_and_densities(q, jax.random.key(2))
    assert {leaf.dtype for leaf in jax.tree.leaves(draws)} == {jnp.dtype(dtype)}
    np.testing.assert_allclose(joint, log_q, rtol=1e-4 if dtype == jnp.float32 else 1e-10)
    if index == 0:
        assert bool(jnp.all(draws["rate"] > 0)) and bool(jnp.all((draws["p"] > 0) & (draws["p"] < 1)))
    elif index == 1:
        sigma, x = draws
        assert bool(jnp.all((x > 0) & (x < sigma)))  # a support that depends on another part
    else:
        assert type(draws).__name__ == type(pinned.event_shape).__name__ and bool(jnp.all(draws.scale > 0))


def test_sigmoid_surrogate_density_is_a_logit_normal():
    q = build_factored_surrogate_posterior(
        (), bijector=Sigmoid(), initial_unconstrained_loc=0.4, initial_unconstrained_scale=0.8
    ).build()
    p = 0.3
    logit = np.log(p / (1 - p))
    expected = scipy.stats.norm.logpdf(logit, 0.4, 0.8) - np.log(p * (1 - p))
    np.testing.assert_allclose(q.log_prob(jnp.asarray(p)), expected, rtol=1e-10)


@pytest.mark.parametrize("flow", ["iaf", "spline"])
def test_flow_surrogate_starts_as_affine_and_scores_its_draws(flow):
    trainable = build_flow_surrogate_posterior(
        [3],
        flow=flow,
        num_layers=2,
        hidden_units=[8],
        initial_unconstrained_loc=0.5,
        initial_unconstrained_scale=2.0,
    )
    x = jnp.array([0.1, -1.0, 2.0])
    np.testing.assert_allclose(
        trainable.build().log_prob(x), scipy.stats.norm.logpdf(x, 0.5, 2.0).sum(), rtol=1e-5
    )
    draws, joint, log_q = _draws_and_densities(_perturbed(trainable, 0.2), jax.random.key(0))
    assert draws.shape == (7, 3)
    np.testing.assert_allclose(joint, log_q, rtol=1e-4)


def test_trainable_is_a_pytree():
    trainable = build_factored_surrogate_posterior([2])
    out = jax.jit(lambda t: t.with_params(jax.tree.map(lambda p: p + 1, t.params)))(trainable)
    assert isinstance(out, Trainable) and out.build_fn is trainable.build_fn
    assert len(jax.tree.leaves(trainable)) == 2
    np.testing.assert_allclose(out.params["loc"], [1.0, 1.0])
    with pytest.raises(TypeError, match="build_fn"):
        Trainable(3, {})


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: build_factored_surrogate_posterior("abc"), ValueError, "event_shape"),
        (
            lambda: build_factored_surrogate_posterior([2], initial_unconstrained_scale=-1.0),
            ValueError,
            "positive",
        ),
        (
            lambda: build_affine_surrogate_posterior([2], initial_unconstrained_loc=[1.0, 2.0, 3.0]),
            ValueError,
            "size 2",
        ),
        (
            lambda: build_factored_surrogate_posterior(_pinned_models(jnp.float64)[2], bijector=Exp()),
            ValueError,
            "not both",
        ),
        (lambda: build_flow_surrogate_posterior([2], flow="realnvp"), ValueError, "'iaf' or 'spline'"),
        (lambda: build_flow_surrogate_posterior([2], num_layers=0), ValueError, "num_layers"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_models_that_do_not_broadcast_over_draws_are_run_one_draw_at_a_time():
    # A changepoint model: `t < s` only works for one draw of s at a time (t has its own shape).
    t = jnp.linspace(0.0, 1.0, 5)
    model = JointDistributionSequential(
        [
            Exponential(0.2),
            Exponential(0.2),
            Uniform(0.0, 1.0),
            lambda s, late, early: Sample(Normal(jnp.where(t < s, early, late), 1.0), 1),
        ]
    )
    pinned = model.experimental_pin(None, None, None, jnp.ones((5, 1)))
    q = _perturbed(build_factored_surrogate_posterior(pinned, initial_unconstrained_scale=1.0))
    draws, joint, log_q = _draws_and_densities(q, jax.random.key(3))
    early, late, s = draws
    assert bool(jnp.all(late > 0))
    assert bool(jnp.all(early > 0)) and bool(jnp.all((s > 0) & (s < 1)))
    np.testing.assert_allclose(joint, log_q, rtol=1e-10)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("builder", [build_factored_surrogate_posterior, build_affine_surrogate_posterior])
def test_gaussian_sample_and_log_prob_matches_sample_then_log_prob_and_its_gradient(builder, dtype):
    # sample_and_log_prob scores the builders' Gaussians from the standard-normal draws (no
    # triangular solve); draws, values and reparameterized gradients must be those of sample + log_prob.
    trainable = builder([3], initial_unconstrained_scale=0.7, dtype=dtype)
    params = jax.tree.map(lambda v: v + 0.1 * jnp.arange(v.size, dtype=v.dtype).reshape(v.shape),
                          trainable.params)

    def joint(p):
        x, log_q = trainable.with_params(p).build().sample_and_log_prob((4, 2), seed=0)
        return jnp.sum(x**2) + jnp.sum(log_q), (x, log_q)

    def separate(p):
        q = trainable.with_params(p).build()
        x = q.sample((4, 2), seed=0)
        log_q = q.log_prob(x)
        return jnp.sum(x**2) + jnp.sum(log_q), (x, log_q)

    (_, (x, log_q)), grad = jax.jit(jax.value_and_grad(joint, has_aux=True))(params)
    (_, (x_ref, log_q_ref)), grad_ref = jax.jit(jax.value_and_grad(separate, has_aux=True))(params)
    tolerance = 1e-5 if dtype == jnp.float32 else 1e-12
    assert x.dtype == log_q.dtype == dtype and x.shape == (4, 2, 3) and log_q.shape == (4, 2)
    np.testing.assert_allclose(x, x_ref, rtol=tolerance)
    np.testing.assert_allclose(log_q, log_q_ref, rtol=tolerance)
    for leaf, reference in zip(jax.tree.leaves(grad), jax.tree.leaves(grad_ref), strict=True):
        np.testing.assert_allclose(leaf, reference, rtol=10 * tolerance, atol=10 * tolerance)
