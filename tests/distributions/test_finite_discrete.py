import jax
import numpy as np
import pytest
import scipy.stats

from probax.distributions.finite_discrete import FiniteDiscrete

OUTCOMES = np.array([-1.5, 0.0, 2.0, 5.0])
PROBS = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.4, 0.1]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_matches_scipy_rv_discrete(dtype):
    d = FiniteDiscrete(OUTCOMES.astype(dtype), logits=np.log(PROBS).astype(dtype))
    x = np.array([[-1.5], [0.0], [1.0], [5.0]], dtype)
    out = jax.jit(lambda d, x: (d.prob(x), d.cdf(x), d.mean(), d.variance(), d.entropy(), d.mode()))(d, x)
    refs = [scipy.stats.rv_discrete(values=(OUTCOMES, p)) for p in PROBS]
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out[0], np.stack([r.pmf(x[:, 0]) for r in refs], -1), rtol=rtol)
    np.testing.assert_allclose(out[1], np.stack([r.cdf(x[:, 0]) for r in refs], -1), rtol=rtol)
    for actual, method in zip(out[2:5], ("mean", "var", "entropy"), strict=True):
        np.testing.assert_allclose(actual, [getattr(r, method)() for r in refs], rtol=rtol, err_msg=method)
    np.testing.assert_array_equal(out[5], [5.0, 2.0])


def test_tolerance_integers_sampling_and_slicing():
    d = FiniteDiscrete(OUTCOMES, probs=PROBS[0])
    assert d.prob(2.0 + 1e-15) == pytest.approx(0.3)
    assert d.prob(2.0 + 1e-6) == 0
    counts = FiniteDiscrete(np.array([1, 2, 5]), probs=[0.2, 0.3, 0.5])
    assert counts.dtype == np.array([1]).dtype
    draws = np.asarray(counts.sample(5000, seed=1))
    assert draws.dtype == counts.dtype
    observed = [(draws == v).sum() for v in (1, 2, 5)]
    assert scipy.stats.chisquare(observed, [1000, 1500, 2500]).pvalue > 1e-3
    batched = FiniteDiscrete(OUTCOMES, probs=PROBS)
    np.testing.assert_allclose(batched[1].mean(), batched.mean()[1])
    assert batched.sample((3,), seed=0).shape == (3, 2)
    with pytest.raises(ValueError, match="outcomes has 3 values"):
        FiniteDiscrete([1.0, 2.0, 3.0], probs=[0.5, 0.5])
    with pytest.raises(ValueError, match="ascending"):
        FiniteDiscrete([2.0, 1.0], probs=[0.5, 0.5], validate_args=True)
