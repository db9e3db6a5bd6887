import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([[0.3, -1.2, 0.8, 0.1], [1.5, 0.2, -0.4, 2.0]])


def _affine(weight):
    def fn(x0):
        h = jnp.tanh(x0 @ jnp.full((x0.shape[-1], 2), weight))
        return h, 0.3 * jnp.flip(h, axis=-1)

    return fn


def _spline(x0):
    base = jnp.sum(x0, axis=-1, keepdims=True)
    widths = jnp.broadcast_to(jnp.stack([jnp.ones_like(base), 1 + base**2], -1), (*base.shape[:-1], 2, 2))
    widths = 6 * widths / jnp.sum(widths, -1, keepdims=True)
    heights = jnp.flip(widths, -1)
    slopes = jnp.broadcast_to(jnp.exp(jnp.tanh(base))[..., None], (*base.shape[:-1], 2, 1))
    return tfb.RationalQuadraticSpline(widths, heights, slopes, range_min=-3.0)


# Plain functions are static parts of a bijector, so their weights are fixed here (a trainable
# network is an NNX module, a pytree child; see test_masked_autoregressive_flow).
CASES = [
    BijectorCase("leading", lambda: tfb.RealNVP(num_masked=2, shift_and_log_scale_fn=_affine(0.7)), {}, X),
    BijectorCase("trailing", lambda: tfb.RealNVP(num_masked=-2, shift_and_log_scale_fn=_affine(0.7)), {}, X),
    BijectorCase(
        "fraction", lambda: tfb.RealNVP(fraction_masked=0.5, shift_and_log_scale_fn=_affine(-0.4)), {}, X
    ),
    BijectorCase("spline_coupling", lambda: tfb.RealNVP(num_masked=2, bijector_fn=_spline), {}, X),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_masked_part_passes_through():
    layer = tfb.RealNVP(num_masked=2, shift_and_log_scale_fn=_affine(0.7))
    np.testing.assert_allclose(layer.forward(X)[:, :2], X[:, :2])
    layer = tfb.RealNVP(
        num_masked=-1, shift_and_log_scale_fn=lambda x0: (jnp.broadcast_to(x0, (2, 3)), jnp.zeros((2, 3)))
    )
    np.testing.assert_allclose(layer.forward(X)[:, -1], X[:, -1])


def test_clear_errors():
    with pytest.raises(ValueError, match="exactly one of num_masked"):
        tfb.RealNVP(shift_and_log_scale_fn=_affine(1.0))
    with pytest.raises(ValueError, match="fraction_masked must be in"):
        tfb.RealNVP(fraction_masked=1.5, shift_and_log_scale_fn=_affine(1.0))
    with pytest.raises(ValueError, match="leaves nothing to transform"):
        tfb.RealNVP(num_masked=4, shift_and_log_scale_fn=_affine(1.0)).forward(X)
