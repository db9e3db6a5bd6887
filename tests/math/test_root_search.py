import jax
import jax.numpy as jnp
import numpy as np

from probax.math import find_root_chandrupatla


def test_solves_a_batch_of_cubics():
    targets = jnp.array([-8.0, 0.5, 27.0, 1e6])
    root = find_root_chandrupatla(lambda x: x**3 - targets, -1e3 * jnp.ones(4), 1e3 * jnp.ones(4))
    np.testing.assert_allclose(root, np.cbrt(np.asarray(targets)), rtol=1e-12)


def test_no_sign_change_returns_closest_endpoint():
    root = find_root_chandrupatla(lambda x: x**2 + 1.0, jnp.array([0.5]), jnp.array([2.0]))
    np.testing.assert_allclose(root, [0.5])


def test_implicit_gradient_matches_analytic():
    # x(a) solves x**3 = a, so dx/da = 1 / (3 x**2).
    def root_of(a):
        return find_root_chandrupatla(lambda x: x**3 - a, jnp.array(0.0), jnp.array(10.0))

    for a in [2.0, 8.0, 500.0]:
        np.testing.assert_allclose(jax.grad(root_of)(a), 1 / (3 * np.cbrt(a) ** 2), rtol=1e-10)


def test_runs_under_jit_and_vmap():
    solve = jax.jit(jax.vmap(lambda a: find_root_chandrupatla(lambda x: jnp.exp(x) - a, -50.0, 50.0)))
    np.testing.assert_allclose(solve(jnp.array([1.0, 2.0, 1e10])), np.log([1.0, 2.0, 1e10]), rtol=1e-12)
