"""`ExponentialFamily` and `CustomExponentialFamily`: moments by autodiff, pytree behaviour, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from probax import glm

R = np.array([-1.5, -0.2, 0.4, 2.0])


class _ExpBijector:
    """A bijector-like object: CustomExponentialFamily accepts anything with `forward`."""

    def forward(self, x):
        return jnp.exp(x)


def _gamma_inverse(mean):
    return tfd.Gamma(concentration=2.0, rate=2.0 / mean)


@jax.jit
def _custom_values(r):
    poisson = glm.CustomExponentialFamily(lambda mean: tfd.Poisson(rate=mean), jnp.exp)
    via_bijector = glm.CustomExponentialFamily(lambda mean: tfd.Poisson(rate=mean), _ExpBijector())
    gamma = glm.CustomExponentialFamily(_gamma_inverse, jnp.reciprocal)
    y = jnp.array([0.0, 1.0, 2.0, 5.0])
    return dict(
        custom=poisson(r),
        builtin=glm.Poisson()(r),
        bijector=via_bijector(r),
        custom_log_prob=poisson.log_prob(y, r),
        builtin_log_prob=glm.Poisson().log_prob(y, r),
        gamma=gamma(jnp.abs(r)),
        gamma_log_prob=gamma.log_prob(y + 0.5, jnp.abs(r)),
    )


@pytest.fixture(scope="module")
def values():
    return _custom_values(R)


def test_custom_family_reproduces_builtin_poisson(values):
    for custom, builtin in zip(values["custom"], values["builtin"], strict=True):
        np.testing.assert_allclose(custom, builtin, rtol=1e-14)
    np.testing.assert_allclose(values["custom_log_prob"], values["builtin_log_prob"], rtol=1e-14)


def test_bijector_like_inverse_link(values):
    for custom, builtin in zip(values["bijector"], values["builtin"], strict=True):
        np.testing.assert_allclose(custom, builtin, rtol=1e-14)


def test_custom_gamma_inverse_link_against_closed_forms_and_scipy(values):
    r = np.abs(R)
    mean, variance, grad_mean = values["gamma"]
    np.testing.assert_allclose(mean, 1 / r, rtol=1e-14)
    np.testing.assert_allclose(grad_mean, -1 / r**2, rtol=1e-14)
    np.testing.assert_allclose(variance, (1 / r) ** 2 / 2.0, rtol=1e-14)
    y = np.array([0.0, 1.0, 2.0, 5.0]) + 0.5
    expected = scipy.stats.gamma(a=2.0, scale=1 / (2.0 * r)).logpdf(y)
    np.testing.assert_allclose(values["gamma_log_prob"], expected, rtol=1e-12)


def test_custom_family_functions_are_static_pytree_data():
    family = glm.CustomExponentialFamily(_gamma_inverse, jnp.reciprocal, name="gamma_inverse")
    leaves, treedef = jax.tree_util.tree_flatten(family)
    assert leaves == []
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert rebuilt.distribution_fn is _gamma_inverse and rebuilt.linear_model_to_mean_fn is jnp.reciprocal
    assert (
        rebuilt.name == "gamma_inverse"
        and repr(rebuilt) == "<probax.glm.CustomExponentialFamily 'gamma_inverse'>"
    )


def test_default_name_and_flags():
    family = glm.CustomExponentialFamily(_gamma_inverse, jnp.reciprocal)
    assert family.name == "custom_exponential_family"
    assert not family.is_canonical and family.fixed_dispersion


def test_log_prob_promotes_integer_responses():
    log_prob = glm.Poisson().log_prob(np.array([0, 3]), np.array([0.0, 1.0], np.float32))
    assert log_prob.dtype == jnp.float32
    np.testing.assert_allclose(log_prob, scipy.stats.poisson([1.0, np.e]).logpmf([0, 3]), rtol=1e-6)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [((42, jnp.exp), "distribution_fn"), ((_gamma_inverse, "exp"), "linear_model_to_mean_fn")],
)
def test_custom_family_rejects_non_callables(arguments, match):
    with pytest.raises(ValueError, match=match):
        glm.CustomExponentialFamily(*arguments)


def test_base_class_without_distribution_raises():
    class Incomplete(glm.ExponentialFamily):
        pass

    with pytest.raises(NotImplementedError, match="Incomplete"):
        Incomplete()(np.zeros(2))
    with pytest.raises(TypeError, match="unexpected parameters"):
        Incomplete(scale=1.0)
