"""The OneHotCategorical distribution: a Categorical draw written as a one-hot vector."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax.distributions import constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL, kl_divergence
from probax.distributions.multinomial import ClassProbabilitiesMixin, counts_summing_to
from probax.distributions.parameterization import exactly_one
from probax.distributions.simplex_covariance import SimplexCovarianceMixin

_ONE_HOT = counts_summing_to(1, "a one-hot vector (one 1, the rest 0)")


class OneHotCategorical(ClassProbabilitiesMixin, SimplexCovarianceMixin, Distribution):
    """Categorical distribution over one-hot vectors of length K.

    P[X = e_k] = softmax(logits)[k] = probs[k], where e_k has a single 1 at position k.
    The maths is Categorical's (the class index is `argmax(x)`); the event shape is [K].

    Args:
      logits: unnormalized log-probabilities, shaped `batch_shape + [K]`.
      probs: probabilities (non-negative, summing to 1 along the last axis).
      dtype: dtype of samples and of the mode (int32 by default, as in TFP).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = OneHotCategorical(probs=jnp.array([0.2, 0.5, 0.3]))
      >>> round(float(d.prob(jnp.array([0, 1, 0]))), 6)
      0.5
      >>> d.mode().tolist()
      [0, 1, 0]

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _static_names = ("dtype",)
    _value_support = _ONE_HOT

    def __init__(self, logits=None, probs=None, dtype=jnp.int32, validate_args=False, allow_nan_stats=True,
                 name=None):
        exactly_one("OneHotCategorical", logits=logits, probs=probs)
        super().__init__(logits=logits, probs=probs, dtype=dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            logits=ParameterProperties(event_ndims=1, constraint=constraints.real),
            probs=ParameterProperties(event_ndims=1, constraint=constraints.simplex),
        )

    def _sample(self, shape, key):
        categorical = self._categorical()
        return jax.nn.one_hot(categorical._sample(shape, key), categorical.num_categories, dtype=self.dtype)

    def _log_prob(self, x):
        # The base masks everything that is not one-hot, so the class is the position of the 1.
        log_prob = self._categorical().log_prob(jnp.argmax(x, axis=-1))
        return jnp.where(jnp.any(jnp.isnan(x), axis=-1), jnp.nan, log_prob)

    def _mean(self):
        return self._normalized_probs()

    def _normalized_probs(self):
        return jnp.exp(self._categorical()._log_probs())

    def _covariance_parts(self):
        probs = self._normalized_probs()
        return jnp.ones(probs.shape[:-1], probs.dtype), probs

    def _mode(self):
        categorical = self._categorical()
        return jax.nn.one_hot(categorical.mode(), categorical.num_categories, dtype=self.dtype)

    def _entropy(self):
        return self._categorical().entropy()


@RegisterKL(OneHotCategorical, OneHotCategorical)
def _kl_one_hot_categorical(p: OneHotCategorical, q: OneHotCategorical):
    return kl_divergence(p._categorical(), q._categorical())
