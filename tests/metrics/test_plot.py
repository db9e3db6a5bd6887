import sys

import jax.numpy as jnp
import numpy as np
import pytest

from probax.distributions import Bernoulli, Normal
from probax.metrics import plot

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_pit_histogram_heights():
    ax = plot.plot_pit_histogram(Normal(jnp.zeros(4), 1.0), jnp.array([-5.0, -0.1, 0.1, 5.0]), num_bins=2)
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, [1.0, 1.0])  # two PIT values per half: density 1


def test_reliability_diagram_bars():
    ax = plot.plot_reliability_diagram(Bernoulli(probs=jnp.array([0.9, 0.9])), jnp.array([1, 0]), num_bins=2)
    np.testing.assert_allclose([patch.get_height() for patch in ax.patches], [0.5])


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install probax\[plot\]"):
        plot.plot_pit_histogram(Normal(0.0, 1.0), 0.0)
