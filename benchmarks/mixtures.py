"""MixtureSameFamily of 16 Normals, batch 65536: log_prob and its gradient, probax against its peers.

One process, identical float32 inputs: a jitted `sum(log_prob(y))` and a jitted gradient of it
with respect to (loc, scale, logits), each building the mixture from the arrays inside the
jitted function. Peers: TFP on JAX and NumPyro (`MixtureSameFamily`); a missing peer gets null.
The figure of merit is `ratio = peer_seconds / probax_seconds` (>= 1.0: probax is at least as fast).

Run:
  python benchmarks/mixtures.py            # -> results/mixtures.json
  python benchmarks/mixtures.py --quick    # smoke run -> results/mixtures_quick.json
"""

from __future__ import annotations

import argparse
import importlib

import jax
import jax.numpy as jnp
import numpy as np

import timing

NAME = "mixtures"
NUM_COMPONENTS = 16


def probax_log_prob(loc, scale, logits, y):
    from probax.distributions.categorical import Categorical
    from probax.distributions.mixture_same_family import MixtureSameFamily
    from probax.distributions.normal import Normal

    return jnp.sum(MixtureSameFamily(Categorical(logits=logits), Normal(loc, scale)).log_prob(y))


def tfp_log_prob(loc, scale, logits, y):
    tfd = importlib.import_module("tensorflow_probability.substrates.jax").distributions
    return jnp.sum(tfd.MixtureSameFamily(tfd.Categorical(logits=logits), tfd.Normal(loc, scale)).log_prob(y))


def numpyro_log_prob(loc, scale, logits, y):
    dist = importlib.import_module("numpyro.distributions")
    mixture = dist.MixtureSameFamily(dist.CategoricalLogits(logits), dist.Normal(loc, scale))
    return jnp.sum(mixture.log_prob(y))


CANDIDATES = {"probax": probax_log_prob, "tfp_jax": tfp_log_prob, "numpyro": numpyro_log_prob}


def available(name: str) -> bool:
    module = {"tfp_jax": "tensorflow_probability.substrates.jax", "numpyro": "numpyro"}.get(name)
    if module is None:
        return True
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small batch, few rounds")
    args = parser.parse_args(argv)
    batch = 4096 if args.quick else 65536
    repeats = 3 if args.quick else 15
    rng = np.random.default_rng(0)
    loc = jnp.asarray(rng.normal(size=(batch, NUM_COMPONENTS)), jnp.float32)
    scale = jnp.asarray(rng.uniform(0.5, 2.0, size=(batch, NUM_COMPONENTS)), jnp.float32)
    logits = jnp.asarray(rng.normal(size=(batch, NUM_COMPONENTS)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(batch,)), jnp.float32)

    results = {}
    reference = None
    for task in ("log_prob", "grad_log_prob"):
        fns = {}
        for name, fn in CANDIDATES.items():
            if not available(name):
                continue
            compiled = jax.jit(fn if task == "log_prob" else jax.grad(fn, argnums=(0, 1, 2)))
            fns[name] = lambda c=compiled: c(loc, scale, logits, y)
        values = {name: fn() for name, fn in fns.items()}
        # Every peer computes the same thing: check before timing.
        reference = values["probax"]
        for name, value in values.items():
            leaves = zip(jax.tree_util.tree_leaves(value), jax.tree_util.tree_leaves(reference), strict=True)
            for a, b in leaves:
                np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-3, atol=1e-4, err_msg=name)
        seconds, rounds = timing.time_interleaved(fns, repeats=repeats, warmed=True)
        results[task] = {
            "seconds": {n: seconds.get(n) for n in CANDIDATES},
            "ratio": {n: (seconds[n] / seconds["probax"] if n in seconds else None)
                      for n in CANDIDATES if n != "probax"},
            "rounds": rounds,
        }

    rows = [[task, *(timing.format_seconds(r["seconds"][n]) for n in CANDIDATES),
             *(f"{r['ratio'][n]:.2f}" if r["ratio"][n] else "-" for n in CANDIDATES if n != "probax")]
            for task, r in results.items()]
    header = ["task", *CANDIDATES, *(f"{n}/probax" for n in CANDIDATES if n != "probax")]
    print(timing.format_table(header, rows))
    payload = {
        "benchmark": NAME,
        "config": {"batch": batch, "num_components": NUM_COMPONENTS, "dtype": "float32", "quick": args.quick},
        "results": results,
        "machine": timing.machine_info(),
    }
    path = timing.write_results(NAME + ("_quick" if args.quick else ""), payload)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
