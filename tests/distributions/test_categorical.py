import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


class _ScipyCategoricals:
    """scipy's `rv_discrete(values=(range(K), probs))`, one per batch member, broadcast like a frozen rv.

    scipy has no vectorized categorical; each member answers for its own column of the argument.
    """

    def __init__(self, probs):
        probs = np.asarray(probs, np.float64)
        self.batch_shape = probs.shape[:-1]
        support = np.arange(probs.shape[-1])
        self.members = [
            scipy.stats.rv_discrete(values=(support, member / member.sum()))
            for member in probs.reshape(-1, probs.shape[-1])
        ]

    def _pointwise(self, method, x):
        x = np.asarray(x, np.float64)
        x = np.broadcast_to(x, np.broadcast_shapes(x.shape, self.batch_shape))
        lead = x.shape[: x.ndim - len(self.batch_shape)]
        flat = x.reshape((*lead, len(self.members)))
        columns = [getattr(m, method)(flat[..., i]) for i, m in enumerate(self.members)]
        return np.stack(columns, axis=-1).reshape(x.shape)

    def _summary(self, method):
        return np.array([getattr(m, method)() for m in self.members]).reshape(self.batch_shape)

    def stats(self, moments="mv"):
        per_member = np.array([m.stats(moments=moments) for m in self.members], np.float64)
        return tuple(column.reshape(self.batch_shape) for column in per_member.T)

    def __getattr__(self, method):
        if method in ("pmf", "logpmf", "cdf", "logcdf", "sf", "logsf", "ppf"):
            return lambda x: self._pointwise(method, x)
        if method in ("mean", "var", "std", "entropy"):
            return lambda: self._summary(method)
        raise AttributeError(method)


# The harness wants scalar parameters per batch member, so the K class parameters are passed as
# separate keywords c0, c1, ... and stacked on the last axis; the batch is their common shape.
def _stack(**columns):
    return np.stack([columns[f"c{i}"] for i in range(len(columns))], axis=-1)


def _make_logits(**columns):
    return tfd.Categorical(logits=jnp.stack([columns[f"c{i}"] for i in range(len(columns))], axis=-1))


def _make_probs(**columns):
    return tfd.Categorical(probs=jnp.stack([columns[f"c{i}"] for i in range(len(columns))], axis=-1))


# Class probabilities avoid cumulative sums equal to a grid probability (0.3, 0.5, ...), where the
# quantile would hinge on the last bit.
CASES = [
    OracleCase(
        name="categorical_logits",
        make=_make_logits,
        reference=lambda **c: _ScipyCategoricals(scipy.special.softmax(_stack(**c), axis=-1)),
        params=dict(
            c0=np.array([0.3, -2.0, 4.0]),
            c1=np.array([1.1, 0.7, -3.0]),
            c2=np.array([-0.4, 0.1, 0.0]),
            c3=np.array([0.9, -7.0, 1.3]),
        ),
        discrete=True,
        expected_mode=lambda **c: np.argmax(_stack(**c), axis=-1),
        # scipy's rv_discrete takes sf = 1 - cdf, so its log sf is only as good as its absolute
        # error allows: logits stay in a range where every tail is well above 1e-10.
        wide=dict(c0=st.floats(-5.0, 5.0), c1=st.floats(-5.0, 5.0), c2=st.floats(-5.0, 5.0)),
    ),
    OracleCase(
        name="categorical_probs",
        make=_make_probs,
        reference=lambda **c: _ScipyCategoricals(_stack(**c)),
        params=dict(
            c0=np.array([0.13, 0.004]),
            c1=np.array([0.61, 0.24]),
            c2=np.array([0.26, 0.756]),
        ),
        discrete=True,
        expected_mode=lambda **c: np.argmax(_stack(**c), axis=-1),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_logits_and_probs_exclusive():
    with pytest.raises(ValueError, match="logits"):
        tfd.Categorical(logits=[0.0, 1.0], probs=[0.5, 0.5])
    with pytest.raises(ValueError, match="probs"):
        tfd.Categorical()


def test_shapes_and_dtype():
    logits = jnp.zeros((2, 3, 5))
    d = tfd.Categorical(logits=logits)
    assert d.batch_shape == (2, 3) and d.event_shape == () and d.num_categories == 5
    draws = d.sample(4, seed=0)
    assert draws.shape == (4, 2, 3) and draws.dtype == jnp.int32
    assert d.mode().dtype == jnp.int32 and d.mode().shape == (2, 3)
    assert tfd.Categorical(logits=logits, dtype=jnp.int64).sample(seed=0).dtype == jnp.int64
    assert d.log_prob(jnp.array([0, 4, 2])).shape == (2, 3)
    assert d.entropy().shape == (2, 3) and d.mean().dtype == logits.dtype
    assert d[1, :2].batch_shape == (2,)
    assert d.reparameterization_type == tfd.NOT_REPARAMETERIZED


def test_parameter_accessors():
    d = tfd.Categorical(logits=jnp.log(jnp.array([1.0, 3.0])))
    np.testing.assert_allclose(d.probs_parameter(), [0.25, 0.75], rtol=1e-6)
    d = tfd.Categorical(probs=jnp.array([0.25, 0.75]))
    np.testing.assert_allclose(d.logits_parameter(), np.log([0.25, 0.75]), rtol=1e-6)


def test_validate_args():
    with pytest.raises(ValueError, match="probs"):
        tfd.Categorical(probs=[0.5, 0.6], validate_args=True)
    with pytest.raises(ValueError, match="logits"):
        tfd.Categorical(logits=[0.0, np.nan], validate_args=True)
    with pytest.raises(ValueError, match="support"):
        tfd.Categorical(probs=[0.5, 0.5], validate_args=True).log_prob(2)


def test_outside_support_and_cdf_edges():
    d = tfd.Categorical(probs=jnp.array([0.2, 0.5, 0.3]))
    assert np.all(np.isneginf(d.log_prob(jnp.array([-1.0, 3.0, 0.5, 7.0]))))
    np.testing.assert_allclose(d.cdf(jnp.array([-0.5, 0.0, 1.7, 2.0, 50.0])), [0, 0.2, 0.7, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(
        d.survival_function(jnp.array([-3.0, 0.0, 1.0, 2.0, 9.0])), [1, 0.8, 0.3, 0, 0], rtol=1e-6
    )


def test_zero_probabilities():
    d = tfd.Categorical(probs=jnp.array([0.0, 0.4, 0.6]))
    assert np.isneginf(d.log_prob(0.0))
    np.testing.assert_allclose(d.entropy(), -(0.4 * np.log(0.4) + 0.6 * np.log(0.6)), rtol=1e-6)
    grad = jax.grad(lambda p: tfd.Categorical(probs=p).log_prob(1.0) + tfd.Categorical(probs=p).entropy())
    assert np.all(np.isfinite(grad(jnp.array([0.0, 0.4, 0.6]))))
    assert np.all(np.asarray(d.sample(1000, seed=1)) > 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits(dtype):
    logits = np.array([0.0, -200.0, 0.0, 300.0], dtype)
    d = tfd.Categorical(logits=logits)
    log_probs = scipy.special.log_softmax(logits.astype(np.float64))
    np.testing.assert_allclose(d.log_prob(np.arange(4, dtype=dtype)), log_probs, rtol=1e-6)
    np.testing.assert_allclose(d.log_cdf(np.array([1.0, 2.0], dtype)), [-300, -300 + np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(d.log_survival_function(np.array(2.0, dtype)), 0.0, atol=1e-6)
    assert np.isfinite(d.entropy())


def _exact_kl(p_probs, q_probs):
    # rel_entr(p, q) = p log(p / q), with 0 for p = 0.
    return scipy.special.rel_entr(p_probs, q_probs).sum(-1)


def test_kl_against_exact_sum():
    p_logits = np.array([[0.3, -1.0, 2.0, 0.1], [5.0, -5.0, 0.0, 1.0]])
    q_logits = np.array([1.0, 0.0, -0.5, 0.2])
    p, q = tfd.Categorical(logits=p_logits), tfd.Categorical(logits=q_logits)
    expected = _exact_kl(scipy.special.softmax(p_logits, -1), scipy.special.softmax(q_logits, -1))
    np.testing.assert_allclose(tfd.kl_divergence(p, q), expected, rtol=1e-12)
    np.testing.assert_allclose(tfd.kl_divergence(p, p), 0.0, atol=1e-14)
    # Probability-parameterized, with a class p never visits.
    p_probs, q_probs = np.array([0.0, 0.3, 0.7]), np.array([0.1, 0.6, 0.3])
    np.testing.assert_allclose(
        tfd.kl_divergence(tfd.Categorical(probs=p_probs), tfd.Categorical(probs=q_probs)),
        _exact_kl(p_probs, q_probs),
        rtol=1e-12,
    )
    assert np.isposinf(tfd.kl_divergence(tfd.Categorical(probs=q_probs), tfd.Categorical(probs=p_probs)))
