"""Variational inference speed: probax's `fit_surrogate_posterior` against TFP on JAX and NumPyro's SVI.

The problem is Bayesian logistic regression on synthetic data (1000 rows x 25 columns,
float32): w ~ N(0, I), y ~ Bernoulli(logits = X w). Each library fits a mean-field and a
full-rank Gaussian surrogate with the same optax optimizer (adam, 1e-2), 8 draws per step,
for `num_steps` steps:

* probax: `vi.fit_surrogate_posterior` with `build_factored_surrogate_posterior` /
  `build_affine_surrogate_posterior` (one compiled `lax.scan`);
* TFP on JAX: `tfp.vi.fit_surrogate_posterior_stateless` with
  `tfp.experimental.vi.build_factored_surrogate_posterior_stateless` /
  `build_affine_surrogate_posterior_stateless`;
* NumPyro: `SVI` with `AutoNormal` / `AutoMultivariateNormal` and `Trace_ELBO(num_particles=8,
  vectorize_particles=True)`, its `update` run in a `lax.scan`.

All three evaluate the same plain-JAX log density (`log_joint`; NumPyro through a `factor` for
the likelihood and its own Normal prior site), so the comparison is of the VI machinery:
drawing from the surrogate, its log density, the gradient estimator and the optimizer loop.
TFP's `build_affine_surrogate_posterior_stateless` fails inside `jit` with some TFP nightlies
(a traced shape reaches its sampler); it is then listed under `missing_libraries`.

Every fit is one `jax.jit`-compiled call (compiled before timing), timed in interleaved
rounds (`timing.py`). The figure of merit is steps per second; `ratio = probax steps/s /
fastest peer steps/s` (>= 1.0: probax is at least as fast as every peer). The last column is
the mean loss (negative ELBO) over the last 10% of the steps, for reference: initial values
differ (probax starts at loc 0, TFP and NumPyro at uniform(-2, 2) draws), so short fits differ.

Run:
  python benchmarks/vi.py            # full run -> results/vi.json
  python benchmarks/vi.py --quick    # smoke run -> results/vi_quick.json
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import timing

NAME = "vi"
ROWS, COLUMNS = 1000, 25
SAMPLE_SIZE = 8
LEARNING_RATE = 1e-2
SURROGATES = ("mean_field", "full_rank")
LIBRARIES = ("probax", "tfp", "numpyro")
PEER_PACKAGES = {"tfp": "tfp-nightly", "numpyro": "numpyro"}


def make_data(seed: int = 0) -> tuple[jax.Array, jax.Array]:
    """Standard-normal features and labels drawn from a logistic model with N(0, 1) weights."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, COLUMNS)) / np.sqrt(COLUMNS)
    w = rng.normal(size=COLUMNS)
    y = rng.uniform(size=ROWS) < 1 / (1 + np.exp(-x @ (3 * w)))
    return jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)


def log_likelihood(w, x, y):
    """Bernoulli log-likelihood of labels y given logits x w, for w of shape [..., COLUMNS]."""
    logits = w @ x.T
    return jnp.sum(y * logits - jax.nn.softplus(logits), axis=-1)


def log_joint(w, x, y):
    """Unnormalized log posterior: N(0, I) prior plus the likelihood, for w of shape [..., COLUMNS]."""
    return -0.5 * jnp.sum(w**2, axis=-1) + log_likelihood(w, x, y)


# A candidate is a zero-argument call running one whole fit, returning its loss trace.
Candidate = Callable[[], Any]


def probax_candidate(kind: str, x, y, num_steps: int) -> Candidate:
    """probax: fit_surrogate_posterior over a Trainable from the mean-field or full-rank builder."""
    from probax import vi

    def target(w):  # one draw at a time; probax vmaps it over the draws
        return log_joint(w, x, y)

    builder = (
        vi.build_factored_surrogate_posterior if kind == "mean_field" else vi.build_affine_surrogate_posterior
    )
    surrogate = builder([COLUMNS], initial_unconstrained_scale=0.1, dtype=jnp.float32)

    @jax.jit
    def fit(params, key):
        _, trace = vi.fit_surrogate_posterior(
            target,
            surrogate.with_params(params),
            optax.adam(LEARNING_RATE),
            num_steps,
            sample_size=SAMPLE_SIZE,
            seed=key,
            verbose=False,
        )
        return trace["loss"]

    return functools.partial(fit, surrogate.params, jax.random.key(0))


def tfp_candidate(kind: str, x, y, num_steps: int) -> Candidate:
    """TFP on JAX: fit_surrogate_posterior_stateless with the stateless surrogate builders."""
    from tensorflow_probability.substrates import jax as tfp

    def target(w):  # TFP passes the draws batched: w has shape [sample_size, COLUMNS]
        return log_joint(w, x, y)

    builder = (
        tfp.experimental.vi.build_factored_surrogate_posterior_stateless
        if kind == "mean_field"
        else tfp.experimental.vi.build_affine_surrogate_posterior_stateless
    )
    init_fn, build_fn = builder(event_shape=[COLUMNS])
    initial = init_fn(seed=jax.random.PRNGKey(1))

    @jax.jit
    def fit(params, key):
        _, losses = tfp.vi.fit_surrogate_posterior_stateless(
            target, build_fn, params, optax.adam(LEARNING_RATE), num_steps, sample_size=SAMPLE_SIZE, seed=key
        )
        return losses

    return functools.partial(fit, initial, jax.random.PRNGKey(0))


def numpyro_candidate(kind: str, x, y, num_steps: int) -> Candidate:
    """NumPyro: SVI with AutoNormal / AutoMultivariateNormal, updates in a lax.scan."""
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoMultivariateNormal, AutoNormal

    def model(x, y):
        w = numpyro.sample("w", dist.Normal(0.0, 1.0).expand([COLUMNS]).to_event(1))
        numpyro.factor("y", log_likelihood(w, x, y))

    guide = AutoNormal(model) if kind == "mean_field" else AutoMultivariateNormal(model)
    svi = SVI(
        model,
        guide,
        numpyro.optim.optax_to_numpyro(optax.adam(LEARNING_RATE)),
        Trace_ELBO(num_particles=SAMPLE_SIZE, vectorize_particles=True),
    )
    state = svi.init(jax.random.PRNGKey(0), x, y)

    @jax.jit
    def fit(state):
        def step(s, _):
            s, loss = svi.update(s, x, y)
            return s, loss

        return jax.lax.scan(step, state, None, length=num_steps)[1]

    return functools.partial(fit, state)


BUILDERS = {"probax": probax_candidate, "tfp": tfp_candidate, "numpyro": numpyro_candidate}


def bench_surrogate(kind: str, x, y, args, missing: dict[str, str]) -> dict[str, Any]:
    """Time one surrogate kind across libraries; report steps per second and the final losses."""
    calls, final_loss, notes = {}, {}, {}
    for library, builder in BUILDERS.items():
        try:
            call = builder(kind, x, y, args.num_steps)
            losses = np.asarray(timing.block(call()))  # compiles
        except Exception as err:  # ImportError, or a peer broken against this JAX version
            missing[f"{library}:{kind}"] = f"cannot run: {type(err).__name__}: {err}"[:300]
            continue
        calls[library] = call
        final_loss[library] = float(np.mean(losses[-max(1, args.num_steps // 10) :]))
    seconds, rounds = timing.time_interleaved(
        calls, args.repeats, args.min_round_seconds, budget=args.budget, warmed=True
    )
    steps_per_second = {name: args.num_steps / s for name, s in seconds.items()}
    peers = {k: v for k, v in steps_per_second.items() if k != "probax"}
    fastest = max(peers, key=peers.get) if peers else None
    probax_rate = steps_per_second.get("probax")
    return {
        "surrogate": kind,
        "steps_per_second": {name: steps_per_second.get(name) for name in LIBRARIES},
        "seconds_per_fit": {name: seconds.get(name) for name in LIBRARIES},
        "fastest_peer": fastest,
        "ratio_probax_over_fastest_peer": probax_rate / peers[fastest] if fastest and probax_rate else None,
        "final_loss_last_10_percent": final_loss,
        "notes": notes,
        "rounds": rounds,
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Steps per second per library; ratio >= 1 means probax is at least as fast as every peer."""
    header = [
        "surrogate",
        *(f"{n} steps/s" for n in LIBRARIES),
        "fastest peer",
        "probax/peer",
        "final losses",
    ]
    lines = []
    for row in rows:
        ratio = row["ratio_probax_over_fastest_peer"]
        rates = row["steps_per_second"]
        losses = ", ".join(f"{k} {v:.2f}" for k, v in row["final_loss_last_10_percent"].items())
        lines.append(
            [
                row["surrogate"],
                *("-" if rates[n] is None else f"{rates[n]:.0f}" for n in LIBRARIES),
                row["fastest_peer"] or "-",
                "-" if ratio is None else f"{ratio:.2f}",
                losses,
            ]
        )
    return timing.format_table(header, lines)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; `--quick` runs short fits with few repeats (smoke run)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short fits, few repeats (smoke run)")
    parser.add_argument("--num-steps", type=int, help="optimization steps per fit")
    parser.add_argument("--repeats", type=int, help="interleaved timing rounds (median reported)")
    parser.add_argument("--surrogates", nargs="+", choices=SURROGATES, help="subset to run")
    parser.add_argument("--output", help="results file stem under benchmarks/results/")
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds of timed rounds per surrogate; slow ones get fewer rounds (>= 3)",
    )
    args = parser.parse_args(argv)
    args.num_steps = args.num_steps or (50 if args.quick else 1000)
    args.repeats = args.repeats or (3 if args.quick else 9)
    args.min_round_seconds = 0.01 if args.quick else 0.2
    args.output = args.output or (f"{NAME}_quick" if args.quick else NAME)
    return args


def main(argv=None) -> int:
    """Run the benchmark, write the JSON results and print the table."""
    args = parse_args(argv)
    x, y = make_data()
    missing: dict[str, str] = {}
    rows = []
    for kind in args.surrogates or SURROGATES:
        print(f"timing {kind} ...", flush=True)
        rows.append(bench_surrogate(kind, x, y, args, missing))
    if any(key.startswith("probax:") for key in missing):
        print(missing)
        return 1
    for name, reason in missing.items():
        print(f"peer {name} left out: {reason}", flush=True)
    payload = {
        "benchmark": NAME,
        "settings": {
            "rows": ROWS,
            "columns": COLUMNS,
            "sample_size": SAMPLE_SIZE,
            "num_steps": args.num_steps,
            "optimizer": f"optax.adam({LEARNING_RATE})",
            "dtype": "float32",
            "repeats": args.repeats,
            "quick": args.quick,
            "min_round_seconds": args.min_round_seconds,
            "budget_seconds": args.budget,
        },
        "machine": timing.machine_info(),
        "versions": {"probax": timing.package_version("probax"), "optax": timing.package_version("optax")}
        | {peer: timing.package_version(package) for peer, package in PEER_PACKAGES.items()},
        "results": rows,
        "missing_libraries": missing,
    }
    path = timing.write_results(args.output, payload)
    print()
    print(table(rows))
    print(f"\nsteps per second of whole compiled fits ({args.num_steps} steps); results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
