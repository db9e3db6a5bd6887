"""Calibration plots (the `plot` extra): PIT histogram and reliability diagram.

matplotlib is imported only when a plot is drawn; without it the functions raise an ImportError
that names the extra to install.
"""

from __future__ import annotations

import numpy as np

from probax.distributions.distribution import Distribution
from probax.metrics.calibration import pit
from probax.metrics.classification import calibration_bins


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(
            "probax.metrics.plot needs matplotlib: install it with `pip install probax[plot]` "
            "(or `pip install matplotlib`)."
        ) from err
    return plt


def _axes(ax):
    return _pyplot().subplots()[1] if ax is None else ax


def plot_pit_histogram(dist: Distribution, y, num_bins: int = 10, ax=None):
    """Histogram of the PIT values `F(y)` with the uniform density a calibrated model gives.

    A U shape means over-confident predictions (too narrow), a hump under-confident ones, a slope
    a biased location.

    Args:
      dist: scalar predictive distribution (see `pit`).
      y: observations.
      num_bins: histogram bins on [0, 1].
      ax: matplotlib axes to draw on (a new figure when None).

    Returns:
      The axes.

    Example:
      >>> import matplotlib
      >>> matplotlib.use("Agg")
      >>> from probax.distributions import Normal
      >>> ax = plot_pit_histogram(Normal(jnp.zeros(100), 1.), jnp.linspace(-2, 2, 100))
      >>> ax.get_xlabel()
      'PIT'

    """
    ax = _axes(ax)
    values = np.asarray(pit(dist, y)).ravel()
    ax.hist(values, bins=num_bins, range=(0, 1), density=True, alpha=0.7, label="PIT")
    ax.axhline(1.0, color="k", linestyle="--", label="calibrated")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT")
    ax.set_ylabel("density")
    ax.legend()
    return ax


def plot_reliability_diagram(dist: Distribution, y, num_bins: int = 10, ax=None):
    """Accuracy against confidence per bin (the diagonal is perfect calibration).

    Args:
      dist: a classifier's predictive distribution (see `probax.metrics.classification`).
      y: labels.
      num_bins: equal-width confidence bins on [0, 1].
      ax: matplotlib axes to draw on (a new figure when None).

    Returns:
      The axes.

    Example:
      >>> import matplotlib
      >>> matplotlib.use("Agg")
      >>> from probax.distributions import Bernoulli
      >>> ax = plot_reliability_diagram(Bernoulli(probs=jnp.array([0.9, 0.2])), jnp.array([1, 0]))
      >>> ax.get_ylabel()
      'accuracy'

    """
    ax = _axes(ax)
    confidence, accuracy, count = (np.asarray(v) for v in calibration_bins(dist, y, num_bins))
    used = count > 0
    centers = (np.arange(num_bins) + 0.5) / num_bins
    ax.bar(centers[used], accuracy[used], width=1.0 / num_bins, alpha=0.7, edgecolor="k", label="accuracy")
    ax.plot(confidence[used], accuracy[used], "o", color="C1", label="mean confidence")
    ax.plot([0, 1], [0, 1], "k--", label="calibrated")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.legend()
    return ax
