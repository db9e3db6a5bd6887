"""Table-driven checks shared by every bijector.

A test module lists `BijectorCase`s and binds the generated tests:

    test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)

* round trip: inverse(forward(x)) == x and forward(inverse(y)) == y, float32 and float64;
* log-determinant: forward_log_det_jacobian(x) equals log|det jax.jacobian(forward)| on each
  event (float64), inverse_log_det_jacobian(forward(x)) is its negative, and a log-det at
  one more event dimension is the sum over that dimension;
* transforms: jit (same numbers), vmap over a stacked constructor (the batched bijector),
  the bijector returned from a jitted function, and finite gradients of the log-det and of
  forward with respect to every parameter and the input;
* extremes: forward, inverse and both log-dets finite at float32 points near saturation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

RTOL = {np.float32: 2e-5, np.float64: 1e-10}


@dataclasses.dataclass(frozen=True)
class BijectorCase:
    """One bijector at one set of parameters, with points in its forward domain.

    Attributes:
      name: test id.
      make: builds the bijector from keyword parameters (numpy float arrays).
      params: the parameters.
      x: float64 points in the forward domain, shaped `batch + event` with at least one
        batch dimension (the round trip, log-det and transform checks run on them).
      to_free: maps one forward input event (float64, its own event shape) to its free
        coordinates as a flat vector; the Jacobian is taken between free coordinates
        (default: flatten). Needed where events are constrained (triangular, simplex).
      from_free: the inverse of `to_free` (default: reshape back to the event shape).
      to_free_output / from_free_output: the same for one output event.
      extremes_x / extremes_y: float32 points where every method must stay finite.
      rtol: tolerance overrides keyed by check ("round_trip", "log_det").
    """

    name: str
    make: Callable[..., Any]
    params: Mapping[str, Any]
    x: np.ndarray
    to_free: Callable | None = None
    from_free: Callable | None = None
    to_free_output: Callable | None = None
    from_free_output: Callable | None = None
    extremes_x: np.ndarray | None = None
    extremes_y: np.ndarray | None = None
    rtol: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def cast(self, dtype) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype) for k, v in self.params.items()}

    def build(self, dtype=np.float64):
        return self.make(**self.cast(dtype))


def bijector_suite(cases: list[BijectorCase]):
    """The standard tests for `cases`, to bind to `test_*` names in a test module."""
    ids = [c.name for c in cases]

    @pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_round_trip(case: BijectorCase, dtype):
        bijector = case.build(dtype)
        x = case.x.astype(dtype)
        y = bijector.forward(x)
        assert y.dtype == dtype
        rtol = case.rtol.get("round_trip", RTOL[dtype])
        x_back = bijector.inverse(y)
        np.testing.assert_allclose(x_back, np.broadcast_to(x, x_back.shape), rtol=rtol, atol=rtol)
        np.testing.assert_allclose(bijector.forward(x_back), y, rtol=rtol, atol=rtol)
        in_event = x.shape[x.ndim - bijector.forward_min_event_ndims :]
        out_event = y.shape[y.ndim - bijector.inverse_min_event_ndims :]
        assert bijector.forward_event_shape(in_event) == out_event
        assert bijector.inverse_event_shape(out_event) == in_event

    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_log_det(case: BijectorCase):
        bijector = case.build(np.float64)
        x = case.x
        fldj, ildj, numeric, y = _log_dets(bijector, case, x)
        rtol = case.rtol.get("log_det", 1e-9)
        np.testing.assert_allclose(np.broadcast_to(fldj, numeric.shape), numeric, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(np.broadcast_to(ildj, numeric.shape), -numeric, rtol=rtol, atol=rtol)
        # One more event dimension: the log-det sums over it.
        event_ndims = bijector.forward_min_event_ndims
        if x.ndim > event_ndims:
            wider = bijector.forward_log_det_jacobian(x, event_ndims + 1)
            np.testing.assert_allclose(
                wider, np.sum(np.broadcast_to(fldj, numeric.shape), axis=-1), rtol=rtol, atol=rtol
            )
            wider_inverse = bijector.inverse_log_det_jacobian(y, bijector.inverse_min_event_ndims + 1)
            np.testing.assert_allclose(wider_inverse, -np.asarray(wider), rtol=rtol, atol=rtol)

    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_transforms(case: BijectorCase):
        params = case.cast(np.float64)
        x = case.x
        eager = case.make(**params)
        y = eager.forward(x)
        fldj = eager.forward_log_det_jacobian(x)

        @jax.jit
        def everything(p, x):
            b = case.make(**p)
            y, log_det = b.forward_and_log_det(x)
            return y, log_det, b.inverse(y), b.inverse_log_det_jacobian(y)

        jy, jfldj, jx, jildj = everything(params, x)
        np.testing.assert_allclose(jy, y, rtol=1e-12)
        np.testing.assert_allclose(jfldj, fldj, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(jx, np.broadcast_to(x, jx.shape), rtol=1e-8, atol=1e-8)
        np.testing.assert_allclose(jildj, -np.asarray(fldj), rtol=1e-8, atol=1e-8)
        returned = jax.jit(lambda p: case.make(**p))(params)
        np.testing.assert_allclose(returned.forward(x), y, rtol=1e-12)
        if params:
            stacked = {k: np.stack([v, v]) for k, v in params.items()}
            batched = jax.vmap(lambda p: case.make(**p))(stacked)
            by = jax.jit(jax.vmap(lambda b, x: b.forward(x), in_axes=(0, None)))(batched, x)
            np.testing.assert_allclose(by, np.stack([y, y]), rtol=1e-12)

        def objective(p, x):
            b = case.make(**p)
            y, log_det = b.forward_and_log_det(x)
            return jnp.sum(log_det) + jnp.sum(jnp.sin(y))

        grads = jax.jit(jax.grad(objective, argnums=(0, 1)))(params, x)
        for leaf in jax.tree_util.tree_leaves(grads):
            assert np.all(np.isfinite(leaf)), case.name

    extreme_cases = [c for c in cases if c.extremes_x is not None or c.extremes_y is not None]

    @pytest.mark.parametrize("case", extreme_cases, ids=[c.name for c in extreme_cases])
    def test_extremes(case: BijectorCase):
        bijector = case.build(np.float32)
        if case.extremes_x is not None:
            x = np.asarray(case.extremes_x, np.float32)
            for value in (bijector.forward(x), bijector.forward_log_det_jacobian(x)):
                assert np.all(~np.isnan(value)), f"{case.name}: NaN from {x}"
                assert np.asarray(value).dtype == np.float32
        if case.extremes_y is not None:
            y = np.asarray(case.extremes_y, np.float32)
            for value in (bijector.inverse(y), bijector.inverse_log_det_jacobian(y)):
                assert np.all(np.isfinite(value)), f"{case.name}: not finite from {y}"

    # No extreme cases: bind None so pytest collects nothing rather than an empty, skipped test.
    return test_round_trip, test_log_det, test_transforms, test_extremes if extreme_cases else None


def _log_dets(bijector, case: BijectorCase, x):
    """(fldj, ildj at forward(x), log|det J| from jax.jacobian per event, forward(x)), float64."""
    in_ndims = bijector.forward_min_event_ndims
    out_ndims = bijector.inverse_min_event_ndims
    y = np.asarray(bijector.forward(x))
    fldj = np.asarray(bijector.forward_log_det_jacobian(x, in_ndims))
    ildj = np.asarray(bijector.inverse_log_det_jacobian(y, out_ndims))
    batch_shape = y.shape[: y.ndim - out_ndims]
    in_event = x.shape[x.ndim - in_ndims :]
    x_full = np.broadcast_to(x, batch_shape + in_event)
    to_free = case.to_free or (lambda e: jnp.ravel(e))
    from_free = case.from_free or (lambda v: jnp.reshape(v, in_event))
    to_free_output = case.to_free_output or (lambda e: jnp.ravel(e))

    def forward_free(free, member):
        # One event, the bijector's parameters for batch member `member` broadcast in.
        event = from_free(free)
        full = jnp.broadcast_to(event, batch_shape + in_event) if batch_shape else event
        out = bijector.forward(full)
        return to_free_output(out[member] if batch_shape else out)

    numeric = np.empty(batch_shape)
    for member in np.ndindex(batch_shape):
        free = np.asarray(to_free(jnp.asarray(x_full[member])))
        jacobian = np.asarray(jax.jacobian(forward_free)(free, member))
        assert jacobian.shape[0] == jacobian.shape[1], f"{case.name}: non-square Jacobian {jacobian.shape}"
        numeric[member] = np.linalg.slogdet(jacobian)[1]
    return fldj, ildj, numeric, y
