import jax.numpy as jnp
import numpy as np
import pytest

from probax.optimizer import convergence


def tolerances(gradient=1e-8, position=0.0, relative=0.0, absolute=0.0):
    return convergence.Tolerances.of_dtype(jnp.float64, gradient, position, relative, absolute)


def test_start_converges_only_with_a_finite_value_and_a_small_gradient():
    small = jnp.array([1e-9, -1e-9])
    assert bool(convergence.converged_at_start(jnp.array(3.0), small, tolerances()))
    assert not bool(convergence.converged_at_start(jnp.array(jnp.nan), small, tolerances()))
    assert not bool(convergence.converged_at_start(jnp.array(3.0), jnp.array([1e-9, 1e-7]), tolerances()))


@pytest.mark.parametrize(
    ("tolerance", "expected"),
    [
        # Step from x=(0, 0), f=2 to x=(0.5, -0.25), f=1.5, gradient (0.125, -0.25): all exact
        # in binary, so the inclusive boundaries are exact too.
        ({}, False),
        ({"gradient": 0.25}, True),  # max|g| = 0.25
        ({"gradient": 0.24}, False),
        ({"position": 0.5}, True),  # max|dx| = 0.5
        ({"position": 0.49}, False),
        ({"relative": 0.25}, True),  # |df| = 0.5 = 0.25 * |f0|
        ({"relative": 0.24}, False),
        ({"absolute": 0.5}, True),
        ({"absolute": 0.49}, False),
    ],
)
def test_each_test_after_a_step(tolerance, expected):
    converged = convergence.converged_after_step(
        jnp.zeros(2),
        jnp.array([0.5, -0.25]),
        jnp.array(2.0),
        jnp.array(1.5),
        jnp.array([0.125, -0.25]),
        tolerances(**{"gradient": 1e-8, **tolerance}),
    )
    assert bool(converged) is expected


def test_relative_test_uses_the_magnitude_of_a_negative_objective():
    converged = convergence.converged_after_step(
        jnp.zeros(1), jnp.ones(1), jnp.array(-2.0), jnp.array(-2.5), jnp.ones(1), tolerances(relative=0.25)
    )
    assert bool(converged)


def test_minus_infinity_is_success_and_other_non_finite_values_are_failure():
    values = jnp.array([-jnp.inf, jnp.inf, jnp.nan, 1.0, 1.0])
    gradients = jnp.array([[0.0], [0.0], [0.0], [jnp.nan], [0.0]])
    done, bad = convergence.minus_infinity_or_not_finite(values, gradients)
    np.testing.assert_array_equal(done, [True, False, False, False, False])
    np.testing.assert_array_equal(bad, [False, True, True, True, False])
