"""Seed 001's distribution slides, in probax.

The slides open with TFP's "Hello, World!" and a tour of the Distribution
interface (sample, prob, cdf, survival_function, mean, variance, stddev, mode,
quantile, entropy, cross_entropy, batch and event shape), then write the
text-message changepoint model as a hand-written `joint_log_prob`. This script
runs the probax twin of each snippet, prints what it computes, and draws the
densities, CDFs and sample histograms of a few families.

Run it alone with `python examples/seed_distributions.py --output demo_output`
or through `make demo`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax.numpy as jnp
import numpy as np

import probax as px
from figures import output_folder, pyplot, save_figure

tfd = px.distributions


def hello_world() -> list[str]:
    """The seed's first snippet: draw a point and evaluate its density."""
    d = tfd.Normal(loc=0.0, scale=1.0)
    x = d.sample(seed=0)  # Draw random point (probax asks for an explicit seed).
    p_x = d.prob(x)  # Compute density/mass.
    return [f"Normal(0, 1): x = {float(x):+.4f}, prob(x) = {float(p_x):.4f}"]


def method_tour() -> list[str]:
    """Every method on the seed's `class Distribution` slide, on a batch of three Normals."""
    d = tfd.Normal(loc=[0.0, 1.0, 2.0], scale=[1.0, 0.5, 2.0])
    other = tfd.Normal(loc=0.0, scale=1.0)
    x = jnp.array([0.5, 0.5, 0.5])
    rows = {
        "batch_shape": d.batch_shape,
        "event_shape": d.event_shape,
        "sample(2).shape": d.sample(2, seed=1).shape,
        "prob(0.5)": d.prob(x),
        "cdf(0.5)": d.cdf(x),
        "survival_function(0.5)": d.survival_function(x),
        "mean()": d.mean(),
        "variance()": d.variance(),
        "stddev()": d.stddev(),
        "mode()": d.mode(),
        "quantile(0.975)": d.quantile(0.975),
        "entropy()": d.entropy(),
        "cross_entropy(N(0,1))": d.cross_entropy(other),
    }
    return [f"{name:>24}: {_fmt(value)}" for name, value in rows.items()]


def changepoint_joint_log_prob(count_data, lambda_1, lambda_2, tau):
    """Seed slide 17's model, written as in the slide (tf.gather becomes jnp.where)."""
    alpha = 1.0 / count_data.mean()
    rv_lambda = tfd.Exponential(rate=alpha)
    rv_tau = tfd.Uniform()
    indices = tau * count_data.size <= jnp.arange(count_data.size)
    lambda_ = jnp.where(indices, lambda_2, lambda_1)
    rv_x = tfd.Poisson(rate=lambda_)
    return (
        rv_lambda.log_prob(lambda_1)
        + rv_lambda.log_prob(lambda_2)
        + rv_tau.log_prob(tau)
        + jnp.sum(rv_x.log_prob(count_data))
    )


def changepoint_demo() -> list[str]:
    """Simulate 74 days with a switch on day 45 and score two hypotheses."""
    truth = tfd.Poisson(rate=jnp.where(jnp.arange(74) < 45, 18.0, 23.0))
    counts = truth.sample(seed=2)
    right = changepoint_joint_log_prob(counts, 18.0, 23.0, 45 / 74)
    wrong = changepoint_joint_log_prob(counts, 23.0, 18.0, 20 / 74)
    return [
        f"74 simulated daily counts, mean {float(counts.mean()):.1f}",
        f"joint_log_prob(lambda_1=18, lambda_2=23, tau=45/74) = {float(right):.2f}",
        f"joint_log_prob(lambda_1=23, lambda_2=18, tau=20/74) = {float(wrong):.2f}",
    ]


def _fmt(value) -> str:
    if isinstance(value, tuple):
        return str(value)
    return np.array2string(np.asarray(value), precision=4, floatmode="fixed")


def plot_families(path: Path) -> None:
    """Density, CDF and a histogram of 20,000 draws for several families."""
    plt = pyplot()

    families = {
        "Normal(0, 1)": (tfd.Normal(0.0, 1.0), np.linspace(-4, 4, 400)),
        "StudentT(3, 0, 1)": (tfd.StudentT(3.0, 0.0, 1.0), np.linspace(-6, 6, 400)),
        "Gamma(2, 1)": (tfd.Gamma(2.0, 1.0), np.linspace(0.01, 8, 400)),
        "Beta(2, 5)": (tfd.Beta(2.0, 5.0), np.linspace(0.001, 0.999, 400)),
        "Poisson(4)": (tfd.Poisson(rate=4.0), np.arange(0, 15)),
    }
    fig, axes = plt.subplots(2, len(families), figsize=(4 * len(families), 6.5))
    for column, (label, (dist, grid)) in enumerate(families.items()):
        draws = np.asarray(dist.sample(20_000, seed=column))
        top, bottom = axes[0, column], axes[1, column]
        if isinstance(dist, tfd.Poisson):
            top.bar(grid, np.asarray(dist.prob(grid)), color="C0", alpha=0.6, label="pmf")
            values, counts = np.unique(draws, return_counts=True)
            top.plot(values, counts / len(draws), "k.", label="samples")
            bottom.step(grid, np.asarray(dist.cdf(grid)), where="post")
        else:
            top.hist(draws, bins=80, range=(grid[0], grid[-1]), density=True, color="0.8", label="samples")
            top.plot(grid, np.asarray(dist.prob(grid)), "C0", label="prob")
            bottom.plot(grid, np.asarray(dist.cdf(grid)), "C1")
        top.set_title(label)
        bottom.set_xlabel("x")
        top.legend(fontsize=8)
    axes[0, 0].set_ylabel("density / mass")
    axes[1, 0].set_ylabel("cdf")
    save_figure(fig, path)


def main(output: Path) -> str:
    """Run the tour, write `distributions.png` into `output`, return the summary text."""
    output = output_folder(output)
    lines = ["== Seed 001: distributions =="]
    lines += ["-- Hello, World! --", *hello_world()]
    lines += ["-- the Distribution method tour --", *method_tour()]
    lines += ["-- the changepoint joint_log_prob --", *changepoint_demo()]
    plot_families(output / "distributions.png")
    lines.append(f"figure: {output / 'distributions.png'}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))
