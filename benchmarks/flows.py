"""Masked autoregressive flow throughput: probax against TFP on JAX and flowjax.

The flow is the same for everyone: 5 affine MAF layers on 8-D events, each with a MADE
of two ReLU hidden layers of 64 units, a reversing permutation between layers, and a
standard Normal base; float32. Three jitted operations are timed on a batch of 4096:

* `log_prob`: the density direction (one MADE pass per layer);
* `sample`: the sampling direction (8 sequential MADE passes per layer; the first, at
  y = 0, gives every row the same output: probax's MADE declares itself row-wise, so
  probax runs that pass on one row and broadcasts it, while TFP and flowjax run all 8
  on the full batch);
* `train_step`: one adam step on `-log_prob(batch).mean()` (value, gradient and update).

TFP's `AutoregressiveNetwork` is a Keras layer and does not run on the JAX substrate, so
TFP's `MaskedAutoregressiveFlow` gets a plain-JAX MADE as its `shift_and_log_scale_fn`
with probax's masks and initial weights: its log_prob must then equal probax's (checked).
flowjax builds its own flow (`flowjax.flows.masked_autoregressive_flow`, same sizes; its
affine scale is a softplus rather than an exp, and its permutations are random). probax's
train step is timed as Flax NNX code is written (`nnx.jit` through `nnx.cached_partial`)
and as a functional `jax.jit` over the split parameters (the form the peers use); the
ratio uses the faster of the two. `ratio = fastest_peer_seconds / probax_seconds`
(>= 1.0: probax is at least as fast as every peer).

Run:
  python benchmarks/flows.py            # full run -> results/flows.json
  python benchmarks/flows.py --quick    # smoke run -> results/flows_quick.json
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import timing

NAME = "flows"
EVENT_SIZE = 8
NUM_LAYERS = 5
HIDDEN_UNITS = (64, 64)
LEARNING_RATE = 1e-3
OPERATIONS = ("log_prob", "sample", "train_step")
LIBRARIES = ("probax", "tfp", "flowjax")


class Candidate:
    """One library's three jitted operations, as zero-argument calls, and what they return first."""

    def __init__(
        self, log_prob: Callable[[], Any], sample: Callable[[], Any], train_step: dict[str, Callable[[], Any]]
    ):
        self.calls = {"log_prob": log_prob, "sample": sample, "train_step": train_step}


# ---------------------------------------------------------------------------- probax


def _reverse() -> list[int]:
    return list(range(EVENT_SIZE - 1, -1, -1))


def probax_flow(seed: int = 0):
    """The probax flow: a list of MADE modules and a function assembling the distribution from them."""
    from probax import bijectors as tfb
    from probax import distributions as tfd

    rngs = nnx.Rngs(seed)
    mades = nnx.List(
        [
            tfb.AutoregressiveNetwork(
                params=2, event_shape=EVENT_SIZE, hidden_units=HIDDEN_UNITS, activation="relu", rngs=rngs
            )
            for _ in range(NUM_LAYERS)
        ]
    )

    def distribution(mades):
        layers = []
        for i, made in enumerate(mades):
            if i:
                layers.append(tfb.Permute(_reverse()))
            layers.append(tfb.MaskedAutoregressiveFlow(made))
        return tfd.TransformedDistribution(
            tfd.Normal(0.0, 1.0), tfb.Chain(layers[::-1]), event_shape=[EVENT_SIZE]
        )

    return mades, distribution


def probax_candidate(batch: jax.Array, key: jax.Array, n: int) -> Candidate:
    """probax's log_prob, sample and train step (NNX-style and functional)."""
    mades, distribution = probax_flow()
    # The MADE masks are non-trainable Variables: kept apart from the Params that adam updates.
    graphdef, params, masks = nnx.split(mades, nnx.Param, ...)

    def model(p):
        return distribution(nnx.merge(graphdef, p, masks))

    log_prob = jax.jit(lambda p, x: model(p).log_prob(x))
    sample = jax.jit(lambda p, k: model(p).sample(n, seed=k))

    def loss(p, x):
        return -jnp.mean(model(p).log_prob(x))

    optimizer = optax.adam(LEARNING_RATE)

    @jax.jit
    def functional_step(p, state, x):
        value, grads = jax.value_and_grad(loss)(p, x)
        updates, state = optimizer.update(grads, state, p)
        return optax.apply_updates(p, updates), state, value

    nnx_model = nnx.merge(graphdef, params, masks)
    nnx_optimizer = nnx.Optimizer(nnx_model, optimizer, wrt=nnx.Param)

    @nnx.jit
    def nnx_step(model, opt, x):
        value, grads = nnx.value_and_grad(lambda m: -jnp.mean(distribution(m).log_prob(x)))(model)
        opt.update(model, grads)
        return value

    cached_step = nnx.cached_partial(nnx_step, nnx_model, nnx_optimizer)
    opt_state = optimizer.init(params)
    return Candidate(
        functools.partial(log_prob, params, batch),
        functools.partial(sample, params, key),
        {
            "functional": functools.partial(functional_step, params, opt_state, batch),
            "nnx_jit": functools.partial(cached_step, batch),
        },
    )


# ---------------------------------------------------------------------------- TFP on JAX


def made_weights(mades) -> list[list[tuple[jax.Array, jax.Array, jax.Array]]]:
    """(kernel, mask, bias) of every layer of every probax MADE, as plain arrays."""
    return [
        [(dense.kernel[...], dense.mask[...], dense.bias[...]) for dense in made.layers] for made in mades
    ]


def plain_made(weights, y):
    """A MADE in plain JAX: masked dense layers with ReLU between, output split into (shift, log_scale)."""
    h = y
    for i, (kernel, mask, bias) in enumerate(weights):
        h = h @ (kernel * mask) + bias
        if i < len(weights) - 1:
            h = jax.nn.relu(h)
    out = h.reshape((*y.shape[:-1], EVENT_SIZE, 2))
    return out[..., 0], out[..., 1]


def tfp_candidate(batch: jax.Array, key: jax.Array, n: int) -> Candidate:
    """TFP's MaskedAutoregressiveFlow with probax's MADE weights and masks in plain JAX."""
    from tensorflow_probability.substrates import jax as tfp

    tfb, tfd = tfp.bijectors, tfp.distributions
    mades, _ = probax_flow()
    weights = made_weights(mades)
    params = [[(k, b) for k, _, b in layer] for layer in weights]
    masks = [[m for _, m, _ in layer] for layer in weights]

    def distribution(p):
        layers = []
        for i, (layer_params, layer_masks) in enumerate(zip(p, masks, strict=True)):
            if i:
                layers.append(tfb.Permute(_reverse()))
            layer_weights = [(k, m, b) for (k, b), m in zip(layer_params, layer_masks, strict=True)]
            layers.append(
                tfb.MaskedAutoregressiveFlow(
                    shift_and_log_scale_fn=functools.partial(plain_made, layer_weights)
                )
            )
        return tfd.TransformedDistribution(
            tfd.Sample(tfd.Normal(0.0, 1.0), [EVENT_SIZE]), tfb.Chain(layers[::-1])
        )

    log_prob = jax.jit(lambda p, x: distribution(p).log_prob(x))
    sample = jax.jit(lambda p, k: distribution(p).sample(n, seed=k))
    optimizer = optax.adam(LEARNING_RATE)

    @jax.jit
    def step(p, state, x):
        value, grads = jax.value_and_grad(lambda q: -jnp.mean(distribution(q).log_prob(x)))(p)
        updates, state = optimizer.update(grads, state, p)
        return optax.apply_updates(p, updates), state, value

    return Candidate(
        functools.partial(log_prob, params, batch),
        functools.partial(sample, params, key),
        {"functional": functools.partial(step, params, optimizer.init(params), batch)},
    )


# ---------------------------------------------------------------------------- flowjax


def flowjax_candidate(batch: jax.Array, key: jax.Array, n: int) -> Candidate:
    """flowjax's masked_autoregressive_flow with the same sizes (invert=True: one pass for log_prob)."""
    import equinox as eqx
    import paramax
    from flowjax.distributions import Normal
    from flowjax.flows import masked_autoregressive_flow

    flow = masked_autoregressive_flow(
        jax.random.key(0),
        base_dist=Normal(jnp.zeros(EVENT_SIZE, jnp.float32)),
        flow_layers=NUM_LAYERS,
        nn_width=HIDDEN_UNITS[0],
        nn_depth=len(HIDDEN_UNITS),
        nn_activation=jax.nn.relu,
        invert=True,
    )
    params, static = eqx.partition(
        flow, eqx.is_inexact_array, is_leaf=lambda leaf: isinstance(leaf, paramax.NonTrainable)
    )
    log_prob = jax.jit(lambda p, x: eqx.combine(p, static).log_prob(x))
    sample = jax.jit(lambda p, k: eqx.combine(p, static).sample(k, (n,)))
    optimizer = optax.adam(LEARNING_RATE)

    def loss(p, x):
        # flowjax's own MaximumLikelihoodLoss, written out.
        return -jnp.mean(paramax.unwrap(eqx.combine(p, static)).log_prob(x))

    @jax.jit
    def step(p, state, x):
        value, grads = jax.value_and_grad(loss)(p, x)
        updates, state = optimizer.update(grads, state, p)
        return optax.apply_updates(p, updates), state, value

    return Candidate(
        functools.partial(log_prob, params, batch),
        functools.partial(sample, params, key),
        {"functional": functools.partial(step, params, optimizer.init(params), batch)},
    )


BUILDERS = {"probax": probax_candidate, "tfp": tfp_candidate, "flowjax": flowjax_candidate}

# ---------------------------------------------------------------------------- running


def build_candidates(batch, key, n) -> tuple[dict[str, Candidate], dict[str, str]]:
    """Each library's candidate, and a reason for each library left out."""
    candidates, missing = {}, {}
    for name, builder in BUILDERS.items():
        try:
            candidates[name] = builder(batch, key, n)
        except Exception as err:  # ImportError, or a peer broken against this JAX version
            missing[name] = f"cannot build: {type(err).__name__}: {err}"[:300]
    return candidates, missing


def _loss_of(output) -> float:
    return float(output[-1] if isinstance(output, tuple) else output)


def bench_operation(operation, candidates, args) -> dict[str, Any]:
    """Time one operation across libraries (interleaved); check agreement cheaply."""
    calls, outputs, notes = {}, {}, {}
    for library, candidate in candidates.items():
        variants = candidate.calls[operation]
        variants = variants if isinstance(variants, dict) else {"": variants}
        for variant, call in variants.items():
            label = f"{library}:{variant}" if variant else library
            try:
                outputs[label] = timing.block(call())  # compiles
            except Exception as err:
                notes[label] = f"failed: {type(err).__name__}: {err}"[:300]
                continue
            calls[label] = call
    timings = timing.time_rounds(
        calls,
        args.repeats,
        args.min_round_seconds,
        budget=args.budget,
        warmed=True,
        keep=[label for label in calls if label.startswith("probax")],
    )
    # Each library is represented by its fastest variant (fastest round).
    by_library: dict[str, timing.Timing] = {}
    for label, timed in timings.items():
        library = label.split(":")[0]
        if library not in by_library or timed.best < by_library[library].best:
            by_library[library] = timed
    checks = sanity(operation, outputs)
    variants = {label: timed.best for label, timed in timings.items()}
    return {
        "operation": operation,
        "seconds_per_call": {name: timed.best for name, timed in by_library.items()},
        "variants_seconds_per_call": variants if any(":" in label for label in variants) else None,
        **timing.peer_comparison(by_library),
        "timings": {label: timed.summary() for label, timed in timings.items()},
        "check": {
            "log_prob": "max_abs_diff_vs_probax (tfp shares probax's weights) and mean log_prob",
            "sample": "sample_mean",
            "train_step": "loss at the initial parameters",
        }[operation],
        "check_values": checks,
        "notes": notes,
    }


def sanity(operation: str, outputs: dict[str, Any]) -> dict[str, float]:
    """Agreement checks: log_prob means (and TFP's max |diff| from probax), sample means, step losses."""
    if operation == "sample":
        return {name: float(np.mean(np.asarray(out))) for name, out in outputs.items()}
    if operation == "train_step":
        return {name: _loss_of(out) for name, out in outputs.items()}
    checks = {f"mean_{name}": float(np.mean(np.asarray(out))) for name, out in outputs.items()}
    if "probax" in outputs and "tfp" in outputs:
        checks["max_abs_diff_tfp_vs_probax"] = float(
            np.max(np.abs(np.asarray(outputs["tfp"]) - np.asarray(outputs["probax"])))
        )
    return checks


def table(rows: list[dict[str, Any]]) -> str:
    """The results as a readable table; ratio >= 1 means probax is at least as fast."""
    header = ["operation", *LIBRARIES, "fastest peer", "peer/probax"]
    lines = []
    for row in rows:
        ratio = row["ratio_fastest_peer_over_probax"]
        lines.append(
            [
                row["operation"],
                *(timing.format_seconds(row["seconds_per_call"].get(n)) for n in LIBRARIES),
                row["fastest_peer"] or "-",
                "-" if ratio is None else f"{ratio:.2f}",
            ]
        )
    return timing.format_table(header, lines)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; `--quick` picks a small batch for a smoke run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small batch, few repeats (smoke run)")
    parser.add_argument("--batch", type=int, help="events per call (log_prob values, samples, batch size)")
    parser.add_argument("--repeats", type=int, help="interleaved timing rounds")
    parser.add_argument("--operations", nargs="+", choices=OPERATIONS, help="subset to run")
    parser.add_argument("--output", help="results file stem under benchmarks/results/")
    parser.add_argument(
        "--budget",
        type=float,
        default=20.0,
        help="seconds of timed rounds per operation; slow ones get fewer rounds (>= 3)",
    )
    args = parser.parse_args(argv)
    args.batch = args.batch or (256 if args.quick else 4096)
    args.repeats = args.repeats or (3 if args.quick else 40)
    args.min_round_seconds = 0.01 if args.quick else 0.05
    args.output = args.output or (f"{NAME}_quick" if args.quick else NAME)
    return args


def main(argv=None) -> None:
    """Run the benchmark, write the JSON results and print the table."""
    args = parse_args(argv)
    batch = jnp.asarray(np.random.default_rng(0).normal(size=(args.batch, EVENT_SIZE)), jnp.float32)
    candidates, missing = build_candidates(batch, jax.random.key(1), args.batch)
    if "probax" not in candidates:
        raise SystemExit(f"probax could not be built: {missing.get('probax')}")
    for name, reason in missing.items():
        print(f"peer {name} left out: {reason}", flush=True)
    rows = []
    for operation in args.operations or OPERATIONS:
        print(f"timing {operation} ...", flush=True)
        rows.append(bench_operation(operation, candidates, args))
    payload = {
        "benchmark": NAME,
        "settings": {
            "event_size": EVENT_SIZE,
            "num_layers": NUM_LAYERS,
            "hidden_units": list(HIDDEN_UNITS),
            "batch": args.batch,
            "repeats": args.repeats,
            "quick": args.quick,
            "dtype": "float32",
            "min_round_seconds": args.min_round_seconds,
            "budget_seconds": args.budget,
            "learning_rate": LEARNING_RATE,
            "statistics": "seconds: fastest round; ratio: median of round-by-round ratios",
        },
        "machine": timing.machine_info(),
        "versions": {
            "probax": timing.package_version("probax"),
            "tfp": timing.package_version("tfp-nightly"),
            "flowjax": timing.package_version("flowjax"),
            "flax": timing.package_version("flax"),
            "optax": timing.package_version("optax"),
        },
        "results": rows,
        "missing_libraries": missing,
    }
    path = timing.write_results(args.output, payload)
    print()
    print(table(rows))
    print(
        f"\nseconds per call: fastest of up to {args.repeats} rounds; peer/probax: median of the ratios "
        f"round by round ((best): ratio of the fastest rounds); batch {args.batch:,}; results in {path}"
    )


if __name__ == "__main__":
    main()
