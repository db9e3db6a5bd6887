import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


class _TfpMoments:
    """scipy's t, with TFP's convention that the mean is NaN (not scipy's inf) for df <= 1."""

    def __init__(self, df, loc, scale):
        self._frozen = scipy.stats.t(df, loc, scale)
        self._df = np.asarray(df)

    def __getattr__(self, name):
        return getattr(self._frozen, name)

    def mean(self):
        return np.where(self._df > 1, self._frozen.mean(), np.nan)


_WIDE = dict(
    df=st.floats(0.05, 1e5),
    loc=st.floats(-1e6, 1e6),
    scale=st.floats(1e-30, 1e30).filter(lambda s: s > 0),
)

CASES = [
    OracleCase(
        # df <= 1: no mean; 1 < df <= 2: infinite variance.
        name="student_t_heavy",
        make=tfd.StudentT,
        reference=_TfpMoments,
        params=dict(df=np.array([0.8, 1.5, 7.0]), loc=np.array([0.0, -1.5, 300.0]),
                    scale=np.array([1.0, 1e-3, 40.0])),
        expected_mode=lambda df, loc, scale: loc,
        wide=_WIDE,
        reparameterized_params=("loc", "scale"),
    ),
    OracleCase(
        name="student_t_light",
        make=tfd.StudentT,
        reference=_TfpMoments,
        params=dict(df=np.array([2.5, 40.0, 3e3]), loc=np.array([1.0, 0.0, -20.0]),
                    scale=np.array([2.0, 1.0, 0.5])),
        expected_mode=lambda df, loc, scale: loc,
        reparameterized_params=("loc", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="df"):
        tfd.StudentT(0.0, 0.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="scale"):
        tfd.StudentT(3.0, 0.0, -1.0, validate_args=True)


def test_undefined_statistics():
    d = tfd.StudentT(np.array([0.5, 1.0, 1.5, 2.0, 3.0]), 1.0, 2.0)
    np.testing.assert_array_equal(d.mean(), [np.nan, np.nan, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(d.variance(), [np.nan, np.nan, np.inf, np.inf, 12.0])
    np.testing.assert_array_equal(d.stddev(), [np.nan, np.nan, np.inf, np.inf, np.sqrt(12.0)])
    with pytest.raises(ValueError, match="undefined"):
        tfd.StudentT(1.0, 0.0, 1.0, allow_nan_stats=False).mean()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tails_finite(dtype):
    df = np.array([0.5, 3.0, 50.0], dtype)
    d = tfd.StudentT(df, dtype(0.0), dtype(1.0))
    x = np.array([1e30], dtype)[:, None]
    # sf(t) = pdf(t) t / df (1 + O(1 / t^2)) far out (scipy's own logsf underflows for df = 50).
    log_tail = scipy.stats.t.logpdf(1e30, df.astype(np.float64)) + np.log(1e30 / df.astype(np.float64))
    np.testing.assert_allclose(d.log_survival_function(x)[0], log_tail, rtol=1e-5)
    np.testing.assert_allclose(d.log_cdf(-x)[0], log_tail, rtol=1e-5)
    np.testing.assert_allclose(d.log_prob(x)[0], scipy.stats.t.logpdf(1e30, df.astype(np.float64)), rtol=1e-5)
    assert np.all(np.isfinite(jax.grad(lambda v: jnp.sum(tfd.StudentT(v, 0.0, 1.0).log_prob(x)))(df)))


def _precise_ppf(p, df):
    # scipy's t.ppf loses digits near p = 1/2; invert the incomplete beta function on whichever
    # side keeps the small quantity exact: P[|T| > |t|] = 2 min(p, 1 - p) = I_x(df/2, 1/2) with
    # x = df / (df + t^2), or P[|T| <= |t|] = 1 - 2 min(p, 1 - p) = I_y(1/2, df/2), y = 1 - x.
    p, df = np.broadcast_arrays(p, df)
    tail = np.minimum(p, 1 - p)
    outer = 2 * tail < 0.5
    x = scipy.special.betaincinv(df / 2, 0.5, 2 * tail)
    y = scipy.special.betaincinv(0.5, df / 2, 1 - 2 * tail)
    with np.errstate(divide="ignore"):
        magnitude = np.sqrt(df * np.where(outer, (1 - x) / x, y / (1 - y)))
    return np.where(p < 0.5, -magnitude, magnitude)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantile_precision(dtype):
    # Near p = 1/2 (t ~ 0) and deep in both tails, over small and large df.
    df = np.array([0.3, 1.0, 4.0, 1e3], dtype)
    p = np.array([1e-12, 1e-6, 0.3, 0.5 - 2.0**-20, 0.5, 0.5 + 2.0**-20, 0.9, 1 - 2.0**-20], dtype)[:, None]
    d = tfd.StudentT(df, dtype(0.0), dtype(1.0))
    expected = _precise_ppf(p.astype(np.float64), df.astype(np.float64))
    rtol = 1e-5 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(d.quantile(p), expected, rtol=rtol)
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 0.5, 1.0], dtype)[:, None]),
                                  np.array([-np.inf, 0.0, np.inf])[:, None] * np.ones_like(df))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantile_inverts_log_cdf_far_out(dtype):
    # Beyond where scipy's ppf is reliable: log_cdf(quantile(p)) = log p, for tiny p.
    # (Smaller df would put these quantiles beyond the largest float.)
    df = np.array([1.0, 4.0, 50.0, 1e3, 1e5], dtype)
    log_p = np.array([-30.0, -80.0] if dtype == np.float32 else [-30.0, -200.0, -700.0])[:, None]
    d = tfd.StudentT(df, dtype(0.0), dtype(1.0))
    x = d.quantile(np.exp(log_p).astype(dtype))
    assert np.all(np.isfinite(x)) and np.all(x < 0)
    np.testing.assert_allclose(d.log_cdf(x), log_p * np.ones_like(df), rtol=1e-5)
    np.testing.assert_allclose(d.log_survival_function(-x), log_p * np.ones_like(df), rtol=1e-5)


@pytest.mark.slow
def test_large_df_matches_scipy_float32():
    # float32 betainc loses ~2e-7 * df in its prefactor; the Hill and series forms do not. The
    # tolerance is set by conditioning: d log P / d log t ~ |log P| ~ 46 at P = 1e-20, so float32
    # rounding of the intermediates alone costs ~46 eps there.
    df = np.array([300.0, 3e3, 1e5])
    u = np.array([1e-20, 1e-6, 0.1, 0.45, 0.7, 1 - 1e-6])[:, None]
    x = scipy.stats.t.ppf(u, df).astype(np.float32)
    d = tfd.StudentT(df.astype(np.float32), np.float32(0.0), np.float32(1.0))
    ref = scipy.stats.t(df)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(d.cdf(x), ref.cdf(x64), rtol=2e-5)
    np.testing.assert_allclose(d.log_cdf(x), ref.logcdf(x64), rtol=2e-5)
    np.testing.assert_allclose(d.log_survival_function(x), ref.logsf(x64), rtol=2e-5)
    u32 = u.astype(np.float32)
    np.testing.assert_allclose(d.quantile(u32), _precise_ppf(u32.astype(np.float64), df), rtol=2e-6)


def test_cdf_gradient_is_the_density():
    x = np.array([-30.0, -1.0, 0.0, 1e-20, 0.5, 4.0])
    for df in (0.5, 3.0, 1e3):
        d = tfd.StudentT(df, 0.0, 1.0)
        np.testing.assert_allclose(jax.vmap(jax.grad(d.cdf))(x), d.prob(x), rtol=1e-9)
        np.testing.assert_allclose(jax.vmap(jax.grad(d.survival_function))(x), -d.prob(x), rtol=1e-9)


def test_sample_gradient_in_df_is_unbiased():
    # Draws go through jax.random.loggamma's implicit gradient, so d E[f(X)] / d df is unbiased:
    # for X ~ t(df), E[X^2] = df / (df - 2), whose derivative is -2 / (df - 2)^2.
    df = 10.0

    def second_moment(v):
        return jnp.mean(jnp.square(tfd.StudentT(v, 0.0, 1.0).sample(400_000, seed=1)))

    value, gradient = jax.value_and_grad(second_moment)(df)
    np.testing.assert_allclose(value, df / (df - 2), rtol=2e-2)
    np.testing.assert_allclose(gradient, -2 / (df - 2) ** 2, rtol=0.1)


@pytest.mark.slow
def test_quantile_gradient():
    d = tfd.StudentT(np.array([0.5, 3.0, 300.0]), 1.0, 2.0)
    p = np.array([1e-6, 0.3, 0.5, 0.9])[:, None]
    jacobian = jax.vmap(jax.vmap(jax.grad(lambda q, i: d[i].quantile(q)), (None, 0)), (0, None))(
        p[:, 0], jnp.arange(3)
    )
    np.testing.assert_allclose(jacobian, 1 / d.prob(d.quantile(p)), rtol=1e-8)
    with pytest.raises(NotImplementedError, match="df"):
        jax.grad(lambda v: tfd.StudentT(v, 0.0, 1.0).quantile(0.9))(3.0)
