import functools

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from probax.optimizer.line_search import strong_wolfe_line_search, value_function_with_known_gradient
from tests.optimizer import support

# optax's defaults, which probax keeps: sufficient decrease c1 and curvature c2.
C1, C2 = 1e-4, 0.9
STARTS = np.random.default_rng(0).uniform(-2, 2, size=(8, 2))


@functools.cache
def vmapped_search():
    """Line searches from many starts along sign * gradient: one compilation for both signs."""

    def search(start, sign):
        value, gradient = support.rosenbrock_value_and_gradient(start)
        return strong_wolfe_line_search(
            support.rosenbrock_value_and_gradient, start, value, gradient, sign * gradient, 50
        )

    return jax.jit(jax.vmap(search))


def search_along_gradient(starts, sign):
    return vmapped_search()(jnp.asarray(starts), jnp.full(len(starts), float(sign)))


def test_steps_along_the_negative_gradient_meet_the_strong_wolfe_conditions():
    steps = search_along_gradient(STARTS, -1.0)
    assert bool(np.all(steps.accepted))
    for start, position in zip(STARTS, np.asarray(steps.position), strict=True):
        gradient = scipy.optimize.rosen_der(start)
        direction = -gradient
        step = (position - start) / direction  # one step size t per coordinate
        np.testing.assert_allclose(step, step[0], rtol=1e-10)
        slope = gradient @ direction
        assert step[0] > 0
        # optax may accept Hager-Zhang's approximate decrease instead; from these starts, far
        # from the minimum, it never needs to.
        assert scipy.optimize.rosen(position) <= scipy.optimize.rosen(start) + C1 * step[0] * slope
        assert abs(scipy.optimize.rosen_der(position) @ direction) <= C2 * abs(slope)


def test_along_an_ascent_direction_only_a_real_decrease_is_accepted():
    # Along +gradient the Wolfe tests are meaningless; a step may still jump across Rosenbrock's
    # curved valley to a lower value (it does from one of these starts), and only then is taken.
    steps = search_along_gradient(STARTS, 1.0)
    start_values = np.array([scipy.optimize.rosen(x) for x in STARTS])
    accepted = np.asarray(steps.accepted)
    assert not accepted.all()
    assert np.all(np.asarray(steps.objective_value)[accepted] <= start_values[accepted])
    np.testing.assert_array_equal(np.asarray(steps.position)[~accepted], STARTS[~accepted])
    np.testing.assert_allclose(
        np.asarray(steps.objective_value)[~accepted], start_values[~accepted], rtol=1e-14
    )


def test_the_users_gradient_is_used_not_recomputed():
    # A gradient deliberately unrelated to the value: the wrapper must hand it back as is.
    reported = jnp.array([3.0, -1.0])
    value = value_function_with_known_gradient(lambda x: (jnp.sum(x**2), reported))
    np.testing.assert_array_equal(jax.grad(value)(jnp.array([1.0, 2.0])), reported)
    np.testing.assert_array_equal(jax.grad(lambda x: 2.0 * value(x))(jnp.zeros(2)), 2.0 * reported)


def test_a_newton_step_on_a_quadratic_costs_one_evaluation():
    hessian = jnp.array([[3.0, 1.0], [1.0, 2.0]])

    def value_and_gradient(x):
        return 0.5 * x @ hessian @ x, hessian @ x

    def newton_search(start):
        value, gradient = value_and_gradient(start)
        newton = -jnp.linalg.solve(hessian, gradient)
        return strong_wolfe_line_search(value_and_gradient, start, value, gradient, newton, 50)

    step = jax.jit(newton_search)(jnp.array([1.0, -1.0]))
    assert bool(step.accepted) and int(step.num_evaluations) == 1
    np.testing.assert_allclose(step.position, 0.0, atol=1e-15)
