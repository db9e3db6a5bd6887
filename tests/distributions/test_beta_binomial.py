import decimal
from decimal import Decimal
from fractions import Fraction

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CDF_METHODS = ("cdf", "log_cdf", "survival_function", "log_survival_function", "quantile")

# scipy's ppf points (up to probability 0.999) stay below total_count in every batch member, so the
# finite-difference gradient in total_count stays inside the support.
CASES = [
    OracleCase(
        name="beta_binomial",
        make=tfd.BetaBinomial,
        reference=lambda total_count, concentration1, concentration0: scipy.stats.betabinom(
            total_count, concentration1, concentration0
        ),
        params=dict(
            total_count=np.array([12.0, 150.0, 40.0]),
            concentration1=np.array([0.6, 3.0, 9.0]),
            concentration0=np.array([3.5, 5.0, 6.0]),
        ),
        discrete=True,
        # No closed-form cdf (a 3F2 hypergeometric sum) and TFP defines no mode or entropy.
        missing=(*CDF_METHODS, "entropy", "mode"),
        wide=dict(
            # scipy's betabinom.ppf sums the pmf term by term: keep its test points affordable.
            total_count=st.integers(1, 10**4).map(float),
            concentration1=st.floats(1e-3, 1e6),
            concentration0=st.floats(1e-3, 1e6),
        ),
        wide_methods=("log_prob",),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        (dict(total_count=-1.0, concentration1=1.0, concentration0=1.0), "total_count"),
        (dict(total_count=2.5, concentration1=1.0, concentration0=1.0), "total_count"),
        (dict(total_count=3.0, concentration1=0.0, concentration0=1.0), "concentration1"),
        (dict(total_count=3.0, concentration1=1.0, concentration0=-2.0), "concentration0"),
    ],
)
def test_validate_args_rejects_bad_parameters(kwargs, parameter):
    with pytest.raises(ValueError, match=parameter):
        tfd.BetaBinomial(**kwargs, validate_args=True)


def test_outside_support():
    d = tfd.BetaBinomial(np.array([4.0, 6.0]), 2.0, 3.0)
    assert np.all(np.isneginf(d.log_prob(np.array([[-1.0], [2.5], [7.0]]))))
    assert np.isneginf(d.log_prob(5.0)[0]) and np.isfinite(d.log_prob(5.0)[1])
    with pytest.raises(ValueError, match="support"):
        tfd.BetaBinomial(4.0, 2.0, 3.0, validate_args=True).log_prob(5.0)


def test_log_prob_gradient_outside_support_is_finite():
    def total(c1):
        return jnp.sum(tfd.BetaBinomial(jnp.float64(3.0), c1, 2.0).log_prob(jnp.array([1.0, 5.0])))

    assert np.isfinite(jax.grad(total)(jnp.float64(0.4)))


def test_uniform_special_case():
    # concentration1 = concentration0 = 1 gives the uniform distribution on {0, ..., n}.
    d = tfd.BetaBinomial(np.float64(9.0), 1.0, 1.0)
    np.testing.assert_allclose(d.prob(np.arange(10.0)), 0.1, rtol=1e-12)


_STIRLING = [Fraction(1, 12), Fraction(-1, 360), Fraction(1, 1260), Fraction(-1, 1680), Fraction(1, 1188),
             Fraction(-691, 360360), Fraction(1, 156), Fraction(-3617, 122400)]


def _exact_log_beta(a, b):
    """log B(a, b) in 50-digit decimals, Stirling's series; for a, b >= 8 (truncation error < 1e-16)."""
    with decimal.localcontext() as context:
        context.prec = 50
        a, b = Decimal(a), Decimal(b)
        total, half = a + b, Decimal("0.5")

        def correction(z):
            return sum(Decimal(c.numerator) / Decimal(c.denominator) / z ** (2 * i + 1)
                       for i, c in enumerate(_STIRLING))

        two_pi = 2 * Decimal("3.14159265358979323846264338327950288419716939937510")
        return (two_pi.ln() / 2 + correction(a) + correction(b) - correction(total)
                + (a - half) * (a / total).ln() + (b - half) * (b / total).ln() - half * total.ln())


def _exact_log_prob(n, c1, c0, k):
    value = (-Decimal(n + 1).ln() - _exact_log_beta(n - k + 1, k + 1)
             + _exact_log_beta(k + c1, n - k + c0) - _exact_log_beta(c1, c0))
    return float(value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_counts_and_concentrations(dtype):
    # Large total_count and concentrations: the O(1e7) log-beta terms must not cancel
    # catastrophically. The reference is exact (scipy's betaln is off by ~1e-6 absolute here).
    n, c1, c0 = 1e8, 2e6, 3e7
    d = tfd.BetaBinomial(dtype(n), dtype(c1), dtype(c0))
    k = np.array([6.0e6, 6.25e6, 6.5e6], dtype)
    expected = [_exact_log_prob(n, c1, c0, float(kk)) for kk in k]
    # float32 holds the O(1e7) log-beta terms to an ulp of 1e7, i.e. ~1, no better.
    tolerance = dict(rtol=1e-12, atol=1e-8) if dtype == np.float64 else dict(atol=5.0)
    np.testing.assert_allclose(d.log_prob(k), expected, **tolerance)


def test_sample_shape_and_dtype():
    d = tfd.BetaBinomial(np.array([3.0, 50.0], np.float32), np.float32(1e-3), np.float32(0.5))
    draws = np.asarray(d.sample((4, 5), seed=0))
    assert draws.shape == (4, 5, 2) and draws.dtype == np.float32
    assert np.all((draws >= 0) & (draws <= np.array([3.0, 50.0])) & (draws == np.floor(draws)))
    assert d.reparameterization_type == tfd.NOT_REPARAMETERIZED
