"""RationalQuadraticSpline (Durkan et al., 2019): the elementwise map of neural spline flows."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from probax._internal import checks
from probax.bijectors.bijector import Bijector


def _knots(sizes, start):
    """Knot positions start, start + s_0, ..., start + sum(s) along the last axis."""
    zero = jnp.zeros((*sizes.shape[:-1], 1), sizes.dtype)
    start = start[..., None] if start.ndim else start
    return start + jnp.concatenate([zero, jnp.cumsum(sizes, axis=-1)], axis=-1)


def _log_derivative(s, d0, d1, xi):
    """Log dy/dx inside a bin at relative position xi (bin slope s, knot slopes d0, d1)."""
    mix = xi * (1 - xi)
    numerator = d1 * xi**2 + 2 * s * mix + d0 * (1 - xi) ** 2
    return 2 * jnp.log(s) + jnp.log(numerator) - 2 * jnp.log(s + (d1 + d0 - 2 * s) * mix)


def _at(table, index):
    """table[..., index] elementwise (`index` has one axis fewer than `table`)."""
    shape = jnp.broadcast_shapes(table.shape[:-1], index.shape)
    table = jnp.broadcast_to(table, shape + table.shape[-1:])
    return jnp.take_along_axis(table, jnp.broadcast_to(index, shape)[..., None], axis=-1)[..., 0]


class RationalQuadraticSpline(Bijector):
    """Monotone rational-quadratic spline on [range_min, range_min + sum(bin_widths)], identity outside.

    Inside bin k, with xi = (x - x_k) / w_k and s_k = h_k / w_k,

        y = y_k + h_k (s_k xi^2 + d_k xi (1 - xi)) / (s_k + (d_{k+1} + d_k - 2 s_k) xi (1 - xi)),

    where d are the knot slopes (1 at both ends, so the map joins the identity smoothly).
    The inverse solves the quadratic for xi in closed form. Bin widths and heights must be
    positive (apply softmax times the range to network outputs), knot slopes positive
    (apply softplus).

    Args:
      bin_widths: shape `[..., K]`, widths of the K bins in x.
      bin_heights: shape `[..., K]`, heights of the bins in y.
      knot_slopes: shape `[..., K - 1]`, slopes at the interior knots.
      range_min: left end of the spline's interval, in x and y.
      validate_args: check positivity and shapes.
      name: a name.

    Example:
      >>> from probax.bijectors import RationalQuadraticSpline
      >>> spline = RationalQuadraticSpline([1., 1.], [0.5, 1.5], [1.], range_min=-1.)
      >>> float(spline.forward(0.))  # the middle knot
      -0.5

    """

    def __init__(
        self,
        bin_widths,
        bin_heights,
        knot_slopes,
        range_min=-1.0,
        validate_args: bool = False,
        name: str | None = None,
    ):
        widths, heights, slopes = (np.shape(v) for v in (bin_widths, bin_heights, knot_slopes))
        if widths[-1:] != heights[-1:] or slopes[-1:] != (widths[-1] - 1,):
            raise ValueError(
                "RationalQuadraticSpline: bin_widths and bin_heights must end in the number of bins K and "
                f"knot_slopes in K - 1; got shapes {widths}, {heights} and {slopes}."
            )
        super().__init__(
            bin_widths=bin_widths,
            bin_heights=bin_heights,
            knot_slopes=knot_slopes,
            range_min=range_min,
            forward_min_event_ndims=0,
            validate_args=validate_args,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls):
        return {"bin_widths": 1, "bin_heights": 1, "knot_slopes": 1, "range_min": 0}

    def _validate_parameters(self):
        for key in ("bin_widths", "bin_heights", "knot_slopes"):
            checks.check(
                getattr(self, key) > 0, f"RationalQuadraticSpline: parameter `{key}` must be positive."
            )

    def _is_increasing(self):
        return True

    def _bin(self, value, knots):
        """Index of the bin holding `value` (clamped to the first/last bin outside)."""
        interior = knots[..., 1:-1]
        return jnp.sum(value[..., None] >= interior, axis=-1)

    def _spline_pieces(self, value, knots_in):
        """Per element: bin index and the bin's (x_k, w_k, y_k, h_k, d_k, d_{k+1})."""
        x_knots = _knots(self.bin_widths, self.range_min)
        y_knots = _knots(self.bin_heights, self.range_min)
        ones = jnp.ones((*self.knot_slopes.shape[:-1], 1), self.knot_slopes.dtype)
        slopes = jnp.concatenate([ones, self.knot_slopes, ones], axis=-1)
        k = self._bin(value, x_knots if knots_in == "x" else y_knots)
        return (
            _at(x_knots, k),
            _at(self.bin_widths, k),
            _at(y_knots, k),
            _at(self.bin_heights, k),
            _at(slopes, k),
            _at(slopes, k + 1),
            x_knots,
            y_knots,
        )

    @staticmethod
    def _inside(value, knots):
        return (value >= knots[..., 0]) & (value <= knots[..., -1])

    def _forward_and_log_det(self, x):
        x_k, w, y_k, h, d0, d1, x_knots, _ = self._spline_pieces(x, "x")
        inside = self._inside(x, x_knots)
        xi = jnp.where(inside, (x - x_k) / w, 0.5)
        s = h / w
        mix = xi * (1 - xi)
        denominator = s + (d1 + d0 - 2 * s) * mix
        y = y_k + h * (s * xi**2 + d0 * mix) / denominator
        return jnp.where(inside, y, x), jnp.where(inside, _log_derivative(s, d0, d1, xi), 0.0)

    def _inverse_and_log_det(self, y):
        x_k, w, y_k, h, d0, d1, _, y_knots = self._spline_pieces(y, "y")
        inside = self._inside(y, y_knots)
        offset = jnp.where(inside, y - y_k, 0.5 * h)
        s = h / w
        bend = d1 + d0 - 2 * s
        a = h * (s - d0) + offset * bend
        b = h * d0 - offset * bend
        c = -s * offset
        # The root in [0, 1], written to avoid cancellation (b > 0 on the increasing branch).
        discriminant = jnp.maximum(b**2 - 4 * a * c, 0.0)
        xi = 2 * c / (-b - jnp.sqrt(discriminant))
        x = x_k + xi * w
        return jnp.where(inside, x, y), jnp.where(inside, -_log_derivative(s, d0, d1, xi), 0.0)
