"""FiniteDiscrete: a categorical distribution over a given list of (numeric) outcomes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from probax._internal import checks
from probax._internal.shapes import Shape, broadcast_shapes, expand_batch_index, pad_leading
from probax.distributions import constraints
from probax.distributions.categorical import Categorical
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.parameterization import exactly_one


class FiniteDiscrete(Distribution):
    """P[X = outcomes[k]] = probs[k] (or softmax(logits)[k]) over K ascending outcomes.

    A value counts as `outcomes[k]` when |x - outcomes[k]| <= atol + rtol * |outcomes[k]|
    (exact equality for integer outcomes). `outcomes` may also carry batch dimensions
    (`batch_shape + [K]`), a generalization of TFP's 1-D outcomes.

    Args:
      outcomes: the K possible values, strictly ascending along the last axis (floating or
        integer; samples have this dtype).
      logits: unnormalized log-probabilities, shaped `batch_shape + [K]`.
      probs: probabilities, shaped `batch_shape + [K]`. Give exactly one of the two.
      rtol: relative tolerance for matching floating values (default 10 * eps).
      atol: absolute tolerance for matching floating values (default 10 * eps).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = FiniteDiscrete([1., 2., 5.], probs=[0.2, 0.3, 0.5])
      >>> round(float(d.prob(2.)), 6), round(float(d.cdf(4.)), 6), round(float(d.mean()), 6)
      (0.3, 0.5, 3.3)
      >>> float(d.mode())
      5.0

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _child_names = ("outcomes",)

    def __init__(self, outcomes, logits=None, probs=None, rtol=None, atol=None, validate_args=False,
                 allow_nan_stats=True, name=None):
        exactly_one("FiniteDiscrete", logits=logits, probs=probs)
        outcomes = jnp.asarray(outcomes)
        if outcomes.ndim < 1:
            raise ValueError("FiniteDiscrete: outcomes must have at least one dimension (the K outcomes).")
        if jnp.issubdtype(outcomes.dtype, jnp.floating):
            eps = float(jnp.finfo(outcomes.dtype).eps)
            rtol, atol = (10 * eps if rtol is None else rtol), (10 * eps if atol is None else atol)
        elif jnp.issubdtype(outcomes.dtype, jnp.integer):
            rtol = atol = None
        else:
            raise ValueError(f"FiniteDiscrete: outcomes must be floating or integer, got {outcomes.dtype}.")
        num_classes = np.shape(logits if logits is not None else probs)[-1:]
        if num_classes != outcomes.shape[-1:]:
            raise ValueError(
                f"FiniteDiscrete: outcomes has {outcomes.shape[-1]} values but the "
                f"{'logits' if logits is not None else 'probs'} have {num_classes} classes."
            )
        super().__init__(outcomes=outcomes, logits=logits, probs=probs, rtol=rtol, atol=atol,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            logits=ParameterProperties(event_ndims=1, constraint=constraints.real),
            probs=ParameterProperties(event_ndims=1, constraint=constraints.simplex),
            rtol=ParameterProperties(constraint=constraints.nonnegative),
            atol=ParameterProperties(constraint=constraints.nonnegative),
        )

    def _validate_parameter_relations(self) -> None:
        if self.outcomes.shape[-1] > 1:
            checks.check(jnp.all(self.outcomes[..., 1:] > self.outcomes[..., :-1]),
                         "FiniteDiscrete: `outcomes` must be strictly ascending along the last axis.")

    # ------------------------------------------------------------------ shapes and pytree
    @property
    def dtype(self):
        """Dtype of the samples: the outcomes'."""
        return self.outcomes.dtype

    def _parameter_dtype(self):
        return (self.logits if self.logits is not None else self.probs).dtype

    def _batch_shape(self) -> Shape:
        return broadcast_shapes(super()._batch_shape(), self.outcomes.shape[:-1],
                                what="FiniteDiscrete outcomes and probabilities")

    def _with_batch_rank(self, rank: int) -> FiniteDiscrete:
        padded = super()._with_batch_rank(rank)
        return padded._replace_parameters(outcomes=pad_leading(self.outcomes, rank + 1))

    def __getitem__(self, index) -> FiniteDiscrete:
        """Slice the batch dimensions (outcomes included when they are batched)."""
        batch_shape = self.batch_shape
        index = expand_batch_index(index, batch_shape, type(self).__name__)
        sliced = super().__getitem__(index)
        if self.outcomes.ndim == 1:
            return sliced
        outcomes = jnp.broadcast_to(self.outcomes, batch_shape + self.outcomes.shape[-1:])
        return sliced._replace_parameters(outcomes=outcomes[(*index, slice(None))])

    def _value_as_array(self, value):
        value = jnp.asarray(value)
        if jnp.issubdtype(self.dtype, jnp.integer) and jnp.issubdtype(value.dtype, jnp.integer):
            return value
        return value.astype(self._parameter_dtype())

    # ------------------------------------------------------------------ parameters
    def _categorical(self) -> Categorical:
        return Categorical(logits=self.logits, probs=self.probs)

    def logits_parameter(self) -> jax.Array:
        """Logits, whichever parameter was given."""
        return self._categorical().logits_parameter()

    def probs_parameter(self) -> jax.Array:
        """Probabilities, whichever parameter was given."""
        return self._categorical().probs_parameter()

    def _log_probs(self):
        return jax.nn.log_softmax(self._categorical().logits_parameter(), axis=-1)

    def _matches(self, x):
        """Whether x equals (within tolerance) each outcome; outcome axis last."""
        x = x[..., None]
        if jnp.issubdtype(self.outcomes.dtype, jnp.integer):
            return x == self.outcomes
        slack = self.atol[..., None] + self.rtol[..., None] * jnp.abs(self.outcomes)
        return jnp.abs(x - self.outcomes) <= slack

    # ------------------------------------------------------------------ densities
    def _log_prob(self, x):
        log_probs = jnp.where(self._matches(x), self._log_probs(), -jnp.inf)
        return logsumexp(log_probs, axis=-1)

    def _cdf(self, x):
        at_or_below = self._matches(x) | (self.outcomes <= x[..., None])
        return jnp.sum(jnp.where(at_or_below, jnp.exp(self._log_probs()), 0.0), axis=-1)

    def _sample(self, shape, key):
        # Parameters are padded to rank len(shape), so the Categorical's _sample draws `shape` directly
        # once its logits cover the whole batch (outcomes may be batched where the logits are not).
        num_classes = self.outcomes.shape[-1]
        logits = jnp.broadcast_to(self.logits_parameter(), (*self.batch_shape, num_classes))
        index = Categorical(logits=logits)._sample(shape, key)
        table = jnp.broadcast_to(self.outcomes, (*self.batch_shape, num_classes)).reshape(-1, num_classes)
        members = table.shape[0]
        draws = table[jnp.arange(members), index.reshape(-1, members)]
        return draws.reshape(shape)

    # ------------------------------------------------------------------ summaries
    def _float_outcomes(self):
        return self.outcomes.astype(self._parameter_dtype())

    def _mean(self):
        return jnp.sum(jnp.exp(self._log_probs()) * self._float_outcomes(), axis=-1)

    def _variance(self):
        probs, outcomes = jnp.exp(self._log_probs()), self._float_outcomes()
        mean = jnp.sum(probs * outcomes, axis=-1, keepdims=True)
        return jnp.sum(probs * jnp.square(outcomes - mean), axis=-1)

    def _mode(self):
        index = jnp.argmax(self._log_probs(), axis=-1)
        outcomes = jnp.broadcast_to(self.outcomes, index.shape + self.outcomes.shape[-1:])
        return jnp.take_along_axis(outcomes, index[..., None], axis=-1)[..., 0]

    def _entropy(self):
        return self._categorical()._entropy()

    def experimental_default_event_space_bijector(self):
        """FiniteDiscrete is discrete: there is no event-space bijector."""
        raise NotImplementedError("FiniteDiscrete is discrete: it has no default event-space bijector.")
