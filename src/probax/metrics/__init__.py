"""Predictive metrics, each taking `(dist, y)`: scores, calibration checks and prior reweighting.

The calibration plots live in `probax.metrics.plot` (needs matplotlib, the `plot` extra).

Example:
  >>> import jax.numpy as jnp
  >>> from probax import metrics
  >>> from probax.distributions import Normal
  >>> d, y = Normal(jnp.zeros(3), 1.), jnp.array([-1., 0., 1.])
  >>> round(float(metrics.nll(d, y)), 4), round(float(metrics.crps(d, y)), 4)
  (1.2523, 0.4795)

"""

from probax.metrics.calibration import coverage, pit
from probax.metrics.classification import brier_score, calibration_bins, expected_calibration_error
from probax.metrics.crps import crps, sample_crps
from probax.metrics.likelihood import nll
from probax.metrics.reweight import reweight_prior

__all__ = [
    "brier_score",
    "calibration_bins",
    "coverage",
    "crps",
    "expected_calibration_error",
    "nll",
    "pit",
    "reweight_prior",
    "sample_crps",
]
