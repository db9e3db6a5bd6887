import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats

from probax.bijectors import Chain
from probax.distributions.distribution import FULLY_REPARAMETERIZED, NOT_REPARAMETERIZED
from probax.distributions.von_mises_fisher import VonMisesFisher

KAPPA = np.array([0.01, 0.7, 8.0, 300.0, 2e4])


def _direction(d):
    mu = np.zeros(d)
    mu[0], mu[-1] = 0.6, 0.8
    return mu


@pytest.mark.parametrize("d", [2, 3, 5, 10])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_prob_and_entropy_match_scipy(d, dtype):
    mu = _direction(d)
    dist = VonMisesFisher(mu.astype(dtype), KAPPA.astype(dtype))
    refs = [scipy.stats.vonmises_fisher(mu, k) for k in KAPPA]
    x = np.stack([r.rvs(3, random_state=1) for r in refs], 1)  # (3, 5, d)
    expected = np.stack([r.logpdf(x[:, j]) for j, r in enumerate(refs)], 1)
    actual = jax.jit(lambda dd, v: dd.log_prob(v))(dist, x.astype(dtype))
    assert actual.dtype == dtype and actual.shape == (3, 5)
    # float32: the inputs carry |x| - 1 ~ 1e-7, scaled by kappa up to 2e4 in the density.
    atol = 1e-9 if dtype == np.float64 else 5e-3
    np.testing.assert_allclose(actual, expected, rtol=1e-10 if dtype == np.float64 else 1e-5, atol=atol)
    entropy = np.array([r.entropy() for r in refs])
    np.testing.assert_allclose(dist.entropy(), entropy, rtol=1e-9 if dtype == np.float64 else 2e-5, atol=1e-6)


def test_zero_concentration_is_uniform_on_the_sphere():
    for d in (2, 3, 6):
        log_area = np.log(2) + d / 2 * np.log(np.pi) - scipy.special.gammaln(d / 2)
        dist = VonMisesFisher(_direction(d), 0.0)
        np.testing.assert_allclose(dist.log_prob(_direction(d)), -log_area, rtol=1e-12)
        np.testing.assert_allclose(dist.entropy(), log_area, rtol=1e-12)
        np.testing.assert_allclose(dist.covariance(), np.eye(d) / d, rtol=1e-12, atol=1e-16)
        np.testing.assert_array_equal(dist.mean(), 0.0)


@pytest.mark.parametrize("d", [3, 5])
def test_mean_and_covariance_by_quadrature(d):
    # w = <x, mu> has density proportional to exp(kappa w) (1 - w^2)^((d - 3) / 2) on [-1, 1].
    mu = _direction(d)
    for kappa in (0.5, 12.0):
        def moment(power, k=kappa):
            def density(w):
                return w**power * np.exp(k * (w - 1)) * (1 - w * w) ** ((d - 3) / 2)
            return scipy.integrate.quad(density, -1, 1, epsabs=0, epsrel=1e-13)[0]

        normalizer = moment(0)
        mean_w, second = moment(1) / normalizer, moment(2) / normalizer
        dist = VonMisesFisher(mu, kappa)
        np.testing.assert_allclose(dist.mean(), mean_w * mu, rtol=1e-10)
        outer = np.outer(mu, mu)
        expected = (1 - second) / (d - 1) * (np.eye(d) - outer) + (second - mean_w**2) * outer
        np.testing.assert_allclose(dist.covariance(), expected, rtol=1e-8, atol=1e-14)
        np.testing.assert_allclose(dist.variance(), np.diag(expected), rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("d", [2, 3, 7])
def test_samples_match_scipy(d):
    mu = _direction(d)
    kappa = np.array([0.5, 20.0])
    dist = VonMisesFisher(mu, kappa)
    n = 10_000
    x = np.asarray(jax.jit(lambda k: dist.sample(n, seed=k))(jax.random.key(d)))
    assert x.shape == (n, 2, d)
    np.testing.assert_allclose(np.linalg.norm(x, axis=-1), 1.0, rtol=1e-12)
    covariance = np.asarray(dist.covariance())
    for j, k in enumerate(kappa):
        reference = scipy.stats.vonmises_fisher(mu, k).rvs(n, random_state=j)
        assert scipy.stats.ks_2samp(x[:, j] @ mu, reference @ mu).pvalue > 1e-3
        # The sample mean within 5 standard errors per coordinate.
        standard_error = np.sqrt(np.diag(covariance[j]) / n)
        assert np.all(np.abs(x[:, j].mean(0) - np.asarray(dist.mean())[j]) < 5 * standard_error)


def test_reparameterization_and_large_concentration_in_float32():
    assert VonMisesFisher(_direction(3), 1.0).reparameterization_type == FULLY_REPARAMETERIZED
    assert VonMisesFisher(_direction(4), 1.0).reparameterization_type == NOT_REPARAMETERIZED
    # d = 3: w = 1 + log(u + (1 - u) e^{-2 kappa}) / kappa; dw/dkappa = -(dF/dkappa) / p(w) with
    # F(w) = (e^{kappa w} - e^{-kappa}) / (e^{kappa} - e^{-kappa}).
    mu = np.array([0.0, 0.0, 1.0])
    kappa = 3.0

    def w(k):
        return VonMisesFisher(mu, k).sample(16, seed=jax.random.key(9))[:, 2]

    values, slopes = jax.jit(lambda k: (w(k), jax.jacfwd(w)(k)))(kappa)
    values = np.asarray(values)

    def cdf(v, k):
        return (np.exp(k * v) - np.exp(-k)) / (np.exp(k) - np.exp(-k))

    step = 1e-6
    density = kappa * np.exp(kappa * values) / (np.exp(kappa) - np.exp(-kappa))
    expected = -(cdf(values, kappa + step) - cdf(values, kappa - step)) / (2 * step) / density
    np.testing.assert_allclose(slopes, expected, rtol=1e-6, atol=1e-9)
    # Huge concentrations in float32: unit samples with spread sqrt((d - 1) / kappa) around mu.
    for d in (3, 5):
        big = VonMisesFisher(_direction(d).astype(np.float32), np.float32(1e6))
        x = np.asarray(big.sample(4000, seed=1))
        assert x.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(x, axis=-1), 1.0, rtol=1e-6)
        spread = np.sum((x - _direction(d)) ** 2, -1).mean()
        np.testing.assert_allclose(spread, (d - 1) / 1e6, rtol=0.1)


def test_bijector_validation_and_transforms():
    dist = VonMisesFisher(_direction(4), np.array([1.0, 5.0]))
    bijector = dist.experimental_default_event_space_bijector()
    assert isinstance(bijector, Chain)
    y = bijector.forward(jax.random.normal(jax.random.key(0), (6, 2, 3)))
    assert y.shape == (6, 2, 4) and np.all(np.asarray(y) > 0)
    assert np.all(np.isfinite(dist.log_prob(y)))
    assert np.isneginf(dist.log_prob(np.array([1.0, 1.0, 0.0, 0.0]))).all()
    with pytest.raises(ValueError, match="mean_direction"):
        VonMisesFisher(np.array([1.0, 1.0]), 1.0, validate_args=True)
    with pytest.raises(ValueError, match="concentration"):
        VonMisesFisher(np.array([1.0, 0.0]), -1.0, validate_args=True)
    with pytest.raises(ValueError, match="d >= 2"):
        VonMisesFisher(np.array([1.0]), 1.0)
    # Gradients of log_prob in both parameters against central differences.
    x = np.asarray(dist.sample(seed=2))

    def total(mu, k):
        return jnp.sum(VonMisesFisher(mu, k).log_prob(x))

    mu, kappa = _direction(4), np.array([1.0, 5.0])
    grad_mu, grad_kappa = jax.jit(jax.grad(total, argnums=(0, 1)))(mu, kappa)
    step = 1e-6
    for j in range(2):
        bump = np.zeros(2)
        bump[j] = step
        numeric = (total(mu, kappa + bump) - total(mu, kappa - bump)) / (2 * step)
        np.testing.assert_allclose(grad_kappa[j], numeric, rtol=1e-6)
    np.testing.assert_allclose(grad_mu, np.sum(kappa[:, None] * x, 0), rtol=1e-10)
    batched = jax.vmap(lambda k: VonMisesFisher(mu, k))(np.stack([kappa, kappa]))
    assert batched.batch_shape == (2, 2) and batched.event_shape == (4,)
    assert dist[0].batch_shape == ()
