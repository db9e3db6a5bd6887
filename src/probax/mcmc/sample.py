"""`sample`: the one-call driver (warmup with Stan's windowed adaptation, then sampling), and `resume`.

How a run goes:

- The target is a log-density function (with `init`, and an optional `bijector`
  onto its support) or a pinned joint distribution (its `unnormalized_log_prob`
  and event-space bijector; each chain starts uniformly on (-2, 2) in the
  unconstrained space, retried up to 100 times, as Stan does).
- Both phases run the kernel (NUTS or HMC, inside a `TransformedTransitionKernel`
  when there is a bijector) under `WindowAdaptation`, which adapts for the first
  `num_warmup` steps and from then on skips its update (one `lax.cond` per step):
  the step size and metric stay as the warmup left them. Chains are a `vmap` of
  the kernel (axis name `'chain'`); with `shared_step_size` the warmup's dual
  averaging takes the chains' mean acceptance statistic, their only exchange.
- Both phases run as chunks of one length, each chunk one call of the same
  compiled `lax.scan` (the chunk's first step is a traced argument; a shorter
  last chunk is one more program). Tracing and compiling NUTS once, not once
  per phase, is most of a first run's compile time saved. Between chunks the
  host moves the progress bar and copies the draws out, while the next chunk
  already runs (JAX dispatches asynchronously).
- Step `t` of chain `c` uses the key `fold_in(key_c, t)`, so a run split in two
  (`save`, then `resume`) gives the same draws as one run, bit for bit.
- With several devices, the chain axis is laid out over a 1-D mesh (`'chain'`)
  with `NamedSharding`. When `num_chains` is not a
  multiple of the device count, the largest device count that divides it is used.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from probax._internal import threefry
from probax._internal.prng import as_key
from probax.distributions.joint_distribution_pinned import JointDistributionPinned
from probax.mcmc.hmc import HamiltonianMonteCarlo
from probax.mcmc.initialization import check_initial_states, random_initial_states, results_are_finite
from probax.mcmc.kernel import TransitionKernel
from probax.mcmc.kernel_results import get_field, has_field
from probax.mcmc.nuts import NoUTurnSampler
from probax.mcmc.progress import ProgressBar
from probax.mcmc.sample_result import (
    Checkpoint,
    SampleResult,
    decode_structure,
    leaves_with_prefix,
    load_arrays,
)
from probax.mcmc.transformed_kernel import TransformedTransitionKernel
from probax.mcmc.window_adaptation import WindowAdaptation, WindowAdaptationResults

_CALLER = "sample"
# The vmap axis of the chains; the warmup's dual averaging averages the acceptance statistic over it.
_CHAIN_AXIS = "chain"
# Stan flags a static-HMC transition as divergent when its energy error exceeds 1000.
_HMC_DIVERGENCE = 1000.0


class _Model(NamedTuple):
    target_log_prob_fn: Callable[..., Any]
    bijector: Any
    log_prob_parts_fn: Callable[[Any], Any] | None
    joint: JointDistributionPinned | None


def _as_model(target: Any, bijector: Any) -> _Model:
    if isinstance(target, JointDistributionPinned):
        if bijector is not None:
            raise ValueError(
                f"{_CALLER}: bijector must be None for a pinned joint distribution (it has one)."
            )
        return _Model(
            target.unnormalized_log_prob,
            target.experimental_default_event_space_bijector(),
            target.unnormalized_log_prob_parts,
            target,
        )
    if not callable(target):
        raise TypeError(
            f"{_CALLER}: target must be a log-density function or a pinned JointDistribution, got {target!r}."
        )
    return _Model(target, bijector, None, None)


def _settings(**settings: Any) -> dict:
    """Check the sampler settings; returns them as a JSON-compatible dict."""
    if settings["kernel"] not in ("nuts", "hmc"):
        raise ValueError(f"{_CALLER}: kernel must be 'nuts' or 'hmc', got {settings['kernel']!r}.")
    if settings["kernel"] == "hmc" and settings["num_leapfrog_steps"] is None:
        raise ValueError(f"{_CALLER}: kernel='hmc' needs num_leapfrog_steps (a positive int).")
    for name, low in (("num_chains", 1), ("num_warmup", 0), ("num_samples", 0), ("num_chunks", 1)):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{_CALLER}: {name} must be an int >= {low}, got {value!r}.")
        settings[name] = int(value)
    for name in ("adapt_mass_matrix", "shared_step_size"):
        if not isinstance(settings[name], bool):
            raise TypeError(f"{_CALLER}: {name} must be a bool, got {settings[name]!r}.")
    if not (isinstance(settings["dense_mass"], bool) or settings["dense_mass"] == "auto"):
        raise TypeError(f"{_CALLER}: dense_mass must be a bool or 'auto', got {settings['dense_mass']!r}.")
    step_size = settings["step_size"]
    if not (isinstance(step_size, int | float) and step_size > 0):
        raise ValueError(f"{_CALLER}: step_size must be a positive number, got {step_size!r}.")
    settings["step_size"] = float(step_size)
    if settings.get("chunk_length") is None:
        # One chunk length for both phases, so that `num_chunks` bounds the progress bar's updates.
        longest = max(settings["num_warmup"], settings["num_samples"])
        settings["chunk_length"] = max(1, math.ceil(longest / settings["num_chunks"]))
    return settings


def _inner_kernel(model: _Model, settings: dict) -> TransitionKernel:
    if settings["kernel"] == "nuts":
        kernel: TransitionKernel = NoUTurnSampler(
            model.target_log_prob_fn,
            step_size=settings["step_size"],
            max_tree_depth=settings["max_tree_depth"],
        )
    else:
        kernel = HamiltonianMonteCarlo(
            model.target_log_prob_fn,
            step_size=settings["step_size"],
            num_leapfrog_steps=settings["num_leapfrog_steps"],
        )
    return kernel if model.bijector is None else TransformedTransitionKernel(kernel, model.bijector)


def _adaptive_kernel(kernel: TransitionKernel, settings: dict) -> WindowAdaptation:
    return WindowAdaptation(
        kernel,
        num_adaptation_steps=settings["num_warmup"],
        target_accept_prob=settings["target_accept_prob"],
        dense_mass=settings["dense_mass"],
        adapt_mass_matrix=settings["adapt_mass_matrix"],
        chain_axis_name=_CHAIN_AXIS if settings["shared_step_size"] else None,
    )


def _results_axes(results_or_kernel: Any) -> Any:
    """Vmap axes of kernel results: the adaptation's step counter is shared by all chains."""
    if isinstance(results_or_kernel, WindowAdaptation | WindowAdaptationResults):
        return WindowAdaptationResults(0, None, 0, 0)
    return 0


def statistics(results: Any) -> dict[str, jax.Array]:
    """Sampler statistics from (NUTS or HMC) kernel results, by `SampleResult.stats` name.

    Example:
      >>> kernel = HamiltonianMonteCarlo(lambda x: -0.5 * x**2, step_size=0.5, num_leapfrog_steps=3)
      >>> sorted(statistics(kernel.bootstrap_results(0.0)))
      ['accept_prob', 'diverging', 'lp', 'n_steps', 'step_size']

    """
    log_accept_ratio = get_field(results, "log_accept_ratio")
    stats = {
        "lp": get_field(results, "target_log_prob"),
        "step_size": get_field(results, "step_size"),
        "accept_prob": jnp.exp(jnp.minimum(log_accept_ratio, 0.0)),
    }
    if has_field(results, "leapfrogs_taken"):
        stats["n_steps"] = get_field(results, "leapfrogs_taken")
        stats["tree_depth"] = get_field(results, "tree_depth")
        stats["diverging"] = get_field(results, "has_divergence")
        stats["energy"] = get_field(results, "energy")
    else:
        stats["n_steps"] = get_field(results, "num_leapfrog_steps")
        stats["diverging"] = log_accept_ratio < -_HMC_DIVERGENCE
    return stats


@functools.partial(jax.jit, static_argnums=1)
def _split_keys(key: jax.Array, num_chains: int) -> tuple[jax.Array, jax.Array]:
    """The random init's key and one key per chain (one small program, not three eager ones)."""
    init_key, chains_key = threefry.split(key)
    return init_key, threefry.split(chains_key, num_chains)


@jax.jit
def _bootstrap(kernel: WindowAdaptation, states: Any) -> tuple[WindowAdaptationResults, jax.Array]:
    """The chains' first results, and per chain whether its start is valid (one program for both)."""
    results = jax.vmap(kernel.bootstrap_results, out_axes=_results_axes(kernel))(states)
    return results, jax.vmap(results_are_finite)(results.inner_results)


@functools.partial(jax.jit, static_argnames=("length",))
def _run_chunk(kernel, states, results, chain_keys, first_step, *, length):
    """`length` steps of all chains from step `first_step` on, with the draws and statistics."""
    axes = _results_axes(results)
    one_step = jax.vmap(kernel.one_step, in_axes=(0, axes, 0), out_axes=(0, axes), axis_name=_CHAIN_AXIS)
    fold_in = jax.vmap(threefry.fold_in, in_axes=(0, None))

    def body(carry, offset):
        carry = one_step(*carry, fold_in(chain_keys, first_step + offset))
        return carry, (carry[0], statistics(carry[1]))

    (states, results), (draws, stats) = jax.lax.scan(body, (states, results), jnp.arange(length))
    return states, results, draws, stats


class _Placement:
    """Where chains live: a 1-D device mesh over the chain axis (nothing to do on one device)."""

    def __init__(self, num_chains: int):
        devices = jax.devices()
        count = max(n for n in range(1, len(devices) + 1) if num_chains % n == 0)
        self.mesh = Mesh(np.array(devices[:count]), ("chain",)) if count > 1 else None

    def put(self, tree: Any) -> Any:
        if self.mesh is None:
            return tree
        chains = NamedSharding(self.mesh, PartitionSpec("chain"))
        replicated = NamedSharding(self.mesh, PartitionSpec())
        return jax.tree.map(lambda x: jax.device_put(x, chains if jnp.ndim(x) else replicated), tree)


class _Phase(NamedTuple):
    states: Any
    results: Any
    draws: list
    stats: list


def _run_phase(
    kernel, states, results, chain_keys, *, first_step, num_steps, length, keep_draws, bar, phase, divergences
) -> tuple[_Phase, int]:
    """Run `num_steps` steps as chunks; returns the final carry, the host chunks and the divergence count.

    Warmup draws stay on the device (and are dropped); only their statistics come to the host.
    """
    draws: list = []
    stats: list = []
    if num_steps == 0:
        return _Phase(states, results, draws, stats), divergences
    pending = None

    def collect(chunk_draws, chunk_stats):
        nonlocal divergences
        chunk_stats = jax.device_get(chunk_stats)
        if keep_draws:
            draws.append(jax.tree.map(np.asarray, chunk_draws))
        stats.append(chunk_stats)
        divergences += int(np.sum(chunk_stats["diverging"]))
        bar.update(chunk_stats["diverging"].shape[0], phase=phase, divergences=divergences)

    for start in range(0, num_steps, length):
        count = min(length, num_steps - start)
        states, results, chunk_draws, chunk_stats = _run_chunk(
            kernel, states, results, chain_keys, jnp.int32(first_step + start), length=count
        )
        if pending is not None:
            collect(*pending)
        pending = (chunk_draws, chunk_stats)
    collect(*pending)
    return _Phase(states, results, draws, stats), divergences


def _chain_major(chunks: list) -> Any:
    """Host chunks shaped (draw, chain, ...) -> one tree shaped (chain, draw, ...)."""
    return jax.tree.map(lambda *parts: np.swapaxes(np.concatenate(parts), 0, 1), *chunks)


def _initial_states(
    model: _Model, kernel: TransitionKernel, init: Any, init_per_chain: bool, num_chains: int, key: jax.Array
) -> tuple[Any, str]:
    """The chains' starting states, and how they were found (for `check_initial_states`'s message)."""
    if init is None:
        if model.joint is None:
            raise ValueError(
                f"{_CALLER}: init is required when target is a log-density function (one state, or one per "
                "chain with init_per_chain=True); only a pinned joint distribution can be started at random."
            )
        prototype = jax.eval_shape(lambda k: model.joint.sample_unpinned(seed=k), key)
        unconstrained = jax.eval_shape(model.bijector.inverse, prototype)
        # A chain that found no valid start keeps its last try, which the bootstrap then flags.
        states, _ = random_initial_states(
            kernel, unconstrained, num_chains=num_chains, seed=key, bijector=model.bijector
        )
        how = f"{_CALLER}: random init (uniform(-2, 2) in the unconstrained space, 100 tries per chain)"
        return states, how
    # Strong dtypes: a weakly typed Python float would give a differently compiled program.
    states = jax.tree.map(lambda leaf: jnp.asarray(leaf, jnp.asarray(leaf).dtype), init)
    if init_per_chain:
        bad = [leaf.shape for leaf in jax.tree.leaves(states) if leaf.shape[:1] != (num_chains,)]
        if bad:
            raise ValueError(
                f"{_CALLER}: with init_per_chain=True every leaf of init must have a "
                f"leading axis of num_chains={num_chains}; got shapes {bad}."
            )
    else:
        states = jax.tree.map(lambda leaf: jnp.broadcast_to(leaf, (num_chains, *leaf.shape)), states)
    return states, f"{_CALLER}: init"


def _sampling_run(
    model: _Model,
    settings: dict,
    kernel,
    states,
    results,
    chain_keys,
    *,
    first_step: int,
    bar: ProgressBar,
    divergences: int,
    previous: SampleResult | None,
) -> SampleResult:
    """Run the sampling phase from `states`/`results` and package the result (after `previous`'s draws)."""
    phase, _ = _run_phase(
        kernel,
        states,
        results,
        chain_keys,
        first_step=first_step,
        num_steps=settings["num_samples"],
        length=settings["chunk_length"],
        keep_draws=True,
        bar=bar,
        phase="sampling",
        divergences=divergences,
    )
    bar.close()
    if previous is not None:
        phase = phase._replace(
            draws=[jax.tree.map(lambda x: np.swapaxes(x, 0, 1), previous.draws), *phase.draws],
            stats=[{k: np.swapaxes(v, 0, 1) for k, v in previous.stats.items()}, *phase.stats],
        )
    if not phase.draws:  # no draws at all: empty arrays of the right shapes
        empty = jax.tree.map(lambda x: np.zeros((0, *x.shape), x.dtype), jax.device_get(states))
        empty_stats = jax.eval_shape(jax.vmap(statistics, in_axes=(_results_axes(results),)), results)
        phase = phase._replace(
            draws=[empty], stats=[{k: np.zeros((0, *v.shape), v.dtype) for k, v in empty_stats.items()}]
        )
    settings = dict(
        settings,
        steps_taken=first_step + settings["num_samples"],
        num_samples=(0 if previous is None else previous.num_draws) + settings["num_samples"],
        has_bijector=model.bijector is not None,
        key_impl=str(jax.random.key_impl(chain_keys)),
    )
    checkpoint = Checkpoint(
        state=jax.device_get(phase.states),
        kernel_results=jax.device_get(phase.results.inner_results),
        chain_keys=np.asarray(jax.random.key_data(chain_keys)),
        config=settings,
    )
    return SampleResult(_chain_major(phase.draws), _chain_major(phase.stats), checkpoint)


def sample(
    target: Any,
    *,
    init: Any = None,
    num_chains: int = 4,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    kernel: str = "nuts",
    seed: Any,
    bijector: Any = None,
    init_per_chain: bool = False,
    step_size: float = 1.0,
    target_accept_prob: float = 0.8,
    dense_mass: bool | str = "auto",
    adapt_mass_matrix: bool = True,
    shared_step_size: bool = True,
    max_tree_depth: int = 10,
    num_leapfrog_steps: int | None = None,
    progress_bar: bool = True,
    num_chunks: int = 10,
) -> SampleResult:
    """Draw from `target` with several chains: Stan's warmup (step size and mass matrix), then sampling.

    Args:
      target: a log-density function of one state (a list state is passed as separate arguments,
        TFP's rule; it must return a scalar) or a pinned `JointDistribution` (`jd.experimental_pin(...)`).
      init: the starting state (constrained): one state used by every chain, or with
        `init_per_chain=True` one per chain (a leading `num_chains` axis on every leaf). Required
        for a function; for a joint distribution, None starts each chain uniformly on (-2, 2) in
        the unconstrained space (up to 100 tries per chain, as Stan).
      num_chains: the number of chains (run as a vmap, laid out over devices when there are several).
      num_warmup: adaptation steps (Stan's windows: see `probax.mcmc.window_adaptation`).
      num_samples: draws kept per chain.
      kernel: `'nuts'` or `'hmc'` (with `num_leapfrog_steps`).
      seed: a `jax.random` key or an int.
      bijector: for a function target, a bijector (or structure of bijectors, as
        `TransformedTransitionKernel` takes) from unconstrained space onto the target's support.
      init_per_chain: whether `init` has a leading chain axis.
      step_size: the initial step size (adapted during warmup).
      target_accept_prob: the mean acceptance probability the step size is adapted to.
      dense_mass: adapt a dense inverse mass matrix (True) or a diagonal one (False); `"auto"`
        picks dense when the warmup's longest window has at least twice as many draws as the
        unconstrained state has numbers (up to 250 numbers with the default `num_warmup`).
        Windows with fewer draws than that estimate only the diagonal.
      adapt_mass_matrix: adapt the mass matrix at all (False: step size only, identity metric, as
        TFP's NUTS with step-size adaptation; better on targets piecewise constant in a coordinate).
      shared_step_size: adapt one step size for all chains, from their mean acceptance statistic
        (as TFP does for a batch of chains); False adapts each chain's own, as Stan does. The mean
        is less noisy, so the final step size is nearer the target's and vmapped chains do not wait
        for the chain that drew the smallest one. The metric is estimated per chain either way.
      max_tree_depth: NUTS's maximum number of trajectory doublings.
      num_leapfrog_steps: HMC's leapfrog steps per transition.
      progress_bar: show a tqdm bar (phase, divergences so far), updated between chunks.
      num_chunks: chunks in the longer phase (the bar's updates); each chunk is one compiled scan.

    Returns:
      A `SampleResult`: `.draws` shaped `(chain, draw, ...)` in the constrained space, `.stats`,
      `.summary()`, `.to_arviz()`, `.save(path)` (continue with `resume`).

    Raises:
      ValueError: bad settings, or no valid start (the message names the first non-finite term).

    Example:
      >>> result = sample(lambda x: -0.5 * jnp.sum(((x - 1.0) / 2.0) ** 2), init=jnp.zeros(2),
      ...                 num_chains=2, num_warmup=200, num_samples=300, seed=0, progress_bar=False)
      >>> result.draws.shape, round(float(result.draws.mean()), 0), round(float(result.draws.std()), 0)
      ((2, 300, 2), 1.0, 2.0)

    """
    settings = _settings(
        kernel=kernel,
        step_size=step_size,
        max_tree_depth=max_tree_depth,
        num_leapfrog_steps=num_leapfrog_steps,
        target_accept_prob=target_accept_prob,
        dense_mass=dense_mass,
        adapt_mass_matrix=adapt_mass_matrix,
        shared_step_size=shared_step_size,
        num_chains=num_chains,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chunks=num_chunks,
    )
    model = _as_model(target, bijector)
    key = as_key(seed, _CALLER)
    if not jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.wrap_key_data(key)
    init_key, chain_keys = _split_keys(key, settings["num_chains"])
    inner_kernel = _inner_kernel(model, settings)
    kernel = _adaptive_kernel(inner_kernel, settings)
    states, how = _initial_states(model, inner_kernel, init, init_per_chain, settings["num_chains"], init_key)
    placement = _Placement(settings["num_chains"])
    states = placement.put(states)
    chain_keys = placement.put(chain_keys)
    results, valid = _bootstrap(kernel, states)
    check_initial_states(
        inner_kernel,
        model.target_log_prob_fn,
        states,
        valid,
        what=how,
        log_prob_parts_fn=model.log_prob_parts_fn,
    )
    # Re-placing gives the results the shardings chunk outputs have, so the first chunk is not a new compile.
    results = placement.put(results)
    bar = ProgressBar(settings["num_warmup"] + settings["num_samples"], enabled=progress_bar)
    warmup, divergences = _run_phase(
        kernel,
        states,
        results,
        chain_keys,
        first_step=0,
        num_steps=settings["num_warmup"],
        length=settings["chunk_length"],
        keep_draws=False,
        bar=bar,
        phase="warmup",
        divergences=0,
    )
    # The same kernel samples: its adaptation is frozen from step `num_warmup` on.
    return _sampling_run(
        model,
        settings,
        kernel,
        warmup.states,
        warmup.results,
        chain_keys,
        first_step=settings["num_warmup"],
        bar=bar,
        divergences=divergences,
        previous=None,
    )


def _restore(template: Any, leaves: list, what: str) -> Any:
    """`leaves` in the structure of `template` (arrays or ShapeDtypeStructs), checking shapes and dtypes."""
    expected = jax.tree.leaves(template)
    if len(expected) != len(leaves) or any(
        tuple(e.shape) != a.shape or np.dtype(e.dtype) != a.dtype
        for e, a in zip(expected, leaves, strict=False)
    ):
        raise ValueError(
            f"resume: the saved {what} does not match the target's: saved "
            f"{[(a.shape, str(a.dtype)) for a in leaves]}, expected "
            f"{[(tuple(e.shape), str(e.dtype)) for e in expected]}."
        )
    return jax.tree.unflatten(jax.tree.structure(template), leaves)


def resume(
    path: Any,
    target: Any,
    *,
    num_samples: int,
    bijector: Any = None,
    progress_bar: bool = True,
    previous_draws: bool = True,
) -> SampleResult:
    """Continue a run saved with `SampleResult.save`: `num_samples` more draws per chain.

    The continuation equals an uninterrupted run bit for bit (same keys per step,
    same adapted step size and metric). Functions cannot be saved: pass the same
    `target` (and `bijector`) again; the saved state's structure, shapes and dtypes
    are checked against it.

    Args:
      path: a file written by `SampleResult.save`.
      target: the run's target (a log-density function or a pinned joint distribution).
      num_samples: new draws per chain.
      bijector: the run's bijector, for a function target that had one.
      progress_bar: show a tqdm bar.
      previous_draws: include the saved draws before the new ones (else only the new ones).

    Returns:
      A `SampleResult` (save it again to continue further).

    Example:
      >>> import os, tempfile
      >>> target = lambda x: -0.5 * x**2
      >>> first = sample(target, init=0.0, num_chains=2, num_warmup=50, num_samples=20, seed=1,
      ...                progress_bar=False)
      >>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
      >>> first.save(path)
      >>> resume(path, target, num_samples=30, progress_bar=False).draws.shape
      (2, 50)

    """
    config, arrays = load_arrays(path)
    model = _as_model(target, bijector)
    if config["has_bijector"] != (model.bijector is not None):
        raise ValueError(
            f"resume: the saved run {'had' if config['has_bijector'] else 'had no'} bijector; "
            "pass the same target and bijector as the first run."
        )
    settings = _settings(
        **{
            name: config[name]
            for name in (
                "kernel",
                "step_size",
                "max_tree_depth",
                "num_leapfrog_steps",
                "target_accept_prob",
                "dense_mass",
                "adapt_mass_matrix",
                "num_chains",
                "num_warmup",
                "num_chunks",
                "chunk_length",
            )
        },
        # Runs saved before the option existed adapted per chain; sampling does not depend on it.
        shared_step_size=config.get("shared_step_size", False),
        num_samples=num_samples,
    )
    saved_state = leaves_with_prefix(arrays, "state")
    if model.joint is not None:
        prototype = jax.eval_shape(lambda k: model.joint.sample_unpinned(seed=k), jax.random.key(0))
        template = jax.tree.map(
            lambda p: jax.ShapeDtypeStruct((settings["num_chains"], *p.shape), p.dtype), prototype
        )
        states = _restore(template, saved_state, "state")
    elif config["state_encoding"] is not None:
        states = decode_structure(config["state_encoding"], saved_state)
    else:
        raise ValueError("resume: the saved state's structure can only be rebuilt by a joint distribution.")
    if str(jax.tree.structure(states)) != config["state_structure"]:
        raise ValueError(
            f"resume: the target's state structure {jax.tree.structure(states)} is not the "
            f"saved one {config['state_structure']}."
        )
    kernel = _adaptive_kernel(_inner_kernel(model, settings), settings)
    template, _ = jax.eval_shape(_bootstrap, kernel, states)
    # The saved inner results carry the adapted step size and metric; past its warmup the adaptation
    # reads nothing else of its state, which is left at zeros.
    inner_results = _restore(template.inner_results, leaves_with_prefix(arrays, "results"), "kernel results")
    zeros = functools.partial(jax.tree.map, lambda leaf: jnp.zeros(leaf.shape, leaf.dtype))
    results = WindowAdaptationResults(
        inner_results=inner_results,
        adaptation_step=jnp.int32(config["steps_taken"]),
        step_size_state=zeros(template.step_size_state),
        moments=zeros(template.moments),
    )
    chain_keys = jax.random.wrap_key_data(jnp.asarray(arrays["chain_keys"]), impl=config["key_impl"])
    placement = _Placement(settings["num_chains"])
    previous = None
    if previous_draws:
        draws = jax.tree.unflatten(jax.tree.structure(states), leaves_with_prefix(arrays, "draws"))
        stats = {name: arrays[f"stats/{name}"] for name in config["stat_names"]}
        previous = SampleResult(draws, stats, Checkpoint(None, None, arrays["chain_keys"], config))
    bar = ProgressBar(
        config["steps_taken"] + num_samples, enabled=progress_bar, initial=config["steps_taken"]
    )
    return _sampling_run(
        model,
        settings,
        kernel,
        placement.put(states),
        placement.put(results),
        placement.put(chain_keys),
        first_step=config["steps_taken"],
        bar=bar,
        divergences=0,
        previous=previous,
    )
