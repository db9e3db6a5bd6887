"""Host-side preparation shared by `fit`, `evaluate` and `predict`: model views and the objective.

Training runs the model in training mode and everything else in inference mode, as Keras'
`training=True/False`: `nnx.Dropout` is active and `nnx.BatchNorm` uses batch statistics
only while fitting. Both modes are views (`nnx.view`) sharing the model's state, so the
user's model object keeps whatever mode it was in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from flax import nnx

from probax.training.programs import Objective


class ModelParts(NamedTuple):
    """A model split for the compiled programs: two graph definitions and the current state."""

    train_graph: nnx.GraphDef
    eval_graph: nnx.GraphDef
    params: Any
    rest: Any


def _mode_view(model: nnx.Module, training: bool) -> nnx.Module:
    inference = not training
    return nnx.view(model, deterministic=inference, use_running_average=inference, raise_if_not_found=False)


def split_model(model, caller: str) -> ModelParts:
    """Split an NNX model into its training and inference graph definitions and its state.

    Example:
      >>> parts = split_model(nnx.Linear(1, 2, rngs=nnx.Rngs(0)), "fit")
      >>> sorted(parts.params.keys())
      ['bias', 'kernel']

    """
    if not isinstance(model, nnx.Module):
        raise TypeError(f"{caller}: model must be a Flax NNX Module, got {type(model).__name__}.")
    train_graph = nnx.graphdef(_mode_view(model, training=True))
    eval_graph, params, rest = nnx.split(_mode_view(model, training=False), nnx.Param, ...)
    return ModelParts(train_graph, eval_graph, params, rest)


def make_objective(
    loss: Callable, metrics: Sequence[Callable] | Mapping[str, Callable] | None, caller: str
) -> Objective:
    """The loss and the metrics, named (a function's `__name__`, or the keys of a mapping).

    Example:
      >>> def mae(y, dist):
      ...     return abs(y - dist.mean())
      >>> make_objective(len, [mae], "fit").metrics[0][0]
      'mae'

    """
    if not callable(loss):
        raise TypeError(f"{caller}: loss must be a function (y_true, y_pred), got {type(loss).__name__}.")
    named = dict(metrics) if isinstance(metrics, Mapping) else {}
    for metric in () if isinstance(metrics, Mapping) else metrics or ():
        name = getattr(metric, "__name__", None)
        if not name or name == "<lambda>":
            raise ValueError(
                f"{caller}: metric {metric!r} has no usable name; pass a named function or a dict "
                "{'name': function}."
            )
        named[name] = metric
    for name, metric in named.items():
        if not callable(metric) or name in ("loss", "first_bad_step") or name.startswith("val_"):
            raise ValueError(f"{caller}: metric {name!r} must be a function with a name other than 'loss'.")
    return Objective(loss=loss, metrics=tuple(named.items()))
