"""Saving and loading Flax NNX models without pickle: `save(path, model)`, `load(path, like=...)`.

`save` writes a directory with two files:

- `variables.msgpack`: every variable of the model (parameters, batch statistics, RNG
  stream keys and counters) as a flat msgpack map from its path (`"layers/0/kernel"`) to
  a NumPy array (typed PRNG keys are stored as their raw key data);
- `config.json`: the format version, the model's class (`module.QualName`), the
  constructor arguments when known (a JSON object) and, per variable, its type, dtype,
  shape and key implementation.

`load(path, like=model)` puts the saved values into a copy of a model of the same
structure and always works. `load(path, classes=[MyModel])` rebuilds the model itself from
the saved class name and constructor arguments, but only from classes the caller lists:
nothing named in the file is imported or executed. Constructor arguments come from
`save(..., config={...})` or from the model's `get_config()` method.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import nnx, serialization

FORMAT = "probax-nnx-1"
_CONFIG_FILE = "config.json"
_VARIABLES_FILE = "variables.msgpack"


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _path_name(path: tuple) -> str:
    return "/".join(str(part) for part in path)


def _is_key(value) -> bool:
    return jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key)


def save(path: str | Path, model: nnx.Module, *, config: Mapping[str, Any] | None = None) -> Path:
    """Write the model's variables and configuration to the directory `path`.

    Args:
      path: a directory (created if needed; its two files are overwritten).
      model: a Flax NNX module.
      config: JSON-serializable constructor arguments that rebuild the model as
        `type(model)(**config)` (plus `rngs=` when the constructor takes one). Default:
        `model.get_config()` if the model defines it, else none (then `load` needs `like=`).

    Returns:
      The directory written.

    Raises:
      TypeError: when `model` is not an NNX module or `config` is not JSON-serializable.

    Example:
      >>> import tempfile
      >>> model = nnx.Linear(2, 1, rngs=nnx.Rngs(0))
      >>> folder = save(tempfile.mkdtemp(), model)
      >>> restored = load(folder, like=nnx.Linear(2, 1, rngs=nnx.Rngs(1)))
      >>> bool(np.all(restored.kernel[...] == model.kernel[...]))
      True

    """
    if not isinstance(model, nnx.Module):
        raise TypeError(f"save: model must be a Flax NNX Module, got {type(model).__name__}.")
    if config is None and callable(getattr(model, "get_config", None)):
        config = model.get_config()
    arrays, descriptions = {}, {}
    for path_key, variable in nnx.to_flat_state(nnx.state(model)):
        name = _path_name(path_key)
        value = variable.get_value()
        description = {"type": type(variable).__name__, "dtype": str(value.dtype), "shape": list(value.shape)}
        if _is_key(value):
            description["key_impl"] = str(jax.random.key_impl(value))
            value = jax.random.key_data(value)
            description["dtype"] = str(value.dtype)
        arrays[name] = np.asarray(value)
        descriptions[name] = description
    header = {"format": FORMAT, "class": _class_name(type(model)), "config": config}
    try:
        header_text = json.dumps({**header, "variables": descriptions}, indent=2)
    except TypeError as err:
        message = f"save: config must be JSON-serializable (numbers, strings, lists, dicts): {err}."
        raise TypeError(message) from err
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _CONFIG_FILE).write_text(header_text + "\n")
    (folder / _VARIABLES_FILE).write_bytes(serialization.msgpack_serialize(arrays))
    return folder


def _read(folder: Path) -> tuple[dict, dict[str, np.ndarray]]:
    header = json.loads((folder / _CONFIG_FILE).read_text())
    if header.get("format") != FORMAT:
        raise ValueError(f"load: {folder} holds format {header.get('format')!r}, expected {FORMAT!r}.")
    arrays = serialization.msgpack_restore((folder / _VARIABLES_FILE).read_bytes())
    return header, arrays


def _template_from_classes(header: dict, classes: Iterable[type]) -> nnx.Module:
    allowed = {_class_name(cls): cls for cls in classes}
    name = header["class"]
    if name not in allowed:
        raise ValueError(
            f"load: the saved model is a {name}, which is not among classes={sorted(allowed)}; pass that "
            "class in classes=[...] or a model of the same structure as like=."
        )
    if header.get("config") is None:
        raise ValueError(
            f"load: the file has no constructor arguments for {name}; save with config={{...}} or a "
            "get_config() method, or load with like=."
        )
    cls, arguments = allowed[name], header["config"]
    takes_rngs = "rngs" in inspect.signature(cls.__init__).parameters

    def build():
        return cls(**arguments, rngs=nnx.Rngs(0)) if takes_rngs else cls(**arguments)

    # Shapes only: the values come from the file.
    return nnx.eval_shape(build)


def _restored(description: dict, value: np.ndarray):
    if "key_impl" in description:
        return jax.random.wrap_key_data(value, impl=description["key_impl"])
    return jax.numpy.asarray(value)


def load(path: str | Path, like: nnx.Module | None = None, *, classes: Iterable[type] = ()) -> nnx.Module:
    """Read a model written by `save`.

    Args:
      path: the directory `save` wrote.
      like: a model of the same structure (any values); a new model with the saved values
        is returned and `like` is left unchanged.
      classes: without `like`, the classes the saved model may be rebuilt from (an
        allow-list you control; the class named in the file must be one of them).

    Returns:
      A new NNX module holding the saved variables.

    Raises:
      ValueError: when the file's variables do not match the model's (names, shapes,
        dtypes), or the class cannot be rebuilt.

    Example:
      >>> import tempfile
      >>> class Line(nnx.Module):
      ...     def __init__(self, features, rngs):
      ...         self.features = features
      ...         self.linear = nnx.Linear(1, features, rngs=rngs)
      ...     def get_config(self):
      ...         return {"features": self.features}
      >>> folder = save(tempfile.mkdtemp(), Line(3, nnx.Rngs(0)))
      >>> load(folder, classes=[Line]).linear.kernel.shape
      (1, 3)

    """
    folder = Path(path)
    header, arrays = _read(folder)
    template = like if like is not None else _template_from_classes(header, classes)
    if not isinstance(template, nnx.Module):
        raise TypeError(f"load: like must be a Flax NNX Module, got {type(template).__name__}.")
    graph, state = nnx.split(template)
    flat = list(nnx.to_flat_state(state))
    names = [_path_name(path_key) for path_key, _ in flat]
    missing, unexpected = sorted(set(names) - set(arrays)), sorted(set(arrays) - set(names))
    if missing or unexpected:
        raise ValueError(
            f"load: the saved variables do not match the model: missing from the file {missing}, "
            f"not in the model {unexpected}."
        )
    restored = []
    for (path_key, variable), name in zip(flat, names, strict=True):
        value = _restored(header["variables"][name], arrays[name])
        wanted = variable.get_value()
        if value.shape != wanted.shape or value.dtype != wanted.dtype:
            raise ValueError(
                f"load: variable {name!r} is saved as {value.dtype}{list(value.shape)} but the model "
                f"has {wanted.dtype}{list(wanted.shape)}."
            )
        restored.append((path_key, variable.replace(value)))
    return nnx.merge(graph, nnx.from_flat_state(restored))
