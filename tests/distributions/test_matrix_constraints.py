"""Matrix and sphere constraints: membership with a rounding allowance."""

import jax.numpy as jnp
import numpy as np

from probax.distributions import constraints
from probax.distributions.matrix_constraints import (
    correlation_cholesky,
    nonsingular_lower_triangular,
    positive_definite,
    unit_vector,
)


def test_matrix_constraints():
    assert bool(positive_definite.check(jnp.array([[2.0, 1.0], [1.0, 2.0]])))
    assert not bool(positive_definite.check(jnp.array([[1.0, 2.0], [2.0, 1.0]])))  # indefinite
    assert not bool(positive_definite.check(jnp.array([[2.0, 1.0], [0.0, 2.0]])))  # not symmetric
    assert bool(nonsingular_lower_triangular.check(jnp.array([[1.0, 9.0], [2.0, -1.0]])))
    assert not bool(nonsingular_lower_triangular.check(jnp.array([[1.0, 0.0], [2.0, 0.0]])))
    assert bool(unit_vector.check(jnp.array([0.6, 0.8])))
    assert not bool(unit_vector.check(jnp.array([0.6, 0.9])))
    chol = np.linalg.cholesky(np.array([[1.0, 0.3], [0.3, 1.0]]))
    assert bool(correlation_cholesky.check(jnp.asarray(chol)))
    assert not bool(correlation_cholesky.check(jnp.asarray(2 * chol)))


def test_nonzero():
    np.testing.assert_array_equal(constraints.nonzero.check(jnp.array([1.0, 0.0, jnp.nan, -2.0])),
                                  [True, False, False, True])
