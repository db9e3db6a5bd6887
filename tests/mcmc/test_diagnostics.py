"""TFP-signature effective_sample_size and potential_scale_reduction: closed forms and formulas.

(By hand, against TFP on JAX: every option agrees to 5e-16 in float64 and 3e-7 in float32.)
"""

import collections

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import signal

from probax.mcmc.diagnostics import effective_sample_size, potential_scale_reduction

RNG = np.random.default_rng(7)
RHO = 0.6
NUM_DRAWS, NUM_CHAINS = 4000, 16
AR1_ESS = NUM_DRAWS * (1 - RHO) / (1 + RHO)


def ar1(rho, shape, rng=RNG):
    """Stationary AR(1) draws with unit variance along axis 0."""
    noise = rng.normal(size=shape)
    noise[0] /= np.sqrt(1 - rho**2)
    return signal.lfilter([np.sqrt(1 - rho**2)], [1, -rho], noise, axis=0)


AR1 = ar1(RHO, (NUM_DRAWS, NUM_CHAINS))
IID = RNG.normal(size=(NUM_DRAWS, NUM_CHAINS))


def _within(values, expected, relative_error):
    return abs(np.mean(values) / expected - 1) < relative_error


@pytest.mark.parametrize(
    "options",
    [{}, {"filter_beyond_positive_pairs": True}, {"filter_beyond_lag": 40, "filter_threshold": None}],
    ids=str,
)
def test_ar1_per_chain_matches_the_closed_form(options):
    # ESS = n (1 - rho) / (1 + rho). Each chain's estimate has an 8% sd here (13% when summing 40 lags
    # without truncation), so the mean of 16 chains has 2% (3%).
    ess = np.asarray(effective_sample_size(AR1, **options))
    assert ess.shape == (NUM_CHAINS,)
    assert _within(ess, AR1_ESS, 0.06)
    assert _within(np.asarray(effective_sample_size(IID, **options)), NUM_DRAWS, 0.06)


def test_cross_chain_ess_counts_all_chains():
    ess = effective_sample_size(AR1[:, None, :], cross_chain_dims=[1, 2])
    assert ess.shape == ()
    assert _within(ess, NUM_CHAINS * AR1_ESS, 0.06)


def test_cross_chain_ess_drops_when_chains_disagree():
    shifted = IID + np.linspace(0, 1, NUM_CHAINS)
    agreeing = float(effective_sample_size(IID, cross_chain_dims=1))
    disagreeing = float(effective_sample_size(shifted, cross_chain_dims=1))
    assert _within(agreeing, NUM_CHAINS * NUM_DRAWS, 0.06)
    assert disagreeing < 0.1 * agreeing
    # Each chain alone still looks iid: only the between-chain variance can see the shift.
    assert _within(np.asarray(effective_sample_size(shifted)), NUM_DRAWS, 0.06)


def _ess_by_formula(x, threshold):
    """ESS of one chain by TFP's definition, with direct sums instead of an FFT."""
    n = len(x)
    centered = x - x.mean()
    cov = np.array([centered[: n - k] @ centered[k:] / (n - k) for k in range(n)])
    rho = cov / cov[0]
    cut = np.argmax(rho < threshold) if np.any(rho < threshold) else n
    k = np.arange(cut)
    return n / (-1 + 2 * np.sum((n - k) / n * rho[:cut]))


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_matches_the_definition_in_both_precisions(dtype, rtol):
    x = AR1[:300, :2].astype(dtype)
    ess = effective_sample_size(jnp.asarray(x), filter_threshold=0.1)
    assert ess.dtype == dtype
    expected = [_ess_by_formula(AR1[:300, c], 0.1) for c in range(2)]
    np.testing.assert_allclose(ess, expected, rtol=rtol)


def test_structures_and_per_state_options():
    State = collections.namedtuple("State", ["a", "b"])
    states = State(a=AR1[:, 0], b=AR1[:, :4])
    ess = effective_sample_size(states, cross_chain_dims=State(None, 1), filter_beyond_lag=State(None, 30))
    assert isinstance(ess, State) and ess.a.shape == () and ess.b.shape == ()
    np.testing.assert_allclose(ess.a, effective_sample_size(AR1[:, 0]), rtol=1e-12)
    np.testing.assert_allclose(
        ess.b, effective_sample_size(AR1[:, :4], cross_chain_dims=1, filter_beyond_lag=30), rtol=1e-12
    )
    by_dict = effective_sample_size({"x": AR1[:, :2], "y": IID[:, :3]})
    assert by_dict["x"].shape == (2,) and by_dict["y"].shape == (3,)


def test_jit_and_vmap():
    options = {"filter_beyond_positive_pairs": True, "cross_chain_dims": 1}
    ess_fn = jax.jit(lambda s: effective_sample_size(s, **options))
    x = jnp.asarray(AR1[:500, :4])
    eager = effective_sample_size(x, **options)
    np.testing.assert_allclose(ess_fn(x), eager, rtol=1e-12)
    per_chain = jax.vmap(effective_sample_size, in_axes=1)(x)
    np.testing.assert_allclose(per_chain, effective_sample_size(x), rtol=1e-12)


def test_ess_argument_errors():
    with pytest.raises(ValueError, match="more than 1 chain"):
        effective_sample_size(AR1[:, :1], cross_chain_dims=1)
    with pytest.raises(ValueError, match="cross_chain_dims must name distinct chain axes"):
        effective_sample_size(AR1, cross_chain_dims=0)


def _rhat_by_formula(x):
    """Brooks-Gelman corrected R-hat of draws (n, m): ((m + 1) / m) sigma2_plus / W - (n - 1) / (m n)."""
    n, m = x.shape
    w = x.var(axis=0, ddof=1).mean()
    b_div_n = x.mean(axis=0).var(ddof=1)
    return (m + 1) / m * ((n - 1) / n * w + b_div_n) / w - (n - 1) / (m * n)


def test_potential_scale_reduction_matches_brooks_and_gelman():
    shifted = IID[:1000, :4] + np.array([0.0, 0.0, 0.3, 0.6])
    np.testing.assert_allclose(potential_scale_reduction(shifted), _rhat_by_formula(shifted), rtol=1e-12)
    assert potential_scale_reduction(shifted) > 1.05
    assert abs(float(potential_scale_reduction(IID)) - 1) < 0.01
    # Splitting: a chain's halves become two chains (an odd last draw is dropped).
    trend = IID[:1001, :2] + np.linspace(0, 2, 1001)[:, None]
    halves = np.concatenate([trend[:500], trend[500:1000]], axis=1)
    np.testing.assert_allclose(
        potential_scale_reduction(trend, split_chains=True), _rhat_by_formula(halves), rtol=1e-12
    )
    assert potential_scale_reduction(trend, split_chains=True) > 1.1 > potential_scale_reduction(trend)


def test_potential_scale_reduction_shapes_dtypes_and_errors():
    x = RNG.normal(size=(100, 2, 3, 5)).astype(np.float32)
    result = potential_scale_reduction({"x": x, "y": x[..., 0]}, independent_chain_ndims=2)
    assert result["x"].shape == (5,) and result["x"].dtype == np.float32 and result["y"].shape == ()
    np.testing.assert_allclose(result["x"][0], _rhat_by_formula(x[..., 0].reshape(100, 6)), rtol=1e-5)
    assert jax.jit(potential_scale_reduction)(jnp.asarray(x))[0, 0] == pytest.approx(
        float(potential_scale_reduction(x)[0, 0]), rel=1e-6
    )
    with pytest.raises(ValueError, match="independent_chain_ndims must be >= 1"):
        potential_scale_reduction(x, independent_chain_ndims=0)
    with pytest.raises(ValueError, match="at least 4 draws"):
        potential_scale_reduction(x[:3], split_chains=True)
