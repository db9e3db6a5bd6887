import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

PROBS = np.array([0.2, 0.5, 0.93])


def _mode(probs=None, logits=None):
    p = probs if probs is not None else scipy.special.expit(logits)
    return (p > 0.5).astype(np.float64)


CASES = [
    OracleCase(
        name="bernoulli-probs",
        make=lambda probs: tfd.Bernoulli(probs=probs),
        reference=lambda probs: scipy.stats.bernoulli(probs),
        params=dict(probs=PROBS),
        discrete=True,
        expected_mode=_mode,
    ),
    OracleCase(
        name="bernoulli-logits",
        make=lambda logits: tfd.Bernoulli(logits=logits),
        reference=lambda logits: scipy.stats.bernoulli(scipy.special.expit(logits)),
        params=dict(logits=scipy.special.logit(PROBS)),
        discrete=True,
        expected_mode=_mode,
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_exactly_one_of_logits_and_probs():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        tfd.Bernoulli(logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match="neither"):
        tfd.Bernoulli()


def test_probs_outside_unit_interval_rejected_when_validating():
    with pytest.raises(ValueError, match="`probs` must be in \\[0, 1\\]"):
        tfd.Bernoulli(probs=1.2, validate_args=True)


def test_extreme_logits_stay_finite_in_float32():
    d = tfd.Bernoulli(logits=jnp.array([-100.0, 100.0], jnp.float32))
    lp = d.log_prob(jnp.array([1, 0]))
    np.testing.assert_allclose(lp, [-100.0, -100.0], rtol=1e-6)
    assert np.all(np.isfinite(d.entropy()))
    grad = jax.grad(lambda logit: tfd.Bernoulli(logits=logit).log_prob(1.0))(jnp.float32(-100.0))
    np.testing.assert_allclose(grad, 1.0, rtol=1e-6)


def test_degenerate_probs_have_zero_entropy():
    np.testing.assert_array_equal(tfd.Bernoulli(probs=jnp.array([0.0, 1.0])).entropy(), [0.0, 0.0])


def test_samples_have_requested_dtype():
    assert tfd.Bernoulli(probs=0.5).sample(3, seed=0).dtype == jnp.int32
    assert tfd.Bernoulli(probs=0.5, dtype=jnp.float32).sample(3, seed=0).dtype == jnp.float32


@pytest.mark.parametrize(("p", "q"), [(0.3, 0.6), (0.0, 0.4), (0.999, 0.001)])
def test_kl_matches_exact_sum(p, q):
    expected = sum(
        pp * np.log(pp / qq) for pp, qq in [(p, q), (1 - p, 1 - q)] if pp > 0
    )
    np.testing.assert_allclose(tfd.kl_divergence(tfd.Bernoulli(probs=p), tfd.Bernoulli(probs=q)),
                               expected, rtol=1e-10)
    logit = scipy.special.logit
    via_logits = tfd.kl_divergence(tfd.Bernoulli(logits=logit(p)) if 0 < p < 1 else tfd.Bernoulli(probs=p),
                                   tfd.Bernoulli(logits=logit(q)))
    np.testing.assert_allclose(via_logits, expected, rtol=1e-8)
