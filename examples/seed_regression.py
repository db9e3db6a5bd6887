"""Seeds 000 and 004: distribution heads trained with `fit`, the probax twin of Keras + `tfp.layers`.

Seed 000 (Astro Hack Week 2019) fits `Dense(1 + 1) -> IndependentNormal(1)` with the negative
log-likelihood, then a 16-component `MixtureNormal` behind a 128-128 MLP on a bimodal problem. Seed 004
trains a `Dense(1, sigmoid) -> DistributionLambda(Bernoulli)` layer on labels drawn from a fixed model
(weight 1, bias 0), recording the weight and bias per epoch, and contrasts an MSE regressor with
probabilistic ones on `y = x + 0.3 eps` (mean +- 2 sd bands).

Every data set is drawn from a known conditional distribution, so each model's held-out scores
(`probax.metrics`: negative log-likelihood, CRPS, 90% interval coverage) are printed next to those of
the true distribution, and learned parameters next to the truth and the data's own maximum-likelihood
values.

Run it alone with `python examples/seed_regression.py --output demo_output` or through `make demo`.
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


class Settings(NamedTuple):
    """Data sizes and training budgets (the defaults are the seeds'; tests pass smaller ones)."""

    heteroscedastic_points: int = 500
    heteroscedastic_epochs: int = 500
    mixture_points: int = 10_000
    mixture_epochs: int = 20
    bernoulli_epochs: int = 100
    aleatoric_epochs: int = 200
    test_points: int = 2_000


@jax.jit
def _scores(dist: tfd.Distribution, y) -> dict[str, jax.Array]:
    return {
        "nll": metrics.nll(dist, y),
        "crps": metrics.crps(dist, y),
        "coverage90": metrics.coverage(dist, y, level=0.9),
    }


def held_out_scores(dist: tfd.Distribution, y) -> dict[str, float]:
    """Mean negative log-likelihood, mean CRPS and the coverage of the central 90% interval."""
    # One compiled program: a mixture's quantiles (a root search) are slow op by op.
    return {name: float(value) for name, value in _scores(dist, y).items()}


def format_scores(label: str, scores: dict[str, float]) -> str:
    """One summary line: `label: NLL .., CRPS .., 90% coverage ..`."""
    return (f"{label:>34}: NLL {scores['nll']:.4f}, CRPS {scores['crps']:.4f}, "
            f"90% coverage {scores['coverage90']:.3f}")


def affine_text(weight: float, bias: float) -> str:
    """`w x + b` with the sign of b written out, e.g. `0.600 x - 1.000`."""
    return f"{weight:.3f} x {'-' if bias < 0 else '+'} {abs(bias):.3f}"


def as_column(values) -> np.ndarray:
    """float32 column `[n, 1]`: the layout the seeds feed Keras."""
    return np.asarray(values, np.float32).reshape(-1, 1)


# ---------------------------------------------------------------------------- seed 000: IndependentNormal


def heteroscedastic_truth(x) -> tfd.Distribution:
    """y | x ~ N(0.8 x + 1, softplus(0.6 x - 1)^2), which `Dense(2) -> IndependentNormal(1)` can express."""
    x = jnp.asarray(x)
    return tfd.Independent(tfd.Normal(0.8 * x + 1.0, jax.nn.softplus(0.6 * x - 1.0)), 1)


def heteroscedastic_data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` points with x ~ U(-2, 4) and y drawn from `heteroscedastic_truth`."""
    x = as_column(np.random.default_rng(seed).uniform(-2.0, 4.0, n))
    return x, as_column(heteroscedastic_truth(x).sample(seed=seed))


def independent_normal_regression(settings: Settings) -> dict:
    """Seed 000's first model: a linear layer producing loc and raw scale, read by `IndependentNormal(1)`."""
    x, y = heteroscedastic_data(0, settings.heteroscedastic_points)
    x_tst, y_tst = heteroscedastic_data(1, settings.test_points)
    model = nnx.Sequential(
        nnx.Linear(1, 1 + 1, rngs=nnx.Rngs(0)),
        tfpl.IndependentNormal(1),
    )
    negloglik = nll  # the seed's `lambda y, q: -q.log_prob(y)`
    # Keras' default adam step (1e-3) is slow here: a random start gives some points a tiny scale.
    history = fit(model, x, y, loss=negloglik, optimizer=optax.adam(1e-2),
                  epochs=settings.heteroscedastic_epochs, verbose=0)
    yhat = model(x_tst)
    kernel, bias = np.asarray(model.layers[0].kernel[...])[0], np.asarray(model.layers[0].bias[...])
    return {
        "model": model, "data": (x, y), "history": history,
        "scale_weight": float(kernel[1]), "scale_bias": float(bias[1]),
        "loc_weight": float(kernel[0]), "loc_bias": float(bias[0]),
        "scores": held_out_scores(yhat, y_tst),
        "true_scores": held_out_scores(heteroscedastic_truth(x_tst), y_tst),
    }


# ---------------------------------------------------------------------------- seed 000: MixtureNormal


def bimodal_truth(x) -> tfd.Distribution:
    """Two branches: weight sigmoid(1.5 x) on N(sin 2x + 1.2, 0.15^2), the rest on N(-x/2 - 1, 0.3^2)."""
    x = jnp.asarray(x)
    upper = jax.nn.sigmoid(1.5 * x)
    weights = jnp.concatenate([upper, 1.0 - upper], axis=-1)
    locs = jnp.concatenate([jnp.sin(2.0 * x) + 1.2, -0.5 * x - 1.0], axis=-1)
    scales = jnp.broadcast_to(jnp.array([0.15, 0.3], locs.dtype), locs.shape)
    components = tfd.Independent(tfd.Normal(locs[..., None], scales[..., None]), 1)  # event shape [1]
    return tfd.MixtureSameFamily(tfd.Categorical(probs=weights), components)


def bimodal_data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` points with x ~ U(-2, 2) and y drawn from `bimodal_truth`."""
    x = as_column(np.random.default_rng(seed).uniform(-2.0, 2.0, n))
    return x, as_column(bimodal_truth(x).sample(seed=seed))


def mlp_head(head: nnx.Module, params_size: int, seed: int) -> nnx.Sequential:
    """Seed 000's network: Dense(128, relu) -> Dense(128, tanh) -> Dense(params_size) -> head."""
    rngs = nnx.Rngs(seed)
    return nnx.Sequential(
        nnx.Linear(1, 128, rngs=rngs), nnx.relu,
        nnx.Linear(128, 128, rngs=rngs), nnx.tanh,
        nnx.Linear(128, params_size, rngs=rngs),
        head,
    )


def mixture_regression(settings: Settings) -> dict:
    """Seed 000's 16-component `MixtureNormal`, and the same network with a single `IndependentNormal`."""
    x_train, y_train = bimodal_data(2, settings.mixture_points)
    x_tst, y_tst = bimodal_data(3, settings.test_points)
    num_components = 16  # Number of components in the Gaussian mixture
    event_shape = [1]  # Shape of the distribution
    params_size = tfpl.MixtureNormal.params_size(num_components, event_shape)
    gmm_model = mlp_head(tfpl.MixtureNormal(num_components, event_shape), params_size, seed=0)
    single_size = tfpl.IndependentNormal.params_size(event_shape)
    single_model = mlp_head(tfpl.IndependentNormal(event_shape), single_size, seed=0)
    results = {}
    for name, model in (("mixture", gmm_model), ("single", single_model)):
        start = time.perf_counter()
        fit(model, x_train, y_train, loss=nll, optimizer="adam", batch_size=256,
            epochs=settings.mixture_epochs, verbose=0)
        results[name] = {"model": model, "scores": held_out_scores(model(x_tst), y_tst),
                         "seconds": time.perf_counter() - start}
    results["true_scores"] = held_out_scores(bimodal_truth(x_tst), y_tst)
    results["data"] = (x_train, y_train)
    return results


# ---------------------------------------------------------------------------- seed 004: Bernoulli layer


def bernoulli_model(weight: float, bias: float) -> nnx.Sequential:
    """Seed 004's `Dense(1, activation='sigmoid')` with constant initializers, then a Bernoulli head."""
    return nnx.Sequential(
        nnx.Linear(1, 1, kernel_init=nnx.initializers.constant(weight),
                   bias_init=nnx.initializers.constant(bias), rngs=nnx.Rngs(0)),
        nnx.sigmoid,
        tfpl.DistributionLambda(lambda t: tfd.Bernoulli(probs=t),
                                convert_to_tensor_fn=tfd.Distribution.sample),
    )


def logistic_mle(x: np.ndarray, y: np.ndarray, iterations: int = 25) -> tuple[float, float]:
    """Maximum-likelihood (weight, bias) of P(y = 1) = sigmoid(w x + b), by Newton's method (float64)."""
    design = np.column_stack([np.ravel(x), np.ones(np.size(x))]).astype(np.float64)
    labels = np.ravel(y).astype(np.float64)
    theta = np.zeros(2)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-design @ theta))
        hessian = design.T @ (design * (p * (1 - p))[:, None])
        theta += np.linalg.solve(hessian, design.T @ (labels - p))
    return float(theta[0]), float(theta[1])


def bernoulli_walkthrough(settings: Settings) -> dict:
    """Labels from the fixed model (w = 1, b = 0); a model started at w = b = 2 learns them with RMSprop."""
    model = bernoulli_model(1.0, 0.0)
    x_train = as_column(np.linspace(-5, 5, 500))
    y_train = np.asarray(model(x_train).sample(seed=4))  # the seed's `model.predict(x_train)`: one draw
    model_untrained = bernoulli_model(2.0, 2.0)
    dense = model_untrained.layers[0]
    training_weights, training_bias = [float(dense.kernel[0, 0])], [float(dense.bias[0])]

    def record(epoch, logs):
        training_weights.append(float(dense.kernel[0, 0]))
        training_bias.append(float(dense.bias[0]))

    fit(model_untrained, x_train, y_train, loss=nll, optimizer=optax.rmsprop(0.01),
        epochs=settings.bernoulli_epochs, callbacks=[record], verbose=0)
    x_tst = as_column(np.random.default_rng(5).uniform(-5, 5, settings.test_points))
    y_tst = np.asarray(model(x_tst).sample(seed=6))
    predictive = model_untrained(x_tst)
    return {
        "x": x_train, "y": y_train, "weights": training_weights, "biases": training_bias,
        "mle": logistic_mle(x_train, y_train),
        "nll": float(metrics.nll(predictive, y_tst)), "true_nll": float(metrics.nll(model(x_tst), y_tst)),
        "ece": float(metrics.expected_calibration_error(predictive, y_tst)),
        "brier": float(metrics.brier_score(predictive, y_tst)),
    }


# ---------------------------------------------------------------------------- seed 004: aleatoric regression


def aleatoric_data(seed: int, n: int, evenly_spaced: bool) -> tuple[np.ndarray, np.ndarray]:
    """y = x + 0.3 eps on [-1, 1]: the seed's `linspace` grid, or uniform draws for held-out data."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, n) if evenly_spaced else rng.uniform(-1, 1, n)
    return as_column(x), as_column(x + 0.3 * rng.normal(size=n))


def aleatoric_regression(settings: Settings) -> dict:
    """An MSE line, a Normal with fixed scale 1 and an `IndependentNormal(1)` that learns its scale."""
    x_train, y_train = aleatoric_data(4, 100, evenly_spaced=True)
    x_tst, y_tst = aleatoric_data(8, settings.test_points, evenly_spaced=False)
    rngs = nnx.Rngs(1)
    deter_model = nnx.Linear(1, 1, rngs=rngs)

    def mean_squared_error(y_true, y_pred):
        return (y_true - y_pred) ** 2

    fit(deter_model, x_train, y_train, loss=mean_squared_error, optimizer=optax.rmsprop(0.005),
        epochs=settings.aleatoric_epochs, verbose=0)
    prob_model = nnx.Sequential(
        nnx.Linear(1, 1, rngs=rngs),
        tfpl.DistributionLambda(lambda t: tfd.Independent(tfd.Normal(loc=t, scale=1.0), 1)),
    )
    event_shape = 1
    model = nnx.Sequential(
        nnx.Linear(1, tfpl.IndependentNormal.params_size(event_shape), rngs=rngs),
        tfpl.IndependentNormal(event_shape),
    )
    for probabilistic in (prob_model, model):
        fit(probabilistic, x_train, y_train, loss=nll, optimizer=optax.rmsprop(0.005),
            epochs=settings.aleatoric_epochs, verbose=0)
    slope, intercept = np.polyfit(x_train[:, 0].astype(np.float64), y_train[:, 0].astype(np.float64), 1)
    residuals = y_train[:, 0] - (slope * x_train[:, 0] + intercept)
    truth = tfd.Independent(tfd.Normal(jnp.asarray(x_tst), 0.3), 1)
    return {
        "data": (x_train, y_train), "deter_model": deter_model, "prob_model": prob_model, "model": model,
        "learned_sd": float(jnp.mean(model(x_train).stddev())),
        "mle_sd": float(np.sqrt(np.mean(residuals**2))),
        "fixed_scores": held_out_scores(prob_model(x_tst), y_tst),
        "scores": held_out_scores(model(x_tst), y_tst),
        "true_scores": held_out_scores(truth, y_tst),
        "mse": float(np.mean((np.asarray(deter_model(x_tst)) - y_tst) ** 2)),
    }


# ---------------------------------------------------------------------------- figures


def _pyplot():
    plt = pyplot()

    return plt


def plot_seed000(path: Path, regression: dict, mixture: dict) -> None:
    """Heteroscedastic fit with mean +- 2 sd; bimodal data with draws of the mixture and the single Normal."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    x, y = regression["data"]
    grid = as_column(np.linspace(x.min(), x.max(), 200))
    yhat, truth = regression["model"](grid), heteroscedastic_truth(grid)
    axes[0].plot(x, y, ".", ms=3, alpha=0.4, label="data")
    for dist, style, label in ((yhat, "r-", "IndependentNormal(1)"), (truth, "k--", "truth")):
        mean, sd = np.asarray(dist.mean())[:, 0], np.asarray(dist.stddev())[:, 0]
        axes[0].plot(grid, mean, style, label=f"{label}: mean +- 2 sd")
        axes[0].plot(grid, mean - 2 * sd, style, grid, mean + 2 * sd, style, lw=0.8)
    axes[0].set_title("seed 000: Dense(1+1) -> IndependentNormal(1)")
    axes[0].legend(fontsize=8)
    x_train, y_train = mixture["data"]
    grid = as_column(np.linspace(-2, 2, 400))
    for axis, name, label in ((axes[1], "mixture", "MixtureNormal(16, [1])"),
                              (axes[2], "single", "IndependentNormal([1])")):
        draws = np.asarray(mixture[name]["model"](grid).sample(5, seed=9))[..., 0]
        axis.plot(x_train[:3000], y_train[:3000], ".", ms=2, alpha=0.3, label="data")
        axis.plot(np.broadcast_to(grid[:, 0], draws.shape).ravel(), draws.ravel(), "r.", ms=1.5, alpha=0.5,
                  label="model samples")
        axis.set_title(f"{label}: held-out NLL {mixture[name]['scores']['nll']:.3f}")
        axis.legend(fontsize=8)
    save_figure(fig, path)


def plot_seed004(path: Path, bernoulli: dict, aleatoric: dict) -> None:
    """Weight and bias per epoch; MSE line; samples; mean +- 2 sd of the learned-scale model."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    epochs = np.arange(len(bernoulli["weights"]))
    axes[0].plot(epochs, bernoulli["weights"], label="weight")
    axes[0].plot(epochs, bernoulli["biases"], label="bias")
    axes[0].axhline(y=1, label="true_weight", color="k", linestyle=":")
    axes[0].axhline(y=0, label="true_bias", color="k", linestyle="--")
    axes[0].set_xlabel("Epochs")
    axes[0].set_title("seed 004: Bernoulli layer, weight and bias per epoch")
    axes[0].legend(fontsize=8)
    x_train, y_train = aleatoric["data"]
    axes[1].scatter(x_train, y_train, alpha=0.4, label="data")
    axes[1].plot(x_train, np.asarray(aleatoric["deter_model"](x_train)), color="red", alpha=0.8,
                 label="MSE model")
    axes[1].scatter(x_train, np.asarray(aleatoric["model"](x_train).sample(seed=10)), alpha=0.4, color="C3",
                    s=10, label="model sample")
    axes[1].set_title("MSE line and IndependentNormal(1) draws")
    axes[1].legend(fontsize=8)
    y_model = aleatoric["model"](x_train)
    y_hat, y_sd = np.asarray(y_model.mean()), np.asarray(y_model.stddev())
    axes[2].scatter(x_train, y_train, alpha=0.4, label="data")
    axes[2].plot(x_train, y_hat, color="red", alpha=0.8, label=r"model $\mu$")
    axes[2].plot(x_train, y_hat - 2 * y_sd, color="green", alpha=0.8, label=r"model $\mu \pm 2 \sigma$")
    axes[2].plot(x_train, y_hat + 2 * y_sd, color="green", alpha=0.8)
    axes[2].set_title(f"y = x + 0.3 eps: learned sd {aleatoric['learned_sd']:.3f}")
    axes[2].legend(fontsize=8)
    save_figure(fig, path)


# ---------------------------------------------------------------------------- the walkthrough


def main(output: Path, settings: Settings | None = None) -> str:
    """Run seeds 000 and 004, write `seed000_regression.png` and `seed004_layers.png`, return the summary."""
    settings = Settings() if settings is None else settings
    output = output_folder(output)
    start = time.perf_counter()
    regression = independent_normal_regression(settings)
    mixture = mixture_regression(settings)
    bernoulli = bernoulli_walkthrough(settings)
    aleatoric = aleatoric_regression(settings)
    plot_seed000(output / "seed000_regression.png", regression, mixture)
    plot_seed004(output / "seed004_layers.png", bernoulli, aleatoric)
    mle_w, mle_b = bernoulli["mle"]
    lines = [
        "== Seed 000: IndependentNormal(1) and MixtureNormal(16, [1]) trained with fit(loss=nll) ==",
        f"heteroscedastic line, {settings.heteroscedastic_points} points, {settings.heteroscedastic_epochs} "
        f"epochs: loc = {affine_text(regression['loc_weight'], regression['loc_bias'])} (truth 0.8 x + 1), "
        f"sd = softplus({affine_text(regression['scale_weight'], regression['scale_bias'])}) "
        "(truth softplus(0.6 x - 1))",
        format_scores("IndependentNormal(1), held out", regression["scores"]),
        format_scores("true p(y | x), held out", regression["true_scores"]),
        f"bimodal p(y | x), {settings.mixture_points} points, {settings.mixture_epochs} epochs of 256:",
        format_scores("MixtureNormal(16, [1])", mixture["mixture"]["scores"]),
        format_scores("IndependentNormal([1]), same MLP", mixture["single"]["scores"]),
        format_scores("true p(y | x)", mixture["true_scores"]),
        "== Seed 004: DistributionLambda(Bernoulli) and aleatoric regression ==",
        f"Bernoulli layer after {settings.bernoulli_epochs} epochs: weight {bernoulli['weights'][-1]:.3f}, "
        f"bias {bernoulli['biases'][-1]:.3f} (data made with 1, 0; maximum likelihood on these labels "
        f"{mle_w:.3f}, {mle_b:.3f})",
        f"held-out Bernoulli NLL {bernoulli['nll']:.4f} (fixed model {bernoulli['true_nll']:.4f}), "
        f"ECE {bernoulli['ece']:.4f}, Brier {bernoulli['brier']:.4f}",
        f"y = x + 0.3 eps: learned sd {aleatoric['learned_sd']:.4f} (truth 0.3, maximum likelihood on the "
        f"data {aleatoric['mle_sd']:.4f}); MSE model held-out MSE {aleatoric['mse']:.4f} (truth 0.09)",
        format_scores("Normal(loc=t, scale=1)", aleatoric["fixed_scores"]),
        format_scores("IndependentNormal(1)", aleatoric["scores"]),
        format_scores("true N(x, 0.3^2)", aleatoric["true_scores"]),
        f"figures: {output / 'seed000_regression.png'}, {output / 'seed004_layers.png'}",
        f"(seeds 000 + 004 ran in {time.perf_counter() - start:.1f} s)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))
