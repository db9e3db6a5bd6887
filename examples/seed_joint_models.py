"""Seeds 001 and 002's composite distributions and joint models, in probax.

Three snippets from the seeds, each read almost as the seed writes it:

1. Seed 001, "Distributions are Expressive": a factorial mixture of Gaussians,

       factorial_mog = tfd.Independent(tfd.MixtureSameFamily(
           mixture_distribution=tfd.Categorical(logits=tf.zeros([num_vars, num_components])),
           components_distribution=tfd.MultivariateNormalDiag(loc=mu, scale_diag=[sigma])),
           reinterpreted_batch_ndims=1)
       samples = factorial_mog.sample(1000)

2. Seed 002's mixture density network output, `Independent(MixtureSameFamily(Categorical,
   Normal))`, built from (random) network outputs: its shapes and log-likelihood.
3. Seed 001's changepoint model ("Code this up in TFP"): the hand-written `joint_log_prob`
   becomes a `JointDistributionNamed`; pinning the observed counts gives the posterior
   target, and its event-space bijector plays the part of the seed's `bijector=[Exp(), Exp(),
   Sigmoid()]`. The package ships no data, so the counts are simulated with a known switch.
   The exact posterior of the switch day comes from integrating the rates out in closed form;
   with the switch pinned too, L-BFGS through the event-space bijector finds the rates'
   posterior mode, which is checked against its closed form.

Run it alone with `python examples/seed_joint_models.py --output demo_output` or through `make demo`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from figures import output_folder, pyplot, save_figure
from probax import distributions as tfd
from probax import optimizer

NUM_DAYS, TRUE_SWITCH, TRUE_RATES = 74, 44, (18.0, 23.0)


def factorial_mog(num_vars=2, num_components=3, sigma=5e-2, seed=0):
    """Seed 001's factorial mixture: each variable is an independent 3-component mixture."""
    mu = tfd.Uniform().sample([num_vars, num_components, 1], seed=seed)  # var_dim = 1
    return tfd.Independent(
        tfd.MixtureSameFamily(
            mixture_distribution=tfd.Categorical(logits=jnp.zeros([num_vars, num_components])),
            components_distribution=tfd.MultivariateNormalDiag(loc=mu, scale_diag=[sigma]),
        ),
        reinterpreted_batch_ndims=1,
    )


def mdn_output(batch=16, num_components=5, seed=0):
    """Seed 002's MDN distribution, from stand-in network outputs (training is the layers walkthrough)."""
    keys = jax.random.split(jax.random.key(seed), 3)
    logits = jax.random.normal(keys[0], (batch, num_components))
    loc = jax.random.normal(keys[1], (batch, num_components))
    scale = 1e-3 + jax.nn.softplus(jax.random.normal(keys[2], (batch, num_components)))
    dist = tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(logits=logits),
        components_distribution=tfd.Normal(loc=loc, scale=scale),
    )
    return tfd.Independent(dist)


def simulated_counts(seed=0):
    rng = np.random.default_rng(seed)
    early = rng.poisson(TRUE_RATES[0], TRUE_SWITCH)
    return np.concatenate([early, rng.poisson(TRUE_RATES[1], NUM_DAYS - TRUE_SWITCH)]).astype(np.float64)


def changepoint_model(count_data):
    """The seed's model: two Poisson rates and a switch at fraction `tau` of the days."""
    alpha = 1.0 / count_data.mean()
    num_days = count_data.shape[0]

    def counts(lambda_1, lambda_2, tau):
        late = tau[..., None] * num_days <= jnp.arange(num_days)
        return tfd.Independent(tfd.Poisson(rate=jnp.where(late, lambda_2[..., None], lambda_1[..., None])), 1)

    return tfd.JointDistributionNamed(dict(
        lambda_1=tfd.Exponential(rate=alpha),
        lambda_2=tfd.Exponential(rate=alpha),
        tau=tfd.Uniform(),
        counts=counts,
    ))


def seed_joint_log_prob(count_data, lambda_1, lambda_2, tau):
    """The seed's hand-written density, line for line."""
    alpha = 1.0 / count_data.mean()
    rv_lambda = tfd.Exponential(rate=alpha)
    rv_tau = tfd.Uniform()
    indices = (tau * count_data.size <= jnp.arange(count_data.size)).astype(jnp.int32)
    lambda_ = jnp.stack([lambda_1, lambda_2])[indices]
    rv_x = tfd.Poisson(rate=lambda_)
    return (rv_lambda.log_prob(lambda_1) + rv_lambda.log_prob(lambda_2) + rv_tau.log_prob(tau)
            + jnp.sum(rv_x.log_prob(count_data)))


def exact_switch_posterior(count_data):
    """P(k days before the switch | counts), integrating each rate against its Exponential(alpha) prior.

    With tau uniform, the number of early days is k = ceil(tau * n), uniform on 1..n (k = n: no
    switch inside the data). Each segment's Gamma-Poisson marginal is closed-form.
    """
    alpha = 1.0 / count_data.mean()
    n = count_data.size
    early_days = np.arange(1, n + 1)
    early_total = np.cumsum(count_data)
    log_factorials = np.cumsum(np.asarray(gammaln(count_data + 1)))

    def segment_log_marginal(total, length, log_facts):
        return np.log(alpha) + gammaln(total + 1) - (total + 1) * np.log(alpha + length) - log_facts

    log_post = (segment_log_marginal(early_total, early_days, log_factorials)
                + segment_log_marginal(early_total[-1] - early_total, n - early_days,
                                       log_factorials[-1] - log_factorials))
    post = np.exp(log_post - log_post.max())
    return early_days, post / post.sum()


def changepoint_demo(count_data):
    model = changepoint_model(jnp.asarray(count_data))
    point = dict(lambda_1=17.0, lambda_2=24.0, tau=0.6)
    joint = float(model.log_prob(counts=count_data, **point))
    hand_written = float(seed_joint_log_prob(jnp.asarray(count_data), *map(jnp.asarray, point.values())))
    # The switch makes the target piecewise constant in tau, so tau's posterior comes from the
    # exact marginal; the rates' conditional mode then comes from L-BFGS on the pinned model.
    switch, post = exact_switch_posterior(count_data)
    early_days = int(switch[np.argmax(post)])
    tau_hat = (early_days - 0.5) / count_data.size  # any tau with ceil(tau * n) = early_days
    posterior = model.experimental_pin(counts=count_data, tau=tau_hat)
    bijector = posterior.experimental_default_event_space_bijector()  # Softplus for each rate

    def loss(unconstrained):
        # No log-det term: the mode of the rates' density, found in unconstrained coordinates.
        rates = bijector.forward(dict(lambda_1=unconstrained[0], lambda_2=unconstrained[1]))
        return -posterior.unnormalized_log_prob(rates)

    start = bijector.inverse(posterior.sample_unpinned(seed=0))
    # float32: a gradient tolerance near the rounding level of a log density of about -200.
    result = optimizer.lbfgs_minimize(jax.jit(jax.value_and_grad(loss)),
                                      jnp.stack([start["lambda_1"], start["lambda_2"]]), tolerance=1e-4)
    mode = bijector.forward(dict(lambda_1=result.position[0], lambda_2=result.position[1]))
    # Each rate's conditional posterior is Gamma(1 + sum of counts, alpha + days): mode sum / (alpha + days).
    alpha = 1.0 / count_data.mean()
    exact = (count_data[:early_days].sum() / (alpha + early_days),
             count_data[early_days:].sum() / (alpha + count_data.size - early_days))
    lines = [
        f"log_prob via JointDistributionNamed at {point}: {joint:.6f}",
        f"seed's hand-written joint_log_prob at the same point: {hand_written:.6f}",
        f"exact posterior of the number of days before the switch: mode {early_days} "
        f"(P = {post.max():.2f}); truth {TRUE_SWITCH} (rates {TRUE_RATES[0]:.0f} -> {TRUE_RATES[1]:.0f})",
        "rates' posterior mode at that switch (pinned model, L-BFGS through its event-space bijector):",
        f"  lambda_1 = {float(mode['lambda_1']):.4f} (closed form {exact[0]:.4f}), "
        f"lambda_2 = {float(mode['lambda_2']):.4f} (closed form {exact[1]:.4f}); "
        f"converged: {bool(result.converged)}",
    ]
    return lines, (switch, post)


def plot(samples, counts, switch_posterior, path: Path) -> None:
    plt = pyplot()

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].scatter(samples[:, 0, 0], samples[:, 1, 0], s=4, alpha=0.4)
    axes[0].set(title="factorial_mog.sample(1000) (seed 001)", xlabel="x[0]", ylabel="x[1]")
    switch, post = switch_posterior
    axes[1].bar(np.arange(1, counts.size + 1), counts, color="0.7", label="simulated daily counts")
    twin = axes[1].twinx()
    twin.plot(switch + 0.5, post, color="C3", label="P(switch after day k)")
    axes[1].set(title="changepoint model (seed 001)", xlabel="day")
    axes[1].legend(loc="lower left")
    twin.legend(loc="upper right")
    save_figure(fig, path)


def main(output: Path) -> str:
    """Run the three snippets, write `joint_models.png` into `output`, return the summary text."""
    output = output_folder(output)
    mog = factorial_mog()
    samples = np.asarray(mog.sample(1000, seed=1))
    mdn = mdn_output()
    y = jnp.linspace(-1.0, 1.0, 16)
    counts = simulated_counts()
    changepoint_lines, switch_posterior = changepoint_demo(counts)
    plot(samples, counts, switch_posterior, output / "joint_models.png")
    lines = [
        "== Seeds 001 and 002: composite distributions and joint models ==",
        f"factorial_mog: batch_shape {mog.batch_shape}, event_shape {mog.event_shape}; "
        f"samples {samples.shape}, mean log_prob {float(jnp.mean(mog.log_prob(samples))):.3f}",
        f"MDN output (batch 16, 5 components): batch_shape {mdn.batch_shape}, event_shape {mdn.event_shape}, "
        f"log_prob(y[16]) shape {mdn.log_prob(y).shape}, mean {float(jnp.mean(mdn.mean())):.3f}",
        *changepoint_lines,
        f"figure: {output / 'joint_models.png'}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))
