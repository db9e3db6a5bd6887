import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import bijectors as tfb
from probax.distributions.beta import Beta
from probax.distributions.dirichlet import Dirichlet, log_multivariate_beta
from probax.distributions.kl import kl_divergence
from tests.distributions.multivariate_checks import check_transforms, monte_carlo_tolerance
from tests.distributions.oracle import ATOL, RTOL

# Three members: one concentration at 1, some below 1 (density unbounded at a face), peaked.
CONCENTRATION = np.array([[1.0, 2.0, 3.0], [0.5, 0.7, 4.0], [20.0, 3.5, 1.2]])
RNG = np.random.default_rng(0)
POINTS = np.stack([RNG.dirichlet(c, 5) for c in CONCENTRATION], axis=1)  # (5, 3 members, 3)


def _scipy_per_member(method, *args):
    return np.stack([getattr(scipy.stats.dirichlet(c), method)(*args) for c in CONCENTRATION])


@jax.jit
def _methods(concentration, points):
    d = Dirichlet(concentration)
    return {
        "log_prob": d.log_prob(points),
        "mean": d.mean(),
        "variance": d.variance(),
        "stddev": d.stddev(),
        "covariance": d.covariance(),
        "entropy": d.entropy(),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_scipy(dtype):
    points = POINTS.astype(dtype)
    # scipy insists on sums within 1e-9 of 1: renormalize the rounded points for the reference.
    reference_points = points / points.sum(-1, keepdims=True, dtype=np.float64)
    variance = _scipy_per_member("var")
    expected = {
        "log_prob": np.stack(
            [scipy.stats.dirichlet.logpdf(reference_points[:, i].T, c) for i, c in enumerate(CONCENTRATION)],
            axis=1,
        ),
        "mean": _scipy_per_member("mean"),
        "variance": variance,
        "stddev": np.sqrt(variance),
        "covariance": _scipy_per_member("cov"),
        "entropy": _scipy_per_member("entropy"),
    }
    actual = _methods(CONCENTRATION.astype(dtype), points)
    for name, value in actual.items():
        assert value.dtype == dtype, name
        np.testing.assert_allclose(value, expected[name], rtol=RTOL[dtype], atol=ATOL[dtype], err_msg=name)


def test_mode_maximizes_density():
    mode = np.asarray(Dirichlet(CONCENTRATION).mode())
    # Defined only when every concentration exceeds 1 (the last member).
    assert np.all(np.isnan(mode[:2])) and not np.any(np.isnan(mode[2]))
    peak = scipy.stats.dirichlet.logpdf(mode[2], CONCENTRATION[2])
    for direction in ([1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [1.0, 0.0, -1.0]):
        for step in (1e-3, -1e-3):
            nearby = mode[2] + step * np.array(direction)
            assert scipy.stats.dirichlet.logpdf(nearby, CONCENTRATION[2]) < peak
    with pytest.raises(ValueError, match="mode"):
        Dirichlet(CONCENTRATION, allow_nan_stats=False).mode()


NUM_DRAWS = 20_000


@pytest.fixture(scope="module")
def draws_and_jacobian():
    """Draws of the three members and, per draw, d x / d concentration (one compiled program)."""

    def draws(concentration):
        x = Dirichlet(concentration).sample(NUM_DRAWS, seed=jax.random.key(1))
        return x, x

    jacobian, x = jax.jit(jax.jacfwd(draws, has_aux=True))(jnp.asarray(CONCENTRATION))
    # Members are independent: keep d x[member] / d concentration[member], shaped (draws, 3, K, K).
    members = np.arange(3)
    return np.asarray(x), np.asarray(jacobian)[:, members, :, members].transpose(1, 0, 2, 3)


def test_sample_moments_and_marginal(draws_and_jacobian):
    x, _ = draws_and_jacobian
    assert x.shape == (NUM_DRAWS, 3, 3)
    np.testing.assert_allclose(x.sum(-1), 1.0, atol=1e-12)
    d = Dirichlet(CONCENTRATION)
    mean = np.asarray(d.mean())
    assert np.all(np.abs(x.mean(0) - mean) < monte_carlo_tolerance(x))
    # Second moments E[X_i X_j] = cov + mean mean^T, within Monte Carlo error of the products.
    products = x[..., :, None] * x[..., None, :]
    second = np.asarray(d.covariance()) + mean[..., :, None] * mean[..., None, :]
    assert np.all(np.abs(products.mean(0) - second) < monte_carlo_tolerance(products))
    # One coordinate of a Dirichlet is Beta(c_i, c_0 - c_i).
    for member, c in enumerate(CONCENTRATION):
        beta = scipy.stats.beta(c[0], c.sum() - c[0])
        assert scipy.stats.kstest(x[:, member, 0], beta.cdf).pvalue > 1e-3


def test_reparameterized_gradients_match_moment_gradients(draws_and_jacobian):
    x, jacobian = draws_and_jacobian
    for member, c in enumerate(CONCENTRATION):
        total = c.sum()
        # d E[X_i] / d c_j and d E[log X_i] / d c_j = psi'(c_i) delta_ij - psi'(c_0).
        expected_mean = np.eye(3) / total - c[:, None] / total**2
        expected_log = np.diag(scipy.special.polygamma(1, c)) - scipy.special.polygamma(1, total)
        per_draw = jacobian[:, member]
        per_draw_log = per_draw / x[:, member, :, None]
        assert np.all(np.abs(per_draw.mean(0) - expected_mean) < monte_carlo_tolerance(per_draw))
        assert np.all(np.abs(per_draw_log.mean(0) - expected_log) < monte_carlo_tolerance(per_draw_log))
    assert Dirichlet.reparameterization_type.name == "FULLY_REPARAMETERIZED"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_draws(dtype):
    draws = jax.eval_shape(lambda c: Dirichlet(c).sample(7, seed=0), CONCENTRATION.astype(dtype))
    assert draws.shape == (7, 3, 3) and draws.dtype == dtype


@jax.jit
def _kl_values(a, b, p, q):
    return (
        kl_divergence(Dirichlet(a), Dirichlet(b)),
        kl_divergence(Dirichlet(a), Dirichlet(a)),
        kl_divergence(Dirichlet(p), Dirichlet(q)),
        kl_divergence(Beta(p[0], p[1]), Beta(q[0], q[1])),
    )


def test_kl_divergence():
    a = np.array([[1.5, 0.7, 3.0], [2.0, 2.0, 2.0]])
    b = np.array([0.9, 4.0, 1.2])
    p, q = np.array([2.5, 0.4]), np.array([1.0, 3.0])
    kl, kl_self, kl_two_classes, kl_beta = (np.asarray(v) for v in _kl_values(a, b, p, q))
    assert kl.shape == (2,)
    for i in range(2):
        x = RNG.dirichlet(a[i], 200_000).T
        log_ratio = scipy.stats.dirichlet.logpdf(x, a[i]) - scipy.stats.dirichlet.logpdf(x, b)
        assert abs(kl[i] - log_ratio.mean()) < monte_carlo_tolerance(log_ratio)
    np.testing.assert_allclose(kl_self, 0.0, atol=1e-13)
    # Two classes: the Beta distribution's KL, an independent formula.
    np.testing.assert_allclose(kl_two_classes, kl_beta, rtol=1e-12)


def test_support_nan_and_validation():
    d = Dirichlet(np.array([1.0, 2.0, 3.0]))
    values = np.array(
        [[0.5, 0.6, -0.1], [0.2, 0.2, 0.2], [0.3, 0.3, 0.5], [np.nan, 0.5, 0.5], [0.0, 0.5, 0.5]]
    )
    log_prob = np.asarray(jax.jit(lambda d, x: d.log_prob(x))(d, values))
    assert np.all(np.isneginf(log_prob[:3])) and np.isnan(log_prob[3])
    # A face of the simplex: the coordinate with concentration 1 may be 0.
    np.testing.assert_allclose(
        log_prob[4], scipy.stats.dirichlet.logpdf([1e-300, 0.5, 0.5], [1.0, 2.0, 3.0]), rtol=1e-12
    )
    with pytest.raises(ValueError, match="concentration"):
        Dirichlet(np.array([1.0, -2.0]), validate_args=True)
    with pytest.raises(ValueError, match="support"):
        Dirichlet(CONCENTRATION, validate_args=True).log_prob(POINTS[0] + 0.1)


def test_shapes_slicing_and_event_space():
    concentration = np.exp(RNG.normal(size=(2, 3, 4)))
    d = Dirichlet(concentration)
    assert d.batch_shape == (2, 3) and d.event_shape == (4,)
    assert jax.eval_shape(lambda: d.sample(5, seed=0)).shape == (5, 2, 3, 4)
    assert jax.eval_shape(d.covariance).shape == (2, 3, 4, 4)
    assert jax.eval_shape(d.entropy).shape == (2, 3)
    assert d[1, :2].batch_shape == (2,) and d[1, :2].event_shape == (4,)
    bijector = d.experimental_default_event_space_bijector()
    assert isinstance(bijector, tfb.SoftmaxCentered)

    @jax.jit
    def log_probs(d, x, unconstrained):
        return d.log_prob(x), d[1, :2].log_prob(x), d.log_prob(bijector.forward(unconstrained))

    full, sliced, on_support = log_probs(d, np.full(4, 0.25), RNG.normal(size=(2, 3, 3)))
    assert full.shape == (2, 3)
    np.testing.assert_allclose(sliced, full[1, :2], rtol=1e-12)
    assert np.all(np.isfinite(on_support))


def test_jit_vmap_grad():
    check_transforms(Dirichlet, {"concentration": CONCENTRATION}, POINTS[0], differentiable=["concentration"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_multivariate_beta_large_concentrations(dtype):
    c = np.array([[1e4, 2e5, 3e6], [0.1, 2.0, 5e6], [1.0, 2.0, 3.0]])
    # Reference: scipy's two-argument betaln (accurate to a few ulps), telescoped in float64.
    expected = scipy.special.betaln(np.cumsum(c, -1)[:, :-1], c[:, 1:]).sum(-1)
    actual = log_multivariate_beta(jnp.asarray(c, dtype))
    # Two log-Beta terms, each good to tens of ulps of its size (at most |log B| here); the naive
    # sum(lgamma(c)) - lgamma(sum(c)) is off by ~5e5 ulps in float32 on the second row.
    np.testing.assert_allclose(actual, expected, rtol=100 * np.finfo(dtype).eps)
