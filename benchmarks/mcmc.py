"""NUTS efficiency: probax against BlackJAX, NumPyro and TFP on JAX, side by side in one process.

Every library samples the same four unconstrained log densities (written once in JAX, float32):

* `eight_schools`: the noncentered eight schools model (10 parameters);
* `logistic_regression`: Bayesian logistic regression on 1000 x 25 synthetic data;
* `changepoint`: seed 001's text-message changepoint model on probax's shipped counts
  (log rates and logit switch; the target is piecewise constant in the switch);
* `gaussian_100d`: a 100-d Gaussian whose covariance has condition number 1000 (eigenvalues
  log-spaced on [1e-3, 1], randomly rotated, so a diagonal metric cannot undo it).

Each runs 4 chains, 1000 warmup + 1000 draws, from the same initial points (uniform(-2, 2)):

* probax: `probax.mcmc.sample` with its defaults (NUTS, Stan's windowed adaptation, one step size
  adapted on the chains' mean acceptance statistic, `dense_mass="auto"`: a dense metric here, since
  every model has at most 250 numbers, half the longest window's 500 draws); the row
  `probax_diagonal` is the same run with a diagonal metric (`dense_mass=False`), for comparison
  with the peers' diagonal defaults, and not counted as a peer;
* BlackJAX: `window_adaptation(nuts)` vmapped over chains, then a jitted `lax.scan` of the
  vmapped NUTS step;
* NumPyro: its `NUTS(potential_fn=...)` kernel (with its own warmup adapter) vmapped over chains in
  one jitted `lax.scan`, which is what `MCMC(chain_method="vectorized")` runs, minus the re-tracing
  `MCMC.run` does on every call;
* TFP on JAX: `NoUTurnSampler` in `DualAveragingStepSizeAdaptation` (no mass-matrix
  adaptation: TFP has none for NUTS), chains batched in the state.

On the changepoint model, whose likelihood is piecewise constant in the switch, NUTS is the wrong
tool for the switch (every library's NUTS runs near-maximal trajectories and still mixes it
slowly), so three more rows run NUTS on the two log rates within Gibbs:

* `probax_gibbs`: `probax.mcmc.Gibbs` with `WindowAdaptation(NoUTurnSampler)` on the rates and an
  `ExactConditional` draw of the switch (`changepoint_switch_draw`, user code), `sample_chain`
  vmapped over the chains;
* `numpyro_hmc_gibbs` (a peer): NumPyro's `HMCGibbs(NUTS)` with the same switch draw as its
  `gibbs_fn`, vmapped like the NumPyro row;
* `probax_gibbs_slice`: as `probax_gibbs` with a `SliceSampler` on the switch (no model-specific
  code), not counted as a peer.

Figures per library and model: the minimum over parameters of the bulk ESS (probax's
rank-normalized ESS, the same function for every library's draws; its median over `--seeds`
runs with other seeds after the first), divided by the wall time of a run including
compilation (the first run) and excluding it (the median over those later runs, which reuse
every library's compiled programs); the probax row also gives its ESS/s over the best peer's.
The overhead ratio is measured for probax and BlackJAX on a sampling phase run the same way
for both (NUTS transitions of 4 vmapped chains in one jitted `lax.scan`, at the step sizes and
(dense) metrics probax's warmup chose): its wall time divided by the gradient work it contains, i.e.
(sum over transitions of the largest number of leapfrog steps among the vectorized chains,
which they all wait for) x (time of one jitted gradient of the 4-chain batch).

Run:
  python benchmarks/mcmc.py            # full run -> results/mcmc.json
  python benchmarks/mcmc.py --quick    # smoke run -> results/mcmc_quick.json
  python benchmarks/mcmc.py --num-warmup 300 --num-samples 300  # -> results/mcmc_300_300.json
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import timing

NAME = "mcmc"
LIBRARIES = (
    "probax",
    "probax_diagonal",
    "probax_step_size_only",
    "probax_gibbs",
    "probax_gibbs_slice",
    "blackjax",
    "numpyro",
    "numpyro_hmc_gibbs",
    "tfp",
)
# Rows run on the changepoint model only (the Gibbs rows need its exact switch conditional).
CHANGEPOINT_ONLY = ("probax_step_size_only", "probax_gibbs", "probax_gibbs_slice", "numpyro_hmc_gibbs")
GIBBS_ROWS = ("probax_gibbs", "probax_gibbs_slice", "numpyro_hmc_gibbs")
# A Gibbs run takes a few tenths of a second, so these rows take at least this many seeds (each row
# the same number): their medians then move by a few percent between benchmark runs, not by 10-20%.
GIBBS_SEEDS = 15
NUM_CHAINS = 4


class Model(NamedTuple):
    """An unconstrained log density over a flat vector of `dim` parameters."""

    name: str
    dim: int
    log_density: Callable[[jax.Array], jax.Array]


def eight_schools() -> Model:
    y = jnp.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])

    def log_density(z):
        mu, log_tau, theta_tilde = z[0], z[1], z[2:]
        tau = jnp.exp(log_tau)
        log_prior = (
            -0.5 * (mu / 5.0) ** 2 - jnp.log1p((tau / 5.0) ** 2) + log_tau - 0.5 * jnp.sum(theta_tilde**2)
        )
        theta = mu + tau * theta_tilde
        return log_prior - 0.5 * jnp.sum(((y - theta) / sigma) ** 2)

    return Model("eight_schools", 10, log_density)


def logistic_regression(num_rows: int = 1000, num_features: int = 25) -> Model:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(num_rows, num_features)).astype(np.float32)
    true_beta = rng.normal(size=num_features).astype(np.float32)
    y = (rng.uniform(size=num_rows) < 1.0 / (1.0 + np.exp(-x @ true_beta))).astype(np.float32)
    x, y = jnp.asarray(x), jnp.asarray(y)

    def log_density(beta):
        logits = x @ beta
        return -0.5 * jnp.sum(beta**2) + jnp.sum(y * logits - jax.nn.softplus(logits))

    return Model("logistic_regression", num_features, log_density)


def _text_message_counts() -> jax.Array:
    from probax.datasets import load_text_messages

    return jnp.asarray(load_text_messages(), jnp.float32)


def changepoint() -> Model:
    counts = _text_message_counts()
    alpha = 1.0 / counts.mean()
    days = jnp.arange(counts.shape[0], dtype=jnp.float32)

    def log_density(z):
        log_lambda, logit_tau = z[:2], z[2]
        lambdas = jnp.exp(log_lambda)
        tau = jax.nn.sigmoid(logit_tau)
        # Exponential priors with their log-Jacobians; Uniform(0, 1) tau through a sigmoid.
        log_prior = jnp.sum(-alpha * lambdas + log_lambda) + jax.nn.log_sigmoid(logit_tau)
        log_prior = log_prior + jax.nn.log_sigmoid(-logit_tau)
        rate = jnp.where(tau * counts.shape[0] <= days, lambdas[1], lambdas[0])
        return log_prior + jnp.sum(counts * jnp.log(rate) - rate)

    return Model("changepoint", 3, log_density)


def changepoint_switch_draw(log_lambda: jax.Array, key: jax.Array) -> jax.Array:
    """A draw of the changepoint model's logit switch from its exact conditional given the log rates.

    The user code a Gibbs step needs (the same function for probax's and NumPyro's rows): with
    `n` days, a switch `tau` in `(j / n, (j + 1) / n]` puts days `0..j` at `lambda_1` and the rest
    at `lambda_2`, so `j` is categorical with the likelihood of each split (the uniform prior gives
    every interval the same mass) and `tau` is uniform inside its interval. Up to a constant, split
    `j`'s log likelihood is `S_j (log lambda_1 - log lambda_2) - (j + 1) (lambda_1 - lambda_2)`,
    `S_j` being the counts' cumulative sum.
    """
    counts = _text_message_counts()
    days_before = jnp.arange(1, counts.shape[0] + 1, dtype=counts.dtype)
    log_likelihood = jnp.cumsum(counts) * (log_lambda[0] - log_lambda[1]) - days_before * (
        jnp.exp(log_lambda[0]) - jnp.exp(log_lambda[1])
    )
    # By inverse CDF: two uniforms (one for the split, one inside it) cost less than the
    # Gumbel noise of `jax.random.categorical`, one uniform per split.
    cumulative = jnp.cumsum(jnp.exp(log_likelihood - jnp.max(log_likelihood)))
    split_uniform, offset_uniform = jax.random.uniform(key, (2,), counts.dtype)
    day = jnp.sum(cumulative < split_uniform * cumulative[-1])
    tau = (day + offset_uniform) / counts.shape[0]
    return jnp.log(tau) - jnp.log1p(-tau)


def gaussian_100d(dim: int = 100, condition_number: float = 1000.0) -> Model:
    rng = np.random.default_rng(2)
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    eigenvalues = np.logspace(-np.log10(condition_number), 0.0, dim)
    precision = jnp.asarray((rotation / eigenvalues) @ rotation.T, jnp.float32)

    def log_density(z):
        return -0.5 * z @ (precision @ z)

    return Model("gaussian_100d", dim, log_density)


MODELS = {m.__name__: m for m in (eight_schools, logistic_regression, changepoint, gaussian_100d)}


class Run(NamedTuple):
    """One library's run: draws (chain, draw, dim) and per-draw leapfrog steps (chain, draw)."""

    draws: np.ndarray
    num_steps: np.ndarray
    seconds: float


# ---------------------------------------------------------------------------- the libraries


def timed_run(run: Callable[[jax.Array, jax.Array], Any], key: jax.Array, init: jax.Array) -> Run:
    """One call of a jitted `run(key, init) -> (positions, num_steps)`, both (chain, draw, ...), timed."""
    start = time.perf_counter()
    positions, num_steps = timing.block(run(key, init))
    return Run(np.asarray(positions), np.asarray(num_steps), time.perf_counter() - start)


def run_probax(
    model: Model,
    init: jax.Array,
    key: jax.Array,
    warmup: int,
    draws: int,
    adapt_mass_matrix: bool = True,
    dense_mass: bool | str = "auto",
) -> Run:
    import probax as px

    start = time.perf_counter()
    result = px.mcmc.sample(
        model.log_density,
        init=init,
        init_per_chain=True,
        num_chains=NUM_CHAINS,
        num_warmup=warmup,
        num_samples=draws,
        seed=key,
        progress_bar=False,
        adapt_mass_matrix=adapt_mass_matrix,
        dense_mass=dense_mass,
    )
    seconds = time.perf_counter() - start
    return Run(np.asarray(result.draws), np.asarray(result.stats["n_steps"]), seconds)


@functools.cache
def blackjax_program(model_name: str, warmup: int, draws: int):
    """BlackJAX's warmup + sampling as one jitted function, built once per model (reused by run two)."""
    import blackjax

    model = MODELS[model_name]()

    @jax.jit
    def run(key, init):
        warmup_keys, sample_keys = jax.random.split(key)
        adaptation = blackjax.window_adaptation(blackjax.nuts, model.log_density)

        def adapt(chain_key, position):
            (state, parameters), _ = adaptation.run(chain_key, position, num_steps=warmup)
            return state, parameters

        states, parameters = jax.vmap(adapt)(jax.random.split(warmup_keys, NUM_CHAINS), init)

        def one_chain_step(state, chain_key, step_size, inverse_mass_matrix):
            kernel = blackjax.nuts(model.log_density, step_size, inverse_mass_matrix)
            return kernel.step(chain_key, state)

        def step(states, step_key):
            chain_keys = jax.random.split(step_key, NUM_CHAINS)
            states, info = jax.vmap(one_chain_step)(
                states, chain_keys, parameters["step_size"], parameters["inverse_mass_matrix"]
            )
            return states, (states.position, info.num_integration_steps)

        _, (positions, num_steps) = jax.lax.scan(step, states, jax.random.split(sample_keys, draws))
        return jnp.swapaxes(positions, 0, 1), jnp.swapaxes(num_steps, 0, 1)

    return run


def run_blackjax(model: Model, init: jax.Array, key: jax.Array, warmup: int, draws: int) -> Run:
    return timed_run(blackjax_program(model.name, warmup, draws), key, init)


@functools.cache
def numpyro_program(model_name: str, warmup: int, draws: int):
    """NumPyro's NUTS kernel (its own warmup adapter) scanned over all steps in one jitted function.

    `MCMC.run` re-traces its collection loop on every call, so a second run would pay compilation
    again; driving the same kernel (`init`, then the pure `sample` step that also adapts during
    warmup, vmapped over chains) in one cached jitted scan times NumPyro's sampler without it.
    """
    from numpyro.infer import NUTS

    model = MODELS[model_name]()

    def new_sampler():
        return NUTS(potential_fn=lambda z: -model.log_density(z))

    # `init` with one key per chain makes the sampler's step vmapped over chains (and mutates the
    # sampler), so each run initializes a fresh sampler; `run` traces the first one's step once.
    sampler = new_sampler()

    @jax.jit
    def run(state):
        def step(state, _):
            state = sampler.sample(state, (), {})
            return state, (state.z, state.num_steps)

        state, _ = jax.lax.scan(step, state, None, length=warmup)
        _, (positions, num_steps) = jax.lax.scan(step, state, None, length=draws)
        return jnp.swapaxes(positions, 0, 1), jnp.swapaxes(num_steps, 0, 1)

    return sampler, new_sampler, run


def run_numpyro(model: Model, init: jax.Array, key: jax.Array, warmup: int, draws: int) -> Run:
    first_sampler, new_sampler, run = numpyro_program(model.name, warmup, draws)
    # The first run initializes the sampler `run` traces; later runs a fresh one of the same structure.
    sampler = first_sampler if not run._cache_size() else new_sampler()
    start = time.perf_counter()
    state = sampler.init(
        jax.random.split(key, NUM_CHAINS), warmup, init_params=init, model_args=(), model_kwargs={}
    )
    positions, num_steps = timing.block(run(state))
    return Run(np.asarray(positions), np.asarray(num_steps), time.perf_counter() - start)


@functools.cache
def tfp_program(model_name: str, warmup: int, draws: int):
    """TFP's NUTS with dual averaging as one jitted function, built once per model."""
    from tensorflow_probability.substrates import jax as tfp

    batched = jax.vmap(MODELS[model_name]().log_density)

    @jax.jit
    def run(key, init):
        kernel = tfp.mcmc.DualAveragingStepSizeAdaptation(
            tfp.mcmc.NoUTurnSampler(batched, step_size=0.1),
            num_adaptation_steps=int(0.8 * warmup),
            target_accept_prob=0.8,
        )
        return tfp.mcmc.sample_chain(
            num_results=draws,
            num_burnin_steps=warmup,
            current_state=init,
            kernel=kernel,
            seed=key,
            trace_fn=lambda _, results: results.inner_results.leapfrogs_taken,
        )

    return run


def run_tfp(model: Model, init: jax.Array, key: jax.Array, warmup: int, draws: int) -> Run:
    run = tfp_program(model.name, warmup, draws)
    start = time.perf_counter()
    positions, num_steps = timing.block(run(key, init))
    seconds = time.perf_counter() - start
    # TFP counts leapfrogs per chain: (draw, chain).
    return Run(np.swapaxes(np.asarray(positions), 0, 1), np.swapaxes(np.asarray(num_steps), 0, 1), seconds)


@functools.cache
def probax_gibbs_program(warmup: int, draws: int, switch_update: str):
    """probax's `Gibbs` kernel on the changepoint model: `sample_chain` vmapped over chains, jitted.

    NUTS in Stan's windowed adaptation (`WindowAdaptation`) moves the two log rates; the logit
    switch moves by a draw from its exact conditional (`switch_update="exact"`, the same user code
    as NumPyro's row) or by a slice sampler (`"slice"`: no model-specific code at all).
    """
    import probax as px

    log_density = changepoint().log_density

    def target(log_lambda, logit_tau):
        return log_density(jnp.concatenate([log_lambda, logit_tau[None]]))

    def rates(conditional):
        return px.mcmc.WindowAdaptation(
            px.mcmc.NoUTurnSampler(conditional, step_size=0.1), num_adaptation_steps=warmup
        )

    if switch_update == "exact":
        switch = px.mcmc.ExactConditional(lambda state, key: changepoint_switch_draw(state[0], key))
    else:

        def switch(conditional):
            return px.mcmc.SliceSampler(conditional, step_size=1.0, max_doublings=6)

    kernel = px.mcmc.Gibbs(target, [(0, rates), (1, switch)])

    def leapfrogs(state, results):
        return px.mcmc.kernel_results.get_field(results.block_results[0], "leapfrogs_taken")

    def chain(key, z):
        out = px.mcmc.sample_chain(
            draws, [z[:2], z[2]], kernel=kernel, num_burnin_steps=warmup, seed=key, trace_fn=leapfrogs
        )
        log_lambda, logit_tau = out.all_states
        return jnp.concatenate([log_lambda, logit_tau[:, None]], axis=1), out.trace

    return jax.jit(lambda key, init: jax.vmap(chain)(jax.random.split(key, NUM_CHAINS), init))


def run_probax_gibbs(
    model: Model, init: jax.Array, key: jax.Array, warmup: int, draws: int, switch_update: str = "exact"
) -> Run:
    return timed_run(probax_gibbs_program(warmup, draws, switch_update), key, init)


@functools.cache
def numpyro_gibbs_program(warmup: int, draws: int):
    """NumPyro's `HMCGibbs` on the changepoint model (NUTS on the log rates, the exact switch draw).

    `HMCGibbs` needs a model, not a potential: two improper flat sites and a `factor` with the
    shared log density. Chains are vmapped (`init` and `sample`) inside one jitted `lax.scan`.
    """
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import NUTS, HMCGibbs

    log_density = changepoint().log_density

    def model():
        log_lambda = numpyro.sample("log_lambda", dist.ImproperUniform(dist.constraints.real, (), (2,)))
        logit_tau = numpyro.sample("logit_tau", dist.ImproperUniform(dist.constraints.real, (), ()))
        numpyro.factor("log_density", log_density(jnp.concatenate([log_lambda, logit_tau[None]])))

    def gibbs_fn(rng_key, gibbs_sites, hmc_sites):
        return {"logit_tau": changepoint_switch_draw(hmc_sites["log_lambda"], rng_key)}

    @jax.jit
    def run(key, init):
        sampler = HMCGibbs(NUTS(model), gibbs_fn=gibbs_fn, gibbs_sites=["logit_tau"])

        def init_chain(chain_key, z):
            params = {"log_lambda": z[:2], "logit_tau": z[2]}
            return sampler.init(chain_key, warmup, init_params=params, model_args=(), model_kwargs={})

        def step(state, _):
            state = jax.vmap(lambda chain_state: sampler.sample(chain_state, (), {}))(state)
            return state, (state.z, state.hmc_state.num_steps)

        state = jax.vmap(init_chain)(jax.random.split(key, NUM_CHAINS), init)
        state, _ = jax.lax.scan(step, state, None, length=warmup)
        _, (z, num_steps) = jax.lax.scan(step, state, None, length=draws)
        positions = jnp.concatenate([z["log_lambda"], z["logit_tau"][..., None]], axis=-1)
        return jnp.swapaxes(positions, 0, 1), jnp.swapaxes(num_steps, 0, 1)

    return run


def run_numpyro_gibbs(model: Model, init: jax.Array, key: jax.Array, warmup: int, draws: int) -> Run:
    return timed_run(numpyro_gibbs_program(warmup, draws), key, init)


RUNNERS = {
    "probax": run_probax,
    # TFP's configuration (step size adapted, identity metric), as a user would pick it where a
    # variance estimated during warmup misleads: the changepoint target is flat in the switch
    # between the days, so every sampler's step size collapses and an adapted metric then shrinks
    # the well-determined log-rates' moves further. Not counted as a peer.
    "probax_step_size_only": functools.partial(run_probax, adapt_mass_matrix=False),
    # The peers' default metric (diagonal), for comparison; not counted as a peer.
    "probax_diagonal": functools.partial(run_probax, dense_mass=False),
    "blackjax": run_blackjax,
    "numpyro": run_numpyro,
    "tfp": run_tfp,
    # Changepoint only: NUTS on the log rates within Gibbs, the switch drawn from its exact
    # conditional (probax and NumPyro, the same user code) or slice-sampled (probax, no user code).
    "probax_gibbs": run_probax_gibbs,
    "probax_gibbs_slice": functools.partial(run_probax_gibbs, switch_update="slice"),
    "numpyro_hmc_gibbs": run_numpyro_gibbs,
}


# ---------------------------------------------------------------------------- figures


def min_bulk_ess(draws: np.ndarray) -> float:
    from probax.mcmc.rank_diagnostics import ess_bulk

    return float(np.min(ess_bulk(draws)))


def gradient_seconds(model: Model, init: jax.Array, repeats: int) -> float:
    """Seconds of one jitted gradient of the 4-chain batch."""
    gradient = jax.jit(jax.vmap(jax.grad(model.log_density)))
    seconds, _ = timing.time_interleaved({"grad": functools.partial(gradient, init)}, repeats)
    return seconds["grad"]


@functools.cache
def sampling_phase_program(model_name: str, library: str, draws: int):
    """`draws` NUTS transitions of 4 vmapped chains at a fixed step size and metric, jitted."""
    log_density = MODELS[model_name]().log_density
    if library == "probax":
        import probax as px

        def chain(key, position, step_size, inverse_mass):
            kernel = px.mcmc.NoUTurnSampler(
                log_density, step_size=step_size, inverse_mass_matrix=inverse_mass
            )

            def step(carry, step_key):
                state, results = kernel.one_step(*carry, seed=step_key)
                return (state, results), results.leapfrogs_taken

            carry = (position, kernel.bootstrap_results(position))
            return jax.lax.scan(step, carry, jax.random.split(key, draws))[1]
    else:
        import blackjax

        def chain(key, position, step_size, inverse_mass):
            kernel = blackjax.nuts(log_density, step_size, inverse_mass)

            def step(state, step_key):
                state, info = kernel.step(step_key, state)
                return state, info.num_integration_steps

            return jax.lax.scan(step, kernel.init(position), jax.random.split(key, draws))[1]

    return jax.jit(lambda keys, *args: jax.vmap(chain)(keys, *args))


def overhead_ratio(
    model: Model,
    library: str,
    draws: int,
    step_size: np.ndarray,
    inverse_mass: np.ndarray,
    grad_seconds: float,
) -> float:
    """Sampling-phase seconds over the gradient work they contain (same settings for both libraries)."""
    program = sampling_phase_program(model.name, library, draws)
    init = jax.random.uniform(jax.random.key(7), (NUM_CHAINS, model.dim), jnp.float32, -2.0, 2.0)
    arguments = (
        jax.random.split(jax.random.key(13), NUM_CHAINS),
        init,
        jnp.asarray(step_size, jnp.float32),
        jnp.asarray(inverse_mass, jnp.float32),
    )
    timing.block(program(*arguments))
    start = time.perf_counter()
    num_steps = np.asarray(timing.block(program(*arguments)))
    seconds = time.perf_counter() - start
    return seconds / (float(np.sum(np.max(num_steps, axis=0))) * grad_seconds)


def adapted_settings(model: Model, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """probax's adapted step sizes and inverse mass matrices (its default, dense here), one per chain."""
    import probax as px

    init = jax.random.uniform(jax.random.key(7), (NUM_CHAINS, model.dim), jnp.float32, -2.0, 2.0)
    result = px.mcmc.sample(
        model.log_density,
        init=init,
        init_per_chain=True,
        num_chains=NUM_CHAINS,
        num_warmup=warmup,
        num_samples=1,
        seed=3,
        progress_bar=False,
    )
    metric = px.mcmc.kernel_results.get_field(result.checkpoint.kernel_results, "metric")
    return np.asarray(result.stats["step_size"])[:, 0], np.asarray(metric.inverse_mass_matrix)


def measure(
    model: Model, library: str, warmup: int, draws: int, grad_seconds: float, seeds: int
) -> dict[str, Any]:
    """The first run (compilation included), then `seeds` runs with other seeds (medians reported).

    One run's ESS is noisy (on the changepoint target one library's min ESS ranged 123-297 over four
    seeds; with Gibbs one seed gave 740 against a median of 1886), so both ESS/s figures use the
    median min ESS of the later runs: divided by their median time, and by the first run's time.
    """
    init = jax.random.uniform(jax.random.key(7), (NUM_CHAINS, model.dim), jnp.float32, -2.0, 2.0)
    runner = RUNNERS[library]
    if library in GIBBS_ROWS:
        seeds = max(seeds, GIBBS_SEEDS)
    first = runner(model, init, jax.random.key(11), warmup, draws)
    later = [runner(model, init, jax.random.key(12 + i), warmup, draws) for i in range(seeds)]
    ess = [min_bulk_ess(run.draws) for run in later]
    median_ess = float(np.median(ess))
    return {
        "min_ess_bulk": median_ess,
        "min_ess_bulk_per_seed": ess,
        "seconds_with_compile": first.seconds,
        "seconds_without_compile": float(np.median([run.seconds for run in later])),
        "min_ess_bulk_first_run": min_bulk_ess(first.draws),
        "ess_per_second_with_compile": median_ess / first.seconds,
        "ess_per_second_without_compile": float(
            np.median([e / run.seconds for e, run in zip(ess, later, strict=True)])
        ),
        "mean_leapfrog_steps": float(np.median([np.mean(run.num_steps) for run in later])),
    }


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; `--quick` runs 100 + 100 steps on two models (smoke run)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short chains, two models (smoke run)")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), help="models to run")
    parser.add_argument("--libraries", nargs="+", choices=LIBRARIES, default=None)
    parser.add_argument("--num-warmup", type=int, default=None, help="warmup steps (default 1000, quick 100)")
    parser.add_argument("--num-samples", type=int, default=None, help="draws per chain (default as warmup)")
    parser.add_argument("--seeds", type=int, default=None, help="runs after the first (default 3, quick 1)")
    args = parser.parse_args(argv)
    default_length = 100 if args.quick else 1000
    args.warmup = default_length if args.num_warmup is None else args.num_warmup
    args.draws = default_length if args.num_samples is None else args.num_samples
    args.seeds = args.seeds or (1 if args.quick else 3)
    args.models = args.models or (["eight_schools", "changepoint"] if args.quick else list(MODELS))
    args.output = f"{NAME}_quick" if args.quick else NAME
    if args.num_warmup is not None or args.num_samples is not None:
        # Other lengths never overwrite the full run's results.
        args.output = f"{NAME}_{args.warmup}_{args.draws}"
    return args


def libraries_for(model_name: str, chosen: list[str] | None) -> list[str]:
    """The libraries run on a model: `chosen`, or all (some rows on the changepoint model only)."""
    if chosen is not None:
        return chosen
    return [name for name in LIBRARIES if name not in CHANGEPOINT_ONLY or model_name == "changepoint"]


def main(argv=None) -> None:
    args = parse_args(argv)
    results: dict[str, Any] = {}
    rows = []
    for model_name in args.models:
        model = MODELS[model_name]()
        init = jnp.zeros((NUM_CHAINS, model.dim), jnp.float32)
        grad_seconds = gradient_seconds(model, init, repeats=5 if args.quick else 15)
        entry: dict[str, Any] = {"gradient_seconds": grad_seconds, "libraries": {}}
        libraries = libraries_for(model_name, args.libraries)
        for library in libraries:
            entry["libraries"][library] = measure(
                model, library, args.warmup, args.draws, grad_seconds, args.seeds
            )
        step_size, inverse_mass = adapted_settings(model, args.warmup)
        for library in ("probax", "blackjax"):
            if library in libraries:
                entry["libraries"][library]["overhead_ratio"] = overhead_ratio(
                    model, library, args.draws, step_size, inverse_mass, grad_seconds
                )
        add_ratios(entry)
        results[model_name] = entry
        rows.extend(table_rows(model_name, entry))
    print(
        timing.format_table(
            [
                "model",
                "library",
                "min ESS",
                "ESS/s (no compile)",
                "ESS/s (with compile)",
                "steps/draw",
                "overhead",
            ],
            rows,
        )
    )
    timing.write_results(
        args.output, {"machine": timing.machine_info(), "settings": vars(args), "results": results}
    )


def add_ratios(entry: dict[str, Any]) -> None:
    """probax's ESS/s over the best peer's, without and with compilation."""
    figures = entry["libraries"]
    peers = [name for name in figures if not name.startswith("probax")]
    if "probax" not in figures or not peers:
        return
    for kind in ("without_compile", "with_compile"):
        key = f"ess_per_second_{kind}"
        best = max(peers, key=lambda name: figures[name][key])
        entry[f"best_peer_{kind}"] = best
        for variant in (name for name in figures if name.startswith("probax")):
            suffix = variant.removeprefix("probax")
            entry[f"ratio{suffix}_{kind}"] = figures[variant][key] / figures[best][key]


def table_rows(model_name: str, entry: dict[str, Any]) -> list[list[str]]:
    rows = []
    for library, figures in entry["libraries"].items():
        suffix = library.removeprefix("probax")
        if library.startswith("probax") and f"ratio{suffix}_without_compile" in entry:
            library = (
                f"{library} (x{entry[f'ratio{suffix}_without_compile']:.2f} / "
                f"x{entry[f'ratio{suffix}_with_compile']:.2f} best peer)"
            )
        rows.append(
            [
                model_name,
                library,
                f"{figures['min_ess_bulk']:.0f}",
                f"{figures['ess_per_second_without_compile']:.1f}",
                f"{figures['ess_per_second_with_compile']:.1f}",
                f"{figures['mean_leapfrog_steps']:.1f}",
                f"{figures['overhead_ratio']:.2f}" if "overhead_ratio" in figures else "-",
            ]
        )
    return rows


if __name__ == "__main__":
    main()
