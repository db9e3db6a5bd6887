"""Checks shared by the tests of vector-valued families (Dirichlet, Multinomial, ...).

`check_transforms` runs a family's `log_prob` under `jit`, through a distribution returned
from `jit`, through a `vmap`-constructed batch, and compares gradients with central
differences, with one compiled program for each transform.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def monte_carlo_tolerance(draws: np.ndarray, axis: int = 0, sigmas: float = 5.0) -> np.ndarray:
    """`sigmas` standard errors of the mean of `draws` along `axis`."""
    return sigmas * np.std(draws, axis=axis) / np.sqrt(draws.shape[axis])


def check_transforms(make: Callable, params: dict, value: np.ndarray, differentiable: Sequence[str] = ()):
    """`log_prob(value)` agrees through jit, vmap and distributions passed in and out of jit.

    Everything runs compiled: eager evaluation compiles each primitive on its own, which costs
    seconds for the log-Beta based families.

    Args:
      make: builds the distribution from keyword parameters.
      params: float64 numpy parameters.
      value: a value shaped `batch_shape + event_shape`.
      differentiable: parameters whose gradient is compared with central differences.
    """
    jitted, returned = jax.jit(lambda p, x: (make(**p).log_prob(x), make(**p)))(params, value)
    jitted = np.asarray(jitted)
    assert np.all(np.isfinite(jitted))
    batched = jax.vmap(lambda p: make(**p))({k: np.stack([v, v]) for k, v in params.items()})
    assert batched.batch_shape == (2, *returned.batch_shape)
    log_prob = jax.jit(lambda d, x: d.log_prob(x))
    # A distribution returned from jit, and a vmap-built batch, passed into a jitted function.
    np.testing.assert_allclose(log_prob(returned, value), jitted, rtol=1e-12)
    np.testing.assert_allclose(log_prob(batched, value), np.stack([jitted, jitted]), rtol=1e-12)
    if differentiable:
        _check_gradients(make, params, value, differentiable)


def _check_gradients(make, params, value, names):
    """Gradient and central differences, from one compiled program."""

    def total(free):
        return jnp.sum(make(**{**params, **free}).log_prob(value))

    free = {k: np.asarray(params[k], np.float64) for k in names}
    elements = [(k, i) for k in names for i in np.ndindex(free[k].shape)]
    step = 1e-6
    bumped = {k: np.repeat(v[None], 2 * len(elements), axis=0) for k, v in free.items()}
    for j, (k, i) in enumerate(elements):
        bumped[k][(2 * j, *i)] += step
        bumped[k][(2 * j + 1, *i)] -= step
    gradient, totals = jax.jit(lambda f, b: (jax.grad(total)(f), jax.vmap(total)(b)))(free, bumped)
    for (k, i), (up, down) in zip(elements, np.asarray(totals).reshape(-1, 2), strict=True):
        # Central differences in float64 with step 1e-6 are good to about 1e-8 relative.
        np.testing.assert_allclose(
            gradient[k][i], (up - down) / (2 * step), rtol=1e-5, atol=1e-6, err_msg=f"d log_prob / d {k}{i}"
        )
