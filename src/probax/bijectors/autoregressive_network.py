"""AutoregressiveNetwork: MADE (Germain et al., 2015) as a Flax NNX module.

Output `d` depends only on inputs `< d` in the chosen order: each layer's kernel is
multiplied by a fixed 0/1 mask built from integer "degrees" (an input of degree k
may feed a hidden unit of degree >= k; a hidden unit of degree k may feed an output
of degree > k). An optional conditional input feeds every layer (or the first)
without a mask, which makes p(y | x) flows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from probax._internal.shapes import pad_leading

_ACTIVATIONS: dict[str, Callable] = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "elu": jax.nn.elu,
    "gelu": jax.nn.gelu,
    "softplus": jax.nn.softplus,
    "sigmoid": jax.nn.sigmoid,
    "silu": jax.nn.silu,
}


def _as_activation(activation) -> Callable | None:
    if activation is None or callable(activation):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"AutoregressiveNetwork: activation must be a callable or one of "
            f"{sorted(_ACTIVATIONS)}, got {activation!r}."
        )
    return _ACTIVATIONS[activation]


def _as_size(shape, argument: str) -> int:
    """The length of a rank-1 event shape given as an int or a one-element sequence."""
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if len(dims) != 1 or int(dims[0]) < 1:
        raise ValueError(f"AutoregressiveNetwork: {argument} must be a positive int or [n], got {shape!r}.")
    return int(dims[0])


def _input_degrees(event_size: int, input_order) -> np.ndarray:
    """Degrees 1..D of the inputs: 'left-to-right', 'right-to-left', 'random' or an explicit order."""
    if isinstance(input_order, str):
        if input_order == "left-to-right":
            return np.arange(1, event_size + 1)
        if input_order == "right-to-left":
            return np.arange(event_size, 0, -1)
        if input_order == "random":
            return np.random.default_rng(0).permutation(event_size) + 1
        raise ValueError(
            f"AutoregressiveNetwork: input_order must be 'left-to-right', 'right-to-left', "
            f"'random' or a permutation of 1..D, got {input_order!r}."
        )
    degrees = np.asarray(input_order, int)
    if sorted(degrees.tolist()) != list(range(1, event_size + 1)):
        raise ValueError(
            f"AutoregressiveNetwork: input_order must be a permutation of 1..{event_size}, "
            f"got {input_order!r}."
        )
    return degrees


def _hidden_layer_degrees(
    units: int, previous: np.ndarray, event_size: int, how: str, seed: int
) -> np.ndarray:
    """Degrees of one hidden layer, in [min(previous), D - 1]: spread evenly ('equal') or at random."""
    low = int(min(previous.min(), event_size - 1))
    high = max(event_size - 1, low)
    if how == "equal":
        return np.floor(np.linspace(low, high + 1, units, endpoint=False)).astype(int).clip(low, high)
    if how == "random":
        return np.random.default_rng(seed).integers(low, high + 1, size=units)
    raise ValueError(f"AutoregressiveNetwork: hidden_degrees must be 'equal' or 'random', got {how!r}.")


class _MaskedDense(nnx.Module):
    """x @ (kernel * mask) + bias, plus an unmasked map of the conditional input if any."""

    def __init__(self, mask: np.ndarray, conditional_size: int, use_bias: bool, kernel_init, rngs: nnx.Rngs):
        fan_in, fan_out = mask.shape
        self.mask = nnx.Variable(jnp.asarray(mask, jnp.float32))
        self.kernel = nnx.Param(kernel_init(rngs.params(), (fan_in, fan_out), jnp.float32))
        self.bias = nnx.Param(jnp.zeros((fan_out,), jnp.float32)) if use_bias else None
        self.conditional_kernel = (
            nnx.Param(kernel_init(rngs.params(), (conditional_size, fan_out), jnp.float32))
            if conditional_size
            else None
        )

    def __call__(self, x, conditional_input=None):
        out = x @ (self.kernel[...] * self.mask[...]).astype(x.dtype)
        if self.bias is not None:
            out = out + pad_leading(self.bias[...].astype(x.dtype), out.ndim)
        if conditional_input is not None and self.conditional_kernel is not None:
            out = out + conditional_input @ self.conditional_kernel[...].astype(x.dtype)
        return out


class AutoregressiveNetwork(nnx.Module):
    """Masked autoencoder for distribution estimation (MADE), TFP's `AutoregressiveNetwork` in NNX.

        Maps x of shape `batch + [D]` to `batch + [D, params]`, where output `[..., d, :]`
        depends only on the inputs before `d` in `input_order`. Use it as the
        `shift_and_log_scale_fn` of `MaskedAutoregressiveFlow` with `params=2`.

    Args:
          params: number of outputs per input dimension (2 for shift and log-scale).
          event_shape: `D` or `[D]`, the input size (NNX builds its weights up front).
          conditional: whether a conditional input is taken (`conditional_input=` on call).
          conditional_event_shape: `C` or `[C]`, the conditional input's size.
          conditional_input_layers: 'all_layers' (default) or 'first_layer'.
          hidden_units: sizes of the hidden layers.
          input_order: 'left-to-right', 'right-to-left', 'random' or a permutation of 1..D.
          hidden_degrees: 'equal' or 'random'.
          activation: hidden activation, a callable or a name ('relu', 'tanh', ...); None (TFP's
            default) is linear.
          use_bias: add biases.
          kernel_initializer: an `nnx.initializers` initializer (Glorot uniform by default).
          rngs: `nnx.Rngs` for the initial weights (default `nnx.Rngs(0)`).

    Example:
      >>> from flax import nnx
      >>> made = AutoregressiveNetwork(params=2, event_shape=3, hidden_units=[8], rngs=nnx.Rngs(0))
      >>> made(jnp.ones((5, 3))).shape
      (5, 3, 2)

    """

    # Output row i depends only on row i of the input and of the conditional input, so
    # MaskedAutoregressiveFlow may evaluate its first sampling pass (at y = 0) on one row.
    rowwise: ClassVar[bool] = True

    def __init__(
        self,
        params: int,
        event_shape=None,
        conditional: bool = False,
        conditional_event_shape=None,
        conditional_input_layers: str = "all_layers",
        hidden_units: Sequence[int] = (),
        input_order="left-to-right",
        hidden_degrees: str = "equal",
        activation=None,
        use_bias: bool = True,
        kernel_initializer=None,
        rngs: nnx.Rngs | None = None,
    ):
        if event_shape is None:
            raise ValueError(
                "AutoregressiveNetwork: event_shape is required (NNX builds its weights up front)."
            )
        if int(params) < 1:
            raise ValueError(f"AutoregressiveNetwork: params must be a positive int, got {params!r}.")
        if conditional_input_layers not in ("all_layers", "first_layer"):
            raise ValueError(
                "AutoregressiveNetwork: conditional_input_layers must be 'all_layers' or "
                f"'first_layer', got {conditional_input_layers!r}."
            )
        if conditional and conditional_event_shape is None:
            raise ValueError("AutoregressiveNetwork: conditional=True needs conditional_event_shape.")
        rngs = rngs if rngs is not None else nnx.Rngs(0)
        kernel_init = kernel_initializer or nnx.initializers.glorot_uniform()
        self.params = int(params)
        self.event_size = _as_size(event_shape, "event_shape")
        self.conditional = bool(conditional)
        self.conditional_size = (
            _as_size(conditional_event_shape, "conditional_event_shape") if conditional else 0
        )
        self.activation = _as_activation(activation)
        degrees = _input_degrees(self.event_size, input_order)
        layers = []
        previous = degrees
        for i, units in enumerate(hidden_units):
            current = _hidden_layer_degrees(int(units), previous, self.event_size, hidden_degrees, seed=i)
            conditional_size = (
                self.conditional_size if (i == 0 or conditional_input_layers == "all_layers") else 0
            )
            layers.append(
                _MaskedDense(
                    previous[:, None] <= current[None, :], conditional_size, use_bias, kernel_init, rngs
                )
            )
            previous = current
        # Output unit (d, p) has the degree of input d and sees strictly smaller degrees.
        output_mask = np.repeat(previous[:, None] < degrees[None, :], self.params, axis=1)
        conditional_size = (
            self.conditional_size if (not layers or conditional_input_layers == "all_layers") else 0
        )
        layers.append(_MaskedDense(output_mask, conditional_size, use_bias, kernel_init, rngs))
        self.layers = nnx.List(layers)

    def __call__(self, x, conditional_input=None):
        """The autoregressive outputs, shaped `x.shape + (params,)`."""
        x = jnp.asarray(x)
        if x.shape[-1:] != (self.event_size,):
            raise ValueError(
                f"AutoregressiveNetwork: input must end in a dimension of {self.event_size}, "
                f"got shape {x.shape}."
            )
        if self.conditional != (conditional_input is not None):
            raise ValueError(
                "AutoregressiveNetwork: conditional_input must be given exactly when the network "
                f"was built with conditional=True (it was built with conditional={self.conditional})."
            )
        if conditional_input is not None:
            conditional_input = jnp.broadcast_to(
                jnp.asarray(conditional_input, x.dtype), (*x.shape[:-1], self.conditional_size)
            )
        h = x
        for layer in self.layers[:-1]:
            h = layer(h, conditional_input)
            if self.activation is not None:
                h = self.activation(h)
        out = self.layers[-1](h, conditional_input)
        return out.reshape((*x.shape[:-1], self.event_size, self.params))
