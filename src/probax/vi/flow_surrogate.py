"""A normalizing-flow surrogate posterior: inverse autoregressive flows (affine or spline).

The flow maps a standard Normal on `R^D` through `num_layers` inverse autoregressive
layers (Kingma et al., 2016), then a trainable diagonal affine map. IAF layers sample and
score their own draws in one network pass each, which is what a variational loss needs
(`sample_and_log_prob`). Each layer's MADE starts with a zero output layer, so an
untrained flow is the identity and the surrogate starts as a mean-field Normal.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from probax.bijectors.autoregressive_network import AutoregressiveNetwork
from probax.bijectors.chain import Chain
from probax.bijectors.invert import Invert
from probax.bijectors.masked_autoregressive_flow import MaskedAutoregressiveFlow
from probax.bijectors.rational_quadratic_spline import RationalQuadraticSpline
from probax.bijectors.scale_matvec_diag import ScaleMatvecDiag
from probax.bijectors.shift import Shift
from probax.distributions.normal import Normal
from probax.distributions.transformed_distribution import TransformedDistribution
from probax.vi.surrogate_builders import initial_scale, surrogate_dtype
from probax.vi.surrogate_distribution import SurrogatePosterior, constrained_layout, flatten_initial
from probax.vi.trainable import Trainable

# Bins and knot slopes stay above this (a fraction of the interval, a slope): the spline stays smooth.
_MIN_SIZE = 1e-3
# _MIN_SIZE + softplus(offset) = 1: zero network outputs give unit slopes and equal bins (the identity).
_UNIT_SLOPE_OFFSET = float(np.log(np.expm1(1.0 - _MIN_SIZE)))


def _zeroed_made(made: AutoregressiveNetwork) -> AutoregressiveNetwork:
    kernel = made.layers[-1].kernel
    kernel[...] = jnp.zeros_like(kernel[...])
    return made


class SplineConditioner(nnx.Module):
    """A MADE whose outputs parameterize an elementwise RationalQuadraticSpline on [-bound, bound].

    Used as the `bijector_fn` of a MaskedAutoregressiveFlow: coordinate d's spline depends on
    the coordinates before it only.

    Args:
      event_size: D.
      hidden_units: the MADE's hidden layer sizes.
      num_bins: spline bins K.
      bound: the spline acts on [-bound, bound] (identity outside).
      input_order: the MADE's order ('left-to-right', 'right-to-left').
      rngs: `nnx.Rngs` for the weights.

    Example:
      >>> from flax import nnx
      >>> conditioner = SplineConditioner(2, [8], num_bins=4, bound=3., input_order='left-to-right',
      ...                                 rngs=nnx.Rngs(0))
      >>> float(conditioner(jnp.zeros(2)).forward(jnp.array([0.5, -1.]))[0])  # starts as the identity
      0.5

    """

    def __init__(
        self,
        event_size: int,
        hidden_units: Sequence[int],
        num_bins: int,
        bound: float,
        input_order: str,
        rngs: nnx.Rngs,
    ):
        self.num_bins, self.bound = int(num_bins), float(bound)
        self.made = _zeroed_made(
            AutoregressiveNetwork(
                params=3 * self.num_bins - 1,
                event_shape=event_size,
                hidden_units=hidden_units,
                activation="relu",
                input_order=input_order,
                rngs=rngs,
            )
        )

    def __call__(self, y, conditional_input=None):
        """The spline whose parameters the MADE gives at y."""
        raw = self.made(y).astype(y.dtype)
        widths, heights, slopes = jnp.split(raw, [self.num_bins, 2 * self.num_bins], axis=-1)

        def sizes(logits):
            share = _MIN_SIZE + (1 - _MIN_SIZE * self.num_bins) * jax.nn.softmax(logits, axis=-1)
            return 2 * self.bound * share

        knot_slopes = _MIN_SIZE + jax.nn.softplus(slopes + _UNIT_SLOPE_OFFSET)
        return RationalQuadraticSpline(sizes(widths), sizes(heights), knot_slopes, range_min=-self.bound)


def _conditioners(
    flow: str, size: int, num_layers: int, hidden_units, num_bins: int, bound: float, seed: int
) -> list[nnx.Module]:
    rngs = nnx.Rngs(seed)
    orders = ["left-to-right" if i % 2 == 0 else "right-to-left" for i in range(num_layers)]
    if flow == "iaf":
        return [
            _zeroed_made(
                AutoregressiveNetwork(
                    params=2,
                    event_shape=size,
                    hidden_units=hidden_units,
                    activation="relu",
                    input_order=order,
                    rngs=rngs,
                )
            )
            for order in orders
        ]
    if flow == "spline":
        return [SplineConditioner(size, hidden_units, num_bins, bound, order, rngs) for order in orders]
    raise ValueError(f"build_flow_surrogate_posterior: flow must be 'iaf' or 'spline', got {flow!r}.")


def build_flow_surrogate_posterior(
    event_shape,
    bijector=None,
    flow: str = "iaf",
    num_layers: int = 2,
    hidden_units: Sequence[int] = (32, 32),
    num_bins: int = 8,
    bound: float = 5.0,
    initial_unconstrained_loc=None,
    initial_unconstrained_scale=1.0,
    dtype=None,
    seed: int = 0,
) -> Trainable:
    """A normalizing-flow surrogate: IAF layers (affine or spline) followed by a diagonal affine map.

    Args:
      event_shape: a shape, a structure of shapes, or a pinned JointDistribution.
      bijector: constraining bijector(s), as for `build_factored_surrogate_posterior`.
      flow: 'iaf' (affine inverse autoregressive layers) or 'spline' (neural spline IAF layers).
      num_layers: number of autoregressive layers (their order alternates).
      hidden_units: hidden layer sizes of each layer's MADE.
      num_bins: spline bins (flow='spline').
      bound: the splines act on [-bound, bound] of the standardized space (flow='spline').
      initial_unconstrained_loc: the final affine map's initial shift.
      initial_unconstrained_scale: its initial (positive) scale.
      dtype: the floating dtype of the base distribution.
      seed: an int seeding the networks' initial weights.

    Returns:
      A `Trainable` with params `{'loc', 'scale', 'layers'}` (the networks' weights as an `nnx.State`).

    Example:
      >>> q = build_flow_surrogate_posterior([2], num_layers=1, hidden_units=[8])
      >>> draws, log_q = q.build().sample_and_log_prob(3, seed=0)
      >>> draws.shape, log_q.shape
      ((3, 2), (3,))

    """
    caller = "build_flow_surrogate_posterior"
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"{caller}: num_layers must be a positive int, got {num_layers!r}.")
    layout, constraining = constrained_layout(event_shape, bijector, caller)
    dtype = surrogate_dtype(event_shape, dtype)
    conditioners = nnx.List(
        _conditioners(flow, layout.size, num_layers, tuple(hidden_units), num_bins, bound, seed)
    )
    graphdef, weights, constants = nnx.split(conditioners, nnx.Param, ...)
    scale = initial_scale(initial_unconstrained_scale, layout, dtype, caller)
    params = {
        "loc": flatten_initial(initial_unconstrained_loc, layout, dtype, "initial_unconstrained_loc"),
        "scale": jnp.log(scale),
        "layers": weights,
    }
    make_layer = (
        (lambda c: Invert(MaskedAutoregressiveFlow(c)))
        if flow == "iaf"
        else (lambda c: Invert(MaskedAutoregressiveFlow(bijector_fn=c)))
    )

    def build(p):
        layers = [make_layer(c) for c in nnx.merge(graphdef, p["layers"], constants)]
        chain = Chain([Shift(p["loc"]), ScaleMatvecDiag(jnp.exp(p["scale"])), *reversed(layers)])
        base = TransformedDistribution(Normal(jnp.zeros((), dtype), 1.0), chain, event_shape=[layout.size])
        return SurrogatePosterior(base, layout, constraining)

    return Trainable(build, params)
