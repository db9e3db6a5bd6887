"""MaskedAutoregressiveFlow (Papamakarios et al., 2017) and, through Invert, IAF (Kingma et al., 2016)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from probax.bijectors.bijector import Bijector, as_network


def split_shift_and_log_scale(params):
    """(shift, log_scale) from a network's output: a pair, or an array whose last axis has 1 or 2 entries.

    One entry means shift only (a volume-preserving flow: log_scale is None).
    """
    if isinstance(params, tuple | list):
        shift, log_scale = params
        return shift, log_scale
    if params.shape[-1] == 2:
        return params[..., 0], params[..., 1]
    if params.shape[-1] == 1:
        return params[..., 0], None
    raise ValueError(
        f"shift_and_log_scale_fn must return (shift, log_scale) or an array ending in 1 or 2 "
        f"entries, got shape {params.shape}."
    )


class MaskedAutoregressiveFlow(Bijector):
    """Affine autoregressive flow: y_d = x_d exp(log_scale_d(y_<d)) + shift_d(y_<d).

    The inverse (density evaluation) is one network pass: x = (y - shift(y)) exp(-log_scale(y)),
    with log|det J^{-1}| = -sum(log_scale). The forward map (sampling) takes D sequential
    passes, done in a `lax.fori_loop` (or unrolled). `Invert(MaskedAutoregressiveFlow(...))`
    is an inverse autoregressive flow: fast sampling, sequential density.

    The first sampling pass evaluates the network at y = 0. When the network declares
    `rowwise = True` (output row i depends only on row i of y and of the conditional input,
    as `AutoregressiveNetwork` does; a plain function may carry the attribute too), that pass
    runs on a single row (one per distinct conditional input) and is broadcast: the same
    result, one full-batch network pass in D saved. Other callables get all D passes on the
    full batch.

    Args:
      shift_and_log_scale_fn: a callable `fn(y, **condition) -> (shift, log_scale)` or an array
        ending in 2 (1: shift only), typically an `AutoregressiveNetwork(params=2)`.
      bijector_fn: instead, a callable `fn(y, **condition) -> Bijector` acting elementwise (e.g. a
        RationalQuadraticSpline from network outputs) with the autoregressive property.
      is_constant_jacobian: True for shift-only flows.
      validate_args: check arguments.
      unroll_loop: unroll the D sampling passes in Python instead of a `fori_loop`.
      event_ndims: must be 1 (events are vectors).
      name: a name.

    Example:
      >>> from flax import nnx
      >>> from probax import bijectors as tfb, distributions as tfd
      >>> made = tfb.AutoregressiveNetwork(params=2, event_shape=2, hidden_units=[8], rngs=nnx.Rngs(0))
      >>> maf = tfd.TransformedDistribution(tfd.Normal(0., 1.), tfb.MaskedAutoregressiveFlow(made),
      ...                                   event_shape=[2])
      >>> maf.log_prob(jnp.zeros(2)).shape
      ()

    """

    _child_names = ("shift_and_log_scale_fn", "bijector_fn")
    _static_names = ("unroll_loop",)
    _conditional_names = ("conditional_input",)

    def __init__(
        self,
        shift_and_log_scale_fn=None,
        bijector_fn=None,
        is_constant_jacobian: bool = False,
        validate_args: bool = False,
        unroll_loop: bool = False,
        event_ndims: int = 1,
        name: str | None = None,
    ):
        if (shift_and_log_scale_fn is None) == (bijector_fn is None):
            raise ValueError(
                "MaskedAutoregressiveFlow: give exactly one of shift_and_log_scale_fn and bijector_fn."
            )
        if event_ndims != 1:
            raise ValueError(
                f"MaskedAutoregressiveFlow: event_ndims must be 1 (vector events), got {event_ndims}."
            )
        super().__init__(
            shift_and_log_scale_fn=as_network(shift_and_log_scale_fn),
            bijector_fn=as_network(bijector_fn),
            unroll_loop=bool(unroll_loop),
            forward_min_event_ndims=1,
            is_constant_jacobian=is_constant_jacobian,
            validate_args=validate_args,
            name=name or "masked_autoregressive_flow",
        )

    def _shift_and_log_scale(self, y, condition):
        return split_shift_and_log_scale(self.shift_and_log_scale_fn(y, **condition))

    def _step(self, y, x, **condition):
        """(f_y(x), log|det|) for the affine (or elementwise) map the network gives at y."""
        if self.bijector_fn is not None:
            return self.bijector_fn(y, **condition).forward_and_log_det(x, 1)
        return _affine_forward(x, *self._shift_and_log_scale(y, condition))

    def _first_step(self, x, condition):
        """`_step` at y = 0; a row-wise network is evaluated on one row there and broadcast."""
        if self.bijector_fn is None and _declares_rowwise(self.shift_and_log_scale_fn):
            zero_rows = jnp.zeros(_distinct_rows_at_zero(x.shape, condition), x.dtype)
            y, log_det = _affine_forward(x, *self._shift_and_log_scale(zero_rows, condition))
            return y, jnp.broadcast_to(log_det, x.shape[:-1])
        return self._step(jnp.zeros_like(x), x, **condition)

    def _forward_and_log_det(self, x, **condition):
        return _sequential_passes(self, x, condition)

    def _inverse_and_log_det(self, y, **condition):
        if self.bijector_fn is not None:
            return self.bijector_fn(y, **condition).inverse_and_log_det(y, 1)
        shift, log_scale = self._shift_and_log_scale(y, condition)
        if log_scale is None:
            return y - shift, jnp.zeros(y.shape[:-1], y.dtype)
        return (y - shift) * jnp.exp(-log_scale), -jnp.sum(log_scale, axis=-1)


def _affine_forward(x, shift, log_scale):
    """(x exp(log_scale) + shift, sum(log_scale)); shift only when log_scale is None."""
    if log_scale is None:
        return x + shift, jnp.zeros(x.shape[:-1], x.dtype)
    return x * jnp.exp(log_scale) + shift, jnp.sum(log_scale, axis=-1)


def _declares_rowwise(fn) -> bool:
    """Whether a network, or a function `as_network` wrapped in a `Partial`, sets `rowwise = True`."""
    target = fn.func if isinstance(fn, jax.tree_util.Partial) else fn
    return getattr(target, "rowwise", False) is True


def _distinct_rows_at_zero(shape, condition) -> tuple[int, ...]:
    """Shape of the y = 0 input a row-wise network needs: rows vary only with the conditioning.

    Batch dimensions along which no conditioning keyword varies become 1. A keyword whose
    batch rank exceeds the input's keeps the full shape (the network reports the mismatch).
    """
    batch = shape[:-1]
    varies = [False] * len(batch)
    for value in condition.values():
        value_batch = np.shape(value)[:-1]
        if len(value_batch) > len(batch):
            return tuple(shape)
        for axis, size in enumerate(value_batch, start=len(batch) - len(value_batch)):
            varies[axis] = varies[axis] or size != 1
    return tuple(size if vary else 1 for size, vary in zip(batch, varies, strict=True)) + shape[-1:]


@jax.jit
def _sequential_passes(flow: MaskedAutoregressiveFlow, x, condition):
    """The D passes of the sampling direction, as one compiled program even when called eagerly.

    After k passes the first k coordinates (in the network's order) are final, and the last
    pass's log-determinant is already the one at the final y.
    """

    def one_pass(_, carry):
        y, _log_det = carry
        return flow._step(y, x, **condition)

    carry = flow._first_step(x, condition)
    if flow.unroll_loop:
        for i in range(1, x.shape[-1]):
            carry = one_pass(i, carry)
        return carry
    return jax.lax.fori_loop(1, x.shape[-1], one_pass, carry)
