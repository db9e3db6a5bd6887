"""KL penalties on a latent distribution: the function, the regularizer and the pass-through layer.

TFP's meaning: the penalty is `weight * KL[a || b]` summed over every batch member (a scalar added
to the loss), where `a` is the layer's input distribution and `b` a fixed prior. The KL is exact
(`use_exact_kl=True`, through the KL registry) or a Monte Carlo estimate
`mean(log a(z) - log b(z))` over test points `z = test_points_fn(a)`, by default the array the
distribution converts to (the same draw that the following layer sees).

`kl_divergence_loss` is the pure function (for any module system). `KLDivergenceRegularizer` is the
same as a callable object, to pass as a head's `activity_regularizer`; `KLDivergenceAddLoss` is the
pass-through NNX layer. Both layers store the term in a `RegularizationLoss` variable; the training loop
adds `regularization_loss(model)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from probax.distributions.distribution import Distribution
from probax.distributions.kl import kl_divergence
from probax.layers.regularization_loss import RegularizationLoss, record_regularization_loss
from probax.layers.tensor_coercible import convert_to_tensor

ReduceAxis = int | Sequence[int] | None


def kl_divergence_loss(distribution_a: Distribution,
                       distribution_b: Distribution | Callable[[], Distribution],
                       use_exact_kl: bool = False, test_points_reduce_axis: ReduceAxis = (),
                       test_points_fn: Callable[[Distribution], jax.Array] = convert_to_tensor,
                       weight=None) -> jax.Array:
    """`sum(weight * KL[a || b])`: the scalar penalty TFP's KL layers add to the loss.

    Args:
      distribution_a: the latent distribution (a head's output).
      distribution_b: the prior, or a function of no arguments returning it.
      use_exact_kl: use the registered analytic KL instead of a Monte Carlo estimate.
      test_points_reduce_axis: axes of `log a(z) - log b(z)` averaged in the Monte Carlo estimate
        (None: all; (): none).
      test_points_fn: maps `a` to its test points; by default its array conversion (a draw with the
        head's key).
      weight: multiplier of each batch member's KL (None: 1).

    Returns:
      A scalar.

    Example:
      >>> from probax.distributions import Normal
      >>> float(kl_divergence_loss(Normal(jnp.array([1., 1.]), 1.), Normal(0., 1.), use_exact_kl=True))
      1.0

    """
    prior = distribution_b
    if callable(prior) and not isinstance(prior, Distribution):
        prior = prior()
    if not isinstance(prior, Distribution):
        raise TypeError(f"kl_divergence_loss: distribution_b must be a Distribution (or a function returning "
                        f"one), got {type(prior).__name__}.")
    if use_exact_kl:
        kl = kl_divergence(distribution_a, prior)
    else:
        z = test_points_fn(distribution_a)
        kl = jnp.mean(distribution_a.log_prob(z) - prior.log_prob(z), axis=test_points_reduce_axis)
    if weight is not None:
        kl = jnp.asarray(weight, kl.dtype) * kl
    return jnp.sum(kl)


class KLDivergenceRegularizer(nnx.Module):
    """`regularizer(a) = kl_divergence_loss(a, distribution_b, ...)`, for a head's `activity_regularizer`.

    Args:
      distribution_b: the prior (or a function of no arguments returning it).
      use_exact_kl: analytic KL instead of a Monte Carlo estimate.
      test_points_reduce_axis: axes averaged in the Monte Carlo estimate (None: all; TFP's default
        here, (): none).
      test_points_fn: maps `a` to its test points (default: its array conversion).
      weight: multiplier of each batch member's KL.

    Example:
      >>> from flax import nnx
      >>> from probax.distributions import Independent, Normal
      >>> from probax.layers.independent_heads import IndependentNormal
      >>> from probax.layers.regularization_loss import regularization_loss
      >>> prior = Independent(Normal(jnp.zeros(2), 1.), 1)
      >>> head = IndependentNormal(2, activity_regularizer=KLDivergenceRegularizer(prior, use_exact_kl=True))
      >>> _ = head(jnp.zeros((3, 4)))
      >>> round(float(regularization_loss(head)), 4)
      0.6404

    """

    def __init__(self, distribution_b, use_exact_kl: bool = False, test_points_reduce_axis: ReduceAxis = (),
                 test_points_fn: Callable[[Distribution], jax.Array] = convert_to_tensor, weight=None):
        self.distribution_b = nnx.data(distribution_b) if isinstance(distribution_b, Distribution) else (
            distribution_b)
        self.use_exact_kl = bool(use_exact_kl)
        self.test_points_reduce_axis = test_points_reduce_axis
        self.test_points_fn = test_points_fn
        # An array weight is data (NNX forbids arrays in static attributes); a Python number stays static.
        static_weight = weight is None or isinstance(weight, int | float)
        self.weight = weight if static_weight else nnx.data(jnp.asarray(weight))

    def __call__(self, distribution_a: Distribution) -> jax.Array:
        """The scalar penalty for `distribution_a`."""
        return kl_divergence_loss(distribution_a, self.distribution_b, self.use_exact_kl,
                                  self.test_points_reduce_axis, self.test_points_fn, self.weight)


class KLDivergenceAddLoss(nnx.Module):
    """Pass-through layer that records `weight * KL[input || distribution_b]` as a `RegularizationLoss`.

    Args:
      distribution_b: the prior (or a function of no arguments returning it).
      use_exact_kl: analytic KL instead of a Monte Carlo estimate.
      test_points_reduce_axis: axes averaged in the Monte Carlo estimate (None, TFP's default
        here: all).
      test_points_fn: maps the input to its test points (default: its array conversion).
      weight: multiplier of each batch member's KL.

    Example:
      >>> from flax import nnx
      >>> from probax.distributions import Independent, Normal
      >>> from probax.layers.independent_heads import IndependentNormal
      >>> from probax.layers.regularization_loss import regularization_loss
      >>> prior = Independent(Normal(jnp.zeros(2), 1.), 1)
      >>> encoder = nnx.Sequential(IndependentNormal(2, rngs=nnx.Rngs(0)), KLDivergenceAddLoss(prior))
      >>> q = encoder(jnp.zeros((3, 4)))
      >>> regularization_loss(encoder).shape
      ()

    """

    def __init__(self, distribution_b, use_exact_kl: bool = False, test_points_reduce_axis: ReduceAxis = None,
                 test_points_fn: Callable[[Distribution], jax.Array] = convert_to_tensor, weight=None):
        self.regularizer = KLDivergenceRegularizer(distribution_b, use_exact_kl, test_points_reduce_axis,
                                                   test_points_fn, weight)
        dtype = distribution_b.dtype if isinstance(distribution_b, Distribution) else None
        dtype = dtype if dtype is not None and jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)
        self.regularization_term = RegularizationLoss(jnp.zeros((), dtype))

    def __call__(self, distribution_a: Distribution) -> Distribution:
        """Record the penalty for `distribution_a` and return it unchanged."""
        record_regularization_loss(self.regularization_term, self.regularizer(distribution_a))
        return distribution_a
