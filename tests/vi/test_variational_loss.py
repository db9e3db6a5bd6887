from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.distributions import MultivariateNormalDiag, Normal
from probax.vi.csiszar_divergence import kl_reverse
from probax.vi.surrogate_builders import build_factored_surrogate_posterior
from probax.vi.trainable import Trainable
from probax.vi.variational_loss import GradientEstimators, monte_carlo_variational_loss

GE = GradientEstimators
TARGET = Normal(1.0, 2.0).log_prob


def _loss(params, key, estimator, sample_size, k=1):
    q = Normal(params[0], params[1])
    return monte_carlo_variational_loss(
        TARGET, q, sample_size=sample_size, importance_sample_size=k, gradient_estimator=estimator, seed=key
    )


def _gradients(estimator, sample_size, k=1, repeats=400, params=(0.0, 1.0)):
    """Per-repeat gradients (one jit, vmapped over keys), shape [repeats, 2]."""
    keys = jax.random.split(jax.random.key(0), repeats)
    grad = jax.jit(jax.vmap(jax.grad(_loss), in_axes=(None, 0, None, None, None)), static_argnums=(2, 3, 4))
    return np.asarray(grad(jnp.asarray(params), keys, estimator, sample_size, k))


def _analytic_kl_gradient(m, s):
    # KL[N(m, s) || N(1, 2)] = log(2 / s) + (s^2 + (m - 1)^2) / 8 - 1/2
    return np.array([(m - 1) / 4, -1 / s + s / 4])


@pytest.mark.parametrize("estimator", [GE.REPARAMETERIZATION, GE.SCORE_FUNCTION, GE.DOUBLY_REPARAMETERIZED])
def test_elbo_gradients_are_unbiased(estimator):
    grads = _gradients(estimator, sample_size=16)
    mean, error = grads.mean(0), grads.std(0) / np.sqrt(len(grads))
    np.testing.assert_array_less(np.abs(mean - _analytic_kl_gradient(0.0, 1.0)), 5 * error + 1e-12)


def test_values_agree_across_estimators():
    key = jax.random.key(3)
    params = jnp.array([0.5, 1.5])
    loss = jax.jit(_loss, static_argnums=(2, 3, 4))
    values = {
        e: float(loss(params, key, e, 8))
        for e in (GE.REPARAMETERIZATION, GE.SCORE_FUNCTION, GE.DOUBLY_REPARAMETERIZED)
    }
    assert len({round(v, 10) for v in values.values()}) == 1
    iw = {e: float(loss(params, key, e, 8, k=4)) for e in GradientEstimators}
    assert len({round(v, 10) for v in iw.values()}) == 1


def test_importance_weighting_tightens_the_bound():
    keys = jax.random.split(jax.random.key(1), 200)
    losses = jax.jit(jax.vmap(_loss, in_axes=(None, 0, None, None, None)), static_argnums=(2, 3, 4))
    params = jnp.array([0.0, 1.0])
    elbos = np.asarray(losses(params, keys, GE.REPARAMETERIZATION, 32, 1))
    elbo, iwae = elbos.mean(), float(np.mean(losses(params, keys, GE.REPARAMETERIZATION, 32, 16)))
    # The target is normalized: -log Z = 0 <= -IWAE <= -ELBO = KL.
    assert abs(elbo - (np.log(2.0) + (1 + 1) / 8 - 0.5)) < 5 * elbos.std() / np.sqrt(len(elbos))
    assert 0.0 < iwae < elbo - 0.1


def test_doubly_reparameterized_has_lower_variance_for_iwae():
    # Near the target (where fitting spends its time) the DReG variance vanishes; far from it
    # (q = N(0, 1) against N(1, 2)) the squared weights can make it larger.
    reparam = _gradients(GE.REPARAMETERIZATION, sample_size=4, k=16, params=(0.5, 1.5))
    dreg = _gradients(GE.DOUBLY_REPARAMETERIZED, sample_size=4, k=16, params=(0.5, 1.5))
    error = np.sqrt((reparam.var(0) + dreg.var(0)) / len(reparam))
    np.testing.assert_array_less(np.abs(dreg.mean(0) - reparam.mean(0)), 5 * error)
    assert np.all(dreg.var(0) < 0.5 * reparam.var(0))


def test_vimco_gradient_matches_reparameterized_iwae_gradient():
    reparam = _gradients(GE.REPARAMETERIZATION, sample_size=8, k=8)
    vimco = _gradients(GE.VIMCO, sample_size=8, k=8)
    error = np.sqrt(reparam.var(0) / len(reparam) + vimco.var(0) / len(vimco))
    np.testing.assert_array_less(np.abs(vimco.mean(0) - reparam.mean(0)), 5 * error)


class Parts(NamedTuple):
    a: jax.Array
    b: jax.Array


def _structured_q(structure):
    return build_factored_surrogate_posterior(structure, initial_unconstrained_scale=1.0)


@pytest.mark.parametrize(
    ("structure", "target"),
    [
        ([(), [2]], lambda a, b: Normal(0.0, 1.0).log_prob(a) - 0.5 * b @ b),
        ({"a": (), "b": [2]}, lambda b, a: Normal(0.0, 1.0).log_prob(a) - 0.5 * b @ b),
        ([2], lambda z: -0.5 * z @ z),  # one draw at a time: `z @ z` would not broadcast over draws
    ],
)
def test_target_calling_conventions(structure, target):
    q = _structured_q(structure)
    loss = jax.jit(lambda q: monte_carlo_variational_loss(target, q, sample_size=5, seed=0))(q)
    # q is a standard normal on all 3 (or 2) coordinates and the target is its unnormalized log density.
    size = 2 if structure == [2] else 3
    np.testing.assert_allclose(
        loss, -0.5 * size * np.log(2 * np.pi) + 0.5 * np.log(2 * np.pi) * (size == 3), rtol=1e-10
    )


def test_named_tuple_parts_are_passed_positionally():
    seen = []

    def target(a, b):
        seen.append((a.shape, b.shape))
        return -0.5 * (a**2 + b**2)

    q = _structured_q(Parts((), ()))
    monte_carlo_variational_loss(target, q, sample_size=3, seed=0)
    assert seen == [((), ())]


def test_trainable_and_distribution_give_the_same_loss():
    trainable = Trainable(
        lambda p: MultivariateNormalDiag(p["loc"], jnp.exp(p["log_scale"])),
        {"loc": jnp.zeros(2), "log_scale": jnp.zeros(2)},
    )
    target = MultivariateNormalDiag(jnp.ones(2), jnp.ones(2)).log_prob
    a, grads = jax.jit(jax.value_and_grad(lambda t: monte_carlo_variational_loss(target, t, 4, seed=0)))(
        trainable
    )
    b = jax.jit(lambda d: monte_carlo_variational_loss(target, d, sample_size=4, seed=0))(trainable.build())
    assert float(a) == float(b)
    assert isinstance(grads, Trainable) and np.all(np.isfinite(np.asarray(grads.params["loc"])))


def test_loss_is_float32_for_float32_surrogate():
    q = Normal(jnp.float32(0.0), jnp.float32(1.0))
    loss = monte_carlo_variational_loss(lambda z: -0.5 * z**2, q, sample_size=3, seed=0)
    assert loss.dtype == jnp.float32


def test_discrepancy_fn_is_applied():
    loss = monte_carlo_variational_loss(
        TARGET, Normal(0.0, 1.0), sample_size=4, seed=0, discrepancy_fn=lambda logu: 2.0 * kl_reverse(logu)
    )
    base = monte_carlo_variational_loss(TARGET, Normal(0.0, 1.0), sample_size=4, seed=0)
    np.testing.assert_allclose(loss, 2 * base, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sample_size": 0}, ValueError, "sample_size"),
        ({"importance_sample_size": 1.5}, ValueError, "importance_sample_size"),
        ({"gradient_estimator": "reparam"}, TypeError, "GradientEstimators"),
        ({"gradient_estimator": GE.VIMCO}, ValueError, "VIMCO"),
        ({"seed": None}, ValueError, "seed"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    arguments = {"sample_size": 2, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        monte_carlo_variational_loss(TARGET, Normal(0.0, 1.0), **arguments)


def test_non_scalar_target_is_rejected():
    with pytest.raises(ValueError, match="scalar"):
        monte_carlo_variational_loss(lambda z: jnp.stack([z, z]), Normal(0.0, 1.0), sample_size=2, seed=0)
    with pytest.raises(TypeError, match="surrogate_posterior"):
        monte_carlo_variational_loss(TARGET, object(), sample_size=2, seed=0)
