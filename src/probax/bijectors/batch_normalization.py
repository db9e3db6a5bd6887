"""BatchNormalization: the batch-norm layer of a normalizing flow, with its statistics passed in."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from probax._internal import checks
from probax._internal.shapes import pad_leading
from probax.bijectors.bijector import Bijector


class BatchNormalizationStatistics(NamedTuple):
    """The moving statistics a `BatchNormalization` bijector carries between training steps."""

    moving_mean: jax.Array
    moving_variance: jax.Array


def _log_det_per_feature(bn: BatchNormalization, variance):
    """log|d inverse / dy| per feature: log|gamma| - log(variance + epsilon) / 2."""
    log_det = -0.5 * jnp.log(variance + bn.epsilon)
    return log_det if bn.gamma is None else log_det + jnp.log(jnp.abs(bn.gamma))


def _summed(log_det_per_feature):
    """Sum over features, without the leading unit dims that aligning with the input added.

    The log-determinant is shared by a whole batch (TFP returns one number), so it keeps the
    parameters' batch shape only, not the input's.
    """
    log_det = jnp.sum(log_det_per_feature, axis=-1)
    ones = next((i for i, d in enumerate(log_det.shape) if d != 1), log_det.ndim)
    return log_det.reshape(log_det.shape[ones:])


# The maps are compiled as one program each (the bijector is a pytree argument): called eagerly,
# JAX would otherwise dispatch (and compile, for each new shape) every primitive on its own.
@jax.jit
def _denormalize(bn: BatchNormalization, x):
    centred = x if bn.beta is None else x - bn.beta
    scaled = centred if bn.gamma is None else centred / bn.gamma
    return scaled * jnp.sqrt(bn.moving_variance + bn.epsilon) + bn.moving_mean


@jax.jit
def _normalize(bn: BatchNormalization, y):
    if bn.training:
        axes = tuple(range(y.ndim - 1))
        mean, variance = jnp.mean(y, axis=axes, keepdims=True), jnp.var(y, axis=axes, keepdims=True)
    else:
        mean, variance = bn.moving_mean, bn.moving_variance
    x = (y - mean) * jax.lax.rsqrt(variance + bn.epsilon)
    if bn.gamma is not None:
        x = x * bn.gamma
    if bn.beta is not None:
        x = x + bn.beta
    return x, _summed(_log_det_per_feature(bn, variance))


class BatchNormalization(Bijector):
    """Batch normalization as a bijector (TFP's), with the moving statistics explicit instead of hidden.

    The density direction normalizes: with feature-wise mean m and variance v,

        x = inverse(y) = (y - m) / sqrt(v + epsilon) * gamma + beta,
        log|det J_inverse| = sum_features [log|gamma| - log(v + epsilon) / 2],

    and `forward` de-normalizes with the moving statistics, y = (x - beta) / gamma *
    sqrt(v + epsilon) + m, which is what sampling uses. In training mode (`training=True`)
    `inverse` takes m and v from the batch it is given (the biased variance over every axis
    but the last, the features; gradients flow through them as in batch-norm layers), so
    every member of a batch gets the same log-determinant; otherwise it uses the moving
    statistics and forward and inverse are exact inverses with a constant Jacobian.
    `forward` and its log-determinant always use the moving statistics (TFP's training-mode
    forward log-det uses batch moments of x instead; here it matches the map `forward` applies).

    Nothing is updated in place: `update(y)` returns the new moving statistics, momentum *
    moving + (1 - momentum) * batch, for the caller to keep. In a flow trained with optax,
    keep the trainable `beta`/`gamma` (and the other layers' parameters) in the pytree the
    optimizer sees and the statistics beside it; each step computes the loss with
    `training=True`, applies the optax update to the parameters, and replaces the statistics
    by `update(...)` of the batch the layer normalized: the data itself when the layer comes
    first in a `Chain` list (`inverse` applies it first), else, in `Chain([*outer, layer,
    *inner])`, the batch `Chain(outer).inverse(data)`. After training, build it with
    `training=False` to evaluate or sample.

    Args:
      moving_mean: the moving mean of the features (shape `[..., features]`), start at 0.
      moving_variance: the moving variance (non-negative), start at 1.
      beta: the learned offset of the normalized values (None: 0).
      gamma: the learned (non-zero) scale of the normalized values (None: 1).
      momentum: the weight of the old statistics in `update`, in [0, 1] (Keras' 0.99).
      epsilon: a positive number added to the variance (Keras' 1e-3).
      training: whether `inverse` uses the batch's statistics (True) or the moving ones.
      validate_args: check parameters.
      name: a name.

    Example:
      >>> import jax, jax.numpy as jnp, optax
      >>> from probax import bijectors as tfb, distributions as tfd
      >>> data = 3. + 2. * jax.random.normal(jax.random.key(0), (256, 2))
      >>> params = {"beta": jnp.zeros(2), "gamma": jnp.ones(2)}
      >>> stats = tfb.BatchNormalizationStatistics(jnp.zeros(2), jnp.ones(2))
      >>> def flow(params, stats, training):
      ...     return tfd.TransformedDistribution(
      ...         tfd.Normal(0., 1.), tfb.BatchNormalization(*stats, **params, training=training),
      ...         event_shape=[2])
      >>> optimizer = optax.adam(1e-2)
      >>> @jax.jit
      ... def step(params, stats, opt_state, y):
      ...     loss = lambda p: -jnp.mean(flow(p, stats, training=True).log_prob(y))
      ...     updates, opt_state = optimizer.update(jax.grad(loss)(params), opt_state)
      ...     new_stats = flow(params, stats, training=True).bijector.update(y)
      ...     return optax.apply_updates(params, updates), new_stats, opt_state
      >>> opt_state = optimizer.init(params)
      >>> for _ in range(500):
      ...     params, stats, opt_state = step(params, stats, opt_state, data)
      >>> bool(jnp.allclose(stats.moving_mean, data.mean(0), atol=0.05))
      True

    """

    _static_names = ("momentum", "epsilon", "training")

    def __init__(self, moving_mean, moving_variance, beta=None, gamma=None, momentum: float = 0.99,
                 epsilon: float = 1e-3, training: bool = True, validate_args: bool = False,
                 name: str | None = None):
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum!r}.")
        if not epsilon > 0.0:
            raise ValueError(f"BatchNormalization: epsilon must be positive, got {epsilon!r}.")
        super().__init__(
            moving_mean=moving_mean,
            moving_variance=moving_variance,
            beta=beta,
            gamma=gamma,
            momentum=float(momentum),
            epsilon=float(epsilon),
            training=bool(training),
            forward_min_event_ndims=1,
            is_constant_jacobian=not training,
            validate_args=validate_args,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls):
        return {"moving_mean": 1, "moving_variance": 1, "beta": 1, "gamma": 1}

    def _validate_parameters(self):
        checks.check(self.moving_variance >= 0,
                     "BatchNormalization: parameter `moving_variance` must be non-negative.")
        if self.gamma is not None:
            checks.check(self.gamma != 0, "BatchNormalization: parameter `gamma` must be non-zero.")

    # ------------------------------------------------------------------ maths
    def _forward(self, x):
        return _denormalize(self, x)

    def _forward_log_det_jacobian(self, x):
        return -_summed(_log_det_per_feature(self, self.moving_variance))

    def _inverse_and_log_det(self, y):
        return _normalize(self, y)

    def update(self, y) -> BatchNormalizationStatistics:
        """The moving statistics after seeing the batch `y` (the input of `inverse`), pure.

        new = momentum * moving + (1 - momentum) * batch statistic, with the batch mean and
        biased variance over every axis of `y` but the last; no gradient flows through it.

        Args:
          y: a batch of the values this layer normalizes, shape `[..., features]`.

        Returns:
          `BatchNormalizationStatistics(moving_mean, moving_variance)`.

        Example:
          >>> import jax.numpy as jnp
          >>> from probax.bijectors import BatchNormalization
          >>> bn = BatchNormalization(jnp.zeros(1), jnp.ones(1), momentum=0.5)
          >>> bn.update(jnp.array([[1.], [3.]])).moving_mean.tolist()
          [1.0]

        """
        y = jax.lax.stop_gradient(jnp.asarray(y, self.moving_mean.dtype))
        axes = tuple(range(y.ndim - 1))
        rank = max(self.moving_mean.ndim, 1)
        batch_mean = pad_leading(jnp.mean(y, axis=axes), rank)
        batch_variance = pad_leading(jnp.var(y, axis=axes), rank)
        keep = self.momentum
        return BatchNormalizationStatistics(
            moving_mean=keep * self.moving_mean + (1.0 - keep) * batch_mean,
            moving_variance=keep * self.moving_variance + (1.0 - keep) * batch_variance,
        )
