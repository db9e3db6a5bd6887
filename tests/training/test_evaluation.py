import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from scipy import stats

from probax.distributions.normal import Normal
from probax.training.evaluation import evaluate, predict
from tests.training.models import LinearNormal

X = np.linspace(-2, 2, 10)[:, None]
Y = 0.5 * X + 1.0


class FixedNormal(nnx.Module):
    """loc = x, scale = 2: the predictions are known in closed form."""

    def __call__(self, x):
        return Normal(loc=x[:, 0], scale=jnp.asarray(2.0))


def test_evaluate_matches_scipy_with_any_batch_size():
    expected = -np.mean(stats.norm.logpdf(Y[:, 0], loc=X[:, 0], scale=2.0))
    for batch_size in (None, 3):
        logs = evaluate(FixedNormal(), X, Y[:, 0], batch_size=batch_size,
                        metrics={"squared_error": lambda y, d: (y - d.mean()) ** 2})
        np.testing.assert_allclose(logs["loss"], expected, rtol=1e-12)
        np.testing.assert_allclose(logs["squared_error"], np.mean((Y[:, 0] - X[:, 0]) ** 2), rtol=1e-12)


def test_predict_joins_batches_of_a_distribution():
    dist = predict(FixedNormal(), X, batch_size=3)
    assert isinstance(dist, Normal) and dist.batch_shape == (10,)
    np.testing.assert_array_equal(dist.mean(), X[:, 0])
    np.testing.assert_array_equal(dist.stddev(), np.full(10, 2.0))  # the unbatched scale is kept


def test_predict_matches_a_direct_call_in_inference_mode():
    model = LinearNormal(nnx.Rngs(0), dropout=0.5)
    first = predict(model, X, batch_size=4)
    again = predict(model, X)
    np.testing.assert_allclose(first.mean(), again.mean(), rtol=1e-6)  # no dropout at inference
    model.eval()
    np.testing.assert_allclose(first.mean(), model(X).mean(), rtol=1e-6)
    np.testing.assert_allclose(first.stddev(), model(X).stddev(), rtol=1e-6)


def test_predict_of_array_outputs():
    out = predict(nnx.Linear(1, 2, rngs=nnx.Rngs(0)), X, batch_size=4)
    assert out.shape == (10, 2)


def test_evaluate_rejects_mismatched_data():
    with pytest.raises(ValueError, match="same number of examples"):
        evaluate(FixedNormal(), X, Y[:5, 0])
