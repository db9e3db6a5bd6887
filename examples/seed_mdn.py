"""Seed 002: a mixture density network (MDN) for galaxy-cluster masses, on data that mimic the problem.

The seed (Astro Hack Week, after Ho et al. 2019) first regresses cluster masses with a mean-squared-error
MLP and finds it biased at the high-mass end: MSE training predicts the mean of p(m | x), and a steep
mass function pulls that mean towards the many light clusters. It then writes an MDN in Flax + TFP
(`MixtureSameFamily(Categorical(logits), Normal(loc, scale))` on the same trunk), trains it on the
negative log-likelihood, and notes "We can reweight the predictions for a desired prior".

Here the masses `m = log10(M / 1e14 Msun)` follow a steep, power-law-like mass function
p_train(m) = lam exp(-lam m) on m >= 0 (dn/dM ~ M^-(1 + lam / ln 10)), and the observable (a log
velocity dispersion) is `x = m / 3 + noise` with skewed, zero-mean Gumbel noise. Since the truth is
known, the MDN's predictive is compared with the exact posterior. `probax.metrics.reweight_prior`
then turns the MDN's p(m | x) into the posterior under another prior: under a flat prior it is the
normalized likelihood, whose mean is an unbiased mass estimate at every true mass (the noise has mean
zero and x is linear in m); under a test population's own prior it is that population's posterior.

Run it alone with `python examples/seed_mdn.py --output demo_output` or through `make demo`.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import time
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from figures import output_folder, pyplot, save_figure
from probax import distributions as tfd
from probax import metrics
from probax.training import fit, nll

MASS_SLOPE = 3.5  # lam: p_train(m) = lam exp(-lam m)
NOISE_SCALE = 0.065  # Gumbel scale of the observable's noise (0.25 dex of mass)
EULER_GAMMA = 0.5772156649015329
POPULATION_MEAN, POPULATION_SD = 0.8, 0.25  # a test population of massive clusters: m ~ N(0.8, 0.25^2)
HIGH_MASS_BINS = np.array([0.5, 0.7, 0.9, 1.1, 1.3])


class Settings(NamedTuple):
    """Data sizes and training budget (tests pass smaller ones)."""

    num_train: int = 30_000
    num_test: int = 3_000
    epochs: int = 40
    batch_size: int = 256
    num_components: int = 8
    grid_points: int = 512


# ---------------------------------------------------------------------------- the simulated catalogue


def observable_noise() -> tfd.Gumbel:
    """Skewed noise with mean zero (a Gumbel's mean is loc + gamma * scale)."""
    return tfd.Gumbel(loc=-EULER_GAMMA * NOISE_SCALE, scale=NOISE_SCALE)


def observe(masses: np.ndarray, seed: int) -> np.ndarray:
    """The observable of each cluster: m / 3 + skewed noise."""
    noise = observable_noise().sample(masses.shape, seed=seed)
    return (masses / 3.0 + np.asarray(noise, np.float64)).astype(np.float32)


def training_catalogue(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` clusters from the steep mass function: observables `[n, 1]` and masses `[n]`."""
    masses = np.random.default_rng(seed).exponential(1.0 / MASS_SLOPE, n).astype(np.float32)
    return observe(masses, seed + 1)[:, None], masses


def population_catalogue(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` clusters of the test population (inside the training range, whose masses reach about 2.5)."""
    masses = np.random.default_rng(seed).normal(POPULATION_MEAN, POPULATION_SD, n).astype(np.float32)
    return observe(masses, seed + 1)[:, None], masses


def population_log_prior(m):
    """log density of the test population's masses."""
    return tfd.Normal(POPULATION_MEAN, POPULATION_SD).log_prob(m)


def train_log_prior(m):
    """log p_train(m) = log lam - lam m, written for every m (the MDN puts no mass below 0 anyway)."""
    return math.log(MASS_SLOPE) - MASS_SLOPE * m


def flat_log_prior(m):
    """An improper flat prior: the reweighted predictive is the normalized likelihood."""
    return jnp.zeros_like(m)


def _log_joint(x: np.ndarray, masses: np.ndarray, log_prior) -> np.ndarray:
    """log p(x | m) + log p(m), float64, broadcasting `x` against `masses`."""
    residual = np.asarray(x, np.float64) - np.asarray(masses, np.float64) / 3.0
    return np.asarray(observable_noise().log_prob(residual), np.float64) + log_prior(masses)


def exact_log_evidence(x: np.ndarray, log_prior, grid: np.ndarray) -> np.ndarray:
    """log p(x) = log of the integral of p(x | m) p(m) over `grid` (trapezoid rule), one per row of `x`."""
    log_joint = _log_joint(np.reshape(x, (-1, 1)), grid[None, :], log_prior)
    peak = log_joint.max(axis=1)
    return peak + np.log(np.trapezoid(np.exp(log_joint - peak[:, None]), grid, axis=1))


def exact_log_posterior(x: np.ndarray, grid: np.ndarray, log_prior) -> np.ndarray:
    """log p(m | x) on `grid`, shaped `[len(x), len(grid)]`."""
    log_joint = _log_joint(np.reshape(x, (-1, 1)), grid[None, :], log_prior)
    return log_joint - exact_log_evidence(x, log_prior, grid)[:, None]


def exact_log_density_at(x: np.ndarray, masses: np.ndarray, log_prior, grid: np.ndarray) -> np.ndarray:
    """log p(m_i | x_i) of each cluster under `log_prior` (the evidence integrated on `grid`)."""
    return _log_joint(np.ravel(x), masses, log_prior) - exact_log_evidence(x, log_prior, grid)


def truncated_at_zero(log_prior):
    """The prior as the exact posterior needs it: -inf below m = 0."""
    return lambda grid: np.where(grid >= 0, log_prior(grid), -np.inf)


# ---------------------------------------------------------------------------- the two networks


class MLP(nnx.Module):
    """The seed's MSE regressor: Dense(128) relu, Dense(128) relu, Dense(64) tanh, Dense(1)."""

    def __init__(self, rngs: nnx.Rngs):
        self.dense1 = nnx.Linear(1, 128, rngs=rngs)
        self.dense2 = nnx.Linear(128, 128, rngs=rngs)
        self.dense3 = nnx.Linear(128, 64, rngs=rngs)
        self.out = nnx.Linear(64, 1, rngs=rngs)

    def features(self, x):
        """The shared trunk."""
        x = nnx.relu(self.dense1(x))
        x = nnx.relu(self.dense2(x))
        return nnx.tanh(self.dense3(x))

    def __call__(self, x):
        return self.out(self.features(x))[:, 0]


class MDN(MLP):
    """The seed's MDN: the same trunk, then mixture logits, locs and scales of a Normal mixture."""

    def __init__(self, num_components: int, rngs: nnx.Rngs):
        super().__init__(rngs)
        self.logits = nnx.Linear(64, num_components, rngs=rngs)
        self.loc = nnx.Linear(64, num_components, rngs=rngs)
        self.scale = nnx.Linear(64, num_components, rngs=rngs)

    def __call__(self, x):
        x = self.features(x)
        # Instead of regressing directly the value of the mass, the network
        # will now try to estimate the parameters of a mass distribution.
        categorical_logits = self.logits(x)
        loc = self.loc(x)
        scale = 1e-3 + nnx.softplus(self.scale(x))
        # The seed wraps this in tfd.Independent and sums the batch; `fit` wants one loss per cluster.
        return tfd.MixtureSameFamily(
            mixture_distribution=tfd.Categorical(logits=categorical_logits),
            components_distribution=tfd.Normal(loc=loc, scale=scale))


def mean_squared_error(y_true, y_pred):
    """The seed's MSE loss, per cluster (`fit` takes the batch mean)."""
    return (y_pred - y_true) ** 2


# ---------------------------------------------------------------------------- reweighting and scores


@functools.partial(jax.jit, static_argnames="grid_points")
def reweighted_summaries(predictive, masses, grid_points: int):
    """Means of the MDN's predictive reweighted to a flat prior; NLL of it reweighted to the population's."""
    flat = metrics.reweight_prior(predictive, train_log_prior, flat_log_prior, num_points=grid_points)
    population = metrics.reweight_prior(predictive, train_log_prior, population_log_prior,
                                        num_points=grid_points)
    return flat.mean(), metrics.nll(population, masses, reduce=False)


@jax.jit
def predictive_scores(predictive, masses):
    """Per-cluster NLL, the mean CRPS and the 90% coverage of the MDN's predictive."""
    return (metrics.nll(predictive, masses, reduce=False), metrics.crps(predictive, masses),
            metrics.coverage(predictive, masses, level=0.9))


def binned_bias(true_masses: np.ndarray, estimates: np.ndarray) -> np.ndarray:
    """Mean of `estimate - true mass` in each `HIGH_MASS_BINS` bin of true mass."""
    index = np.digitize(true_masses, HIGH_MASS_BINS) - 1
    return np.array([np.mean((estimates - true_masses)[index == i]) for i in range(len(HIGH_MASS_BINS) - 1)])


def train_models(settings: Settings, x, masses) -> dict:
    """Fit the MSE regressor and the MDN on the training catalogue; return them with their run times."""
    models = {"mse": MLP(nnx.Rngs(0)), "mdn": MDN(settings.num_components, nnx.Rngs(0))}
    losses = {"mse": mean_squared_error, "mdn": nll}
    steps = settings.epochs * math.ceil(len(x) / settings.batch_size)
    # Adam with a decaying step: the MDN's tails, which the reweighting amplifies, need a fine finish.
    optimizer = optax.adam(optax.cosine_decay_schedule(3e-3, steps, alpha=0.03))
    seconds = {}
    for name, model in models.items():
        start = time.perf_counter()
        fit(model, x, masses, loss=losses[name], optimizer=optimizer, epochs=settings.epochs,
            batch_size=settings.batch_size, seed=1, verbose=0)
        seconds[name] = time.perf_counter() - start
    return {"models": models, "seconds": seconds}


def evaluate_mdn(settings: Settings) -> dict:
    """Train both networks; score them on the training population and on one with another prior."""
    x_train, m_train = training_catalogue(settings.num_train, seed=0)
    x_val, m_val = training_catalogue(settings.num_test, seed=10)
    x_test, m_test = population_catalogue(settings.num_test, seed=20)
    center, spread = x_train.mean(), x_train.std()
    standardize = lambda x: (x - center) / spread  # noqa: E731
    trained = train_models(settings, standardize(x_train), m_train)
    mse_model, mdn = trained["models"]["mse"], trained["models"]["mdn"]
    grid = np.linspace(-1.5, 3.0, 4001)
    val_nll, val_crps, val_coverage = predictive_scores(mdn(standardize(x_val)), m_val)
    exact_val = exact_log_density_at(x_val, m_val, truncated_at_zero(train_log_prior), grid)
    predictive = mdn(standardize(x_test))
    flat_means, population_nll = reweighted_summaries(predictive, m_test, settings.grid_points)
    test_nll, _, test_coverage = predictive_scores(predictive, m_test)
    exact_test = exact_log_density_at(x_test, m_test, lambda g: np.asarray(population_log_prior(g)), grid)
    estimates = {
        "MSE regressor": np.asarray(mse_model(standardize(x_test))),
        "MDN mean (training prior)": np.asarray(predictive.mean()),
        "MDN reweighted to a flat prior": np.asarray(flat_means),
    }
    return {
        "seconds": trained["seconds"], "mdn": mdn, "standardize": standardize,
        "train_masses": m_train, "test": (x_test, m_test), "estimates": estimates,
        "bias": {name: binned_bias(m_test, value) for name, value in estimates.items()},
        "val": {"nll": float(np.mean(val_nll)), "exact_nll": float(-np.mean(exact_val)),
                "crps": float(val_crps), "coverage90": float(val_coverage)},
        "test_scores": {"raw_nll": float(np.mean(test_nll)), "raw_coverage90": float(test_coverage),
                        "reweighted_nll": float(np.mean(population_nll)),
                        "exact_nll": float(-np.mean(exact_test))},
    }


# ---------------------------------------------------------------------------- figure


def plot_mdn(path: Path, result: dict) -> None:
    """Training mass function; estimated vs true mass; one cluster's predictive, exact and reweighted."""
    plt = pyplot()

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    grid = np.linspace(0, 2, 400)
    axes[0].hist(result["train_masses"], bins=60, density=True, alpha=0.6, label="training masses")
    axes[0].plot(grid, np.exp(train_log_prior(grid)), "k--", label=r"$\lambda e^{-\lambda m}$")
    axes[0].set_yscale("log")
    axes[0].set_xlabel(r"$m = \log_{10}(M / 10^{14} M_\odot)$")
    axes[0].set_title("Distribution of masses in our training data")
    axes[0].legend(fontsize=8)
    _, m_test = result["test"]
    centers = 0.5 * (HIGH_MASS_BINS[1:] + HIGH_MASS_BINS[:-1])
    for index, (name, estimate) in enumerate(result["estimates"].items()):
        axes[1].plot(m_test[::5], estimate[::5], ".", color=f"C{index}", ms=1.5, alpha=0.3)
        axes[1].plot(centers, centers + result["bias"][name], "o-", color=f"C{index}", label=name)
    axes[1].plot([0, 1.5], [0, 1.5], "k--", label="truth")
    axes[1].set_xlabel("true m")
    axes[1].set_ylabel("estimated m (binned means: lines)")
    axes[1].set_title(f"test population, m ~ N({POPULATION_MEAN}, {POPULATION_SD}^2)")
    axes[1].legend(fontsize=8)
    x_one = np.array([[1.0 / 3.0]], np.float32)  # the observable of an m = 1 cluster without noise
    m_grid = np.linspace(-0.3, 2.0, 500)
    predictive = result["mdn"](result["standardize"](x_one))
    flat = metrics.reweight_prior(predictive, train_log_prior, flat_log_prior, num_points=512)
    exact = {"training prior": truncated_at_zero(train_log_prior), "flat prior": lambda g: np.zeros_like(g)}
    for (label, log_prior), dist, color in zip(exact.items(), (predictive, flat), ("C0", "C1"), strict=True):
        axes[2].plot(m_grid, np.exp(exact_log_posterior(x_one, m_grid, log_prior)[0]), "--", color=color,
                     label=f"exact, {label}")
        axes[2].plot(m_grid, np.exp(np.asarray(dist.log_prob(m_grid[:, None]))[:, 0]), color=color,
                     label=f"MDN, {label}")
    axes[2].set_xlabel("m")
    axes[2].set_title(f"p(m | x = {x_one[0, 0]:.3f})")
    axes[2].legend(fontsize=8)
    save_figure(fig, path)


# ---------------------------------------------------------------------------- the walkthrough


def main(output: Path, settings: Settings | None = None) -> str:
    """Run the MDN walkthrough, write `seed002_mdn.png`, return the summary text."""
    settings = Settings() if settings is None else settings
    output = output_folder(output)
    start = time.perf_counter()
    result = evaluate_mdn(settings)
    plot_mdn(output / "seed002_mdn.png", result)
    bins = ", ".join(f"[{a:.1f}, {b:.1f})" for a, b in itertools.pairwise(HIGH_MASS_BINS))
    val, test = result["val"], result["test_scores"]
    lines = [
        "== Seed 002: mixture density network for cluster masses ==",
        f"{settings.num_train} training clusters, p_train(m) = {MASS_SLOPE} exp(-{MASS_SLOPE} m), "
        f"x = m / 3 + Gumbel noise; {settings.epochs} epochs of {settings.batch_size} "
        f"(MSE MLP {result['seconds']['mse']:.1f} s, MDN with {settings.num_components} components "
        f"{result['seconds']['mdn']:.1f} s)",
        f"MDN on held-out training-population clusters: NLL {val['nll']:.4f} (exact posterior "
        f"{val['exact_nll']:.4f}), CRPS {val['crps']:.4f}, 90% coverage {val['coverage90']:.3f}",
        f"mean bias (estimate - true m) per true-mass bin {bins}:",
    ]
    lines += [f"{name:>32}: " + ", ".join(f"{b:+.3f}" for b in bias) for name, bias in result["bias"].items()]
    lines += [
        f"test population with m ~ N({POPULATION_MEAN}, {POPULATION_SD}^2): MDN NLL "
        f"{test['raw_nll']:.4f} under the training "
        f"prior (90% coverage {test['raw_coverage90']:.3f}); reweighted to the population's prior "
        f"{test['reweighted_nll']:.4f} (exact posterior {test['exact_nll']:.4f})",
        f"figure: {output / 'seed002_mdn.png'}",
        f"(seed 002 ran in {time.perf_counter() - start:.1f} s)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))
