import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from scipy import stats

from probax.distributions.normal import Normal
from probax.training.losses import RegularizationLoss, nll, regularization_loss


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_nll_is_per_example_negative_log_density(dtype):
    y = np.array([-1.0, 0.5, 2.0])
    values = nll(jnp.asarray(y, dtype), Normal(jnp.asarray([0.0, 1.0, -1.0], dtype), jnp.asarray(2.0, dtype)))
    assert values.dtype == dtype and values.shape == (3,)
    expected = -stats.norm.logpdf(y, loc=[0.0, 1.0, -1.0], scale=2.0)
    np.testing.assert_allclose(values, expected, rtol=1e-6 if dtype == jnp.float32 else 1e-12)


def test_nll_rejects_a_non_distribution():
    with pytest.raises(TypeError, match="must be a probax Distribution"):
        nll(jnp.zeros(2), jnp.zeros(2))


class TwoTerms(nnx.Module):
    def __init__(self):
        self.inner = RegularizationLoss(jnp.zeros((), jnp.float32))
        self.outer = RegularizationLoss(jnp.zeros((2,), jnp.float32))

    def __call__(self):
        self.inner[...] = jnp.asarray(1.5, jnp.float32)
        self.outer[...] = jnp.asarray([0.25, 0.25], jnp.float32)


def test_regularization_loss_sums_every_term_and_keeps_precision():
    model = TwoTerms()
    assert float(regularization_loss(model)) == 0.0
    model()
    total = regularization_loss(model)
    assert float(total) == 2.0 and total.dtype == jnp.float32
    assert float(regularization_loss(nnx.Linear(1, 1, rngs=nnx.Rngs(0)))) == 0.0
