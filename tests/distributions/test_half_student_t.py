import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.special as sp
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


class _HalfT:
    """Reference half-t on [loc, inf) built from scipy's t and incomplete beta functions (float64).

    With y = t^2 / (df + t^2): cdf = I_y(1/2, df/2) and sf = I_{1-y}(df/2, 1/2); each is evaluated
    at its own argument and the smaller one is trusted, the other taken as its complement.
    """

    def __init__(self, df, loc, scale):
        self.df, self.loc, self.scale = (np.asarray(v, np.float64) for v in (df, loc, scale))

    def _t(self, x):
        return (np.asarray(x, np.float64) - self.loc) / self.scale

    def logpdf(self, x):
        t = self._t(x)
        return np.where(t >= 0, np.log(2) + scipy.stats.t.logpdf(t, self.df) - np.log(self.scale), -np.inf)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def _cdf_sf(self, x):
        s2 = np.maximum(self._t(x), 0) ** 2 / self.df
        cdf = sp.betainc(0.5, self.df / 2, s2 / (1 + s2))
        sf = sp.betainc(self.df / 2, 0.5, 1 / (1 + s2))
        trust_sf = sf < cdf
        return np.where(trust_sf, 1 - sf, cdf), np.where(trust_sf, sf, 1 - cdf)

    def cdf(self, x):
        return self._cdf_sf(x)[0]

    def sf(self, x):
        return self._cdf_sf(x)[1]

    def logcdf(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.cdf(x))

    def logsf(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.sf(x))

    def ppf(self, p):
        p, df = np.broadcast_arrays(np.asarray(p, np.float64), self.df)
        # Solve for whichever of y and 1 - y has the smaller probability, given exactly.
        y = sp.betaincinv(0.5, df / 2, p)
        x = sp.betaincinv(df / 2, 0.5, 1 - p)
        with np.errstate(divide="ignore"):
            ratio = np.where(p < 0.5, y / (1 - y), (1 - x) / x)
        return self.loc + self.scale * np.sqrt(df * ratio)

    def _raw_moment(self, k):
        """E|T|^k = df^(k/2) Gamma((k+1)/2) Gamma((df-k)/2) / (sqrt(pi) Gamma(df/2)), for df > k."""
        df = self.df
        with np.errstate(invalid="ignore"):
            log_m = (k / 2) * np.log(df) + sp.gammaln((k + 1) / 2)
            log_m = log_m + sp.gammaln((df - k) / 2) - sp.gammaln(df / 2)
        return np.where(df > k, np.exp(log_m - 0.5 * np.log(np.pi)), np.inf)

    def mean(self):
        return np.where(self.df > 1, self.loc + self.scale * self._raw_moment(1), np.nan)

    def var(self):
        m1, m2 = self._raw_moment(1), self._raw_moment(2)
        with np.errstate(invalid="ignore"):
            v = self.scale**2 * (m2 - m1**2)
        return np.where(self.df > 2, v, np.where(self.df > 1, np.inf, np.nan))

    def std(self):
        return np.sqrt(self.var())

    def stats(self, moments="mv"):
        m1, m2, m3, m4 = (self._raw_moment(k) for k in (1, 2, 3, 4))
        with np.errstate(invalid="ignore"):
            mu2 = m2 - m1**2
            mu4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
            kurtosis = np.where(self.df > 4, mu4 / mu2**2 - 3, np.nan)
        values = {"m": self.mean(), "v": self.var(), "k": kurtosis}
        return tuple(values[c] for c in moments)

    def entropy(self):
        return scipy.stats.t(self.df, 0, self.scale).entropy() - np.log(2) + 0 * self.loc


CASES = [
    OracleCase(
        name="half_student_t_heavy",
        make=tfd.HalfStudentT,
        reference=_HalfT,
        # The finite-difference gradient check steps loc by 1e-6 |loc|: the lowest test point must
        # stay further than that from loc, which a scale of 1e-3 with loc = -1.5 would not.
        params=dict(df=np.array([0.8, 1.5, 7.0]), loc=np.array([0.0, -1.5, 300.0]),
                    scale=np.array([1.0, 0.05, 40.0])),
        expected_mode=lambda df, loc, scale: loc,
        wide=dict(
            df=st.floats(0.05, 1e5),
            loc=st.floats(-1e6, 1e6),
            scale=st.floats(1e-30, 1e30).filter(lambda s: s > 0),
        ),
        reparameterized_params=("loc", "scale"),
    ),
    OracleCase(
        name="half_student_t_light",
        make=tfd.HalfStudentT,
        reference=_HalfT,
        params=dict(df=np.array([2.5, 40.0, 3e3]), loc=np.array([1.0, 0.0, -20.0]),
                    scale=np.array([2.0, 1.0, 0.5])),
        expected_mode=lambda df, loc, scale: loc,
        reparameterized_params=("loc", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="df"):
        tfd.HalfStudentT(-1.0, 0.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="scale"):
        tfd.HalfStudentT(3.0, 0.0, 0.0, validate_args=True)


def test_below_support():
    d = tfd.HalfStudentT(3.0, np.array([1.0, -2.0]), 2.0)
    x = np.array([0.999, -7.0])
    assert np.all(d.log_prob(x) == -np.inf)
    np.testing.assert_array_equal(d.cdf(x), 0.0)
    np.testing.assert_array_equal(d.log_cdf(x), -np.inf)
    np.testing.assert_array_equal(d.survival_function(x), 1.0)
    np.testing.assert_array_equal(d.log_survival_function(x), 0.0)
    with pytest.raises(ValueError, match="support"):
        tfd.HalfStudentT(3.0, 1.0, 1.0, validate_args=True).log_prob(0.5)


def test_moments_and_entropy_by_quadrature():
    df, loc, scale = 5.5, -1.0, 2.0
    ref = _HalfT(df, loc, scale)
    d = tfd.HalfStudentT(df, loc, scale)
    mean = scipy.integrate.quad(lambda x: x * ref.pdf(x), loc, np.inf, epsrel=1e-12)[0]
    second = scipy.integrate.quad(lambda x: (x - mean) ** 2 * ref.pdf(x), loc, np.inf, epsrel=1e-12)[0]
    entropy = scipy.integrate.quad(lambda x: -ref.pdf(x) * ref.logpdf(x), loc, np.inf, epsrel=1e-12)[0]
    np.testing.assert_allclose(d.mean(), mean, rtol=1e-9)
    np.testing.assert_allclose(d.variance(), second, rtol=1e-9)
    np.testing.assert_allclose(d.entropy(), entropy, rtol=1e-9)


def test_undefined_statistics():
    d = tfd.HalfStudentT(np.array([0.5, 1.0, 1.5, 2.0]), 1.0, 2.0)
    assert np.all(np.isnan(np.asarray(d.mean()[:2])))
    assert np.all(np.isfinite(np.asarray(d.mean()[2:])))
    np.testing.assert_array_equal(d.variance(), [np.nan, np.nan, np.inf, np.inf])


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tails_and_quantile(dtype):
    df = np.array([0.5, 3.0, 50.0], dtype)
    d = tfd.HalfStudentT(df, dtype(0.0), dtype(1.0))
    ref = _HalfT(df.astype(np.float64), 0.0, 1.0)
    x = np.array([1e30], dtype)[:, None]
    # sf(t) = pdf(t) t / df (1 + O(1 / t^2)) far out (scipy's own logsf underflows for df = 50).
    log_tail = ref.logpdf(1e30) + np.log(1e30 / ref.df)
    np.testing.assert_allclose(d.log_survival_function(x)[0], log_tail, rtol=1e-5)
    np.testing.assert_allclose(d.log_cdf(np.array([1e-20], dtype)[:, None])[0], ref.logcdf(1e-20), rtol=1e-5)
    p = np.array([1e-30, 1e-6, 0.5, 1 - 2.0**-20], dtype)[:, None]
    expected = scipy.stats.t.isf((1 - p.astype(np.float64)) / 2, ref.df)
    # (1 - p) / 2 rounds to 1/2 at p = 1e-30: solve I_y(1/2, df/2) = p for y = t^2 / (df + t^2) instead.
    y = sp.betaincinv(0.5, ref.df / 2, 1e-30)
    expected[0] = np.sqrt(ref.df * y / (1 - y))
    rtol = 1e-5 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(d.quantile(p), expected, rtol=rtol)
    assert np.all(np.isfinite(jax.grad(lambda v: jnp.sum(tfd.HalfStudentT(v, 0.0, 1.0).log_prob(x)))(df)))


@pytest.mark.slow
def test_quantile_gradient():
    d = tfd.HalfStudentT(np.array([0.5, 3.0, 300.0]), 1.0, 2.0)
    p = np.array([0.0, 1e-6, 0.3, 0.9])
    for i in range(3):
        gradient = jax.vmap(jax.grad(d[i].quantile))(p)
        np.testing.assert_allclose(gradient, 1 / d[i].prob(d[i].quantile(p)), rtol=1e-8)
