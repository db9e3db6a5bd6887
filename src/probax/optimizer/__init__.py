"""Optimizers with TensorFlow Probability's signatures (`tfp.optimizer`), built on JAX and optax.

Gradient-based: `bfgs_minimize` and `lbfgs_minimize`, whose line search is
optax's strong-Wolfe zoom search (`optax.scale_by_zoom_linesearch`) and whose
L-BFGS direction is optax's (`optax.scale_by_lbfgs`); the BFGS update, TFP's
stopping tests, batching (`converged_all`, `converged_any`) and result structs
are probax's. Derivative-free: `nelder_mead_minimize` and
`differential_evolution_minimize` (probax's own; optax has neither). Every
function is jittable (one `lax.while_loop`) and works under `jax.vmap`.

Example:
  >>> import jax, jax.numpy as jnp
  >>> from probax import optimizer
  >>> f = lambda x: jnp.sum((x - 3.0) ** 2)
  >>> res = optimizer.lbfgs_minimize(jax.value_and_grad(f), jnp.zeros(3))
  >>> bool(res.converged), res.position.round(6).tolist()
  (True, [3.0, 3.0, 3.0])

"""

from probax.optimizer.bfgs import bfgs_minimize
from probax.optimizer.differential_evolution import (
    differential_evolution_minimize,
    differential_evolution_one_step,
)
from probax.optimizer.lbfgs import lbfgs_minimize
from probax.optimizer.nelder_mead import nelder_mead_minimize, nelder_mead_one_step
from probax.optimizer.results import (
    BfgsOptimizerResults,
    DifferentialEvolutionOptimizerResults,
    LBfgsOptimizerResults,
    NelderMeadOptimizerResults,
)
from probax.optimizer.stopping import converged_all, converged_any

__all__ = [
    "BfgsOptimizerResults",
    "DifferentialEvolutionOptimizerResults",
    "LBfgsOptimizerResults",
    "NelderMeadOptimizerResults",
    "bfgs_minimize",
    "converged_all",
    "converged_any",
    "differential_evolution_minimize",
    "differential_evolution_one_step",
    "lbfgs_minimize",
    "nelder_mead_minimize",
    "nelder_mead_one_step",
]
