"""Markov chain Monte Carlo: transition kernels, drivers and diagnostics (TFP's protocol).

Kernels follow TFP's protocol (`bootstrap_results`, a pure `one_step`) and are pytrees, so a
chain is a `lax.scan` (`sample_chain`) and many chains are a `vmap`; `sample` is the one-call
driver (NUTS with Stan's warmup, chains vectorized and sharded over devices).

Example:
  >>> import jax.numpy as jnp
  >>> import probax as px
  >>> result = px.mcmc.sample(lambda x: -0.5 * jnp.sum(x**2), init=jnp.zeros(2), num_chains=2,
  ...                         num_warmup=200, num_samples=200, seed=0, progress_bar=False)
  >>> result.draws.shape
  (2, 200, 2)

"""

from probax.mcmc.diagnostics import effective_sample_size, potential_scale_reduction
from probax.mcmc.dual_averaging import DualAveragingState, dual_averaging_init, dual_averaging_update
from probax.mcmc.gibbs import ExactConditional, Gibbs, GibbsKernelResults
from probax.mcmc.hdi import hdi
from probax.mcmc.hmc import (
    HamiltonianMonteCarlo,
    UncalibratedHamiltonianMonteCarlo,
    UncalibratedHamiltonianMonteCarloKernelResults,
)
from probax.mcmc.kernel import TransitionKernel
from probax.mcmc.langevin import (
    MetropolisAdjustedLangevinAlgorithm,
    UncalibratedLangevin,
    UncalibratedLangevinKernelResults,
)
from probax.mcmc.metric import Metric, make_metric
from probax.mcmc.metropolis_hastings import MetropolisHastings, MetropolisHastingsKernelResults
from probax.mcmc.nuts import NoUTurnSampler, NUTSKernelResults
from probax.mcmc.random_walk_metropolis import (
    RandomWalkMetropolis,
    UncalibratedRandomWalk,
    UncalibratedRandomWalkResults,
    random_walk_normal_fn,
    random_walk_uniform_fn,
)
from probax.mcmc.rank_diagnostics import ess_bulk, ess_mean, ess_tail, mcse_mean, mcse_sd, rhat
from probax.mcmc.sample import resume, sample
from probax.mcmc.sample_chain import CheckpointableStatesAndTrace, StatesAndTrace, sample_chain
from probax.mcmc.sample_result import SampleResult
from probax.mcmc.slice_sampler import SliceSampler, SliceSamplerKernelResults
from probax.mcmc.step_size_adaptation import (
    DualAveragingStepSizeAdaptation,
    DualAveragingStepSizeAdaptationResults,
    SimpleStepSizeAdaptation,
    SimpleStepSizeAdaptationResults,
    hmc_like_log_accept_prob_getter_fn,
    hmc_like_step_size_getter_fn,
    hmc_like_step_size_setter_fn,
)
from probax.mcmc.summary import Summary, summarize
from probax.mcmc.transformed_kernel import TransformedTransitionKernel, TransformedTransitionKernelResults
from probax.mcmc.window_adaptation import WindowAdaptation, WindowAdaptationResults, window_schedule

__all__ = [
    "CheckpointableStatesAndTrace",
    "DualAveragingState",
    "DualAveragingStepSizeAdaptation",
    "DualAveragingStepSizeAdaptationResults",
    "ExactConditional",
    "Gibbs",
    "GibbsKernelResults",
    "HamiltonianMonteCarlo",
    "Metric",
    "MetropolisAdjustedLangevinAlgorithm",
    "MetropolisHastings",
    "MetropolisHastingsKernelResults",
    "NUTSKernelResults",
    "NoUTurnSampler",
    "RandomWalkMetropolis",
    "SampleResult",
    "SimpleStepSizeAdaptation",
    "SimpleStepSizeAdaptationResults",
    "SliceSampler",
    "SliceSamplerKernelResults",
    "StatesAndTrace",
    "Summary",
    "TransformedTransitionKernel",
    "TransformedTransitionKernelResults",
    "TransitionKernel",
    "UncalibratedHamiltonianMonteCarlo",
    "UncalibratedHamiltonianMonteCarloKernelResults",
    "UncalibratedLangevin",
    "UncalibratedLangevinKernelResults",
    "UncalibratedRandomWalk",
    "UncalibratedRandomWalkResults",
    "WindowAdaptation",
    "WindowAdaptationResults",
    "dual_averaging_init",
    "dual_averaging_update",
    "effective_sample_size",
    "ess_bulk",
    "ess_mean",
    "ess_tail",
    "hdi",
    "hmc_like_log_accept_prob_getter_fn",
    "hmc_like_step_size_getter_fn",
    "hmc_like_step_size_setter_fn",
    "make_metric",
    "mcse_mean",
    "mcse_sd",
    "potential_scale_reduction",
    "random_walk_normal_fn",
    "random_walk_uniform_fn",
    "resume",
    "rhat",
    "sample",
    "sample_chain",
    "summarize",
    "window_schedule",
]
