import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.distributions import Normal
from probax.vi import csiszar_divergence as cd

LOGU = np.linspace(-6.0, 6.0, 25)
U = np.exp(LOGU)

# (function, kwargs, numpy f(u))
CASES = [
    (cd.kl_reverse, {}, lambda u: -np.log(u)),
    (cd.kl_reverse, {"self_normalized": True}, lambda u: -np.log(u) + u - 1),
    (cd.kl_forward, {}, lambda u: u * np.log(u)),
    (cd.kl_forward, {"self_normalized": True}, lambda u: u * np.log(u) - (u - 1)),
    (cd.amari_alpha, {"alpha": 0.5}, lambda u: (u**0.5 - 1) / (0.5 * -0.5)),
    (cd.amari_alpha, {"alpha": 2.0, "self_normalized": True}, lambda u: (u**2 - 1) / 2 - (u - 1)),
    (cd.amari_alpha, {"alpha": -1.0}, lambda u: (u**-1.0 - 1) / 2),
    (cd.jensen_shannon, {}, lambda u: u * np.log(u) - (1 + u) * np.log1p(u)),
    (cd.jensen_shannon, {"self_normalized": True}, lambda u: u * np.log(u) - (1 + u) * np.log((1 + u) / 2)),
    (cd.pearson, {}, lambda u: (u - 1) ** 2),
    (cd.chi_square, {}, lambda u: u**2 - 1),
    (cd.squared_hellinger, {}, lambda u: (np.sqrt(u) - 1) ** 2),
    (cd.total_variation, {}, lambda u: 0.5 * np.abs(u - 1)),
]


@pytest.mark.parametrize(("fn", "kwargs", "expected"), CASES, ids=lambda c: getattr(c, "__name__", str(c)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_numpy(fn, kwargs, expected, dtype):
    out = fn(jnp.asarray(LOGU, dtype), **kwargs)
    assert out.dtype == dtype
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected(U), rtol=rtol, atol=rtol)


@pytest.mark.parametrize(("fn", "kwargs", "expected"), [CASES[i] for i in (1, 3, 5, 8)])
def test_self_normalized_is_nonnegative_and_flat_at_one(fn, kwargs, expected):
    out = fn(jnp.asarray(LOGU), **kwargs)
    assert np.all(np.asarray(out) >= -1e-12)
    slope = jax.grad(lambda logu: fn(logu, **kwargs))(0.0)
    assert abs(float(slope)) < 1e-12


def test_symmetrized_is_sum_of_both_directions():
    out = cd.symmetrized_csiszar_function(jnp.asarray(LOGU), cd.kl_reverse)
    np.testing.assert_allclose(out, (U - 1) * np.log(U), rtol=1e-12, atol=1e-12)  # Jeffreys
    js = cd.symmetrized_csiszar_function(jnp.asarray(LOGU), lambda v: cd.jensen_shannon(v, True))
    np.testing.assert_allclose(js, 2 * cd.jensen_shannon(jnp.asarray(LOGU), True), rtol=1e-10)  # symmetric


def test_large_logu_stays_finite_in_jensen_shannon():
    out = cd.jensen_shannon(jnp.array([300.0, -300.0]))
    assert np.all(np.isfinite(np.asarray(out)))
    np.testing.assert_allclose(out[1], -np.log1p(np.exp(-300.0)), atol=1e-12)


def test_amari_alpha_rejects_array_alpha():
    with pytest.raises(TypeError, match="alpha"):
        cd.amari_alpha(0.0, alpha=jnp.array(0.5))


# KL between q = N(0, 1) and p = N(1, 2): E_q[f(log p/q)] is KL[q||p] for kl_reverse, KL[p||q] for kl_forward.
def _normal_kl(m0, s0, m1, s1):
    return np.log(s1 / s0) + (s0**2 + (m0 - m1) ** 2) / (2 * s1**2) - 0.5


def _monte_carlo(fn, n=400_000):
    q, p = Normal(0.0, 1.0), Normal(1.0, 2.0)
    z = q.sample(n, seed=0)
    values = np.asarray(fn(p.log_prob(z) - q.log_prob(z)))
    return values.mean(), values.std() / np.sqrt(n)


@pytest.mark.parametrize(
    ("fn", "exact"),
    [
        (cd.kl_reverse, _normal_kl(0, 1, 1, 2)),
        (cd.kl_forward, _normal_kl(1, 2, 0, 1)),
        (lambda logu: cd.kl_reverse(logu, self_normalized=True), _normal_kl(0, 1, 1, 2)),
    ],
)
def test_monte_carlo_estimates_match_analytic_kl(fn, exact):
    mean, error = _monte_carlo(fn)
    assert abs(mean - exact) < 5 * error


def test_squared_hellinger_matches_closed_form():
    # H^2 = 2 (1 - BC) for D_f with f = (sqrt u - 1)^2; BC of two normals in closed form.
    bc = np.sqrt(2 * 1 * 2 / (1 + 4)) * np.exp(-(1.0**2) / (4 * (1 + 4)))
    mean, error = _monte_carlo(cd.squared_hellinger)
    assert abs(mean - 2 * (1 - bc)) < 5 * error


def test_vimco_helper_matches_direct_computation():
    rng = np.random.default_rng(0)
    logu = rng.normal(size=(5, 3)) * 3
    log_avg, log_soo = jax.jit(cd.csiszar_vimco_helper)(jnp.asarray(logu))
    u = np.exp(logu)
    np.testing.assert_allclose(log_avg, np.log(u.mean(0)), rtol=1e-12)
    for k in range(5):
        others = np.delete(logu, k, axis=0)
        replaced = u.copy()
        replaced[k] = np.exp(others.mean(0))
        np.testing.assert_allclose(log_soo[k], np.log(replaced.mean(0)), rtol=1e-12)


def test_vimco_helper_handles_huge_logu():
    log_avg, log_soo = jax.jit(cd.csiszar_vimco_helper)(jnp.array([1000.0, 0.0, -1000.0]))
    assert np.isfinite(np.asarray(log_avg)) and np.all(np.isfinite(np.asarray(log_soo)))
    np.testing.assert_allclose(log_avg, 1000.0 - np.log(3.0), rtol=1e-12)


def test_vimco_helper_needs_two_draws():
    with pytest.raises(ValueError, match="at least 2"):
        cd.csiszar_vimco_helper(jnp.zeros((1, 3)))


def test_csiszar_vimco_value_and_gradient():
    target = Normal(1.0, 1.0).log_prob

    def loss(loc):
        return cd.csiszar_vimco(
            cd.kl_reverse, target, Normal(loc, 1.0), num_draws=4, num_batch_draws=2000, seed=1
        )

    value, grad = jax.jit(jax.value_and_grad(loss))(0.0)
    # With four draws the bound is tighter than the ELBO (0.5) but still positive.
    assert 0.0 < float(value) < 0.5
    # d/dloc of the importance-weighted bound at loc=0 is negative (moving towards the target helps).
    assert float(grad) < -0.3
    with pytest.raises(ValueError, match="num_draws"):
        cd.csiszar_vimco(cd.kl_reverse, target, Normal(0.0, 1.0), num_draws=1, seed=0)
