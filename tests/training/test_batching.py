import jax.numpy as jnp
import numpy as np
import pytest

from probax.training.batching import check_batch_size, padded_batches, paired_examples, per_example


@pytest.mark.parametrize(("num_examples", "batch_size"), [(10, 3), (9, 3), (5, 5), (7, 1)])
def test_padded_batches_visit_every_example_once(num_examples, batch_size):
    order = jnp.asarray(np.random.default_rng(0).permutation(num_examples))
    indices, mask = padded_batches(order, batch_size)
    assert indices.shape == mask.shape == (-(-num_examples // batch_size), batch_size)
    np.testing.assert_array_equal(np.asarray(indices)[np.asarray(mask)], order)
    assert int(mask.sum()) == num_examples


def test_per_example_reduces_trailing_axes_and_rejects_batch_means():
    np.testing.assert_allclose(per_example(jnp.array([[1.0, 3.0], [2.0, 2.0]]), 2, "loss"), [2.0, 2.0])
    with pytest.raises(ValueError, match="one value per example"):
        per_example(jnp.asarray(1.0), 2, "loss")


def test_argument_checks():
    with pytest.raises(ValueError, match="same number of examples"):
        paired_examples(np.zeros((3, 1)), np.zeros(2), "fit")
    with pytest.raises(ValueError, match="leading axis"):
        paired_examples(np.float64(1.0), np.zeros(1), "fit")
    with pytest.raises(ValueError, match="batch_size"):
        check_batch_size(0, 5, "fit")
    assert check_batch_size(None, 5, "fit") == 5
