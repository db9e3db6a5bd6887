import jax
import numpy as np
import pytest
import scipy.stats

from probax.distributions.dirichlet_multinomial import DirichletMultinomial
from tests.distributions.multivariate_checks import check_transforms, monte_carlo_tolerance
from tests.distributions.oracle import ATOL, RTOL

TOTAL_COUNT = np.array([6.0, 40.0])
CONCENTRATION = np.array([[0.5, 2.0, 1.0], [30.0, 0.2, 4.0]])
COUNTS = np.array([[[1.0, 3.0, 2.0], [10.0, 0.0, 30.0]], [[0.0, 6.0, 0.0], [40.0, 0.0, 0.0]]])


@jax.jit
def _methods(total_count, concentration, counts):
    d = DirichletMultinomial(total_count, concentration)
    return {
        "log_prob": d.log_prob(counts),
        "mean": d.mean(),
        "variance": d.variance(),
        "covariance": d.covariance(),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_scipy(dtype):
    actual = _methods(*(a.astype(dtype) for a in (TOTAL_COUNT, CONCENTRATION, COUNTS)))
    covariance = scipy.stats.dirichlet_multinomial.cov(CONCENTRATION, TOTAL_COUNT)
    expected = {
        "log_prob": scipy.stats.dirichlet_multinomial.logpmf(COUNTS, CONCENTRATION, TOTAL_COUNT),
        "mean": scipy.stats.dirichlet_multinomial.mean(CONCENTRATION, TOTAL_COUNT),
        "variance": np.diagonal(covariance, axis1=-2, axis2=-1),
        "covariance": covariance,
    }
    for method, value in actual.items():
        assert value.dtype == dtype
        np.testing.assert_allclose(
            value, expected[method], rtol=RTOL[dtype], atol=ATOL[dtype], err_msg=method
        )


def test_support_zero_trials_and_validation():
    d = DirichletMultinomial(np.array([6.0, 0.0]), CONCENTRATION[0])
    values = np.array(
        [
            [[1.0, 3.0, 2.0], [0.0, 0.0, 0.0]],
            [[1.0, 3.0, 3.0], [0.0, 1.0, 0.0]],
            [[-1.0, 5.0, 2.0], [np.nan, 0.0, 0.0]],
        ]
    )
    log_prob = np.asarray(jax.jit(lambda d, x: d.log_prob(x))(d, values))
    # With no trials the only outcome, all zeros, has probability 1.
    np.testing.assert_allclose(log_prob[0, 1], 0.0, atol=1e-15)
    assert np.all(np.isneginf(log_prob[1])) and np.isneginf(log_prob[2, 0]) and np.isnan(log_prob[2, 1])
    with pytest.raises(ValueError, match="total_count"):
        DirichletMultinomial(2.5, CONCENTRATION[0], validate_args=True)
    with pytest.raises(ValueError, match="concentration"):
        DirichletMultinomial(2.0, [1.0, 0.0], validate_args=True)
    with pytest.raises(NotImplementedError, match="discrete"):
        d.experimental_default_event_space_bijector()


def test_sampling_moments():
    num_draws = 20_000
    d = DirichletMultinomial(TOTAL_COUNT, CONCENTRATION)
    x = np.asarray(jax.jit(lambda d: d.sample(num_draws, seed=jax.random.key(5)))(d))
    assert x.shape == (num_draws, 2, 3)
    np.testing.assert_array_equal(x.sum(-1), np.broadcast_to(TOTAL_COUNT, (num_draws, 2)))
    mean = np.asarray(d.mean())
    assert np.all(np.abs(x.mean(0) - mean) <= monte_carlo_tolerance(x))
    products = x[..., :, None] * x[..., None, :]
    second = np.asarray(d.covariance()) + mean[..., :, None] * mean[..., None, :]
    assert np.all(np.abs(products.mean(0) - second) <= monte_carlo_tolerance(products))
    # Small counts: observed frequencies of every outcome against the pmf (chi-square).
    values, observed = np.unique(x[:, 0], axis=0, return_counts=True)
    expected = num_draws * scipy.stats.dirichlet_multinomial.pmf(values, CONCENTRATION[0], TOTAL_COUNT[0])
    assert (
        len(values) == 28 and abs(expected.sum() - num_draws) < 1e-6 * num_draws
    )  # all C(8, 2) outcomes seen
    statistic = np.sum((observed - expected) ** 2 / expected)
    assert scipy.stats.chi2.sf(statistic, len(values) - 1) > 1e-3


def test_shapes_and_slicing():
    d = DirichletMultinomial(TOTAL_COUNT[:, None], np.ones((2, 5, 3)))
    assert d.batch_shape == (2, 5) and d.event_shape == (3,)
    assert jax.eval_shape(lambda: d.sample(4, seed=0)).shape == (4, 2, 5, 3)
    assert d[:, 1:3].batch_shape == (2, 2)


def test_jit_vmap_grad():
    params = {"total_count": TOTAL_COUNT, "concentration": CONCENTRATION}
    check_transforms(DirichletMultinomial, params, COUNTS[0], differentiable=["concentration"])
