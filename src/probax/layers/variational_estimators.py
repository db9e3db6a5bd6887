"""Monte Carlo estimators of a linear map whose kernel is random: the maths of the variational layers.

Each function takes `apply(x, kernel)`, a map linear in `kernel` (a matrix product, a
convolution), inputs `x` and the kernel posterior, and returns one draw of `apply(x, W)` with
`W ~ q`. They differ in how the draws of different examples relate:

- `reparameterization_output`: one kernel draw shared by the whole batch (Kingma & Welling 2014).
- `flipout_output`: for `q` a mean-field normal, `apply(x, loc) + apply(x * r, scale * eps) * s`
  with one `eps` draw and random signs `r` (inputs) and `s` (outputs) per example: each example
  sees its own kernel, distributed exactly as `q`, at about twice the cost (Wen et al. 2018).
- `local_reparameterization_output`: for a mean-field normal and a map such as a matrix product,
  the output is normal with mean `apply(x, loc)` and variance `apply(x**2, scale**2)`; it is
  drawn directly, independently per output coordinate (Kingma, Salimans & Welling 2015).

All three have the same mean and per-coordinate variance for a mean-field normal `q`; the
examples of a batch are correlated under the first and not under the other two.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions.distribution import Distribution
from probax.distributions.independent import Independent
from probax.distributions.normal import Normal
from probax.layers.tensor_coercible import ConvertToTensorFn, convert_to_tensor, tensor_coercible

LinearMap = Callable[[jax.Array, jax.Array], jax.Array]


def posterior_tensor(posterior: Distribution, tensor_fn: ConvertToTensorFn, key: jax.Array) -> jax.Array:
    """The array `tensor_fn` makes of `posterior` ("sample" draws with `key`; "mean", ... do not).

    Example:
      >>> from probax.distributions import Normal
      >>> posterior_tensor(Normal(jnp.array([1., 2.]), 1.), "mean", jax.random.key(0)).tolist()
      [1.0, 2.0]

    """
    return convert_to_tensor(tensor_coercible(posterior, tensor_fn, seed=key))


def mean_field_normal_parts(posterior: Distribution, owner: str) -> tuple[jax.Array, jax.Array]:
    """`(loc, scale)` of an `Independent(Normal)` posterior; a `TypeError` naming `owner` otherwise.

    Example:
      >>> from probax.distributions import Independent, Normal
      >>> loc, scale = mean_field_normal_parts(Independent(Normal(jnp.zeros(2), 2.), 1), "DenseFlipout")
      >>> scale.tolist()
      [2.0, 2.0]

    """
    inner = posterior.distribution if isinstance(posterior, Independent) else None
    if not isinstance(inner, Normal):
        raise TypeError(f"{owner} needs a kernel posterior of the form Independent(Normal(...)) (a "
                        f"mean-field normal), got {type(posterior).__name__}.")
    shape = posterior.event_shape
    return jnp.broadcast_to(inner.loc, shape), jnp.broadcast_to(inner.scale, shape)


def reparameterization_output(apply: LinearMap, x: jax.Array, posterior: Distribution,
                              tensor_fn: ConvertToTensorFn, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """`apply(x, W)` for one kernel `W = tensor_fn(posterior)` shared by the batch; returns `(output, W)`.

    Example:
      >>> from probax.distributions import Independent, Normal
      >>> q = Independent(Normal(jnp.ones((2, 1)), 0.1), 2)
      >>> out, kernel = reparameterization_output(jnp.matmul, jnp.ones((3, 2)), q, "mean", jax.random.key(0))
      >>> out.ravel().tolist()
      [2.0, 2.0, 2.0]

    """
    kernel = posterior_tensor(posterior, tensor_fn, key)
    return apply(x, kernel), kernel


def _per_example_shape(x_shape: tuple[int, ...], spatial_ndims: int, channels: int) -> tuple[int, ...]:
    """The shape of per-example, per-channel signs: the batch dimensions, ones over space, channels."""
    return x_shape[: len(x_shape) - 1 - spatial_ndims] + (1,) * spatial_ndims + (channels,)


def flipout_output(apply: LinearMap, x: jax.Array, loc: jax.Array, scale: jax.Array, key: jax.Array,
                   spatial_ndims: int = 0) -> jax.Array:
    """Flipout draw of `apply(x, W)`, `W ~ Normal(loc, scale)` independently per example.

    Args:
      apply: a map linear in its second argument, `[..., (spatial), in] -> [..., (spatial), out]`.
      x: inputs, channels last.
      loc: kernel means (`[..., in, out]`: input channels second to last, outputs last).
      scale: kernel standard deviations, shaped like `loc`.
      key: a JAX key.
      spatial_ndims: the spatial dimensions of `x` between batch and channels (0 dense, 2 conv 2D).

    Returns:
      `apply(x, loc) + apply(x * r, scale * eps) * s`, with Rademacher signs `r`, `s` per example
      and channel (shared over spatial positions) and `eps ~ N(0, 1)` shaped like the kernel.

    Example:
      >>> out = flipout_output(jnp.matmul, jnp.ones((4, 2)), jnp.ones((2, 3)), jnp.zeros((2, 3)),
      ...                      jax.random.key(0))
      >>> out.shape, out.mean().tolist()
      ((4, 3), 2.0)

    """
    key_noise, key_in, key_out = jax.random.split(key, 3)
    perturbation = scale * threefry.normal(key_noise, loc.shape, loc.dtype)
    in_shape = _per_example_shape(x.shape, spatial_ndims, loc.shape[-2])
    sign_in = jax.random.rademacher(key_in, in_shape, x.dtype)
    mean_output = apply(x, loc)
    sign_out = jax.random.rademacher(
        key_out, _per_example_shape(mean_output.shape, spatial_ndims, loc.shape[-1]), mean_output.dtype)
    return mean_output + apply(x * sign_in, perturbation) * sign_out


def _safe_sqrt(x: jax.Array) -> jax.Array:
    """`sqrt(x)` with a zero (not NaN) gradient at 0: an all-zero input row has zero output variance."""
    positive = x > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1)), 0)


def local_reparameterization_output(apply: LinearMap, x: jax.Array, loc: jax.Array, scale: jax.Array,
                                    key: jax.Array) -> jax.Array:
    """`apply(x, loc) + sqrt(apply(x**2, scale**2)) * eps`: the pre-activations drawn directly.

    Exact in distribution when each output coordinate is a sum of independent kernel entries
    times inputs (a matrix product); `eps ~ N(0, 1)` is drawn per output coordinate.

    Example:
      >>> out = local_reparameterization_output(jnp.matmul, jnp.zeros((2, 3)), jnp.ones((3, 1)),
      ...                                       jnp.ones((3, 1)), jax.random.key(0))
      >>> out.ravel().tolist()
      [0.0, 0.0]

    """
    mean_output = apply(x, loc)
    stddev = _safe_sqrt(apply(jnp.square(x), jnp.square(scale)))
    return mean_output + stddev * threefry.normal(key, mean_output.shape, mean_output.dtype)
