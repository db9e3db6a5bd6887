"""ECE, Brier score and reliability bins against hand computations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.distributions import Bernoulli, Categorical, Normal, OneHotCategorical
from probax.layers.independent_heads import IndependentBernoulli
from probax.layers.mixture_heads import CategoricalMixtureOfOneHotCategorical
from probax.metrics.classification import brier_score, calibration_bins, expected_calibration_error

RNG = np.random.default_rng(3)


def hand_ece(probs, labels, num_bins):
    confidence, predicted = probs.max(-1), probs.argmax(-1)
    total = 0.0
    for b in range(num_bins):
        low, high = b / num_bins, (b + 1) / num_bins
        members = (confidence > low) & (confidence <= high)
        if b == 0:
            members |= confidence == 0
        if members.any():
            accuracy = np.mean(predicted[members] == labels[members])
            total += members.mean() * abs(accuracy - confidence[members].mean())
    return total


def test_categorical_ece_and_brier_match_hand_computation():
    logits = RNG.normal(size=(50, 4)) * 2
    labels = RNG.integers(0, 4, size=50)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    d = Categorical(logits=logits)
    np.testing.assert_allclose(expected_calibration_error(d, labels, num_bins=5), hand_ece(probs, labels, 5),
                               rtol=1e-10)
    expected_brier = np.sum((probs - np.eye(4)[labels]) ** 2, -1)
    np.testing.assert_allclose(brier_score(d, labels), expected_brier.mean(), rtol=1e-12)
    one_hot = OneHotCategorical(logits=logits)
    per_point = brier_score(one_hot, np.eye(4)[labels], reduce=False)
    np.testing.assert_allclose(per_point, expected_brier, rtol=1e-12)
    np.testing.assert_allclose(expected_calibration_error(one_hot, np.eye(4)[labels], num_bins=5),
                               hand_ece(probs, labels, 5), rtol=1e-10)


def test_binary_predictions():
    p = RNG.uniform(size=40)
    y = (RNG.uniform(size=40) < p).astype(np.int32)
    np.testing.assert_allclose(brier_score(Bernoulli(probs=p), y), np.mean((p - y) ** 2), rtol=1e-12)
    both = np.stack([1 - p, p], -1)
    ece = expected_calibration_error(Bernoulli(probs=p), y)
    np.testing.assert_allclose(ece, hand_ece(both, y, 10), rtol=1e-10)
    head = IndependentBernoulli(1)(np.log(p / (1 - p))[:, None])  # the head's (40, 1) layout
    np.testing.assert_allclose(brier_score(head, y[:, None]), np.mean((p - y) ** 2), rtol=1e-10)


def test_mixture_head_uses_mean_probabilities():
    params = RNG.normal(size=(6, CategoricalMixtureOfOneHotCategorical.params_size(3, 2)))
    labels = RNG.integers(0, 3, size=6)
    d = CategoricalMixtureOfOneHotCategorical(3, 2)(params)
    probs = np.asarray(d.mean())
    np.testing.assert_allclose(brier_score(d, np.eye(3)[labels]),
                               np.mean(np.sum((probs - np.eye(3)[labels]) ** 2, -1)), rtol=1e-12)


def test_calibration_bins_and_perfect_calibration():
    d = Bernoulli(probs=jnp.array([0.9, 0.9, 0.65, 0.3]))
    conf, acc, count = calibration_bins(d, jnp.array([1, 0, 1, 0]), 5)
    np.testing.assert_array_equal(count, [0, 0, 0, 2, 2])  # confidences 0.9, 0.9, 0.65, 0.7
    np.testing.assert_allclose(conf, [0, 0, 0, 0.675, 0.9])
    np.testing.assert_allclose(acc, [0, 0, 0, 1.0, 0.5])
    n = 20_000
    p = RNG.uniform(size=n)
    y = (RNG.uniform(size=n) < p).astype(np.int32)
    assert float(expected_calibration_error(Bernoulli(probs=p), y)) < 0.03
    assert float(expected_calibration_error(Bernoulli(probs=p**3), y)) > 0.1


def test_jit_and_errors():
    logits = jnp.asarray(RNG.normal(size=(8, 3)))
    labels = jnp.asarray(RNG.integers(0, 3, size=8))
    value = jax.jit(lambda lg, lb: expected_calibration_error(Categorical(logits=lg), lb))(logits, labels)
    eager = expected_calibration_error(Categorical(logits=logits), labels)
    np.testing.assert_allclose(value, eager, rtol=1e-12)
    with pytest.raises(TypeError, match="expected a Categorical, Bernoulli or one-hot"):
        brier_score(Normal(0.0, 1.0), 0.0)
    with pytest.raises(ValueError, match="num_bins must be a positive int"):
        expected_calibration_error(Categorical(logits=logits), labels, num_bins=0)
    with pytest.raises(ValueError, match="one-hot labels must end with 3 classes"):
        brier_score(OneHotCategorical(logits=logits), labels)
