"""The record `fit` returns: per-epoch logs, as Keras' `History`."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class History:
    """What happened during `fit`.

    Attributes:
      history: name -> one float per completed epoch: `loss`, each metric, and `val_loss`,
        `val_<metric>` when there was validation data (Keras' `History.history`).
      epoch: the indices of the completed epochs (0-based).
      params: the settings of the run (`epochs`, `steps` per epoch, `batch_size`, `verbose`).
      stop_reason: None when all epochs ran; otherwise why training stopped early
        (`"callback"` or `"non_finite_loss"`).

    Example:
      >>> history = History()
      >>> history.append(0, {"loss": 1.5})
      >>> history.history
      {'loss': [1.5]}

    """

    history: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    epoch: list[int] = dataclasses.field(default_factory=list)
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    stop_reason: str | None = None

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record the logs of one finished epoch."""
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)
