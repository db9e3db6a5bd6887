"""Mean-field and full-rank Gaussian surrogate posteriors, as `Trainable`s.

Both builders take the event shape of the posterior as one shape, a structure (list,
dict) of shapes, or a pinned JointDistribution; for the latter, the model's event-space
bijector (Exp, Sigmoid, ... per part) maps the Gaussian onto the parts' supports
automatically. The Gaussian lives on the flat vector of all unconstrained coordinates.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax.bijectors.fill_scale_tril import FillScaleTriL
from probax.distributions.joint_distribution import JointDistribution
from probax.distributions.joint_distribution_pinned import JointDistributionPinned
from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag
from probax.distributions.multivariate_normal_tril import MultivariateNormalTriL
from probax.vi.surrogate_distribution import SurrogatePosterior, constrained_layout, flatten_initial
from probax.vi.trainable import Trainable


def surrogate_dtype(event_shape, dtype):
    """The surrogate's floating dtype: `dtype`, else the model's, else JAX's default float."""
    if dtype is not None:
        return jnp.dtype(dtype)
    if isinstance(event_shape, JointDistribution | JointDistributionPinned):
        floats = [d for d in jax.tree.leaves(event_shape.dtype) if jnp.issubdtype(d, jnp.floating)]
        if floats:
            return jnp.result_type(*floats)
    return jnp.result_type(float)


def initial_scale(value, layout, dtype, caller: str) -> jax.Array:
    """The flat initial scale from `initial_unconstrained_scale`, checked positive."""
    scale = flatten_initial(value, layout, dtype, "initial_unconstrained_scale")
    if not bool(jnp.all(scale > 0)):
        raise ValueError(f"{caller}: initial_unconstrained_scale must be positive, got {value!r}.")
    return scale


def build_factored_surrogate_posterior(
    event_shape, bijector=None, initial_unconstrained_loc=None, initial_unconstrained_scale=1e-2, dtype=None
) -> Trainable:
    """A mean-field Normal surrogate: independent Normals on every unconstrained coordinate.

    Args:
      event_shape: a shape, a structure of shapes, or a pinned JointDistribution.
      bijector: a Bijector or a structure of them (None entries: identity) mapping the
        unconstrained parts onto their supports; not with a JointDistribution.
      initial_unconstrained_loc: initial means (a scalar, a flat vector or a structure of the
        unconstrained parts); zeros by default.
      initial_unconstrained_scale: initial standard deviations (a positive scalar or vector).
      dtype: the floating dtype (default: the model's, else JAX's default float).

    Returns:
      A `Trainable` with params `{'loc', 'scale'}` (the scale before a softplus).

    Example:
      >>> q = build_factored_surrogate_posterior({'a': (), 'b': [2]})
      >>> draws = q.build().sample(5, seed=0)
      >>> draws['a'].shape, draws['b'].shape
      ((5,), (5, 2))

    """
    caller = "build_factored_surrogate_posterior"
    layout, constraining = constrained_layout(event_shape, bijector, caller)
    dtype = surrogate_dtype(event_shape, dtype)
    scale = initial_scale(initial_unconstrained_scale, layout, dtype, caller)
    params = {
        "loc": flatten_initial(initial_unconstrained_loc, layout, dtype, "initial_unconstrained_loc"),
        "scale": _inverse_softplus(scale),
    }

    def build(p):
        return SurrogatePosterior(
            MultivariateNormalDiag(p["loc"], jax.nn.softplus(p["scale"])), layout, constraining
        )

    return Trainable(build, params)


def build_affine_surrogate_posterior(
    event_shape, bijector=None, initial_unconstrained_loc=None, initial_unconstrained_scale=1e-2, dtype=None
) -> Trainable:
    """A full-rank Normal surrogate: a multivariate Normal with a lower-triangular scale (TriL).

    Arguments as `build_factored_surrogate_posterior`; the initial scale is diagonal.

    Returns:
      A `Trainable` with params `{'loc', 'scale_tril'}` (the scale as FillScaleTriL's input vector).

    Example:
      >>> q = build_affine_surrogate_posterior([3], initial_unconstrained_scale=1.)
      >>> q.params['scale_tril'].shape  # 3 * 4 / 2 entries
      (6,)
      >>> q.build().sample(2, seed=0).shape
      (2, 3)

    """
    caller = "build_affine_surrogate_posterior"
    layout, constraining = constrained_layout(event_shape, bijector, caller)
    dtype = surrogate_dtype(event_shape, dtype)
    scale = initial_scale(initial_unconstrained_scale, layout, dtype, caller)
    fill = FillScaleTriL()
    params = {
        "loc": flatten_initial(initial_unconstrained_loc, layout, dtype, "initial_unconstrained_loc"),
        "scale_tril": fill.inverse(jnp.diag(scale)).astype(dtype),
    }

    def build(p):
        # FillScaleTriL's diag_shift is a float64 constant under x64: keep float32 surrogates float32.
        scale_tril = fill.forward(p["scale_tril"]).astype(dtype)
        return SurrogatePosterior(MultivariateNormalTriL(p["loc"], scale_tril), layout, constraining)

    return Trainable(build, params)


def _inverse_softplus(y: jax.Array) -> jax.Array:
    return y + jnp.log(-jnp.expm1(-y))
