import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from probax import bijectors as tfb
from probax import distributions as tfd
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(10)
FEATURES = 2
Y = 1.5 + 3.0 * RNG.normal(size=(64, FEATURES))
X = RNG.normal(size=(3, FEATURES))
PARAMS = {
    "moving_mean": np.array([[0.5, -1.0], [2.0, 0.0], [0.0, 3.0]]),
    "moving_variance": np.array([[1.0, 4.0], [0.25, 9.0], [2.0, 0.5]]),
    "beta": np.array([[0.1, -0.2], [0.0, 1.0], [-3.0, 0.5]]),
    "gamma": np.array([[1.5, 0.5], [-2.0, 1.0], [0.7, 3.0]]),
}

CASES = [
    # Inference mode (moving statistics): a feature-wise affine map, one parameter set per member.
    BijectorCase("inference", lambda **p: tfb.BatchNormalization(**p, training=False), PARAMS, X),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)

EPSILON = 1e-3


def test_training_inverse_normalizes_with_batch_statistics():
    gamma, beta = np.array([2.0, 0.5]), np.array([1.0, -1.0])
    bn = tfb.BatchNormalization(jnp.zeros(FEATURES), jnp.ones(FEATURES), beta=beta, gamma=gamma)
    x, log_det = bn.inverse_and_log_det(Y)
    mean, variance = Y.mean(0), Y.var(0)  # biased variance, as Keras
    np.testing.assert_allclose(x, (Y - mean) / np.sqrt(variance + EPSILON) * gamma + beta, rtol=1e-10)
    assert log_det.shape == ()  # shared by the batch, as in TFP
    np.testing.assert_allclose(log_det, np.sum(np.log(gamma) - 0.5 * np.log(variance + EPSILON)), rtol=1e-12)
    # A wider event counts the shared log-det once per extra element.
    wider = bn.inverse_log_det_jacobian(Y.reshape(8, 8, FEATURES), 2)
    np.testing.assert_allclose(wider, 8 * log_det, rtol=1e-12)


def test_forward_uses_moving_statistics_in_both_modes():
    moving_mean, moving_variance = np.array([1.0, -2.0]), np.array([4.0, 0.25])
    for training in (True, False):
        bn = tfb.BatchNormalization(moving_mean, moving_variance, training=training)
        scale = np.sqrt(moving_variance + EPSILON)
        np.testing.assert_allclose(bn.forward(X), X * scale + moving_mean, rtol=1e-12)
        np.testing.assert_allclose(bn.forward_log_det_jacobian(X), np.sum(np.log(scale)), rtol=1e-12)
    assert tfb.BatchNormalization(moving_mean, moving_variance, training=False).is_constant_jacobian
    assert not tfb.BatchNormalization(moving_mean, moving_variance).is_constant_jacobian


def test_update_is_an_exponential_moving_average_without_gradient():
    bn = tfb.BatchNormalization(jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0]), momentum=0.9)
    new = bn.update(Y)
    assert isinstance(new, tfb.BatchNormalizationStatistics)
    np.testing.assert_allclose(new.moving_mean, 0.9 * np.array([1.0, 2.0]) + 0.1 * Y.mean(0), rtol=1e-12)
    np.testing.assert_allclose(new.moving_variance, 0.9 * np.array([3.0, 4.0]) + 0.1 * Y.var(0), rtol=1e-12)
    grad = jax.grad(lambda y: jnp.sum(bn.update(y).moving_mean))(Y)
    np.testing.assert_array_equal(grad, np.zeros_like(Y))


def test_log_prob_and_optax_training_loop():
    def flow(params, statistics, training):
        bijector = tfb.BatchNormalization(*statistics, **params, momentum=0.8, training=training)
        return tfd.TransformedDistribution(tfd.Normal(0.0, 1.0), bijector, event_shape=[FEATURES])

    params = {"beta": jnp.array([1.0, -1.0]), "gamma": jnp.array([2.0, 0.5])}
    statistics = tfb.BatchNormalizationStatistics(jnp.zeros(FEATURES), jnp.ones(FEATURES))
    # log p(y) = sum_features log N(inverse(y); 0, 1) + log|det J_inverse|.
    x, log_det = flow(params, statistics, True).bijector.inverse_and_log_det(Y)
    expected = np.sum(stats.norm.logpdf(np.asarray(x)), axis=-1) + float(log_det)
    np.testing.assert_allclose(flow(params, statistics, True).log_prob(Y), expected, rtol=1e-10)

    optimizer = optax.sgd(0.5)

    @jax.jit
    def step(params, statistics, opt_state):
        loss = lambda p: -jnp.mean(flow(p, statistics, True).log_prob(Y))  # noqa: E731
        updates, opt_state = optimizer.update(jax.grad(loss)(params), opt_state)
        new_statistics = flow(params, statistics, True).bijector.update(Y)
        return optax.apply_updates(params, updates), new_statistics, opt_state

    opt_state = optimizer.init(params)
    for _ in range(40):
        params, statistics, opt_state = step(params, statistics, opt_state)
    # In training mode z = (y - mean) / sqrt(var + eps) has mean 0 and second moment s = var / (var + eps),
    # so the per-feature loss 0.5 E[(gamma z + beta)^2] - log gamma is least at beta = 0, gamma = s^{-1/2}.
    # Its curvature is about 2 in each, so steps of 0.5 contract the error ~geometrically: 40 steps
    # reach double precision. The moving statistics reach the batch's (0.8^40 ~ 1e-4 of the start).
    np.testing.assert_allclose(params["beta"], 0.0, atol=1e-10)
    np.testing.assert_allclose(params["gamma"], np.sqrt((Y.var(0) + EPSILON) / Y.var(0)), rtol=1e-10)
    np.testing.assert_allclose(statistics.moving_mean, Y.mean(0), rtol=1e-3)
    np.testing.assert_allclose(statistics.moving_variance, Y.var(0), rtol=1e-3)
    inference = flow(params, statistics, False)
    training = flow(params, statistics, True)
    np.testing.assert_allclose(inference.bijector.inverse(Y), training.bijector.inverse(Y),
                               rtol=1e-3, atol=1e-3)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="`moving_variance` must be non-negative"):
        tfb.BatchNormalization(jnp.zeros(2), -jnp.ones(2), validate_args=True)
    with pytest.raises(ValueError, match="`gamma` must be non-zero"):
        tfb.BatchNormalization(jnp.zeros(2), jnp.ones(2), gamma=jnp.zeros(2), validate_args=True)
    with pytest.raises(ValueError, match="momentum must be in"):
        tfb.BatchNormalization(jnp.zeros(2), jnp.ones(2), momentum=1.5)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        tfb.BatchNormalization(jnp.zeros(2), jnp.ones(2), epsilon=0.0)
