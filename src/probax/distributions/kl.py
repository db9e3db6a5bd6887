"""The KL-divergence registry: analytic KL[p || q] looked up by the two types.

Lookup walks both classes' MROs and picks the registered pair with the
smallest combined distance, so a subclass inherits its parent's formula.

Example:
  >>> from probax import distributions as tfd
  >>> float(tfd.kl_divergence(tfd.Normal(0., 1.), tfd.Normal(1., 1.)))
  0.5

"""

from __future__ import annotations

from collections.abc import Callable

import jax

from probax._internal import checks
from probax._internal.shapes import broadcast_shapes

KLFunction = Callable[..., jax.Array]
_REGISTRY: dict[tuple[type, type], KLFunction] = {}


class RegisterKL:
    """Decorator that registers `fn(p, q)` as KL[p || q] for `p: type_a`, `q: type_b`.

    Example:
      >>> from probax.distributions import Normal
      >>> class Gaussian(Normal):
      ...     pass
      >>> @RegisterKL(Gaussian, Gaussian)
      ... def _kl_gaussians(p, q):
      ...     return kl_divergence(Normal(p.loc, p.scale), Normal(q.loc, q.scale))
      >>> float(kl_divergence(Gaussian(0., 1.), Gaussian(0., 1.)))
      0.0

    """

    def __init__(self, type_a: type, type_b: type):
        self._key = (type_a, type_b)

    def __call__(self, fn: KLFunction) -> KLFunction:
        """Register `fn` and return it unchanged."""
        if self._key in _REGISTRY:
            raise ValueError(f"KL({self._key[0].__name__} || {self._key[1].__name__}) is already registered.")
        _REGISTRY[self._key] = fn
        return fn


def _lookup(type_a: type, type_b: type) -> KLFunction | None:
    best, best_distance = None, None
    for distance_a, parent_a in enumerate(type_a.__mro__):
        for distance_b, parent_b in enumerate(type_b.__mro__):
            fn = _REGISTRY.get((parent_a, parent_b))
            if fn is not None and (best_distance is None or distance_a + distance_b < best_distance):
                best, best_distance = fn, distance_a + distance_b
    return best


def kl_divergence(distribution_a, distribution_b, allow_nan_stats: bool = True) -> jax.Array:
    """KL[a || b] = E_a[log a(X) - log b(X)], shaped like the broadcast batch shapes.

    Args:
      distribution_a: the distribution the expectation is taken under.
      distribution_b: the reference distribution.
      allow_nan_stats: when False, a NaN result raises `ValueError`.

    Raises:
      NotImplementedError: naming both families when no analytic pair is registered.

    """
    fn = _lookup(type(distribution_a), type(distribution_b))
    if fn is None:
        raise NotImplementedError(
            f"No KL divergence registered for KL({type(distribution_a).__name__} || "
            f"{type(distribution_b).__name__}); register one with @RegisterKL."
        )
    batch_shape = broadcast_shapes(
        distribution_a.batch_shape, distribution_b.batch_shape, what="kl_divergence batch shapes"
    )
    rank = len(batch_shape)
    result = fn(distribution_a._with_batch_rank(rank), distribution_b._with_batch_rank(rank))
    result = jax.numpy.broadcast_to(result, batch_shape)
    if not allow_nan_stats:
        checks.check(~jax.numpy.isnan(result), "kl_divergence is NaN for these parameters.")
    return result
