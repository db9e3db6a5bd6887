"""probax's NUTS against posteriordb's reference posteriors (a correctness check, not a timing).

Reads `../shared/refdata/posteriordb/` (Stan model, data and reference summaries made from
long Stan runs), re-writes each Stan model as a JAX log density over its constrained
parameters with the matching unconstraining bijectors (Stan's implicit flat priors kept
flat, `real<lower=0>` through Exp, `real<lower=0, upper=1>` through Sigmoid, ...), samples
it with `probax.mcmc.sample` (4 chains, 1000 warmup + 1000 draws) and compares every
parameter's posterior mean with the reference: the z-score (probax mean - reference mean) /
probax's MCSE of the mean must stay within 4 for every parameter, and the posterior sd
within 10% (the sd's MCSE at ESS of a few hundred is ~3-5%). R-hat and divergences are
reported too.

Eight schools is sampled twice: as a log density and as a pinned JointDistribution (init and
bijector derived from the model).

Run:
  python benchmarks/posteriordb_recovery.py             # all models -> results/posteriordb_recovery.json
  python benchmarks/posteriordb_recovery.py --quick     # three models, 300 + 300 steps
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import probax as px
import timing

NAME = "posteriordb_recovery"
REFDATA = Path(__file__).resolve().parents[2] / "shared" / "refdata" / "posteriordb"
tfb, tfd = px.bijectors, px.distributions


class Posterior(NamedTuple):
    """A posterior to sample: a log density of a dict of constrained parameters (or a pinned JD)."""

    target: Any
    init: dict[str, jax.Array] | None
    bijector: dict[str, Any] | None


def normal_lpdf(x, loc, scale):
    return jnp.sum(-0.5 * ((x - loc) / scale) ** 2 - jnp.log(scale) - 0.5 * math.log(2 * math.pi))


def half_cauchy_lpdf(x, scale):
    return jnp.sum(math.log(2 / math.pi) - jnp.log(scale) - jnp.log1p((x / scale) ** 2))


def regression(design: np.ndarray, response: np.ndarray, prior: Callable[[jax.Array, jax.Array], jax.Array]):
    x, y = jnp.asarray(design), jnp.asarray(response)

    def log_density(params):
        return prior(params["beta"], params["sigma"]) + normal_lpdf(y, x @ params["beta"], params["sigma"])

    init = {"beta": jnp.zeros(x.shape[1]), "sigma": jnp.ones(())}
    return Posterior(log_density, init, {"beta": tfb.Identity(), "sigma": tfb.Exp()})


def with_intercept(*columns):
    return np.stack([np.ones_like(columns[0]), *columns], axis=1)


def kidiq_interaction(data):
    hs, iq = np.asarray(data["mom_hs"], float), np.asarray(data["mom_iq"], float)
    return regression(
        with_intercept(hs, iq, hs * iq),
        np.asarray(data["kid_score"], float),
        lambda beta, sigma: half_cauchy_lpdf(sigma, 2.5),
    )


def earnings_interaction(data):
    height, male = np.asarray(data["height"], float), np.asarray(data["male"], float)
    z = (height - height.mean()) / height.std(ddof=1)
    return regression(
        with_intercept(z, male, z * male), np.log(np.asarray(data["earn"], float)), lambda beta, sigma: 0.0
    )


def mesquite(data):
    names = ("diam1", "diam2", "canopy_height", "total_height", "density")
    columns = [np.log(np.asarray(data[n], float)) for n in names] + [np.asarray(data["group"], float)]
    return regression(
        with_intercept(*columns), np.log(np.asarray(data["weight"], float)), lambda beta, sigma: 0.0
    )


def sblrc(data):
    return regression(
        np.asarray(data["X"], float),
        np.asarray(data["y"], float),
        lambda beta, sigma: normal_lpdf(beta, 0.0, 10.0) + normal_lpdf(sigma, 0.0, 10.0),
    )


def kilpisjarvi(data):
    x, y = jnp.asarray(data["x"], float), jnp.asarray(data["y"], float)

    def log_density(p):
        prior = normal_lpdf(p["alpha"], data["pmualpha"], data["psalpha"])
        prior = prior + normal_lpdf(p["beta"], data["pmubeta"], data["psbeta"])
        return prior + normal_lpdf(y, p["alpha"] + p["beta"] * x, p["sigma"])

    # Centre alpha near the data: years ~2000 make the intercept and slope strongly correlated.
    init = {"alpha": jnp.asarray(float(np.mean(data["y"]))), "beta": jnp.zeros(()), "sigma": jnp.ones(())}
    return Posterior(log_density, init, {"alpha": tfb.Identity(), "beta": tfb.Identity(), "sigma": tfb.Exp()})


def ar_k(data):
    k, y = data["K"], jnp.asarray(data["y"], float)
    lags = jnp.stack([y[k - j - 1 : y.shape[0] - j - 1] for j in range(k)], axis=1)

    def log_density(p):
        prior = normal_lpdf(p["alpha"], 0.0, 10.0) + normal_lpdf(p["beta"], 0.0, 10.0)
        prior = prior + half_cauchy_lpdf(p["sigma"], 2.5)
        return prior + normal_lpdf(y[k:], p["alpha"] + lags @ p["beta"], p["sigma"])

    init = {"alpha": jnp.zeros(()), "beta": jnp.zeros(k), "sigma": jnp.ones(())}
    return Posterior(log_density, init, {"alpha": tfb.Identity(), "beta": tfb.Identity(), "sigma": tfb.Exp()})


def arma11(data):
    y = jnp.asarray(data["y"], float)

    def log_density(p):
        mu, phi, theta, sigma = p["mu"], p["phi"], p["theta"], p["sigma"]

        def step(previous_error, t):
            error = y[t] - (mu + phi * y[t - 1] + theta * previous_error)
            return error, error

        first_error = y[0] - (mu + phi * mu)
        _, errors = jax.lax.scan(step, first_error, jnp.arange(1, y.shape[0]))
        prior = normal_lpdf(mu, 0.0, 10.0) + normal_lpdf(phi, 0.0, 2.0) + normal_lpdf(theta, 0.0, 2.0)
        prior = prior + half_cauchy_lpdf(sigma, 2.5)
        return prior + normal_lpdf(first_error, 0.0, sigma) + normal_lpdf(errors, 0.0, sigma)

    init = {"mu": jnp.zeros(()), "phi": jnp.zeros(()), "theta": jnp.zeros(()), "sigma": jnp.ones(())}
    identity = tfb.Identity()
    return Posterior(
        log_density, init, {"mu": identity, "phi": identity, "theta": identity, "sigma": tfb.Exp()}
    )


def garch11(data):
    y = jnp.asarray(data["y"], float)

    def log_density(p):
        mu, alpha0, alpha1, beta1 = p["mu"], p["alpha0"], p["alpha1"], p["beta1"]

        def step(previous_sigma, t):
            sigma = jnp.sqrt(alpha0 + alpha1 * (y[t - 1] - mu) ** 2 + beta1 * previous_sigma**2)
            return sigma, sigma

        _, sigmas = jax.lax.scan(step, jnp.asarray(data["sigma1"], y.dtype), jnp.arange(1, y.shape[0]))
        sigmas = jnp.concatenate([jnp.asarray(data["sigma1"], y.dtype)[None], sigmas])
        # beta1 ~ flat on (0, 1 - alpha1): Stan's constrained, unnormalized flat prior.
        return normal_lpdf(y, mu, sigmas)

    init = {
        "mu": jnp.zeros(()),
        "alpha0": jnp.ones(()),
        "alpha1": jnp.asarray(0.3),
        "beta1": jnp.asarray(0.3),
    }
    bijector = {"mu": tfb.Identity(), "alpha0": tfb.Exp(), "alpha1": tfb.Sigmoid(), "beta1": tfb.Sigmoid()}
    return Posterior(garch_rescaled(log_density), init, bijector)


def garch_rescaled(log_density):
    """beta1 lives on (0, 1 - alpha1): sample b = beta1 / (1 - alpha1) on (0, 1), add the Jacobian."""

    def on_unit_beta(p):
        beta1 = p["beta1"] * (1.0 - p["alpha1"])
        return log_density({**p, "beta1": beta1}) + jnp.log1p(-p["alpha1"])

    return on_unit_beta


def low_dim_gauss_mix(data):
    y = jnp.asarray(data["y"], float)

    def log_density(p):
        mu, sigma, theta = p["mu"], p["sigma"], p["theta"]
        prior = normal_lpdf(sigma, 0.0, 2.0) + normal_lpdf(mu, 0.0, 2.0)
        prior = prior + tfd.Beta(5.0, 5.0).log_prob(theta)
        components = jnp.stack(
            [
                jnp.log(theta) + jax.vmap(lambda v: normal_lpdf(v, mu[0], sigma[0]))(y),
                jnp.log1p(-theta) + jax.vmap(lambda v: normal_lpdf(v, mu[1], sigma[1]))(y),
            ]
        )
        return prior + jnp.sum(jax.nn.logsumexp(components, axis=0))

    init = {"mu": jnp.array([-1.0, 1.0]), "sigma": jnp.ones(2), "theta": jnp.asarray(0.5)}
    return Posterior(log_density, init, {"mu": tfb.Ascending(), "sigma": tfb.Exp(), "theta": tfb.Sigmoid()})


def eight_schools_noncentered(data):
    y, sigma = jnp.asarray(data["y"], float), jnp.asarray(data["sigma"], float)
    model = tfd.JointDistributionNamed(
        dict(
            mu=tfd.Normal(0.0, 5.0),
            tau=tfd.HalfCauchy(0.0, 5.0),
            theta_tilde=tfd.Sample(tfd.Normal(0.0, 1.0), 8),
            y=lambda theta_tilde, tau, mu: tfd.Independent(tfd.Normal(mu + tau * theta_tilde, sigma), 1),
        )
    )
    return Posterior(model.experimental_pin(y=y), None, None)


def eight_schools_theta(draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {**draws, "theta": draws["mu"][..., None] + draws["tau"][..., None] * draws["theta_tilde"]}


MODELS: dict[str, tuple[str, Callable[[dict], Posterior], Callable | None]] = {
    "eight_schools_noncentered": (
        "eight_schools-eight_schools_noncentered",
        eight_schools_noncentered,
        eight_schools_theta,
    ),
    "kidiq_interaction": ("kidiq-kidscore_interaction", kidiq_interaction, None),
    "earnings_interaction_z": ("earnings-logearn_interaction_z", earnings_interaction, None),
    "mesquite": ("mesquite-logmesquite", mesquite, None),
    "sblrc_blr": ("sblrc-blr", sblrc, None),
    "kilpisjarvi": ("kilpisjarvi_mod-kilpisjarvi", kilpisjarvi, None),
    "arK": ("arK-arK", ar_k, None),
    "arma11": ("arma-arma11", arma11, None),
    "garch11": ("garch-garch11", garch11, lambda d: {**d, "beta1": d["beta1"] * (1.0 - d["alpha1"])}),
    "low_dim_gauss_mix": ("low_dim_gauss_mix-low_dim_gauss_mix", low_dim_gauss_mix, None),
}
QUICK = ("eight_schools_noncentered", "kidiq_interaction", "arK")


def reference_name(name: str, index: tuple[int, ...]) -> str:
    """Stan's 1-based element names: beta[1], mu[2]."""
    return name if not index else f"{name}[{', '.join(str(i + 1) for i in index)}]"


def compare(draws: dict[str, np.ndarray], reference: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Per-parameter z-score of the mean and relative error of the sd against the reference."""
    from probax.mcmc.rank_diagnostics import mcse_mean, rhat

    rows = []
    for name, value in draws.items():
        for index in np.ndindex(*value.shape[2:]):
            ref = reference.get(reference_name(name, index))
            if ref is None:
                continue
            x = value[(slice(None), slice(None), *index)]
            mean, sd, se = float(x.mean()), float(x.std()), float(mcse_mean(x))
            rows.append(
                {
                    "parameter": reference_name(name, index),
                    "mean": mean,
                    "reference_mean": ref["mean"],
                    "z": (mean - ref["mean"]) / se,
                    "sd": sd,
                    "reference_sd": ref["sd"],
                    "sd_relative_error": sd / ref["sd"] - 1.0,
                    "r_hat": float(rhat(x)),
                }
            )
    return rows


def run(name: str, warmup: int, draws: int, seed: int) -> dict[str, Any]:
    folder, build, derive = MODELS[name]
    data = json.loads((REFDATA / folder / "data.json").read_text())
    reference = json.loads((REFDATA / folder / "reference_summary.json").read_text())["params"]
    posterior = build(data)
    start = time.perf_counter()
    result = px.mcmc.sample(
        posterior.target,
        init=posterior.init,
        bijector=posterior.bijector,
        num_warmup=warmup,
        num_samples=draws,
        seed=seed,
        progress_bar=False,
    )
    seconds = time.perf_counter() - start
    values = {k: np.asarray(v) for k, v in result.draws.items()}
    rows = compare(derive(values) if derive else values, reference)
    return {
        "seconds": seconds,
        "divergences": int(np.sum(result.stats["diverging"])),
        "parameters": rows,
        "max_abs_z": max(abs(r["z"]) for r in rows),
        "max_abs_sd_error": max(abs(r["sd_relative_error"]) for r in rows),
        "max_r_hat": max(r["r_hat"] for r in rows),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS))
    args = parser.parse_args(argv)
    if not REFDATA.exists():
        print(f"skipped: {REFDATA} is not here (the check needs ../shared beside the checkout)")
        return 0
    jax.config.update("jax_enable_x64", True)
    steps = 300 if args.quick else 1000
    names = args.models or (QUICK if args.quick else list(MODELS))
    results, rows = {}, []
    for name in names:
        outcome = run(name, steps, steps, seed=0)
        results[name] = outcome
        ok = outcome["max_abs_z"] < 4 and outcome["max_abs_sd_error"] < 0.1
        rows.append(
            [
                name,
                f"{outcome['max_abs_z']:.2f}",
                f"{100 * outcome['max_abs_sd_error']:.1f}%",
                f"{outcome['max_r_hat']:.3f}",
                str(outcome["divergences"]),
                f"{outcome['seconds']:.1f}",
                "ok" if ok else "MISMATCH",
            ]
        )
    print(
        timing.format_table(
            ["model", "max |z| of mean", "max sd error", "max R-hat", "divergences", "seconds", "verdict"],
            rows,
        )
    )
    timing.write_results(
        f"{NAME}_quick" if args.quick else NAME,
        {"machine": timing.machine_info(), "warmup": steps, "draws": steps, "results": results},
    )
    return 0 if all(r[-1] == "ok" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
