"""What every walkthrough does with its output: a headless pyplot, one way to save a figure.

Example:
    >>> from figures import output_folder, pyplot, save_figure  # doctest: +SKIP
    >>> plt = pyplot()  # doctest: +SKIP
    >>> fig, axis = plt.subplots()  # doctest: +SKIP
    >>> save_figure(fig, output_folder("demo_output") / "empty.png")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed); imported only when plotting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> None:
    """Lay out, write (PNG at 90 dpi) and close `fig`."""
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    pyplot().close(fig)


def output_folder(output: str | Path) -> Path:
    """`output` as a Path, created if missing."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    return output
