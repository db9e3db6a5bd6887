import jax.numpy as jnp
import pytest

from probax import optimizer

# (converged, failed) -> (converged_all, converged_any), from TFP's definitions:
# all: every member converged or failed; any: some member converged, or every member failed.
CASES = [
    ([False, False], [False, False], False, False),
    ([True, False], [False, False], False, True),
    ([True, False], [False, True], True, True),
    ([False, False], [True, True], True, True),
    ([False, False], [True, False], False, False),
    ([True, True], [False, False], True, True),
]


@pytest.mark.parametrize(("converged", "failed", "expect_all", "expect_any"), CASES)
def test_stopping_conditions(converged, failed, expect_all, expect_any):
    converged, failed = jnp.array(converged), jnp.array(failed)
    assert bool(optimizer.converged_all(converged, failed)) is expect_all
    assert bool(optimizer.converged_any(converged, failed)) is expect_any


def test_stopping_conditions_reduce_any_batch_shape_to_a_scalar():
    converged = jnp.zeros((2, 3), bool).at[1, 2].set(True)
    assert optimizer.converged_any(converged, jnp.zeros((2, 3), bool)).shape == ()
    assert bool(optimizer.converged_any(converged, jnp.zeros((2, 3), bool)))
    assert not bool(optimizer.converged_all(converged, jnp.zeros((2, 3), bool)))
