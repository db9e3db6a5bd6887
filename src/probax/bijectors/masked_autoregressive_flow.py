"""MaskedAutoregressiveFlow (Papamakarios et al., 2017) and, through Invert, IAF (Kingma et al., 2016)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

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

    def _step(self, y, x, **condition):
        """(f_y(x), log|det|) for the affine (or elementwise) map the network gives at y."""
        if self.bijector_fn is not None:
            return self.bijector_fn(y, **condition).forward_and_log_det(x, 1)
        shift, log_scale = split_shift_and_log_scale(self.shift_and_log_scale_fn(y, **condition))
        if log_scale is None:
            return x + shift, jnp.zeros(x.shape[:-1], x.dtype)
        return x * jnp.exp(log_scale) + shift, jnp.sum(log_scale, axis=-1)

    def _forward_and_log_det(self, x, **condition):
        return _sequential_passes(self, x, condition)

    def _inverse_and_log_det(self, y, **condition):
        if self.bijector_fn is not None:
            return self.bijector_fn(y, **condition).inverse_and_log_det(y, 1)
        shift, log_scale = split_shift_and_log_scale(self.shift_and_log_scale_fn(y, **condition))
        if log_scale is None:
            return y - shift, jnp.zeros(y.shape[:-1], y.dtype)
        return (y - shift) * jnp.exp(-log_scale), -jnp.sum(log_scale, axis=-1)


@jax.jit
def _sequential_passes(flow: MaskedAutoregressiveFlow, x, condition):
    """The D passes of the sampling direction, as one compiled program even when called eagerly.

    After k passes the first k coordinates (in the network's order) are final, and the last
    pass's log-determinant is already the one at the final y.
    """

    def one_pass(_, carry):
        y, _log_det = carry
        return flow._step(y, x, **condition)

    carry = (jnp.zeros_like(x), jnp.zeros(x.shape[:-1], x.dtype))
    if flow.unroll_loop:
        for i in range(x.shape[-1]):
            carry = one_pass(i, carry)
        return carry
    return jax.lax.fori_loop(0, x.shape[-1], one_pass, carry)
