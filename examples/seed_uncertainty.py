"""Seed 003 (Bayesian deep learning): MC dropout and a Bayesian neural network, in probax.

The seed's lecture asks for models that "know what they do not know": a classifier should be unsure
on inputs unlike its training data, and a regression's uncertainty about the function (epistemic)
should grow away from the data, on top of the noise in the data (aleatoric).

- MC dropout (Gal & Ghahramani 2016): a classifier with `MCDropout` layers (dropout that stays on at
  prediction) and a `Categorical` head, trained with `fit`; `predict_samples` runs 200 stochastic
  passes. The averaged class probabilities give the predictive entropy, and its mutual information
  with the weights (entropy of the mean minus mean entropy) is the epistemic part: small on held-out
  points from the training classes, larger on out-of-distribution inputs far from them. Not
  everywhere: with ReLU units the passes agree far out along rays through a class's center (the
  figure shows where), a known limit of MC dropout.
- A Bayesian neural net: `DenseFlipout` layers (mean-field normal weights, KL weight 1/N) under an
  `IndependentNormal(1)` head, fitted on data in [-1, 1] and asked for [-2.5, 2.5]. Each pass is a
  function draw; the spread of their means is the epistemic band, the head's scale the aleatoric one.

Scores on held-out data come from `probax.metrics` (NLL, ECE, Brier for the classifier; NLL, CRPS,
90% coverage for the regression's predictive mixture over the passes).

Run it alone with `python examples/seed_uncertainty.py --output demo_output` or through `make demo`.
"""

from __future__ import annotations

import argparse
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
from probax import layers as tfpl
from probax import metrics
from probax.training import fit, nll

FAR_RADIUS = 7.0
CLASS_CENTERS = 2.0 * np.array([[np.cos(a), np.sin(a)] for a in np.deg2rad([90.0, 210.0, 330.0])])


class Settings(NamedTuple):
    """Data sizes, training budgets and Monte Carlo passes (tests pass smaller ones)."""

    classifier_points: int = 1500
    classifier_epochs: int = 60
    bnn_points: int = 300
    bnn_epochs: int = 600
    num_passes: int = 200
    test_points: int = 1000


# ---------------------------------------------------------------------------- MC dropout classifier


def blobs(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian classes (sd 0.7) around the corners of a triangle of radius 2: `x [n, 2]`, labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    x = CLASS_CENTERS[labels] + 0.7 * rng.normal(size=(n, 2))
    return x.astype(np.float32), labels.astype(np.int32)


def bayes_classes(x: np.ndarray) -> np.ndarray:
    """The Bayes classifier's choice (equal priors and covariances: the nearest class center)."""
    return np.argmin(((x[:, None, :] - CLASS_CENTERS[None]) ** 2).sum(axis=-1), axis=1)


PLANE_TICKS = np.linspace(-8, 8, 41, dtype=np.float32)


def plane_points() -> np.ndarray:
    """The grid of the figure's uncertainty map, `[41 * 41, 2]`."""
    return np.stack(np.meshgrid(PLANE_TICKS, PLANE_TICKS), axis=-1).reshape(-1, 2)


def far_away(seed: int, n: int) -> np.ndarray:
    """Out-of-distribution inputs: points on a circle of radius `FAR_RADIUS`, far from every class."""
    angles = np.random.default_rng(seed).uniform(0, 2 * np.pi, n)
    return (FAR_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=-1)).astype(np.float32)


def dropout_classifier(rate: float = 0.3, seed: int = 0) -> nnx.Sequential:
    """Dense(64) relu, MC dropout, Dense(64) relu, MC dropout, Dense(3) logits -> Categorical."""
    rngs = nnx.Rngs(seed)
    return nnx.Sequential(
        nnx.Linear(2, 64, rngs=rngs), nnx.relu, tfpl.MCDropout(rate, rngs=rngs),
        nnx.Linear(64, 64, rngs=rngs), nnx.relu, tfpl.MCDropout(rate, rngs=rngs),
        nnx.Linear(64, 3, rngs=rngs),
        tfpl.DistributionLambda(lambda logits: tfd.Categorical(logits=logits)),
    )


def entropy(probs: jax.Array) -> jax.Array:
    """Entropy (nats) of class probabilities along the last axis."""
    return -jnp.sum(jnp.where(probs > 0, probs * jnp.log(probs), 0.0), axis=-1)


class MonteCarloClasses(NamedTuple):
    """What the passes say about each input: mean class probabilities, total and epistemic uncertainty."""

    probs: np.ndarray  # [n, classes], averaged over passes
    predictive_entropy: np.ndarray  # H[mean probs]
    mutual_information: np.ndarray  # H[mean probs] - mean H[probs]: the epistemic part


def monte_carlo_classes(model: nnx.Module, inputs: dict[str, np.ndarray], num_passes: int,
                        seed: int) -> dict[str, MonteCarloClasses]:
    """Average `num_passes` MC-dropout passes of the classifier on each named set of inputs."""
    # One call on all inputs: each new input shape would compile the vectorized passes again.
    passes = tfpl.predict_samples(model, jnp.concatenate(list(inputs.values())), num_passes, seed=seed)
    probs = passes.probs_parameter()
    mean = jnp.mean(probs, axis=0)
    total = entropy(mean)
    information = total - jnp.mean(entropy(probs), axis=0)
    ends = np.cumsum([len(x) for x in inputs.values()])
    return {
        name: MonteCarloClasses(*(np.asarray(v[end - len(x):end]) for v in (mean, total, information)))
        for (name, x), end in zip(inputs.items(), ends, strict=True)
    }


def mc_dropout_walkthrough(settings: Settings) -> dict:
    """Train the MC-dropout classifier; compare its uncertainty on held-out and far-away inputs."""
    x_train, y_train = blobs(0, settings.classifier_points)
    x_test, y_test = blobs(1, settings.test_points)
    model = dropout_classifier()
    start = time.perf_counter()
    fit(model, x_train, y_train, loss=nll, optimizer=optax.adam(3e-3), epochs=settings.classifier_epochs,
        batch_size=64, verbose=0)
    seconds = time.perf_counter() - start
    inputs = {"inside": x_test, "outside": far_away(3, settings.test_points), "plane": plane_points()}
    classes = monte_carlo_classes(model, inputs, settings.num_passes, seed=2)
    inside = classes["inside"]
    predictive = tfd.Categorical(probs=inside.probs)
    return {
        "model": model, "train": (x_train, y_train), "seconds": seconds,
        "accuracy": float(np.mean(np.argmax(inside.probs, axis=-1) == y_test)),
        "bayes_accuracy": float(np.mean(bayes_classes(x_test) == y_test)),
        "nll": float(metrics.nll(predictive, y_test)),
        "ece": float(metrics.expected_calibration_error(predictive, y_test)),
        "brier": float(metrics.brier_score(predictive, y_test)),
        "inside": inside, "outside": classes["outside"], "plane": classes["plane"],
    }


# ---------------------------------------------------------------------------- Bayesian neural net


def wiggle(x):
    """The regression function: x + 0.3 sin(4 x)."""
    return x + 0.3 * np.sin(4.0 * x)


def bnn_data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` points with x ~ U(-1, 1) and y = wiggle(x) + 0.1 eps."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x[:, None].astype(np.float32), (wiggle(x) + 0.1 * rng.normal(size=n))[:, None].astype(np.float32)


def bayesian_regressor(num_train: int, seed: int = 0) -> nnx.Sequential:
    """DenseFlipout(1 -> 32, relu) -> DenseFlipout(32 -> 2) -> IndependentNormal(1), KL weight 1/N each."""
    rngs = nnx.Rngs(seed)
    kl_weight = 1.0 / num_train
    return nnx.Sequential(
        tfpl.DenseFlipout(1, 32, activation=nnx.relu, kl_weight=kl_weight, rngs=rngs),
        tfpl.DenseFlipout(32, tfpl.IndependentNormal.params_size(1), kl_weight=kl_weight, rngs=rngs),
        tfpl.IndependentNormal(1),
    )


def pass_mixture(passes: tfd.Distribution) -> tfd.Distribution:
    """The predictive of `S` passes of an `IndependentNormal(1)` model (batch `[S, n]`): their mixture."""
    loc = jnp.moveaxis(passes.mean(), 0, 1)  # [n, S, 1]
    scale = jnp.moveaxis(passes.stddev(), 0, 1)
    weights = jnp.zeros(loc.shape[:2], loc.dtype)
    return tfd.MixtureSameFamily(tfd.Categorical(logits=weights), tfd.Independent(tfd.Normal(loc, scale), 1))


@jax.jit
def _mixture_scores(mixture: tfd.Distribution, y) -> dict[str, jax.Array]:
    # The mixture is built outside: its constant logits inside a compiled program make XLA fold for long.
    return {"nll": metrics.nll(mixture, y), "crps": metrics.crps(mixture, y),
            "coverage90": metrics.coverage(mixture, y, level=0.9)}


def bnn_walkthrough(settings: Settings) -> dict:
    """Fit the Bayesian net; measure its epistemic band inside and outside the data's range."""
    x_train, y_train = bnn_data(4, settings.bnn_points)
    x_test, y_test = bnn_data(5, settings.test_points)
    model = bayesian_regressor(settings.bnn_points)
    start = time.perf_counter()
    fit(model, x_train, y_train, loss=nll, optimizer=optax.adam(1e-2), epochs=settings.bnn_epochs,
        batch_size=64, verbose=0)
    seconds = time.perf_counter() - start
    grid = np.linspace(-2.5, 2.5, 201, dtype=np.float32)[:, None]
    # One call on grid and test points: each new input shape would compile the passes again.
    passes = tfpl.predict_samples(model, np.concatenate([grid, x_test]), settings.num_passes, seed=6)
    grid_passes, test_passes = passes[:, : len(grid)], passes[:, len(grid):]
    means = np.asarray(grid_passes.mean())[..., 0]  # [S, n]
    epistemic = means.std(axis=0)
    aleatoric = np.sqrt(np.mean(np.asarray(grid_passes.variance())[..., 0], axis=0))
    inside, outside = np.abs(grid[:, 0]) <= 0.9, np.abs(grid[:, 0]) >= 2.0
    scores = _mixture_scores(pass_mixture(test_passes), y_test)
    return {
        "model": model, "train": (x_train, y_train), "seconds": seconds, "grid": grid[:, 0],
        "means": means, "epistemic": epistemic, "aleatoric": aleatoric,
        "epistemic_inside": float(epistemic[inside].mean()),
        "epistemic_outside": float(epistemic[outside].mean()),
        "aleatoric_inside": float(aleatoric[inside].mean()),
        "scores": {name: float(value) for name, value in scores.items()},
    }


# ---------------------------------------------------------------------------- figure


def plot_uncertainty(path: Path, dropout: dict, bnn: dict) -> None:
    """Epistemic uncertainty (mutual information) of the classifier over the plane; the BNN's bands."""
    plt = pyplot()

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    ticks = PLANE_TICKS
    information = dropout["plane"].mutual_information
    image = axes[0].pcolormesh(ticks, ticks, information.reshape(len(ticks), len(ticks)), shading="auto",
                               cmap="magma")
    fig.colorbar(image, ax=axes[0], label="mutual information (nats)")
    x_train, y_train = dropout["train"]
    axes[0].scatter(x_train[:, 0], x_train[:, 1], c=y_train, s=3, cmap="viridis", alpha=0.6)
    axes[0].add_patch(plt.Circle((0, 0), FAR_RADIUS, fill=False, linestyle="--", color="w"))
    axes[0].set_title("MC dropout: epistemic uncertainty (dashed: far-away inputs)")
    axes[0].set_aspect("equal")
    grid, means = bnn["grid"], bnn["means"]
    center = means.mean(axis=0)
    total = np.sqrt(bnn["epistemic"] ** 2 + bnn["aleatoric"] ** 2)
    axes[1].fill_between(grid, center - 2 * total, center + 2 * total, color="C0", alpha=0.2,
                         label="+- 2 sd, total")
    axes[1].fill_between(grid, center - 2 * bnn["epistemic"], center + 2 * bnn["epistemic"], color="C1",
                         alpha=0.5, label="+- 2 sd, epistemic")
    axes[1].plot(grid, means[:10].T, color="C3", lw=0.6, alpha=0.6)
    axes[1].plot(*bnn["train"], "k.", ms=2, label="data")
    axes[1].plot(grid, wiggle(grid), "k--", lw=1, label="truth")
    axes[1].set_ylim(-4, 4)
    axes[1].set_title("DenseFlipout BNN: function draws and bands")
    axes[1].legend(fontsize=8, loc="upper left")
    save_figure(fig, path)


# ---------------------------------------------------------------------------- the walkthrough


def main(output: Path, settings: Settings | None = None) -> str:
    """Run MC dropout and the BNN, write `seed003_uncertainty.png`, return the summary text."""
    settings = Settings() if settings is None else settings
    output = output_folder(output)
    start = time.perf_counter()
    dropout = mc_dropout_walkthrough(settings)
    bnn = bnn_walkthrough(settings)
    plot_uncertainty(output / "seed003_uncertainty.png", dropout, bnn)
    inside, outside, scores = dropout["inside"], dropout["outside"], bnn["scores"]
    flagged = np.mean(outside.mutual_information > np.quantile(inside.mutual_information, 0.99))
    lines = [
        "== Seed 003: MC dropout and a Bayesian neural network ==",
        f"MC dropout classifier ({settings.classifier_epochs} epochs, {dropout['seconds']:.1f} s), "
        f"{settings.num_passes} passes: held-out accuracy {dropout['accuracy']:.3f} (Bayes classifier "
        f"{dropout['bayes_accuracy']:.3f}), "
        f"NLL {dropout['nll']:.4f}, "
        f"ECE {dropout['ece']:.4f}, Brier {dropout['brier']:.4f}",
        f"predictive entropy: held out {inside.predictive_entropy.mean():.3f}, far away "
        f"{outside.predictive_entropy.mean():.3f} nats; mutual information (epistemic): held out "
        f"{inside.mutual_information.mean():.3f}, far away {outside.mutual_information.mean():.3f} nats; "
        f"{flagged:.0%} of far-away inputs above the held-out 99th percentile",
        f"DenseFlipout BNN ({settings.bnn_epochs} epochs, {bnn['seconds']:.1f} s): epistemic sd "
        f"{bnn['epistemic_inside']:.3f} inside the data (|x| <= 0.9), {bnn['epistemic_outside']:.3f} "
        f"at |x| >= 2; aleatoric sd inside {bnn['aleatoric_inside']:.3f} (truth 0.1)",
        f"BNN predictive (mixture of {settings.num_passes} passes), held out: NLL {scores['nll']:.4f}, "
        f"CRPS {scores['crps']:.4f}, 90% coverage {scores['coverage90']:.3f}",
        f"figure: {output / 'seed003_uncertainty.png'}",
        f"(seed 003, MC dropout + BNN, ran in {time.perf_counter() - start:.1f} s)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))
