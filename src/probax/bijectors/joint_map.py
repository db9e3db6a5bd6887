"""JointMap: a structure of bijectors applied part by part to a matching structure of inputs."""

from __future__ import annotations

from typing import Any

import jax

from probax._internal.shapes import broadcast_shapes
from probax.bijectors import _composition
from probax.bijectors.bijector import Bijector


def _is_bijector(value) -> bool:
    return isinstance(value, Bijector)


class JointMap(Bijector):
    """Applies a structure (list, tuple, dict, nested) of bijectors to a matching structure of values.

    The structured counterpart of `Chain`: `JointMap({'a': f, 'b': g}).forward({'a': x, 'b': z})`
    is `{'a': f(x), 'b': g(z)}`. The parts are independent, so the Jacobian is block
    diagonal and its log-determinant is the sum of the parts' log-determinants (broadcast
    over their batch shapes). `forward_min_event_ndims`, `event_ndims` arguments and event
    shapes are structures like `bijectors`. Keyword arguments reach the parts as in `Chain`:
    by part name (a dict) or, for conditioning keywords, to every part that accepts them.

    Args:
      bijectors: the structure of bijectors (at least one).
      validate_args: check parameters.
      name: a name (default `jointmap_of_<names>`).

    Example:
      >>> from probax.bijectors import Exp, JointMap, Scale
      >>> joint = JointMap({'a': Exp(), 'b': Scale(2.)})
      >>> {k: float(v) for k, v in joint.forward({'a': 0., 'b': 3.}).items()}
      {'a': 1.0, 'b': 6.0}
      >>> round(float(joint.forward_log_det_jacobian({'a': 1., 'b': 3.})), 5)  # 1 + log 2
      1.69315

    """

    _child_names = ("bijectors",)

    def __init__(self, bijectors, validate_args: bool = False, name: str | None = None):
        leaves, treedef = jax.tree_util.tree_flatten(bijectors, is_leaf=_is_bijector)
        if not leaves:
            raise ValueError("JointMap: bijectors must hold at least one bijector.")
        for leaf in leaves:
            if not isinstance(leaf, Bijector):
                raise TypeError(
                    f"JointMap: every entry of bijectors must be a Bijector, got {type(leaf).__name__}."
                )
        super().__init__(
            bijectors=bijectors,
            forward_min_event_ndims=treedef.unflatten([b.forward_min_event_ndims for b in leaves]),
            inverse_min_event_ndims=treedef.unflatten([b.inverse_min_event_ndims for b in leaves]),
            is_constant_jacobian=all(b.is_constant_jacobian for b in leaves),
            validate_args=validate_args,
            name=name or "jointmap_of_" + "_and_".join(b.name for b in leaves),
        )

    # ------------------------------------------------------------------ structure
    def _parts(self) -> tuple[list[Bijector], Any]:
        return jax.tree_util.tree_flatten(self.bijectors, is_leaf=_is_bijector)

    def _split(self, value, argument: str) -> list:
        """`value`'s entries, one per bijector, in the order of `_parts`."""
        _, treedef = self._parts()
        # Lists and tuples are interchangeable at the top, as for TFP's nest.
        if type(self.bijectors) in (list, tuple) and type(value) in (list, tuple):
            value = type(self.bijectors)(value)
        try:
            return treedef.flatten_up_to(value)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"JointMap: {argument} must have the structure of `bijectors`, {treedef}; got "
                f"{jax.tree_util.tree_structure(value)}."
            ) from err

    def _accepted_keywords(self) -> frozenset[str]:
        return _composition.accepted_keywords(self._parts()[0])

    def _event_ndims(self, event_ndims, minimum) -> list:
        return self._split(minimum if event_ndims is None else event_ndims, "event_ndims")

    # ------------------------------------------------------------------ maps
    def forward(self, x, **kwargs):
        """The forward map y = f(x), part by part; `x` has the structure of `bijectors`."""
        kwargs = self._conditioning(kwargs, "forward")
        bijectors, treedef = self._parts()
        values = self._split(x, "x")
        return treedef.unflatten([b.forward(v, **_composition.routed(b, kwargs))
                                  for b, v in zip(bijectors, values, strict=True)])

    def inverse(self, y, **kwargs):
        """The inverse map x = f^{-1}(y), part by part."""
        kwargs = self._conditioning(kwargs, "inverse")
        bijectors, treedef = self._parts()
        values = self._split(y, "y")
        return treedef.unflatten([b.inverse(v, **_composition.routed(b, kwargs))
                                  for b, v in zip(bijectors, values, strict=True)])

    def forward_and_log_det(self, x, event_ndims=None, **kwargs):
        """(forward(x), the sum over parts of their forward log-dets at `event_ndims` (a structure))."""
        kwargs = self._conditioning(kwargs, "forward_log_det_jacobian")
        bijectors, treedef = self._parts()
        values = self._split(x, "x")
        ndims = self._event_ndims(event_ndims, self.forward_min_event_ndims)
        results = [b.forward_and_log_det(v, n, **_composition.routed(b, kwargs))
                   for b, v, n in zip(bijectors, values, ndims, strict=True)]
        return self._joined(treedef, results)

    def inverse_and_log_det(self, y, event_ndims=None, **kwargs):
        """(inverse(y), the sum over parts of their inverse log-dets at `event_ndims` (a structure))."""
        kwargs = self._conditioning(kwargs, "inverse_log_det_jacobian")
        bijectors, treedef = self._parts()
        values = self._split(y, "y")
        ndims = self._event_ndims(event_ndims, self.inverse_min_event_ndims)
        results = [b.inverse_and_log_det(v, n, **_composition.routed(b, kwargs))
                   for b, v, n in zip(bijectors, values, ndims, strict=True)]
        return self._joined(treedef, results)

    @staticmethod
    def _joined(treedef, results):
        outputs = [out for out, _ in results]
        log_det = _composition.add_log_dets([ld for _, ld in results], outputs[0].dtype)
        return treedef.unflatten(outputs), log_det

    def forward_log_det_jacobian(self, x, event_ndims=None, **kwargs):
        """Sum over parts of log|det J_f|; `event_ndims` is a structure (default the minimum)."""
        return self.forward_and_log_det(x, event_ndims, **kwargs)[1]

    def inverse_log_det_jacobian(self, y, event_ndims=None, **kwargs):
        """Sum over parts of log|det J_{f^{-1}}|; `event_ndims` is a structure (default the minimum)."""
        return self.inverse_and_log_det(y, event_ndims, **kwargs)[1]

    # ------------------------------------------------------------------ shapes
    def forward_event_shape(self, input_shape):
        """The structure of output shapes for a structure of input shapes."""
        bijectors, treedef = self._parts()
        shapes = self._split(input_shape, "input_shape")
        return treedef.unflatten([b.forward_event_shape(s) for b, s in zip(bijectors, shapes, strict=True)])

    def inverse_event_shape(self, output_shape):
        """The structure of input shapes for a structure of output shapes."""
        bijectors, treedef = self._parts()
        shapes = self._split(output_shape, "output_shape")
        return treedef.unflatten([b.inverse_event_shape(s) for b, s in zip(bijectors, shapes, strict=True)])

    def forward_event_ndims(self, event_ndims):
        """The structure of output event ranks for a structure of input event ranks."""
        bijectors, treedef = self._parts()
        ndims = self._split(event_ndims, "event_ndims")
        return treedef.unflatten([b.forward_event_ndims(n) for b, n in zip(bijectors, ndims, strict=True)])

    def inverse_event_ndims(self, event_ndims):
        """The structure of input event ranks for a structure of output event ranks."""
        bijectors, treedef = self._parts()
        ndims = self._split(event_ndims, "event_ndims")
        return treedef.unflatten([b.inverse_event_ndims(n) for b, n in zip(bijectors, ndims, strict=True)])

    def _batch_shape(self):
        return broadcast_shapes(*(b.batch_shape for b in self._parts()[0]), what="JointMap parts")
