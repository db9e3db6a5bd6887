"""Hooks that `fit` calls between epochs: the `Callback` protocol and `EarlyStopping`.

`fit` calls `on_train_begin(model)` once, `on_epoch_end(epoch, logs)` after every epoch
(with the model already holding that epoch's parameters) and `on_train_end(model)` at the
end. `on_epoch_end` returns True to stop training. A plain function `f(epoch, logs)` may be
passed instead of a `Callback`; it is called as `on_epoch_end`. With callbacks, every
epoch returns to the host, so each epoch is one compiled call; without them `fit` may run
all epochs in one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import jax
from flax import nnx


class Callback:
    """Base class of the hooks `fit` calls; each default does nothing.

    Example:
      >>> class Printer(Callback):
      ...     def on_epoch_end(self, epoch, logs):
      ...         print(epoch, round(logs["loss"], 2))
      >>> Printer().on_epoch_end(0, {"loss": 1.234})
      0 1.23

    """

    def on_train_begin(self, model: nnx.Module) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch; return True to stop training."""

    def on_train_end(self, model: nnx.Module) -> None:
        """Called once after the last epoch (also when training stopped early)."""


class _FunctionCallback(Callback):
    def __init__(self, function: Callable[[int, dict[str, float]], bool | None]):
        self.function = function

    def on_epoch_end(self, epoch, logs):
        return self.function(epoch, logs)


def as_callbacks(callbacks: Sequence[Callback | Callable] | None) -> list[Callback]:
    """The given callbacks as `Callback` objects (functions become `on_epoch_end` hooks).

    Example:
      >>> [type(c).__name__ for c in as_callbacks([lambda epoch, logs: None])]
      ['_FunctionCallback']

    """
    result = []
    for callback in callbacks or ():
        if isinstance(callback, Callback):
            result.append(callback)
        elif callable(callback):
            result.append(_FunctionCallback(callback))
        else:
            raise TypeError(
                "callbacks: each entry must be a probax Callback or a function (epoch, logs), "
                f"got {type(callback).__name__}."
            )
    return result


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving (Keras' semantics).

    An epoch improves when its value beats the best so far by more than `min_delta`
    (lower is better, or higher for `mode="max"`). Training stops once `patience` epochs
    in a row have not improved. With `restore_best_weights=True`, the model gets back the
    state (parameters and other non-random variables) of its best epoch when training
    stops early, as Keras does.

    Args:
      monitor: the log to watch, e.g. `"val_loss"` or `"loss"`.
      min_delta: smallest change counted as an improvement (non-negative).
      patience: number of epochs without improvement after which training stops.
      mode: `"min"` or `"max"`; `"auto"` is `"max"` for names containing "acc", else `"min"`.
      restore_best_weights: restore the best epoch's state when stopping.

    Example:
      >>> stopper = EarlyStopping(monitor="loss", patience=1)
      >>> [stopper.on_epoch_end(epoch, {"loss": value}) for epoch, value in enumerate([3., 2., 2.5, 2.4])]
      [False, False, True, True]

    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ):
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be a non-negative int, got {patience!r}.")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be non-negative, got {min_delta!r}.")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}.")
        self.monitor = monitor
        self.min_delta = float(min_delta)
        self.patience = patience
        self.higher_is_better = mode == "max" or (mode == "auto" and "acc" in monitor)
        self.restore_best_weights = restore_best_weights
        self.model: nnx.Module | None = None
        self._reset()

    def _reset(self) -> None:
        self.best = -math.inf if self.higher_is_better else math.inf
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self._best_state = None

    def on_train_begin(self, model):
        """Remember the model (to snapshot and restore its state) and reset the counters."""
        self.model = model
        self._reset()

    def _improved(self, value: float) -> bool:
        if self.higher_is_better:
            return value - self.min_delta > self.best
        return value + self.min_delta < self.best

    def on_epoch_end(self, epoch, logs):
        """Track the monitored log; return True (after restoring the best state) to stop."""
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping: monitor={self.monitor!r} is not among the logs {sorted(logs)}; "
                "'val_*' logs need validation_data or validation_split."
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights and self.model is not None:
                # A detached copy: the model's variables are updated in place later.
                self._best_state = jax.tree.map(lambda leaf: leaf, nnx.state(self.model, _restorable))
            return False
        self.wait += 1
        if self.wait < self.patience:
            return False
        self.stopped_epoch = epoch
        if self._best_state is not None:
            nnx.update(self.model, self._best_state)
        return True


_restorable = nnx.Not(nnx.RngState)
