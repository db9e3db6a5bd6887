"""Training loops: probax.fit against Keras (TFP + tf_keras) and a hand-written Flax NNX + optax loop.

(a) seed 004, probabilistic linear regression: 100 points, `Dense(1)` + `Independent(Normal(t, 1))`,
    RMSprop(0.005), 200 epochs of batch 32, `verbose=False`. The Keras side is the seed's code
    verbatim (TFP layers on tf_keras, `TF_USE_LEGACY_KERAS=1`). Timed per statement in fresh state
    each repeat (Keras builds a new model, JAX's compilation caches are cleared): building the model,
    then `compile` + `fit` (Keras) or `fit` (probax), compilation included; then a second `fit` of the
    same model ("warm": no compilation). probax's compile time is the difference of its two fits.
    Goal: keras / probax >= 5 on compile + fit (the ratio with model building is reported too: Flax
    initializers compile small programs on first use, which Keras does not). probax's cold fit is
    split with `jax.monitoring` into tracing, lowering to StableHLO and XLA compilation.
    Fairness: each library's import happens before its clocks start; JAX's backend start-up falls
    in probax's first model building (not in its fit), TensorFlow's in Keras' first build or fit;
    the medians over repeats keep such first-call costs out of both sides' figures.
(b) seed 002, mixture density network: Dense 128-128-64 (relu, relu, tanh), 16 Normal components,
    260k rows, batch 256, one epoch of Adam(1e-3). probax.fit against the loop a Flax user writes
    (`nnx.jit` train step, `nnx.Optimizer`, host-side shuffled minibatches; the remainder batch is
    dropped) with TFP on JAX's MixtureSameFamily. Goal: loop_seconds / probax_seconds >= 1.

A missing peer (TensorFlow, TFP) gets null. Run:
  python benchmarks/training.py            # -> results/training.json
  python benchmarks/training.py --quick    # smoke run (MDN on 20k rows) -> results/training_quick.json
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.keras -> tf_keras, which TFP's layers need
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import probax.training as pxt
import timing

NAME = "training"
NUM_COMPONENTS = 16


def available(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------- (a) seed 004 regression
def keras_regression(x_train, y_train, epochs):
    """The seed's code verbatim, with clocks between its statements.

    Returns the model, the last epoch's loss, and the seconds spent building the model and in
    `compile` + `fit`.
    """
    import tensorflow_probability as tfp
    from tensorflow.keras.layers import Dense
    from tensorflow.keras.models import Sequential
    from tensorflow.keras.optimizers import RMSprop

    tfd = tfp.distributions
    tfpl = tfp.layers

    def nll(y_true, y_pred):
        return -y_pred.log_prob(y_true)

    start = time.perf_counter()
    prob_model = Sequential([
        Dense(units=1, input_shape=(1,)),
        tfpl.DistributionLambda(lambda t: tfd.Independent(tfd.Normal(loc=t, scale=1)))
    ])
    built = time.perf_counter()
    prob_model.compile(loss=nll, optimizer=RMSprop(learning_rate=0.005))
    history = prob_model.fit(x_train, y_train, epochs=epochs, verbose=False)
    done = time.perf_counter()
    return prob_model, history.history["loss"][-1], built - start, done - built


_COMPILE_EVENTS = {  # jax.monitoring's names for the stages of a jit compilation
    "/jax/core/compile/jaxpr_trace_duration": "trace_seconds",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower_seconds",
    "/jax/core/compile/backend_compile_duration": "xla_compile_seconds",
}


def compile_stages(fn):
    """Call `fn`; return its result and the seconds its jit compilations spent in each stage."""
    stages = dict.fromkeys(_COMPILE_EVENTS.values(), 0.0)

    def listener(event, duration, **kwargs):
        if event in _COMPILE_EVENTS:
            stages[_COMPILE_EVENTS[event]] += duration

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        result = fn()
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    return result, stages


def probax_regression(x_train, y_train, epochs, optimizer):
    """The probax twin of the seed's code, timed the same way (plus the fit's compilation stages)."""
    from probax.distributions.independent import Independent
    from probax.distributions.normal import Normal

    start = time.perf_counter()
    prob_model = nnx.Sequential(
        nnx.Linear(1, 1, rngs=nnx.Rngs(0)),
        lambda t: Independent(Normal(loc=t, scale=1.0), reinterpreted_batch_ndims=1),
    )
    built = time.perf_counter()
    # fit returns host floats: its work is finished when it returns.
    history, stages = compile_stages(lambda: pxt.fit(prob_model, x_train, y_train, loss=pxt.nll,
                                                     optimizer=optimizer, epochs=epochs, verbose=0))
    done = time.perf_counter()
    return prob_model, history.history["loss"][-1], built - start, done - built, stages


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _summary(runs: list[tuple], warms: list[float]) -> dict:
    build = statistics.median(run[2] for run in runs)
    fit = statistics.median(run[3] for run in runs)
    warm = statistics.median(warms)
    return {"build_seconds": build, "fit_seconds": fit, "seconds": build + fit, "warm_seconds": warm,
            "final_loss": float(runs[-1][1])}


def bench_regression(repeats: int) -> dict:
    rng = np.random.default_rng(0)
    x_train = np.linspace(-1, 1, 100)[:, np.newaxis].astype(np.float32)
    y_train = (x_train + 0.3 * rng.standard_normal((100, 1))).astype(np.float32)
    epochs = 200
    # Keras' RMSprop: rho 0.9, epsilon 1e-7 outside the square root.
    optimizer = optax.rmsprop(0.005, decay=0.9, eps=1e-7, eps_in_sqrt=False)
    result = {"probax": None, "keras": None}
    runs, warms = [], []
    for _ in range(repeats):
        jax.clear_caches()  # each repeat compiles afresh, as a new process would
        runs.append(probax_regression(x_train, y_train, epochs, optimizer))
        warms.append(_timed(lambda m=runs[-1][0]: pxt.fit(m, x_train, y_train, optimizer=optimizer,
                                                          epochs=epochs, verbose=0)))
    result["probax"] = _summary(runs, warms)
    result["probax"]["compile_seconds"] = result["probax"]["fit_seconds"] - result["probax"]["warm_seconds"]
    for stage in _COMPILE_EVENTS.values():
        result["probax"][stage] = statistics.median(run[4][stage] for run in runs)
    if available("tensorflow") and available("tensorflow_probability") and available("tf_keras"):
        runs, warms = [], []
        for _ in range(repeats):
            runs.append(keras_regression(x_train, y_train, epochs))
            warms.append(_timed(lambda m=runs[-1][0]: m.fit(x_train, y_train, epochs=epochs, verbose=False)))
        result["keras"] = _summary(runs, warms)
        # The figure of merit: compile + fit, compilation included.
        result["ratio"] = result["keras"]["fit_seconds"] / result["probax"]["fit_seconds"]
        result["ratio_with_model_building"] = result["keras"]["seconds"] / result["probax"]["seconds"]
        result["ratio_warm"] = result["keras"]["warm_seconds"] / result["probax"]["warm_seconds"]
    return result


# ---------------------------------------------------------------- (b) seed 002 mixture density network
class MDN(nnx.Module):
    """The seed's MDN body; subclasses build the mixture with their library's distributions."""

    def __init__(self, rngs: nnx.Rngs):
        self.hidden = nnx.List([nnx.Linear(1, 128, rngs=rngs), nnx.Linear(128, 128, rngs=rngs),
                                nnx.Linear(128, 64, rngs=rngs)])
        self.logits = nnx.Linear(64, NUM_COMPONENTS, rngs=rngs)
        self.loc = nnx.Linear(64, NUM_COMPONENTS, rngs=rngs)
        self.scale = nnx.Linear(64, NUM_COMPONENTS, rngs=rngs)

    def __call__(self, x):
        h = jax.nn.relu(self.hidden[0](x))
        h = jax.nn.relu(self.hidden[1](h))
        h = jnp.tanh(self.hidden[2](h))
        return self.mixture(self.logits(h), self.loc(h), 1e-3 + jax.nn.softplus(self.scale(h)))


class ProbaxMDN(MDN):
    def mixture(self, logits, loc, scale):
        from probax.distributions.categorical import Categorical
        from probax.distributions.mixture_same_family import MixtureSameFamily
        from probax.distributions.normal import Normal

        return MixtureSameFamily(Categorical(logits=logits), Normal(loc=loc, scale=scale))


class TfpMDN(MDN):
    def mixture(self, logits, loc, scale):
        tfd = importlib.import_module("tensorflow_probability.substrates.jax").distributions
        return tfd.MixtureSameFamily(tfd.Categorical(logits=logits), tfd.Normal(loc=loc, scale=scale))


def probax_mdn_epoch(model, x, y, optimizer):
    history = pxt.fit(model, x, y, optimizer=optimizer, epochs=1, batch_size=256, seed=0, verbose=0)
    return history.history["loss"][-1]


@nnx.jit
def train_step(model, optimizer, x, y):
    def loss_fn(model):
        return jnp.mean(-model(x).log_prob(y))

    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    return loss


def handwritten_mdn_epoch(model, optimizer, x, y, rng):
    order = rng.permutation(len(x))
    losses = []
    for step in range(len(x) // 256):
        rows = order[step * 256:(step + 1) * 256]
        losses.append(train_step(model, optimizer, x[rows], y[rows]))
    return float(jnp.mean(jnp.stack(losses)))


def bench_mdn(rows: int, repeats: int) -> dict:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(rows, 1)).astype(np.float32)
    branch = rng.integers(0, 2, size=rows)
    y = np.where(branch == 1, np.sin(3 * x[:, 0]), -x[:, 0]) + 0.1 * rng.standard_normal(rows)
    y = y.astype(np.float32)
    adam = optax.adam(1e-3)
    result = {"probax": None, "handwritten_nnx_tfp": None}
    candidates = {"probax": None}
    if available("tensorflow_probability.substrates.jax"):
        candidates["handwritten_nnx_tfp"] = None
    for name in candidates:
        totals, warms, losses = [], [], []
        for _ in range(repeats):
            jax.clear_caches()
            if name == "probax":
                model = ProbaxMDN(nnx.Rngs(0))
                run = lambda m=model: probax_mdn_epoch(m, x, y, adam)  # noqa: E731
            else:
                model = TfpMDN(nnx.Rngs(0))
                optimizer = nnx.Optimizer(model, adam, wrt=nnx.Param)
                run = lambda m=model, o=optimizer: handwritten_mdn_epoch(m, o, x, y, rng)  # noqa: E731
            start = time.perf_counter()
            losses.append(run())
            totals.append(time.perf_counter() - start)
            warms.append(_timed(run))
        result[name] = {"seconds": statistics.median(totals), "warm_seconds": statistics.median(warms),
                        "first_epoch_loss": float(losses[-1])}
    if result["handwritten_nnx_tfp"] is not None:
        result["ratio"] = result["handwritten_nnx_tfp"]["seconds"] / result["probax"]["seconds"]
        peer_warm = result["handwritten_nnx_tfp"]["warm_seconds"]
        result["ratio_warm"] = peer_warm / result["probax"]["warm_seconds"]
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="MDN on 20k rows, one repeat")
    args = parser.parse_args(argv)
    rows = 20_000 if args.quick else 260_000
    repeats = 1 if args.quick else 3
    results = {"regression_seed004": bench_regression(repeats), "mdn_seed002": bench_mdn(rows, repeats)}
    table = []
    for task, r in results.items():
        peer = "keras" if "keras" in r else "handwritten_nnx_tfp"
        seconds = "fit_seconds" if peer == "keras" else "seconds"
        table.append([task, timing.format_seconds(r["probax"][seconds]),
                      timing.format_seconds(r["probax"]["warm_seconds"]),
                      timing.format_seconds(r[peer][seconds]) if r[peer] else "-",
                      timing.format_seconds(r[peer]["warm_seconds"]) if r[peer] else "-",
                      f"{r['ratio']:.2f}" if "ratio" in r else "-",
                      f"{r['ratio_warm']:.2f}" if "ratio_warm" in r else "-"])
    print(timing.format_table(["task", "probax", "probax warm", "peer", "peer warm", "ratio", "ratio warm"],
                              table))
    regression = results["regression_seed004"]
    probax = regression["probax"]
    stages = ", ".join(f"{stage.removesuffix('_seconds')} {timing.format_seconds(probax[stage])}"
                       for stage in _COMPILE_EVENTS.values())
    print(f"regression: probax compile {timing.format_seconds(probax['compile_seconds'])} ({stages}); "
          f"model building probax {timing.format_seconds(probax['build_seconds'])}, keras "
          f"{timing.format_seconds(regression['keras']['build_seconds']) if regression['keras'] else '-'}; "
          f"ratio with model building {regression.get('ratio_with_model_building', float('nan')):.2f}")
    payload = {
        "benchmark": NAME,
        "config": {"regression": {"points": 100, "epochs": 200, "batch_size": 32},
                   "mdn": {"rows": rows, "batch_size": 256, "epochs": 1, "components": NUM_COMPONENTS},
                   "repeats": repeats, "dtype": "float32", "quick": args.quick},
        "results": results,
        "machine": {**timing.machine_info(), "tensorflow": timing.package_version("tensorflow"),
                    "tf_keras": timing.package_version("tf-keras"),
                    "tfp": timing.package_version("tfp-nightly")},
    }
    path = timing.write_results(NAME + ("_quick" if args.quick else ""), payload)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
