"""MCDropout: drops at the given rate in every mode, including probax's inference-mode predict."""

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from probax.layers.mc_dropout import MCDropout
from probax.training.evaluation import predict


def test_mask_values_and_rate():
    layer = MCDropout(0.3, rngs=nnx.Rngs(0))
    out = np.asarray(layer(jnp.ones((100, 100))))
    assert set(np.unique(out).tolist()) == {0.0, 1.0 / 0.7}
    dropped = np.mean(out == 0)
    assert abs(dropped - 0.3) < 5 * np.sqrt(0.3 * 0.7 / out.size)
    assert not np.array_equal(out, np.asarray(layer(jnp.ones((100, 100)))))  # a fresh mask per call


def test_stays_on_in_inference_mode_and_under_jit():
    model = nnx.Sequential(nnx.Linear(2, 50, rngs=nnx.Rngs(0)), MCDropout(0.5, rngs=nnx.Rngs(1)))
    model.eval()
    x = jnp.ones((3, 2))
    inference = nnx.view(model, deterministic=True, raise_if_not_found=False)
    outputs = [np.asarray(model(x)), np.asarray(inference(x)),
               np.asarray(nnx.jit(lambda m, x: m(x))(model, x)), np.asarray(predict(model, x))]
    for out in outputs:
        assert np.mean(out == 0) > 0.3  # about half of the units dropped
    assert not np.array_equal(outputs[2], np.asarray(predict(model, x)))


def test_rate_zero_is_identity_and_needs_no_rngs():
    x = jnp.arange(6.0)
    np.testing.assert_array_equal(MCDropout(0.0)(x), x)


def test_broadcast_dims_share_the_mask():
    out = np.asarray(MCDropout(0.5, broadcast_dims=(0,), rngs=nnx.Rngs(0))(jnp.ones((4, 50))))
    assert np.all(out == out[:1]) and 0 < np.mean(out == 0) < 1


def test_gradient_flows_through_kept_units():
    layer = MCDropout(0.5, rngs=nnx.Rngs(0))
    grad = nnx.grad(lambda m, x: jnp.sum(m(x)), argnums=1)(layer, jnp.ones(20))
    assert set(np.unique(np.asarray(grad)).tolist()) == {0.0, 2.0}


def test_bad_arguments():
    for rate in (1.0, -0.1, "0.5"):
        with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
            MCDropout(rate, rngs=nnx.Rngs(0))
    with pytest.raises(TypeError, match=r"rngs must be an nnx\.Rngs"):
        MCDropout(0.5)
