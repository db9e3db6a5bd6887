"""Mixture: a finite mixture of distributions of possibly different families."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from probax._internal.shapes import Shape, broadcast_shapes, expand_batch_index, pad_leading
from probax.distributions.categorical import Categorical
from probax.distributions.composite import CompositeDistribution
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution
from probax.distributions.mixture_same_family import ScalarMixtureMethods, slice_part, total_variance


class Mixture(ScalarMixtureMethods, CompositeDistribution):
    """Mixture of a list of distributions that share batch and event shapes.

    p(x) = sum_k w_k p_k(x), with `w` the probabilities of `cat` and `p_k` the density of
    `components[k]`. Unlike `MixtureSameFamily`, the components may be of different
    families, so sampling draws every component and keeps the selected draw.

    Args:
      cat: a `Categorical` with `len(components)` classes; its batch shape broadcasts to the
        components'.
      components: a list of distributions with equal batch shapes, event shapes and dtypes.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.laplace import Laplace
      >>> from probax.distributions.normal import Normal
      >>> d = Mixture(Categorical(probs=[0.25, 0.75]), [Normal(0., 1.), Laplace(4., 1.)])
      >>> round(float(d.mean()), 6)
      3.0
      >>> d.sample(2, seed=0).shape
      (2,)

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _child_names = ("cat", "components")

    def __init__(self, cat, components, validate_args=False, allow_nan_stats=True, name=None):
        if not isinstance(cat, Distribution) or not hasattr(cat, "logits_parameter") or cat.event_shape:
            raise ValueError(f"Mixture: cat must be a Categorical, got {type(cat).__name__}.")
        components = list(components)
        if not components or not all(isinstance(c, Distribution) for c in components):
            raise ValueError("Mixture: components must be a non-empty list of Distributions.")
        first = components[0]
        for k, component in enumerate(components[1:], start=1):
            for what in ("batch_shape", "event_shape", "dtype"):
                if getattr(component, what) != getattr(first, what):
                    raise ValueError(
                        f"Mixture: components must share {what}; components[0] has "
                        f"{getattr(first, what)} but components[{k}] has {getattr(component, what)}."
                    )
        num_classes = getattr(cat, "num_categories", len(components))
        if num_classes != len(components):
            raise ValueError(
                f"Mixture: cat has {num_classes} classes but {len(components)} components were given."
            )
        batch = broadcast_shapes(cat.batch_shape, first.batch_shape, what="Mixture: cat and components")
        if batch != first.batch_shape:
            raise ValueError(
                f"Mixture: cat batch_shape {cat.batch_shape} must broadcast to the components' "
                f"batch_shape {first.batch_shape}."
            )
        super().__init__(cat=cat, components=components, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @property
    def dtype(self):
        """Dtype of the samples: the components'."""
        return self.components[0].dtype

    @property
    def num_components(self) -> int:
        """The number of components K."""
        return len(self.components)

    def _batch_shape(self) -> Shape:
        return self.components[0].batch_shape

    def _event_shape(self) -> Shape:
        return self.components[0].event_shape

    def _value_as_array(self, value):
        return self.components[0]._value_as_array(value)

    def _mixture_logits(self) -> jax.Array:
        return self.cat.logits_parameter()

    def _component_values(self, method: str, x) -> jax.Array:
        return self._stacked(method, x)

    def _stacked(self, method: str, *args) -> jax.Array:
        """Each component's `method(*args)`, stacked on a new last axis (all broadcast alike)."""
        values = [getattr(c, method)(*args) for c in self.components]
        return jnp.stack(jnp.broadcast_arrays(*values), axis=-1)

    # ------------------------------------------------------------------ densities
    def _log_prob(self, x):
        log_probs = self._stacked("log_prob", x)
        return logsumexp(log_probs + self._log_weights(log_probs.ndim), axis=-1)

    # ------------------------------------------------------------------ sampling
    def _sample(self, shape, key):
        keys = jax.random.split(key, self.num_components + 1)
        sample_shape = shape[: len(shape) - len(self.batch_shape)]
        logits = self.cat.logits_parameter()
        full = self.batch_shape + logits.shape[-1:]
        cat = Categorical(logits=jnp.broadcast_to(pad_leading(logits, len(full)), full))
        index = cat.sample(sample_shape, seed=keys[0])
        draws = jnp.stack(
            [c.sample(sample_shape, seed=k) for c, k in zip(self.components, keys[1:], strict=True)],
            axis=len(shape),
        )
        event_rank = len(self.event_shape)
        index = index.reshape(index.shape + (1,) * (event_rank + 1))
        return jnp.take_along_axis(draws, index, axis=len(shape))[(..., 0) + (slice(None),) * event_rank]

    # ------------------------------------------------------------------ summaries
    def _weights(self, rank: int) -> jax.Array:
        weights = jnp.exp(self._log_weights(rank - len(self.event_shape)))
        return weights.reshape(weights.shape + (1,) * len(self.event_shape))

    def _mean(self):
        means = jnp.stack([c.mean() for c in self.components], axis=len(self.batch_shape))
        return jnp.sum(self._weights(means.ndim) * means, axis=len(self.batch_shape))

    def _variance(self):
        axis = len(self.batch_shape)
        means = jnp.stack([c.mean() for c in self.components], axis=axis)
        variances = jnp.stack([c.variance() for c in self.components], axis=axis)
        return total_variance(self._weights(means.ndim), means, variances, axis=axis)

    def entropy_lower_bound(self) -> jax.Array:
        """sum_k w_k H[p_k], a lower bound on the entropy (concavity of -x log x), shaped `batch_shape`.

        Example:
          >>> from probax.distributions.normal import Normal
          >>> d = Mixture(Categorical(probs=[0.5, 0.5]), [Normal(0., 1.), Normal(9., 1.)])
          >>> round(float(d.entropy_lower_bound()), 4)  # a Normal's entropy, 0.5 log(2 pi e)
          1.4189

        """
        entropies = jnp.stack([c.entropy() for c in self.components], axis=-1)
        return jnp.sum(jnp.exp(self._log_weights(entropies.ndim)) * entropies, axis=-1)

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> Mixture:
        """Slice the batch dimensions of `cat` and of every component."""
        batch_shape = self.batch_shape
        index = expand_batch_index(index, batch_shape, type(self).__name__)
        cat = slice_part(self.cat, index, batch_shape)
        components = [c[index] for c in self.components]
        return self._tree_unflatten(self._tree_flatten()[1], (cat, components))
