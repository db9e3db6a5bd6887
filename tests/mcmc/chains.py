"""Running several chains of a kernel with `sample_chain` (vmapped), for the kernel tests."""

from __future__ import annotations

import jax
import numpy as np

from probax.mcmc.sample_chain import sample_chain


def run_chains(kernel, init, num_results, num_burnin_steps=0, num_chains=4, seed=0, trace_fn=None):
    """`(states, trace)` of `num_chains` chains from `init`; states are NumPy, `(chains, draws, ...)`.

    `trace` is None when `trace_fn` is None.
    """

    def one_chain(key):
        return sample_chain(
            num_results,
            init,
            kernel=kernel,
            num_burnin_steps=num_burnin_steps,
            trace_fn=trace_fn,
            return_final_kernel_results=True,
            seed=key,
        )

    keys = jax.random.split(jax.random.key(seed), num_chains)
    out = jax.jit(jax.vmap(one_chain))(keys)
    states = jax.tree.map(np.asarray, out.all_states)
    return states, out.trace


def eight_schools_summaries(states):
    """`(mu, tau)` draws from eight-schools states `[mu, log_tau, theta_tilde]`, each `(chains, draws)`."""
    return np.asarray(states[0]), np.exp(np.asarray(states[1]))

