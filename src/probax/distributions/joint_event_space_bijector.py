"""The event-space bijector of a joint distribution: each free part onto its own support.

A part's support may depend on the values of earlier parts (`Uniform(0., sigma)`), so
the map runs the model: going forward, each part's bijector is built from the
constrained values produced so far; going backward, all constrained values are known
and each part's distribution is built from them directly. The Jacobian is block
triangular, so the log-determinant is the sum of the parts' log-determinants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from probax._internal.shapes import broadcast_shapes, broadcast_sum
from probax.bijectors.bijector import Bijector
from probax.distributions.distribution import Distribution
from probax.distributions.joint_distribution import JointDistribution, given_values_chooser


class JointEventSpaceBijector(Bijector):
    """Maps a structure of unconstrained values onto the supports of a joint distribution's free parts.

    Built by `JointDistribution.experimental_default_event_space_bijector()` and by the pinned
    distribution's method of that name; inputs and outputs have the structure of the free
    parts (a list, dict or named tuple). `event_ndims` arguments default to each part's event
    rank, so log-determinants have the parts' (broadcast) batch shape.

    Args:
      distribution: the joint distribution.
      pins: one entry per part: a pinned value, or None for a free part.

    Example:
      >>> from probax.distributions import Exponential, JointDistributionSequential, Uniform
      >>> model = JointDistributionSequential([Exponential(1.), lambda high: Uniform(0., high)])
      >>> bijector = model.experimental_default_event_space_bijector()
      >>> high, x = bijector.forward([0., 0.])
      >>> round(float(high), 4), round(float(x), 4)  # softplus(0), then the midpoint of (0, high)
      (0.6931, 0.3466)

    """

    _child_names = ("distribution", "pins")

    def __init__(self, distribution: JointDistribution, pins: Sequence[Any]):
        pins = tuple(pins)
        ranks = _describe_free(distribution, pins, _event_ranks)
        forward_ranks = [r for r, _ in ranks]
        inverse_ranks = [r for _, r in ranks]
        names = _free_names(distribution, pins)
        super().__init__(
            distribution=distribution,
            pins=pins,
            forward_min_event_ndims=distribution._pack(forward_ranks, names),
            inverse_min_event_ndims=distribution._pack(inverse_ranks, names),
            name="default_joint_bijector",
        )

    # ------------------------------------------------------------------ structure
    def _free_flat(self, value, argument: str) -> list:
        names = _free_names(self.distribution, self.pins)
        return self.distribution._flat_values((value,), {}, f"bijector {argument}", names=names)

    def _pack(self, flat: list):
        return self.distribution._pack(flat, _free_names(self.distribution, self.pins))

    def _free_ndims(self, event_ndims, argument: str) -> list | None:
        return None if event_ndims is None else self._free_flat(event_ndims, argument)

    # ------------------------------------------------------------------ maps
    def forward_and_log_det(self, x, event_ndims=None, **kwargs):
        """(The constrained values, the sum of the parts' forward log-determinants)."""
        self._conditioning(kwargs, "forward")
        free_x = iter(self._free_flat(x, "x"))
        ndims = self._free_ndims(event_ndims, "event_ndims")
        ndims = iter(ndims) if ndims is not None else None
        log_dets: list = []

        def choose(index, distribution, is_root):
            if self.pins[index] is not None:
                return self.pins[index]
            bijector = distribution.experimental_default_event_space_bijector()
            value = next(free_x)
            rank = next(ndims) if ndims is not None else _unconstrained_rank(distribution, bijector)
            y, log_det = bijector.forward_and_log_det(value, rank)
            log_dets.append(log_det)
            return y

        parts = self.distribution._execute(choose)
        return self._pack(self._free([p.value for p in parts])), broadcast_sum(log_dets)

    def inverse_and_log_det(self, y, event_ndims=None, **kwargs):
        """(The unconstrained values, the sum of the parts' inverse log-determinants)."""
        self._conditioning(kwargs, "inverse")
        free_y = iter(self._free_flat(y, "y"))
        values = [next(free_y) if pin is None else pin for pin in self.pins]
        ndims = self._free_ndims(event_ndims, "event_ndims")
        ndims = iter(ndims) if ndims is not None else None
        parts = self.distribution._execute(given_values_chooser(values))
        results = []
        for part, pin in zip(parts, self.pins, strict=True):
            if pin is None:
                distribution = part.distribution
                rank = next(ndims) if ndims is not None else len(distribution.event_shape)
                bijector = distribution.experimental_default_event_space_bijector()
                results.append(bijector.inverse_and_log_det(part.value, rank))
        return self._pack([x for x, _ in results]), broadcast_sum([d for _, d in results])

    def _free(self, flat: list) -> list:
        return _free(flat, self.pins)

    def forward(self, x, **kwargs):
        """The constrained values of the free parts."""
        return self.forward_and_log_det(x, **kwargs)[0]

    def inverse(self, y, **kwargs):
        """The unconstrained values of the free parts."""
        return self.inverse_and_log_det(y, **kwargs)[0]

    def forward_log_det_jacobian(self, x, event_ndims=None, **kwargs):
        """Sum of the parts' forward log-determinants."""
        return self.forward_and_log_det(x, event_ndims, **kwargs)[1]

    def inverse_log_det_jacobian(self, y, event_ndims=None, **kwargs):
        """Sum of the parts' inverse log-determinants."""
        return self.inverse_and_log_det(y, event_ndims, **kwargs)[1]

    # ------------------------------------------------------------------ shapes
    def forward_event_shape(self, input_shape):
        """Event shapes of the constrained parts for unconstrained event shapes `input_shape`."""
        return self._map_free("forward_event_shape", input_shape, "input_shape")

    def inverse_event_shape(self, output_shape):
        """Event shapes of the unconstrained parts for constrained event shapes `output_shape`."""
        return self._map_free("inverse_event_shape", output_shape, "output_shape")

    def forward_event_ndims(self, event_ndims):
        """Event ranks of the constrained parts for unconstrained ranks `event_ndims`."""
        return self._map_free("forward_event_ndims", event_ndims, "event_ndims")

    def inverse_event_ndims(self, event_ndims):
        """Event ranks of the unconstrained parts for constrained ranks `event_ndims`."""
        return self._map_free("inverse_event_ndims", event_ndims, "event_ndims")

    def _map_free(self, method: str, values, argument: str):
        given = iter(self._free_flat(values, argument))
        return self._pack(_describe_free(self.distribution, self.pins,
                                         lambda d, bijector: getattr(bijector, method)(next(given))))

    def _batch_shape(self):
        shapes = _describe_free(self.distribution, self.pins, lambda d, bijector: bijector.batch_shape)
        return broadcast_shapes(*shapes, what="joint event-space bijector parts")


def _unconstrained_rank(distribution: Distribution, bijector: Bijector) -> int:
    return bijector.inverse_event_ndims(len(distribution.event_shape))


def _event_ranks(distribution: Distribution, bijector: Bijector) -> tuple[int, int]:
    """(Unconstrained, constrained) event rank of a part."""
    return _unconstrained_rank(distribution, bijector), len(distribution.event_shape)


def _describe_free(distribution: JointDistribution, pins: Sequence[Any],
                   describe: Callable[[Distribution, Bijector], Any]) -> list:
    """`describe(part, its event-space bijector)` for each free part, from an abstract run."""

    def described(index, part):
        if pins[index] is not None:
            return None
        return describe(part, part.experimental_default_event_space_bijector())

    return _free(distribution._describe_parts(described, given=pins), pins)


def _free(flat: Sequence[Any], pins: Sequence[Any]) -> list:
    """The entries of the free (unpinned) parts."""
    return [v for v, pin in zip(flat, pins, strict=True) if pin is None]


def _free_names(distribution: JointDistribution, pins: Sequence[Any]) -> tuple[str, ...]:
    return tuple(_free(distribution._part_names(), pins))

