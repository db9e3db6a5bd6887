import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from probax.persistence import load, save
from probax.training.evaluation import predict
from probax.training.fit import fit
from tests.training.models import LinearNormal

X = np.linspace(-1, 1, 12).reshape(6, 2)
Y = X.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def trained():
    model = LinearNormal(nnx.Rngs(0), features=2, dropout=0.2)
    fit(model, X, Y, optimizer=optax.adam(0.1), epochs=3, batch_size=4, verbose=0)
    return model


def _assert_same_variables(a, b):
    flat_a, flat_b = nnx.to_flat_state(nnx.state(a)), nnx.to_flat_state(nnx.state(b))
    for (path_a, var_a), (path_b, var_b) in zip(flat_a, flat_b, strict=True):
        assert path_a == path_b and type(var_a) is type(var_b)
        value_a, value_b = var_a.get_value(), var_b.get_value()
        if jax.dtypes.issubdtype(value_a.dtype, jax.dtypes.prng_key):
            value_a, value_b = jax.random.key_data(value_a), jax.random.key_data(value_b)
        assert value_a.dtype == value_b.dtype
        np.testing.assert_array_equal(value_a, value_b)


def test_round_trip_with_like_gives_identical_predictions(trained, tmp_path):
    save(tmp_path / "model", trained)
    template = LinearNormal(nnx.Rngs(7), features=2, dropout=0.2)
    restored = load(tmp_path / "model", like=template)
    assert restored is not template
    _assert_same_variables(restored, trained)
    assert not np.array_equal(template.linear.kernel[...], trained.linear.kernel[...])  # template untouched
    np.testing.assert_array_equal(predict(restored, X).mean(), predict(trained, X).mean())
    # The dropout stream's key and counter are restored too: the same masks in training mode.
    np.testing.assert_array_equal(restored(X).mean(), nnx.clone(trained)(X).mean())


def test_rebuild_from_an_allow_list(trained, tmp_path):
    folder = save(tmp_path / "model", trained)
    header = json.loads((folder / "config.json").read_text())
    assert header["class"].endswith("LinearNormal") and header["config"] == {"features": 2, "dropout": 0.2}
    assert header["variables"]["linear/kernel"] == {"type": "Param", "dtype": "float32", "shape": [2, 1]}
    restored = load(folder, classes=[LinearNormal])
    _assert_same_variables(restored, trained)
    with pytest.raises(ValueError, match="not among classes"):
        load(folder, classes=[nnx.Linear])


def test_explicit_config_and_float64(tmp_path):
    model = nnx.Linear(2, 3, param_dtype=jnp.float64, rngs=nnx.Rngs(0))
    folder = save(tmp_path / "linear", model, config={"in_features": 2, "out_features": 3})
    with pytest.raises(ValueError, match="saved as float64"):
        load(folder, classes=[nnx.Linear])  # rebuilt with the default float32 parameters
    restored = load(folder, like=nnx.Linear(2, 3, param_dtype=jnp.float64, rngs=nnx.Rngs(1)))
    _assert_same_variables(restored, model)


def test_errors(trained, tmp_path):
    folder = save(tmp_path / "plain", nnx.Linear(2, 1, rngs=nnx.Rngs(0)))
    with pytest.raises(ValueError, match="no constructor arguments"):
        load(folder, classes=[nnx.Linear])
    with pytest.raises(ValueError, match="do not match"):
        load(folder, like=trained)
    with pytest.raises(ValueError, match="saved as"):
        load(folder, like=nnx.Linear(2, 2, rngs=nnx.Rngs(0)))
    with pytest.raises(TypeError, match="JSON"):
        save(tmp_path / "bad", trained, config={"rngs": nnx.Rngs(0)})
    with pytest.raises(TypeError, match="NNX Module"):
        save(tmp_path / "bad", {"w": np.zeros(2)})
    (folder / "config.json").write_text(json.dumps({"format": "pickle"}))
    with pytest.raises(ValueError, match="format"):
        load(folder, like=nnx.Linear(2, 1, rngs=nnx.Rngs(0)))
