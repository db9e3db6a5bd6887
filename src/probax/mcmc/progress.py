"""The progress bar of `sample`: a tqdm bar updated on the host between compiled chunks.

The chains run as a few compiled chunks of steps; the bar moves once per chunk,
so the compiled program has no callbacks and no host round trips, and the bar is
unaffected by `vmap` or sharding. It shows the phase (warmup or sampling) and the
divergences so far.
"""

from __future__ import annotations

from typing import Any


class ProgressBar:
    """A tqdm bar over `total` steps that also shows the phase and the divergences so far.

    Args:
      total: the number of steps of the whole run (warmup and sampling).
      enabled: False makes every method a no-op (tqdm is not even imported).
      initial: steps already done (a resumed run).

    Example:
      >>> bar = ProgressBar(total=100, enabled=False)
      >>> bar.update(50, phase="warmup", divergences=0)
      >>> bar.close()

    """

    def __init__(self, total: int, enabled: bool = True, initial: int = 0):
        self._bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)

    def update(self, steps: int, *, phase: str, divergences: int) -> None:
        """Advance by `steps` and show the phase and the number of divergent transitions so far."""
        if self._bar is None:
            return
        self._bar.set_description(phase, refresh=False)
        self._bar.set_postfix(divergences=divergences, refresh=False)
        self._bar.update(steps)

    def close(self) -> None:
        """Close the bar (a no-op when disabled)."""
        if self._bar is not None:
            self._bar.close()
