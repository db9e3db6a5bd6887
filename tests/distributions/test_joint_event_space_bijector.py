"""The joint event-space bijector: onto every part's support, with supports that depend on other parts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import distributions as tfd
from probax.distributions.independent import Independent


def dependent_model():
    # `x`'s support (0, scale) depends on `scale`; `p` lives in (0, 1); `v` is a positive vector.
    return tfd.JointDistributionNamed(dict(
        scale=tfd.Exponential(1.0),
        x=lambda scale: tfd.Uniform(0.0, scale),
        p=tfd.Beta(2.0, 3.0),
        v=lambda p: Independent(tfd.Gamma(jnp.full(3, 2.0), p[..., None]), 1),
    ))


UNCONSTRAINED = {"scale": 0.3, "x": -0.4, "p": 1.2, "v": np.array([-1.0, 0.2, 2.0])}


def flat(tree):
    return jnp.concatenate([jnp.ravel(leaf) for leaf in jax.tree_util.tree_leaves(tree)])


def test_forward_lands_in_every_support_and_inverts():
    model = dependent_model()
    bijector = model.experimental_default_event_space_bijector()
    y = bijector.forward(UNCONSTRAINED)
    assert 0 < y["x"] < y["scale"]
    assert 0 < y["p"] < 1 and np.all(np.asarray(y["v"]) > 0)
    assert np.isfinite(model.log_prob(y))
    x_again = bijector.inverse(y)
    for name, value in UNCONSTRAINED.items():
        np.testing.assert_allclose(x_again[name], value, rtol=1e-10, atol=1e-12)
    assert bijector.forward_min_event_ndims == {"scale": 0, "x": 0, "p": 0, "v": 1}
    assert bijector.forward_event_shape({"scale": (), "x": (), "p": (), "v": (3,)})["v"] == (3,)
    ranks = {"scale": 0, "x": 0, "p": 0, "v": 1}
    assert bijector.inverse_event_ndims(ranks) == bijector.forward_min_event_ndims


def test_log_det_is_the_log_abs_determinant_of_the_dense_jacobian():
    model = dependent_model()
    bijector = model.experimental_default_event_space_bijector()
    leaves, treedef = jax.tree_util.tree_flatten(UNCONSTRAINED)
    sizes = [np.size(leaf) for leaf in leaves]
    shapes = [np.shape(leaf) for leaf in leaves]

    def unflatten(vector):
        pieces = jnp.split(vector, np.cumsum(sizes)[:-1])
        reshaped = [p.reshape(s) for p, s in zip(pieces, shapes, strict=True)]
        return jax.tree_util.tree_unflatten(treedef, reshaped)

    def forward_flat(vector):
        return flat(bijector.forward(unflatten(vector)))

    vector = flat(UNCONSTRAINED)
    jacobian = jax.jacfwd(forward_flat)(vector)
    expected = np.linalg.slogdet(np.asarray(jacobian))[1]
    np.testing.assert_allclose(bijector.forward_log_det_jacobian(UNCONSTRAINED), expected, rtol=1e-10)
    y = bijector.forward(UNCONSTRAINED)
    np.testing.assert_allclose(bijector.inverse_log_det_jacobian(y), -expected, rtol=1e-10)


def test_batched_jitted_and_vmapped():
    model = dependent_model()
    bijector = model.experimental_default_event_space_bijector()
    batch = jax.tree_util.tree_map(lambda v: jnp.stack([jnp.asarray(v), jnp.asarray(v) + 0.5]), UNCONSTRAINED)
    direct = bijector.forward_log_det_jacobian(batch)
    assert direct.shape == (2,)
    vmapped = jax.vmap(bijector.forward_log_det_jacobian)(batch)
    np.testing.assert_allclose(vmapped, direct, rtol=1e-12)
    jitted = jax.jit(lambda b, x: b.forward(x))(bijector, batch)
    np.testing.assert_allclose(jitted["x"], bijector.forward(batch)["x"], rtol=1e-12)


def test_pinned_bijector_gives_a_finite_unconstrained_target():
    model = dependent_model()
    posterior = model.experimental_pin(v=np.array([0.5, 1.0, 2.0]))
    bijector = posterior.experimental_default_event_space_bijector()
    assert set(bijector.forward_min_event_ndims) == {"scale", "x", "p"}

    def unconstrained_target(z):
        y, log_det = bijector.forward_and_log_det(z)
        return posterior.unnormalized_log_prob(y) + log_det

    z = {k: UNCONSTRAINED[k] for k in ("scale", "x", "p")}
    value, gradient = jax.value_and_grad(unconstrained_target)(z)
    assert np.isfinite(value) and all(np.isfinite(g) for g in gradient.values())
    # Sampling from the prior, mapping back, and forward again is the identity.
    start = posterior.sample_unpinned(4, seed=0)
    np.testing.assert_allclose(bijector.forward(bijector.inverse(start))["x"], start["x"], rtol=1e-9)


def test_wrong_structure_is_a_clear_error():
    bijector = dependent_model().experimental_default_event_space_bijector()
    with pytest.raises(ValueError, match=r"missing values for parts \['v'\]"):
        bijector.forward({"scale": 0.0, "x": 0.0, "p": 0.0})
