"""Each `tfp.glm` family against closed forms, autodiff and `scipy.stats`.

Oracles: the inverse link written with numpy/scipy, `jax.grad` of the family's own mean for
`grad_mean` (the closed forms must agree with differentiation), and scipy's distributions
at that mean for the variance and the log-likelihood.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import glm

LINEAR_RESPONSE = np.array([-2.0, -0.5, 0.3, 1.5])


def softplus(r):
    return np.logaddexp(0.0, r)


@dataclasses.dataclass(frozen=True)
class FamilyCase:
    """A family, its inverse link in numpy and scipy's response distribution at linear response r."""

    name: str
    family: Any
    inverse_link: Callable[[np.ndarray], np.ndarray]
    scipy_distribution: Callable[[np.ndarray], Any]
    responses: np.ndarray
    default_name: str
    is_canonical: bool = False
    fixed_dispersion: bool = True
    dispersion: float = 1.0

    def __str__(self) -> str:
        return self.name


BINOMIAL_TRIALS = np.array([5.0, 10.0, 20.0, 7.0])
LOG_SCALE = 0.8
CASES = [
    FamilyCase(
        "bernoulli",
        glm.Bernoulli(),
        scipy.special.expit,
        lambda r: scipy.stats.bernoulli(scipy.special.expit(r)),
        np.array([0.0, 1.0, 1.0, 0.0]),
        "bernoulli",
        is_canonical=True,
    ),
    FamilyCase(
        "bernoulli_normal_cdf",
        glm.BernoulliNormalCDF(),
        scipy.stats.norm.cdf,
        lambda r: scipy.stats.bernoulli(scipy.stats.norm.cdf(r)),
        np.array([1.0, 0.0, 1.0, 0.0]),
        "bernoulli_normal_cdf",
    ),
    FamilyCase(
        "binomial",
        glm.Binomial(total_count=BINOMIAL_TRIALS),
        lambda r: BINOMIAL_TRIALS * scipy.special.expit(r),
        lambda r: scipy.stats.binom(BINOMIAL_TRIALS, scipy.special.expit(r)),
        np.array([0.0, 4.0, 12.0, 7.0]),
        "binomial",
        is_canonical=True,
    ),
    FamilyCase(
        "poisson",
        glm.Poisson(),
        np.exp,
        lambda r: scipy.stats.poisson(np.exp(r)),
        np.array([0.0, 1.0, 3.0, 6.0]),
        "poisson",
        is_canonical=True,
    ),
    FamilyCase(
        "poisson_softplus",
        glm.PoissonSoftplus(),
        softplus,
        lambda r: scipy.stats.poisson(softplus(r)),
        np.array([0.0, 1.0, 3.0, 6.0]),
        "poisson_softplus",
    ),
    FamilyCase(
        "normal",
        glm.Normal(scale=1.5),
        lambda r: r,
        lambda r: scipy.stats.norm(r, 1.5),
        np.array([-1.0, 0.2, 0.4, 3.0]),
        "normal",
        is_canonical=True,
        fixed_dispersion=False,
        dispersion=1.5**2,
    ),
    FamilyCase(
        "normal_reciprocal",
        glm.NormalReciprocal(scale=0.5),
        lambda r: 1 / r,
        lambda r: scipy.stats.norm(1 / r, 0.5),
        np.array([-1.0, -1.5, 2.0, 0.5]),
        "normal_reciprocal",
        fixed_dispersion=False,
    ),
    FamilyCase(
        "lognormal",
        glm.LogNormal(scale=LOG_SCALE),
        np.exp,
        lambda r: scipy.stats.lognorm(s=LOG_SCALE, scale=np.exp(r - LOG_SCALE**2 / 2)),
        np.array([0.1, 0.9, 1.2, 7.0]),
        "log_normal",
        fixed_dispersion=False,
    ),
    FamilyCase(
        "lognormal_softplus",
        glm.LogNormalSoftplus(scale=LOG_SCALE),
        softplus,
        lambda r: scipy.stats.lognorm(s=LOG_SCALE, scale=softplus(r) * np.exp(-(LOG_SCALE**2) / 2)),
        np.array([0.1, 0.9, 1.2, 7.0]),
        "log_normal_softplus",
        fixed_dispersion=False,
    ),
    FamilyCase(
        "gamma_exp",
        glm.GammaExp(concentration=2.5),
        lambda r: 2.5 * np.exp(r),
        lambda r: scipy.stats.gamma(a=2.5, scale=np.exp(r)),
        np.array([0.1, 0.9, 1.2, 7.0]),
        "gamma_exp",
        fixed_dispersion=False,
    ),
    FamilyCase(
        "gamma_softplus",
        glm.GammaSoftplus(concentration=2.5),
        lambda r: 2.5 * softplus(r),
        lambda r: scipy.stats.gamma(a=2.5, scale=softplus(r)),
        np.array([0.1, 0.9, 1.2, 7.0]),
        "gamma_softplus",
        fixed_dispersion=False,
    ),
    # scipy's nbinom(n, q) counts successes before the n-th failure... with success probability 1 - q:
    # TFP's probs = mean / (mean + total_count) is scipy's 1 - q.
    FamilyCase(
        "negative_binomial",
        glm.NegativeBinomial(total_count=3.5),
        np.exp,
        lambda r: scipy.stats.nbinom(3.5, 3.5 / (3.5 + np.exp(r))),
        np.array([0.0, 2.0, 1.0, 9.0]),
        "negative_binomial",
    ),
    FamilyCase(
        "negative_binomial_softplus",
        glm.NegativeBinomialSoftplus(total_count=3.5),
        softplus,
        lambda r: scipy.stats.nbinom(3.5, 3.5 / (3.5 + softplus(r))),
        np.array([0.0, 2.0, 1.0, 9.0]),
        "negative_binomial_softplus",
    ),
]


def _moments_and_log_prob(family, r, y):
    mean, variance, grad_mean = family(r)
    # The mean is elementwise, so the gradient of its sum is the elementwise derivative.
    autodiff_grad = jax.grad(lambda t: jnp.sum(family(t)[0]))(r)
    distribution = family.as_distribution(r)
    return dict(
        mean=mean,
        variance=variance,
        grad_mean=grad_mean,
        autodiff_grad=autodiff_grad,
        distribution_mean=distribution.mean(),
        distribution_variance=distribution.variance(),
        log_prob=family.log_prob(y, r),
    )


def _moments_and_log_prob_float32(family, r, y):
    mean, variance, grad_mean = family(r)
    return dict(mean=mean, variance=variance, grad_mean=grad_mean, log_prob=family.log_prob(y, r))


@jax.jit
def _all_cases(families, responses):
    # One compiled program for every family and both dtypes: compilation dominates this file's time.
    return [
        (
            _moments_and_log_prob(f, LINEAR_RESPONSE, y),
            _moments_and_log_prob_float32(f, LINEAR_RESPONSE.astype(np.float32), y.astype(jnp.float32)),
        )
        for f, y in zip(families, responses, strict=True)
    ]


@pytest.fixture(scope="module")
def all_values():
    values = _all_cases(tuple(c.family for c in CASES), tuple(c.responses for c in CASES))
    return {case.name: value for case, value in zip(CASES, values, strict=True)}


@pytest.fixture(params=CASES, ids=str)
def case_and_values(request, all_values):
    return request.param, all_values[request.param.name][0]


def test_mean_is_the_inverse_link(case_and_values):
    case, values = case_and_values
    np.testing.assert_allclose(values["mean"], case.inverse_link(LINEAR_RESPONSE), rtol=1e-13)


def test_grad_mean_matches_autodiff(case_and_values):
    _, values = case_and_values
    np.testing.assert_allclose(values["grad_mean"], values["autodiff_grad"], rtol=1e-13)


def test_mean_and_variance_match_scipy(case_and_values):
    case, values = case_and_values
    reference = case.scipy_distribution(LINEAR_RESPONSE)
    np.testing.assert_allclose(values["mean"], reference.mean(), rtol=1e-12)
    np.testing.assert_allclose(values["variance"], reference.var(), rtol=1e-12)


def test_as_distribution_has_the_family_moments(case_and_values):
    _, values = case_and_values
    np.testing.assert_allclose(values["distribution_mean"], values["mean"], rtol=1e-12)
    np.testing.assert_allclose(values["distribution_variance"], values["variance"], rtol=1e-12)


def test_log_prob_matches_scipy(case_and_values):
    case, values = case_and_values
    reference = case.scipy_distribution(LINEAR_RESPONSE)
    expected = (
        reference.logpmf(case.responses) if hasattr(reference, "logpmf") else reference.logpdf(case.responses)
    )
    np.testing.assert_allclose(values["log_prob"], expected, rtol=1e-10)


def test_declared_properties(case_and_values):
    case, values = case_and_values
    assert case.family.name == case.default_name
    assert case.family.fixed_dispersion == case.fixed_dispersion
    assert type(case.family).is_canonical == case.is_canonical
    # A canonical link makes grad_mean = variance / dispersion (so the Fisher information is the
    # observed information); the non-canonical families differ somewhere on the grid.
    matches = np.allclose(values["grad_mean"] * case.dispersion, values["variance"], rtol=1e-13)
    assert matches == case.is_canonical


def test_default_parameters_are_tfps():
    # LogNormal's default log-scale sqrt(log 2) makes the variance mean**2 (the variance formula
    # itself is checked against scipy above at another scale).
    assert glm.LogNormal().scale == glm.LogNormalSoftplus().scale == np.sqrt(np.log(2.0))
    assert glm.Normal().scale == glm.NormalReciprocal().scale == 1.0
    assert glm.Binomial().total_count == glm.NegativeBinomial().total_count == 1.0
    assert glm.GammaExp().concentration == glm.GammaSoftplus().concentration == 1.0


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_stays_float32(case, all_values):
    values64, values32 = all_values[case.name]
    for key, value in values32.items():
        assert value.dtype == jnp.float32, key
        np.testing.assert_allclose(value, values64[key], rtol=2e-5, atol=1e-6, err_msg=key)


def test_per_observation_parameter_against_batched_linear_response():
    # total_count of shape [N] against a batch [B, N] of linear responses (explicit rank alignment).
    family = glm.Binomial(total_count=BINOMIAL_TRIALS)
    r = np.stack([LINEAR_RESPONSE, -LINEAR_RESPONSE])
    mean, _, _ = family(r)
    np.testing.assert_allclose(mean, BINOMIAL_TRIALS * scipy.special.expit(r), rtol=1e-13)


def test_families_are_pytrees_with_parameters_as_leaves():
    family = glm.NegativeBinomial(total_count=2.0, name="counts")
    leaves, treedef = jax.tree_util.tree_flatten(family)
    assert leaves == [2.0]
    rebuilt = jax.tree_util.tree_unflatten(treedef, [5.0])
    assert (
        isinstance(rebuilt, glm.NegativeBinomial) and rebuilt.total_count == 5.0 and rebuilt.name == "counts"
    )
    # vmap over the family's parameter: one mean-variance curve per total_count.
    variances = jax.vmap(lambda n: glm.NegativeBinomial(total_count=n)(jnp.zeros(3))[1])(
        jnp.array([1.0, 4.0])
    )
    np.testing.assert_allclose(variances, [[2.0] * 3, [1.25] * 3])


def test_families_are_immutable():
    family = glm.Poisson()
    with pytest.raises(AttributeError, match="immutable"):
        family.name = "other"
