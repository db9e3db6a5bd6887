"""Independent: reinterpret the rightmost batch dimensions of a distribution as event dimensions.

`Independent(Normal(zeros([3, 4]), 1.), reinterpreted_batch_ndims=1)` is a batch of 3
distributions over vectors of 4 independent normals: its `log_prob` sums the inner
log-densities over the reinterpreted dimensions.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from probax._internal.shapes import Shape, expand_batch_index, pad_leading
from probax.distributions.composite import CompositeDistribution, InnerSummaries, require_distribution
from probax.distributions.distribution import Distribution
from probax.distributions.kl import RegisterKL, kl_divergence


class Independent(InnerSummaries, CompositeDistribution):
    """A batch of distributions whose rightmost `reinterpreted_batch_ndims` batch dims form the event.

    log p(x) = sum over the reinterpreted dimensions of the inner log p(x). Shapes: with inner
    batch shape `B + R` (`len(R) = reinterpreted_batch_ndims`) and event shape `E`, the result
    has batch shape `B` and event shape `R + E`.

    Args:
      distribution: the inner distribution.
      reinterpreted_batch_ndims: how many rightmost batch dimensions become event dimensions.
        None (TFP's default) reinterprets all but the first batch dimension,
        `max(0, len(distribution.batch_shape) - 1)`.
      validate_args: check values, raising `ValueError` on bad ones.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> d = Independent(Normal(jnp.zeros([3, 4]), 1.), reinterpreted_batch_ndims=1)
      >>> d.batch_shape, d.event_shape
      ((3,), (4,))
      >>> d.log_prob(jnp.zeros(4)).shape
      (3,)

    """

    _child_names = ("distribution",)
    _static_names = ("reinterpreted_batch_ndims",)

    def __init__(
        self,
        distribution: Distribution,
        reinterpreted_batch_ndims: int | None = None,
        validate_args: bool = False,
        name: str | None = None,
    ):
        require_distribution(distribution, "Independent")
        batch_rank = len(distribution.batch_shape)
        if reinterpreted_batch_ndims is None:
            reinterpreted_batch_ndims = max(0, batch_rank - 1)
        if isinstance(reinterpreted_batch_ndims, bool) or not isinstance(
            reinterpreted_batch_ndims, int | np.integer
        ):
            raise ValueError(
                "Independent: reinterpreted_batch_ndims must be a Python int, "
                f"got {reinterpreted_batch_ndims!r}."
            )
        if not 0 <= reinterpreted_batch_ndims <= batch_rank:
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims must be in [0, {batch_rank}] (the rank of the "
                f"inner batch_shape {distribution.batch_shape}), got {reinterpreted_batch_ndims}."
            )
        super().__init__(
            distribution=distribution,
            reinterpreted_batch_ndims=int(reinterpreted_batch_ndims),
            validate_args=validate_args,
            allow_nan_stats=distribution.allow_nan_stats,
            name=name,
        )

    # ------------------------------------------------------------------ shapes
    def _split(self) -> int:
        return len(self.distribution.batch_shape) - self.reinterpreted_batch_ndims

    def _batch_shape(self) -> Shape:
        return self.distribution.batch_shape[: self._split()]

    def _event_shape(self) -> Shape:
        return self.distribution.batch_shape[self._split() :] + self.distribution.event_shape

    def _value_as_array(self, value):
        # The inner distribution converts the dtype; a value of lower rank than the event
        # broadcasts against it, as in TFP.
        return pad_leading(jnp.asarray(value), len(self.event_shape))

    def _sum_reinterpreted(self, x):
        axes = tuple(range(x.ndim - self.reinterpreted_batch_ndims, x.ndim))
        return jnp.sum(x, axis=axes) if axes else x

    # ------------------------------------------------------------------ sampling and densities
    def _sample(self, shape: Shape, key: jax.Array) -> jax.Array:
        sample_shape = shape[: len(shape) - len(self.batch_shape)]
        return self.distribution.sample(sample_shape, seed=key)

    def _log_prob(self, value):
        return self._sum_reinterpreted(self.distribution.log_prob(value))

    def _log_cdf(self, value):
        # P[X <= x] of independent coordinates is the product of the coordinates' cdfs.
        return self._sum_reinterpreted(self.distribution.log_cdf(value))

    def _survival_function(self, value):
        # P[X > x] is not a product over coordinates (nor 1 - cdf, in the joint sense).
        raise self._not_implemented("survival_function")

    def _log_survival_function(self, value):
        raise self._not_implemented("log_survival_function")

    def _quantile(self, probability):
        # Reached only for a scalar event (nothing reinterpreted, scalar inner event).
        return self.distribution.quantile(probability)

    # ------------------------------------------------------------------ summaries
    def _entropy(self):
        return self._sum_reinterpreted(self.distribution.entropy())

    def covariance(self) -> jax.Array:
        """Covariance of the event, shaped `batch_shape + event_shape + event_shape`.

        Coordinates in different reinterpreted positions are independent, so the covariance is
        block diagonal: the inner covariance (the inner variance for a scalar inner event) on
        the diagonal blocks, zero elsewhere.
        """
        inner = self.distribution
        blocks = inner.variance() if inner.event_shape == () else inner.covariance()
        return block_diagonal_covariance(
            blocks, self.batch_shape, self.distribution.batch_shape[self._split() :], inner.event_shape
        )

    def experimental_default_event_space_bijector(self):
        """The inner distribution's bijector (its log-det sums over whatever `event_ndims` is asked).

        Example:
          >>> from probax.distributions.gamma import Gamma
          >>> d = Independent(Gamma(jnp.ones(3), 1.), 1)
          >>> d.experimental_default_event_space_bijector().forward_log_det_jacobian(
          ...     jnp.zeros(3), event_ndims=1).shape
          ()

        """
        return self.distribution.experimental_default_event_space_bijector()

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> Independent:
        """Slice the batch dimensions; the reinterpreted (event) dimensions are kept whole."""
        index = expand_batch_index(index, self.batch_shape, type(self).__name__)
        inner = self.distribution[index + (slice(None),) * self.reinterpreted_batch_ndims]
        return self._tree_unflatten(self._tree_flatten()[1], (inner,))


def block_diagonal_covariance(blocks, batch_shape: Shape, block_index_shape: Shape, block_event_shape: Shape):
    """Covariance of independent blocks laid out on `block_index_shape`.

    Args:
      blocks: each block's covariance, shaped `batch_shape + block_index_shape + E + E` (or, for
        a scalar block event `E = ()`, its variance, shaped `batch_shape + block_index_shape`);
        broadcastable to that shape.
      batch_shape: the batch shape of the result.
      block_index_shape: the shape over which blocks are independent.
      block_event_shape: `E`, the event shape of one block.

    Returns:
      An array shaped `batch_shape + I + E + I + E` (`I = block_index_shape`), zero between blocks.

    Example:
      >>> block_diagonal_covariance(jnp.array([1., 2.]), (), (2,), ()).tolist()
      [[1.0, 0.0], [0.0, 2.0]]

    """
    num_blocks, block_size = math.prod(block_index_shape), math.prod(block_event_shape)
    full = batch_shape + block_index_shape + block_event_shape + block_event_shape
    blocks = jnp.broadcast_to(pad_leading(jnp.asarray(blocks), len(full)), full)
    blocks = blocks.reshape((*batch_shape, num_blocks, block_size, 1, block_size))
    eye = jnp.eye(num_blocks, dtype=blocks.dtype).reshape((num_blocks, 1, num_blocks, 1))
    result = blocks * pad_leading(eye, blocks.ndim)
    return result.reshape(
        batch_shape + block_index_shape + block_event_shape + block_index_shape + block_event_shape
    )


@RegisterKL(Independent, Independent)
def _kl_independent_independent(a: Independent, b: Independent):
    """KL[a || b] = the inner KL summed over the reinterpreted dimensions."""
    if a.reinterpreted_batch_ndims != b.reinterpreted_batch_ndims:
        raise ValueError(
            "kl_divergence(Independent, Independent): reinterpreted_batch_ndims differ "
            f"({a.reinterpreted_batch_ndims} vs {b.reinterpreted_batch_ndims})."
        )
    if a.event_shape != b.event_shape:
        raise ValueError(
            f"kl_divergence(Independent, Independent): event shapes differ ({a.event_shape} vs "
            f"{b.event_shape})."
        )
    return a._sum_reinterpreted(kl_divergence(a.distribution, b.distribution))
