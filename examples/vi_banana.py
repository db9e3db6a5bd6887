"""Variational inference on a banana: mean-field, full-rank and normalizing-flow surrogates compared.

The target is a normalized "banana": x1 ~ N(0, 1.5^2) and x2 | x1 ~ N(x1^2 / 2 - 1, 0.5^2).
Its log-normalizer is 0, so the negative ELBO of a surrogate q is exactly KL[q || p], and
the surrogates can be ranked by how much of the curved mass they capture. A Gaussian (mean
field or full rank) cannot bend; an inverse autoregressive flow (affine or rational-quadratic
spline layers) can. Each surrogate is fitted with `probax.vi.fit_surrogate_posterior` (adam,
the same number of steps and draws), and its ELBO is then estimated from many fresh draws.

Run it alone with `python examples/vi_banana.py --output demo_output` or through `make demo`.
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

from figures import output_folder, pyplot, save_figure
from probax import vi

X1_SCALE, X2_SCALE = 1.5, 0.5
_LOG_SQRT_2PI = 0.5 * float(np.log(2 * np.pi))


def banana_log_prob(z: jax.Array) -> jax.Array:
    """log p(z) of the banana, for one point `z` of shape [2] (normalized: it integrates to one).

    Example:
      >>> round(float(banana_log_prob(jnp.array([0.0, -1.0]))), 4)  # both modes of the conditionals
      -1.9285

    """
    x1, x2 = z[..., 0], z[..., 1]
    first = -0.5 * (x1 / X1_SCALE) ** 2 - jnp.log(X1_SCALE) - _LOG_SQRT_2PI
    second = -0.5 * ((x2 - 0.5 * x1**2 + 1.0) / X2_SCALE) ** 2 - jnp.log(X2_SCALE) - _LOG_SQRT_2PI
    return first + second


class Settings(NamedTuple):
    """Sizes of the fits (the defaults take a few minutes on two CPU cores)."""

    steps: int = 3000
    sample_size: int = 16
    learning_rate: float = 3e-3
    num_layers: int = 3
    hidden_units: tuple[int, ...] = (32, 32)
    elbo_draws: int = 20000


class SurrogateResult(NamedTuple):
    """A fitted surrogate, its ELBO estimate (with standard error), loss trace and fit time."""

    surrogate: object
    elbo: float
    elbo_error: float
    loss: np.ndarray
    seconds: float


SURROGATES = {
    "mean_field": "mean-field Normal",
    "full_rank": "full-rank Normal",
    "iaf": "affine IAF",
    "spline": "spline IAF",
}


def build_surrogate(kind: str, settings: Settings) -> vi.Trainable:
    """A fresh surrogate of one kind: 'mean_field', 'full_rank', 'iaf' or 'spline'."""
    if kind == "mean_field":
        return vi.build_factored_surrogate_posterior([2], initial_unconstrained_scale=1.0)
    if kind == "full_rank":
        return vi.build_affine_surrogate_posterior([2], initial_unconstrained_scale=1.0)
    return vi.build_flow_surrogate_posterior(
        [2], flow=kind, num_layers=settings.num_layers, hidden_units=settings.hidden_units, seed=0
    )


def estimate_elbo(surrogate, num_draws: int, seed: int = 1) -> tuple[float, float]:
    """Monte Carlo ELBO `E_q[log p(z) - log q(z)]` and its standard error."""
    draw = jax.jit(lambda key: surrogate.sample_and_log_prob(num_draws, seed=key))
    draws, log_q = draw(jax.random.key(seed))
    log_ratio = np.asarray(jax.vmap(banana_log_prob)(draws) - log_q, np.float64)
    return float(log_ratio.mean()), float(log_ratio.std() / np.sqrt(num_draws))


def fit(kind: str, settings: Settings) -> SurrogateResult:
    """Fit one surrogate to the banana and estimate its ELBO."""
    start = time.perf_counter()
    surrogate, trace = vi.fit_surrogate_posterior(
        banana_log_prob,
        build_surrogate(kind, settings),
        optax.adam(settings.learning_rate),
        num_steps=settings.steps,
        sample_size=settings.sample_size,
        seed=0,
        verbose=False,
    )
    loss = np.asarray(trace["loss"])
    seconds = time.perf_counter() - start
    elbo, error = estimate_elbo(surrogate, settings.elbo_draws)
    return SurrogateResult(surrogate, elbo, error, loss, seconds)


def plot(path: Path, results: dict[str, SurrogateResult]) -> None:
    """Draws from each surrogate over the banana's contours, and the (smoothed) ELBO during fitting."""
    plt = pyplot()

    x1, x2 = np.linspace(-4.5, 4.5, 200), np.linspace(-2.5, 6.0, 200)
    grid = np.stack(np.meshgrid(x1, x2), axis=-1)
    log_density = np.asarray(banana_log_prob(jnp.asarray(grid)))
    fig, axes = plt.subplots(1, len(results) + 1, figsize=(3.3 * (len(results) + 1), 3.4))
    for ax, (kind, result) in zip(axes, results.items(), strict=False):
        draws = np.asarray(result.surrogate.sample(1500, seed=2))
        ax.contour(x1, x2, log_density, levels=[-7.0, -5.0, -3.5, -2.5], colors="0.5", linewidths=0.8)
        ax.scatter(draws[:, 0], draws[:, 1], s=2, alpha=0.35, color="C0")
        ax.set(
            title=f"{SURROGATES[kind]}\nELBO {result.elbo:.3f}", xlim=(x1[0], x1[-1]), ylim=(x2[0], x2[-1])
        )
    window = 100
    for i, (kind, result) in enumerate(results.items()):
        smoothed = -np.convolve(result.loss, np.ones(window) / window, mode="valid")
        axes[-1].plot(np.arange(len(smoothed)) + window, smoothed, color=f"C{i}", label=SURROGATES[kind])
    axes[-1].axhline(0.0, color="k", linestyle=":", linewidth=1, label="log Z = 0 (exact fit)")
    axes[-1].set(title="ELBO while fitting", xlabel="step", ylim=(-1.5, 0.1))
    axes[-1].legend(fontsize=7)
    save_figure(fig, path)


def main(output: Path, settings: Settings | None = None) -> str:
    """Fit every surrogate, write `vi_banana.png` and return the summary text."""
    settings = Settings() if settings is None else settings
    output = output_folder(output)
    results = {kind: fit(kind, settings) for kind in SURROGATES}
    lines = [
        "== Variational inference on a banana (log Z = 0, so KL[q || p] = -ELBO) ==",
        f"{settings.steps} adam steps of {settings.sample_size} draws; ELBO from {settings.elbo_draws} draws",
    ]
    for kind, result in results.items():
        lines.append(
            f"{SURROGATES[kind]:>18}: ELBO {result.elbo:.4f} +- {result.elbo_error:.4f} "
            f"(KL {-result.elbo:.4f}), fitted in {result.seconds:.1f} s"
        )
    plot(output / "vi_banana.png", results)
    lines.append(f"figure: {output / 'vi_banana.png'}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))
