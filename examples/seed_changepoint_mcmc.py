"""Seed 001's changepoint model sampled by MCMC: as the seed writes it, in one call, and by Gibbs.

1. The seed's code, line for line: the hand-written `joint_log_prob(count_data, lambda_1,
   lambda_2, tau)`, a `TransformedTransitionKernel` around `HamiltonianMonteCarlo` with
   `bijector=[Exp(), Exp(), Sigmoid()]`, step-size adaptation and `sample_chain` from
   `initial_chain_state`.
2. The same model as a `JointDistributionNamed`, pinned to the counts and handed to
   `probax.mcmc.sample` (NUTS, 4 chains): the starting points and the unconstraining
   bijector come from the model.
3. The sampler this target wants: a `Gibbs` kernel with NUTS (in Stan's windowed adaptation)
   on the two rates and a slice sampler on the switch. The likelihood is piecewise constant in
   tau, so NUTS on all three runs its longest trajectories and still mixes tau slowly.

Both posteriors are checked against the exact one: with the rates integrated out (Gamma-Poisson
conjugacy) the number of days before the switch has a closed-form posterior, and so do the
rates' posterior means given it. The counts are probax's shipped simulated set (known switch
after day 44) or, with `--counts PATH`, a one-column CSV such as the original "Bayesian Methods
for Hackers" `txtdata.csv`.

Run it alone with `python examples/seed_changepoint_mcmc.py --output demo_output [--counts PATH]`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import probax as px
from figures import output_folder, pyplot, save_figure
from probax import vi
from probax.datasets import load_text_messages
from seed_joint_models import changepoint_model, exact_switch_posterior, seed_joint_log_prob

tfb = px.bijectors
PARAMETERS = ("lambda_1", "lambda_2", "tau")


def exact_posterior_means(count_data) -> dict[str, float]:
    """E[lambda_1], E[lambda_2], E[tau] | counts, from the closed-form switch posterior."""
    early_days, post = exact_switch_posterior(count_data)
    alpha, n = 1.0 / count_data.mean(), count_data.size
    early_total = np.cumsum(count_data)
    lambda_1 = (1.0 + early_total) / (alpha + early_days)
    lambda_2 = (1.0 + early_total[-1] - early_total) / (alpha + n - early_days)
    # Given k early days, tau is uniform on ((k - 1) / n, k / n].
    tau = (early_days - 0.5) / n
    return {
        name: float(np.sum(post * value))
        for name, value in zip(PARAMETERS, (lambda_1, lambda_2, tau), strict=True)
    }


def seed_sampler(count_data, num_results=10_000, num_burnin_steps=1_000, seed=0):
    """The seed's HMC run (TFP's `tfp.mcmc` code with `px.mcmc`)."""
    count_data = jnp.asarray(count_data)
    initial_chain_state = [
        jnp.mean(count_data) * jnp.ones([]),  # lambda_1
        jnp.mean(count_data) * jnp.ones([]),  # lambda_2
        0.5 * jnp.ones([]),  # tau
    ]
    unconstraining_bijectors = [tfb.Exp(), tfb.Exp(), tfb.Sigmoid()]

    def unnormalized_posterior(lambda_1, lambda_2, tau):
        return seed_joint_log_prob(count_data, lambda_1, lambda_2, tau)

    kernel = px.mcmc.SimpleStepSizeAdaptation(
        inner_kernel=px.mcmc.TransformedTransitionKernel(
            inner_kernel=px.mcmc.HamiltonianMonteCarlo(
                target_log_prob_fn=unnormalized_posterior, num_leapfrog_steps=2, step_size=0.2
            ),
            bijector=unconstraining_bijectors,
        ),
        num_adaptation_steps=int(num_burnin_steps * 0.8),
    )
    [lambda_1, lambda_2, tau], kernel_results = px.mcmc.sample_chain(
        num_results=num_results,
        num_burnin_steps=num_burnin_steps,
        current_state=initial_chain_state,
        kernel=kernel,
        seed=seed,
    )
    accepted = float(np.mean(kernel_results.inner_results.inner_results.is_accepted))
    # One chain: the summary takes (chain, draw) arrays.
    draws = {
        name: np.asarray(value)[None]
        for name, value in zip(PARAMETERS, (lambda_1, lambda_2, tau), strict=True)
    }
    return draws, accepted


def one_call_sampler(count_data, num_samples=1000, seed=0):
    """`probax.mcmc.sample` on the pinned JointDistribution."""
    posterior = changepoint_model(jnp.asarray(count_data)).experimental_pin(counts=jnp.asarray(count_data))
    return px.mcmc.sample(posterior, num_warmup=1000, num_samples=num_samples, seed=seed, progress_bar=False)


def gibbs_sampler(count_data, num_chains=4, num_warmup=1000, num_samples=1000, seed=0):
    """`Gibbs`: NUTS moves the rates given tau, a slice sampler moves tau given the rates (4 chains).

    The rates' block is NUTS on log rates (a `TransformedTransitionKernel` with `Exp`) inside
    `WindowAdaptation`; its adapted step size and mass matrix carry over from sweep to sweep.
    The slice sampler needs no gradient, so the flat stretches of tau cost it nothing.
    """
    counts = jnp.asarray(count_data)

    def target(state):
        return seed_joint_log_prob(counts, state["rates"][0], state["rates"][1], state["tau"])

    def rates(conditional):
        nuts = px.mcmc.NoUTurnSampler(conditional, step_size=0.1)
        return px.mcmc.WindowAdaptation(
            px.mcmc.TransformedTransitionKernel(nuts, tfb.Exp()), num_adaptation_steps=num_warmup
        )

    def switch(conditional):
        return px.mcmc.SliceSampler(conditional, step_size=0.1, max_doublings=5)

    kernel = px.mcmc.Gibbs(target, [("rates", rates), ("tau", switch)])
    init = {"rates": jnp.full(2, counts.mean()), "tau": jnp.asarray(0.5, counts.dtype)}

    def chain(key):
        return px.mcmc.sample_chain(
            num_samples, init, kernel=kernel, num_burnin_steps=num_warmup, trace_fn=None, seed=key
        )

    states = jax.jit(jax.vmap(chain))(jax.random.split(jax.random.key(seed), num_chains))
    rate_draws, tau_draws = np.asarray(states["rates"]), np.asarray(states["tau"])
    return {"lambda_1": rate_draws[..., 0], "lambda_2": rate_draws[..., 1], "tau": tau_draws}


def variational_fit(count_data, num_steps=1000, num_fits=1, seed=0):
    """Mean-field VI on the pinned model (issue 7's cross-check against NUTS).

    The counts' likelihood is piecewise constant in tau, so a reparameterization gradient
    says nothing about where tau's mass should go; the rates are smooth. The
    `MixedGradientEstimator` reparameterizes the rates and gives tau score-function
    gradients (with a leave-one-out baseline). The surrogate starts at the prior means
    (rates at the data mean, tau at 1/2) with tau spread widely (unconstrained scale 1), so
    the score function compares many switch days from the first step; started at the
    unconstrained origin (rates near 0.7 against counts near 20) tau runs off to 0 or 1.
    `num_fits` independent fits (seeds `seed, seed + 1, ...`) run as one vmapped program.

    Returns:
      `(means, losses)`: each parameter's posterior mean per fit (arrays `[num_fits]`) and the
      loss traces `[num_fits, num_steps]`.
    """
    counts = jnp.asarray(count_data)
    posterior = changepoint_model(counts).experimental_pin(counts=counts)
    prior_means = dict(lambda_1=counts.mean(), lambda_2=counts.mean(), tau=0.5)
    surrogate = vi.build_factored_surrogate_posterior(
        posterior,
        initial_unconstrained_loc=posterior.experimental_default_event_space_bijector().inverse(prior_means),
        initial_unconstrained_scale=dict(lambda_1=0.1, lambda_2=0.1, tau=1.0),
    )

    def fit(key):
        fitted, trace = vi.fit_surrogate_posterior(
            posterior.unnormalized_log_prob,
            surrogate,
            optax.adam(optax.cosine_decay_schedule(0.05, num_steps)),
            num_steps=num_steps,
            sample_size=16,
            gradient_estimator=vi.MixedGradientEstimator(score_function_parts=("tau",)),
            seed=key,
            verbose=False,
        )
        draws = fitted.sample(20_000, seed=jax.random.fold_in(key, 1))
        return {name: jnp.mean(draws[name]) for name in PARAMETERS}, trace["loss"]

    keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.key(seed), i))(jnp.arange(num_fits))
    means, losses = jax.jit(jax.vmap(fit))(keys)
    return {name: np.asarray(value) for name, value in means.items()}, np.asarray(losses)


def agreement_lines(label, summary, exact):
    """The summary table and a line comparing its posterior means with the exact ones (z-scores by MCSE)."""
    parts = []
    for name in PARAMETERS:
        mean = summary[name]["mean"]
        z = (mean - exact[name]) / summary[name]["mcse_mean"]
        parts.append(f"{name} {mean:.3f} (exact {exact[name]:.3f}, z {z:+.1f})")
    return [str(summary), f"  {label} posterior means: " + ", ".join(parts)]


def plot(count_data, seed_draws, result, gibbs_draws, path: Path) -> None:
    """Posterior histograms of the rates (both samplers) and of the switch day against the exact one."""
    plt = pyplot()

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for axis, name in zip(axes[:2], ("lambda_1", "lambda_2"), strict=True):
        axis.hist(seed_draws[name].ravel(), bins=50, density=True, alpha=0.5, label="seed's HMC")
        axis.hist(np.asarray(result.draws[name]).ravel(), bins=50, density=True, alpha=0.5, label="NUTS")
        axis.set(title=f"posterior of {name}", xlabel="messages per day")
        axis.legend(fontsize=8)
    early_days, post = exact_switch_posterior(count_data)
    nuts_days = np.ceil(np.asarray(result.draws["tau"]).ravel() * count_data.size)
    day_bins = np.arange(0.5, count_data.size + 1.5)
    axes[2].hist(nuts_days, bins=day_bins, density=True, alpha=0.5, label="NUTS")
    gibbs_days = np.ceil(gibbs_draws["tau"].ravel() * count_data.size)
    axes[2].hist(gibbs_days, bins=day_bins, density=True, alpha=0.5, label="Gibbs (NUTS + slice)")
    axes[2].plot(early_days, post, "k.-", lw=1, label="exact")
    axes[2].set(
        title="days before the switch",
        xlabel="day",
        xlim=(early_days[post > 1e-4].min() - 3, early_days[post > 1e-4].max() + 3),
    )
    axes[2].legend(fontsize=8)
    save_figure(fig, path)


def main(output: Path, counts_path: Path | None = None) -> str:
    output = output_folder(output)
    count_data = load_text_messages(counts_path)
    source = str(counts_path) if counts_path else "probax's simulated counts (switch after day 44)"
    exact = exact_posterior_means(count_data)

    seed_draws, acceptance = seed_sampler(count_data)
    seed_summary = px.mcmc.summarize(seed_draws)
    result = one_call_sampler(count_data)
    summary = result.summary()
    gibbs_draws = gibbs_sampler(count_data)
    gibbs_summary = px.mcmc.summarize(gibbs_draws)
    vi_means = {name: float(value[0]) for name, value in variational_fit(count_data)[0].items()}
    vi_gaps = {n: vi_means[n] / summary[n]["mean"] - 1 for n in PARAMETERS}
    vi_agrees = all(abs(gap) < 0.05 for gap in vi_gaps.values())
    plot(count_data, seed_draws, result, gibbs_draws, output / "changepoint_mcmc.png")
    lines = [
        f"== Seed 001: the changepoint model by MCMC, on {source} ({count_data.size} days) ==",
        f"seed's code (TransformedTransitionKernel(HamiltonianMonteCarlo), bijector=[Exp, Exp, Sigmoid], "
        f"10000 draws, acceptance {acceptance:.2f}):",
        *agreement_lines("seed HMC", seed_summary, exact),
        "px.mcmc.sample(model.experimental_pin(counts=...)) (NUTS, 4 chains x 1000 draws):",
        *agreement_lines("NUTS", summary, exact),
        "px.mcmc.Gibbs: NUTS (windowed adaptation) on the rates, SliceSampler on tau "
        "(4 chains x 1000 draws):",
        *agreement_lines("Gibbs", gibbs_summary, exact),
        "mean-field VI (vi.fit_surrogate_posterior, rates reparameterized, tau by score function, 1000 "
        "steps): " + ("agrees with NUTS within 5%" if vi_agrees else "does NOT agree with NUTS within 5%"),
        "  posterior means: "
        + ", ".join(f"{n} {vi_means[n]:.3f} ({100 * vi_gaps[n]:+.1f}% vs NUTS)" for n in PARAMETERS),
        f"figure: {output / 'changepoint_mcmc.png'}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    parser.add_argument("--counts", type=Path, default=None, help="one-column CSV of daily counts")
    arguments = parser.parse_args()
    print(main(arguments.output, arguments.counts))
