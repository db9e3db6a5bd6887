"""Markov chain Monte Carlo: transition kernels, drivers and diagnostics (TFP's protocol)."""

from probax.mcmc.kernel import TransitionKernel
from probax.mcmc.metropolis_hastings import MetropolisHastings, MetropolisHastingsKernelResults

__all__ = ["MetropolisHastings", "MetropolisHastingsKernelResults", "TransitionKernel"]
