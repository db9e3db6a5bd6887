"""Variational inference: Csiszar divergences, Monte Carlo variational losses, surrogates and fitting.

Example:
  >>> import optax
  >>> import probax as px
  >>> from probax import vi
  >>> tfd = px.distributions
  >>> model = tfd.JointDistributionNamed(dict(mu=tfd.Normal(0., 1.), y=lambda mu: tfd.Normal(mu, 1.)))
  >>> posterior = model.experimental_pin(y=2.)
  >>> q, trace = vi.fit_surrogate_posterior(
  ...     posterior.unnormalized_log_prob, vi.build_factored_surrogate_posterior(posterior),
  ...     optax.adam(optax.cosine_decay_schedule(0.1, 500)), num_steps=500, sample_size=16,
  ...     gradient_estimator=vi.GradientEstimators.DOUBLY_REPARAMETERIZED, seed=0, verbose=False)
  >>> flat = q.distribution  # the Gaussian on the unconstrained coordinates (here mu itself)
  >>> round(float(flat.mean()[0]), 3), round(float(flat.stddev()[0]), 3)  # exact: Normal(1, 1/sqrt(2))
  (1.0, 0.707)

"""

from probax.vi.asvi import ASVISurrogatePosterior, build_asvi_surrogate_posterior
from probax.vi.convergence import LossNotDecreasing, ParameterChangeBelow
from probax.vi.csiszar_divergence import (
    amari_alpha,
    chi_square,
    csiszar_vimco,
    csiszar_vimco_helper,
    jensen_shannon,
    kl_forward,
    kl_reverse,
    pearson,
    squared_hellinger,
    symmetrized_csiszar_function,
    total_variation,
)
from probax.vi.fit import TraceableQuantities, fit_surrogate_posterior, trace_loss
from probax.vi.flow_surrogate import SplineConditioner, build_flow_surrogate_posterior
from probax.vi.mixed_estimator import MixedGradientEstimator
from probax.vi.predictive import sample_posterior_predictive
from probax.vi.surrogate_builders import build_affine_surrogate_posterior, build_factored_surrogate_posterior
from probax.vi.surrogate_distribution import Layout, SurrogatePosterior, layout_of
from probax.vi.trainable import Trainable
from probax.vi.variational_loss import GradientEstimators, monte_carlo_variational_loss

__all__ = [
    "ASVISurrogatePosterior",
    "GradientEstimators",
    "Layout",
    "LossNotDecreasing",
    "MixedGradientEstimator",
    "ParameterChangeBelow",
    "SplineConditioner",
    "SurrogatePosterior",
    "TraceableQuantities",
    "Trainable",
    "amari_alpha",
    "build_affine_surrogate_posterior",
    "build_asvi_surrogate_posterior",
    "build_factored_surrogate_posterior",
    "build_flow_surrogate_posterior",
    "chi_square",
    "csiszar_vimco",
    "csiszar_vimco_helper",
    "fit_surrogate_posterior",
    "jensen_shannon",
    "kl_forward",
    "kl_reverse",
    "layout_of",
    "monte_carlo_variational_loss",
    "pearson",
    "sample_posterior_predictive",
    "squared_hellinger",
    "symmetrized_csiszar_function",
    "total_variation",
    "trace_loss",
]
