"""SurrogatePosterior: a distribution on flat vectors, split into a structure of parts and constrained.

Every surrogate builder makes one: a mean-field, full-rank or flow distribution over
`R^D` (D the total size of the unconstrained parts), whose draws are split and reshaped
into the parts' structure (an array, a list, a dict or a named tuple) and pushed through a
constraining bijector (a pinned JointDistribution's event-space bijector, or the user's).
Splitting is volume-preserving, so `log q(y) = log q_flat(x) - log|det J_bijector(x)|`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from probax._internal import threefry
from probax._internal.prng import as_key
from probax._internal.shapes import as_shape, pad_leading
from probax.bijectors.bijector import Bijector
from probax.bijectors.identity import Identity
from probax.bijectors.joint_map import JointMap
from probax.distributions.joint_distribution import JointDistribution
from probax.distributions.joint_distribution_pinned import JointDistributionPinned
from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag
from probax.distributions.multivariate_normal_tril import MultivariateNormalTriL


def is_shape(value) -> bool:
    """Whether `value` reads as one shape (an int or a sequence of ints), not a structure of shapes."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return True
    return (
        isinstance(value, list | tuple)
        and not hasattr(value, "_fields")
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value)
    )


class Layout(NamedTuple):
    """How a flat vector of size `size` splits into parts of `shapes`, arranged by `treedef`."""

    treedef: Any
    shapes: tuple[tuple[int, ...], ...]

    @property
    def size(self) -> int:
        """Total number of unconstrained coordinates D."""
        return sum(math.prod(s) for s in self.shapes)

    def ranks(self):
        """Each part's event rank, in the parts' structure (an int for a single part)."""
        return self.treedef.unflatten([len(s) for s in self.shapes])

    def unflatten(self, vector: jax.Array):
        """Split `[..., D]` into the structure of parts `[..., *shape_i]`."""
        batch = vector.shape[:-1]
        offsets = np.cumsum([0] + [math.prod(s) for s in self.shapes])
        bounds = zip(offsets[:-1], offsets[1:], self.shapes, strict=True)
        parts = [vector[..., a:b].reshape(batch + s) for a, b, s in bounds]
        return self.treedef.unflatten(parts)

    def flatten(self, structure) -> jax.Array:
        """Concatenate a structure of parts `[..., *shape_i]` into `[..., D]`."""
        leaves = self.treedef.flatten_up_to(structure)
        leaves = [jnp.asarray(leaf) for leaf in leaves]
        pairs = list(zip(leaves, self.shapes, strict=True))
        batch = jnp.broadcast_shapes(*(leaf.shape[: leaf.ndim - len(s)] for leaf, s in pairs))
        flat = [
            jnp.broadcast_to(pad_leading(leaf, len(batch) + len(s)), batch + s).reshape((*batch, -1))
            for leaf, s in pairs
        ]
        return jnp.concatenate(flat, axis=-1) if len(flat) > 1 else flat[0]


def layout_of(shapes) -> Layout:
    """A Layout from one shape or a structure (list, dict, named tuple) of shapes."""
    leaves, treedef = jax.tree_util.tree_flatten(shapes, is_leaf=is_shape)
    if not leaves or not all(is_shape(leaf) for leaf in leaves):
        raise ValueError(
            f"event_shape must be a shape, a structure (list, dict) of shapes or a pinned JointDistribution, "
            f"got {shapes!r}."
        )
    return Layout(treedef, tuple(as_shape(leaf, "event_shape") for leaf in leaves))


def constrained_layout(event_shape, bijector, caller: str) -> tuple[Layout, Bijector | None]:
    """The unconstrained layout and the constraining bijector for a builder's arguments.

    `event_shape` may be a shape, a structure of shapes, or a (pinned) JointDistribution, whose
    default event-space bijector is used (composed after the user's `bijector`, if any, is not
    allowed: give one or the other). `bijector` is a Bijector or a structure of them (None
    entries are the identity) matching `event_shape`; its inverse event shapes set the
    unconstrained layout.
    """
    if isinstance(event_shape, JointDistribution | JointDistributionPinned):
        if bijector is not None:
            raise ValueError(
                f"{caller}: give bijector= or a JointDistribution, not both (the model's "
                "event-space bijector is applied automatically)."
            )
        bijector = event_shape.experimental_default_event_space_bijector()
        event_shape = event_shape.event_shape
    constrained = layout_of(event_shape)
    if bijector is None:
        return constrained, None
    if not isinstance(bijector, Bijector):
        parts = constrained.treedef.flatten_up_to(bijector)
        bijector = JointMap(constrained.treedef.unflatten([Identity() if b is None else b for b in parts]))
    unconstrained = bijector.inverse_event_shape(constrained.treedef.unflatten(list(constrained.shapes)))
    return layout_of(unconstrained), bijector


class SurrogatePosterior:
    """A flat distribution over `R^D`, reshaped into a structure of parts and constrained by a bijector.

    Args:
      distribution: a distribution with event shape `[D]` (the unconstrained surrogate).
      layout: how the flat vector splits into parts (`Layout`).
      bijector: maps the structure of unconstrained parts onto the supports (None: identity).

    Example:
      >>> from probax.bijectors import Exp
      >>> from probax.distributions import MultivariateNormalDiag
      >>> q = SurrogatePosterior(MultivariateNormalDiag(jnp.zeros(2), jnp.ones(2)),
      ...                        layout_of({'a': (), 'b': ()}), JointMap({'a': Identity(), 'b': Exp()}))
      >>> draws = q.sample(3, seed=0)
      >>> draws['b'].shape, bool((draws['b'] > 0).all())
      ((3,), True)

    """

    def __init__(self, distribution, layout: Layout, bijector: Bijector | None = None):
        if tuple(distribution.event_shape) != (layout.size,):
            raise ValueError(
                f"SurrogatePosterior: the flat distribution's event_shape must be [{layout.size}], "
                f"got {distribution.event_shape}."
            )
        self.distribution = distribution
        self.layout = layout
        self.bijector = bijector

    def __repr__(self) -> str:
        return (
            f"<probax.vi.SurrogatePosterior of {type(self.distribution).__name__} over "
            f"{self.layout.size} unconstrained coordinates>"
        )

    @property
    def event_shape(self):
        """The parts' event shapes (constrained), in the parts' structure."""
        shapes = self.layout.treedef.unflatten(list(self.layout.shapes))
        return shapes if self.bijector is None else self.bijector.forward_event_shape(shapes)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Always `()`: one surrogate."""
        return ()

    @property
    def dtype(self):
        """The floating dtype of the draws."""
        return self.distribution.dtype

    def constrain(self, x: jax.Array):
        """The parts `y` for flat unconstrained draws `x` (`[..., D]`), and `log|det dy/dx|`."""
        if self.bijector is None:
            return self.layout.unflatten(x), jnp.zeros(x.shape[:-1], x.dtype)
        ranks = self.layout.ranks()
        return _per_draw(
            lambda v: self.bijector.forward_and_log_det(self.layout.unflatten(v), ranks), x, x.shape[:-1]
        )

    def sample_and_log_prob(self, sample_shape=(), seed=None):
        """Draws (in the parts' structure) and their log density, using only the forward maps."""
        key = as_key(seed, "SurrogatePosterior.sample_and_log_prob")
        shape = as_shape(sample_shape, "sample_shape")
        flat = self.distribution
        joint = getattr(flat, "sample_and_log_prob", None)
        if _is_plain_gaussian(flat):
            x, log_q = _gaussian_sample_and_log_prob(flat, shape, key)
        elif joint is not None:
            x, log_q = joint(shape, seed=key)
        else:
            x = flat.sample(shape, seed=key)
            log_q = flat.log_prob(x)
        y, log_det = self.constrain(x)
        return y, log_q - log_det

    experimental_sample_and_log_prob = sample_and_log_prob

    def sample(self, sample_shape=(), seed=None):
        """Draws of the parts, shaped `sample_shape + part shape`, in the parts' structure."""
        key = as_key(seed, "SurrogatePosterior.sample")
        x = self.distribution.sample(as_shape(sample_shape, "sample_shape"), seed=key)
        return self.constrain(x)[0]

    def log_prob(self, value) -> jax.Array:
        """Log density of a structure of (constrained) part values."""
        if self.bijector is None:
            return self.distribution.log_prob(self.layout.flatten(value))
        event_shapes = self.event_shape
        ranks = jax.tree.map(len, event_shapes, is_leaf=is_shape)
        shapes = self.layout.treedef.flatten_up_to(event_shapes)
        leaves = [jnp.asarray(v) for v in self.layout.treedef.flatten_up_to(value)]
        batch = jnp.broadcast_shapes(
            *(v.shape[: v.ndim - len(s)] for v, s in zip(leaves, shapes, strict=True))
        )
        leaves = [jnp.broadcast_to(v, batch + tuple(s)) for v, s in zip(leaves, shapes, strict=True)]
        value = self.layout.treedef.unflatten(leaves)

        def inverse(v):
            x, log_det = self.bijector.inverse_and_log_det(v, ranks)
            return self.layout.flatten(x), log_det

        x, log_det = _per_draw(inverse, value, batch)
        return self.distribution.log_prob(x) + log_det

    def unnormalized_log_prob(self, value) -> jax.Array:
        """The same as `log_prob`."""
        return self.log_prob(value)

    def mean(self):
        """The parts' means; only without a constraining bijector (estimate from draws otherwise)."""
        if self.bijector is not None:
            raise NotImplementedError(
                "SurrogatePosterior.mean needs an unconstrained surrogate (no bijector); average draws "
                "instead."
            )
        return self.layout.unflatten(self.distribution.mean())


def _is_plain_gaussian(flat) -> bool:
    """An unbatched MultivariateNormalDiag/TriL with a loc: the builders' Gaussians."""
    return (
        isinstance(flat, MultivariateNormalDiag | MultivariateNormalTriL)
        and flat.loc is not None
        and tuple(flat.batch_shape) == ()
    )


def _gaussian_sample_and_log_prob(flat, shape: tuple[int, ...], key: jax.Array):
    """Draws `x = loc + L z` (the family's own draws for `key`) and `log q(x)` computed from `z`.

    `log q(x) = log N(z; 0, I) - log|det L|` holds for every parameter value at fixed `z`, so its
    gradient is the same as that of `flat.log_prob(x)`, without the triangular solve.
    """
    z = threefry.normal(key, (*shape, flat.event_shape[0]), flat.dtype)
    loc = pad_leading(flat.loc, z.ndim)
    if isinstance(flat, MultivariateNormalDiag):
        scale = flat.scale_diag
        x = loc + z if scale is None else loc + pad_leading(scale, z.ndim) * z
        log_det = 0.0 if scale is None else jnp.sum(jnp.log(jnp.abs(scale)))
    else:
        tril = flat.scale_tril
        x = loc + jnp.einsum("ij,...j->...i", tril, z)
        log_det = jnp.sum(jnp.log(jnp.abs(jnp.diagonal(tril))))
    log_q = -0.5 * jnp.sum(jnp.square(z), axis=-1) - log_det - 0.5 * z.shape[-1] * math.log(2 * math.pi)
    return x, log_q


def _per_draw(fn, value, batch: tuple[int, ...]):
    """`fn` applied to each of the draws in `value` (leading dimensions `batch`), vmapped.

    The constraining bijector runs the user's model, which need not broadcast over sample
    dimensions (the target is called one draw at a time too).
    """
    n = math.prod(batch)
    rank = len(batch)
    flat = jax.tree.map(lambda leaf: leaf.reshape((n, *leaf.shape[rank:])), value)
    out = jax.vmap(fn)(flat)
    return jax.tree.map(lambda leaf: leaf.reshape(batch + leaf.shape[1:]), out)


def _register(cls):
    jax.tree_util.register_pytree_node(
        cls,
        lambda s: ((s.distribution, s.bijector), s.layout),
        lambda layout, children: _rebuilt(cls, layout, *children),
    )


def _rebuilt(cls, layout, distribution, bijector):
    instance = object.__new__(cls)
    instance.distribution, instance.layout, instance.bijector = distribution, layout, bijector
    return instance


_register(SurrogatePosterior)


def flatten_initial(value, layout: Layout, dtype, argument: str) -> jax.Array:
    """A flat `[D]` initial value from None (zeros), a scalar, a `[D]` vector or a structure of the parts."""
    if value is None:
        return jnp.zeros((layout.size,), dtype)
    single_part = layout.treedef == jax.tree.structure(0)
    if not single_part and isinstance(value, Mapping | list | tuple) and _matches(layout, value):
        return layout.flatten(jax.tree.map(lambda v: jnp.asarray(v, dtype), value)).astype(dtype)
    flat = jnp.asarray(value, dtype)
    if flat.ndim == 0:
        return jnp.full((layout.size,), flat)
    flat = flat.reshape(-1) if single_part else flat
    if flat.shape != (layout.size,):
        raise ValueError(
            f"{argument} must be a scalar, a vector of size {layout.size} or a structure of the "
            f"parts, got shape {flat.shape}."
        )
    return flat


def _matches(layout: Layout, value) -> bool:
    """Whether `value` has the layout's structure of parts (not, e.g., a flat list of numbers)."""
    try:
        layout.treedef.flatten_up_to(value)
    except (ValueError, TypeError):
        return False
    return True
