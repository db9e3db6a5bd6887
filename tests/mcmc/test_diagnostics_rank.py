"""Rank-normalized diagnostics and HDI against ArviZ (arviz-stats, the statistics of ArviZ 1.x)."""

import numpy as np
import pytest
from arviz_stats.base import array_stats
from scipy import signal

from probax.mcmc import rank_diagnostics as rd
from probax.mcmc.hdi import hdi

RNG = np.random.default_rng(20260601)


def ar1(rho, shape, rng=RNG):
    """Stationary AR(1) draws with unit variance along axis 1 of `shape` (chain, draw, ...)."""
    noise = rng.normal(size=shape)
    noise[:, 0] /= np.sqrt(1 - rho**2)
    return signal.lfilter([np.sqrt(1 - rho**2)], [1, -rho], noise, axis=1)


def _draw_sets():
    ties = RNG.integers(0, 3, size=(4, 1000, 1)).astype(float)
    return {
        "iid": RNG.normal(size=(4, 1000, 3)),
        "ar1": ar1(0.95, (4, 1000, 3)),
        "heavy": RNG.standard_t(1.5, size=(4, 1000, 3)),
        "shifted": RNG.normal(size=(4, 1000, 3)) + 0.7 * np.arange(4)[:, None, None],
        "odd_draws": ar1(0.5, (3, 777, 2)),
        "scalar_param": RNG.normal(size=(2, 64)),
        "constant": np.concatenate(
            [np.full((4, 1000, 1), 2.5), 1 + 1e-9 * RNG.normal(size=(4, 1000, 1)), ties], axis=-1
        ),
        "float32": ar1(0.8, (4, 500, 2)).astype(np.float32),
    }


DRAW_SETS = _draw_sets()


def arviz(name, x):
    """ArviZ's value of diagnostic `name` for draws (chain, draw, *event).

    float32 draws are given to ArviZ as float64, as probax computes with them (ArviZ would take
    some sums, like the sd's, in float32 and differ in the 8th digit).
    """
    xa = np.moveaxis(np.asarray(x, np.float64), (0, 1), (-2, -1))
    if name == "rhat":
        return array_stats.rhat(xa)
    if name.startswith("ess_"):
        method = name[4:]
        return array_stats.ess(xa, method=method, **({"prob": (0.05, 0.95)} if method == "tail" else {}))
    if name == "mcse_sd":
        # arviz-stats 0.8 takes the ESS of the draws here, a bug (arviz-stats issue 428, fixed after
        # 0.8): the delta method of Stan's posterior package and ArviZ 0.x, with ArviZ's ESS of the
        # squared deviations.
        squared = (xa - xa.mean(axis=(-2, -1), keepdims=True)) ** 2
        variance = squared.mean(axis=(-2, -1))
        ess = array_stats.ess(squared, method="mean")
        return np.sqrt(((squared**2).mean(axis=(-2, -1)) - variance**2) / ess / variance / 4)
    return array_stats.mcse(xa, method=name[5:])


DIAGNOSTICS = ["rhat", "ess_bulk", "ess_tail", "ess_mean", "mcse_mean", "mcse_sd"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # ArviZ divides 0 / 0 for the constant parameter
@pytest.mark.parametrize("draw_set", list(DRAW_SETS))
@pytest.mark.parametrize("name", DIAGNOSTICS)
def test_matches_arviz(name, draw_set):
    x = DRAW_SETS[draw_set]
    ours, reference = getattr(rd, name)(x), arviz(name, x)
    assert ours.shape == np.shape(reference) == x.shape[2:]
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    # The near-constant parameter (1 + 1e-9 z) keeps only ~7 digits in its deviations from the mean, so
    # two correct float64 evaluations that sum in different orders agree to ~1e-8 there.
    rtol = 1e-6 if draw_set == "constant" else 1e-9
    np.testing.assert_allclose(ours, reference, rtol=rtol, atol=0)


def test_draw_sets_exercise_what_they_claim():
    # The shifted chains disagree and AR(1) at 0.95 keeps ~2.5% of its draws: the comparisons above
    # cover diagnostics far from their iid values.
    assert np.all(rd.rhat(DRAW_SETS["shifted"]) > 1.2)
    assert np.all(rd.rhat(DRAW_SETS["iid"]) < 1.01)
    n = 4000 * (1 - 0.95) / (1 + 0.95)
    assert np.all((rd.ess_mean(DRAW_SETS["ar1"]) > 0.4 * n) & (rd.ess_mean(DRAW_SETS["ar1"]) < 2.5 * n))
    constant = DRAW_SETS["constant"]
    assert np.isnan(rd.rhat(constant)[0]) and rd.ess_bulk(constant)[0] == 4000


def test_iid_ess_is_near_the_number_of_draws():
    x = RNG.normal(size=(4, 2000, 20))
    for name in ("ess_bulk", "ess_tail", "ess_mean"):
        ratio = getattr(rd, name)(x) / 8000
        assert 0.9 < ratio.mean() < 1.1, name


def test_mcse_mean_of_iid_draws_is_sd_over_sqrt_n():
    x = 3.0 * RNG.normal(size=(4, 2000, 10))
    np.testing.assert_allclose(rd.mcse_mean(x).mean(), 3.0 / np.sqrt(8000), rtol=0.05)
    # sd of a sample sd of normal draws: sigma / sqrt(2 (n - 1)).
    np.testing.assert_allclose(rd.mcse_sd(x).mean(), 3.0 / np.sqrt(2 * 7999), rtol=0.05)


def test_a_nonfinite_parameter_is_nan_and_leaves_the_others_alone():
    x = DRAW_SETS["iid"].copy()
    x[2, 10, 1] = np.nan
    x[0, 3, 2] = np.inf
    for name in DIAGNOSTICS:
        values = getattr(rd, name)(x)
        assert np.isnan(values[1]) and np.isnan(values[2]), name
        assert values[0] == getattr(rd, name)(x[..., :1])[0], name


def test_too_few_draws_or_chains_give_nan():
    assert np.all(np.isnan(rd.ess_bulk(RNG.normal(size=(4, 3, 2)))))
    assert np.isnan(rd.rhat(RNG.normal(size=(1, 100))))
    single_chain = RNG.normal(size=(1, 100))
    np.testing.assert_allclose(rd.ess_bulk(single_chain), arviz("ess_bulk", single_chain), rtol=1e-9)


def test_draws_need_chain_and_draw_axes():
    with pytest.raises(ValueError, match=r"ess_bulk: draws must be shaped \(chain, draw, \*event\)"):
        rd.ess_bulk(np.zeros(10))


def test_jax_arrays_are_accepted():
    import jax.numpy as jnp

    x = DRAW_SETS["ar1"]
    np.testing.assert_array_equal(rd.ess_bulk(jnp.asarray(x)), rd.ess_bulk(x))


@pytest.mark.parametrize("draw_set", ["iid", "ar1", "heavy", "odd_draws", "constant", "float32"])
@pytest.mark.parametrize("prob", [0.94, 0.5, 0.99])
def test_hdi_matches_arviz(draw_set, prob):
    x = DRAW_SETS[draw_set]
    reference = array_stats.hdi(np.moveaxis(x, (0, 1), (-2, -1)), prob, axis=(-2, -1))
    ours = hdi(x, prob)
    assert ours.shape == (*x.shape[2:], 2)
    np.testing.assert_array_equal(ours, reference)


def test_hdi_of_a_skewed_posterior_is_narrower_than_the_central_interval():
    x = RNG.exponential(size=(4, 5000))
    low, high = hdi(x, 0.9)
    central = np.quantile(x, [0.05, 0.95])
    assert high - low < central[1] - central[0]
    assert low < 0.01  # the density is highest at 0
    np.testing.assert_allclose(high, -np.log(0.1), rtol=0.05)


def test_hdi_rejects_bad_prob_and_marks_nan():
    with pytest.raises(ValueError, match=r"hdi: prob must be a number in \(0, 1\]"):
        hdi(RNG.normal(size=(2, 50)), 1.5)
    x = RNG.normal(size=(2, 50, 2))
    x[0, 0, 1] = np.nan
    bounds = hdi(x)
    assert np.all(np.isfinite(bounds[0])) and np.all(np.isnan(bounds[1]))
