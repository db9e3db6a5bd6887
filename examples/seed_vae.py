"""Seed 003 (Bayesian deep learning, second part): a variational autoencoder on 8x8 digits, in probax.

The lecture's VAE: an encoder maps an image x to q(z | x), a diagonal Normal over a latent z; a
decoder maps a draw of z back to a distribution over images; training maximizes the evidence lower
bound ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z)) <= log p(x) with a standard Normal prior, and
new images come from decoding draws of the prior.

In probax the encoder ends in `IndependentNormal(latent_size)`, whose output converts to a
(reparameterized) draw when the decoder's first `nnx.Linear` consumes it, as a Keras layer would, and
the decoder ends in `IndependentBernoulli(64)` over the pixels of scikit-learn's bundled digits,
binarized at half intensity. The loss is the negative ELBO of each digit, written out (the KL is
exact); `fit` averages it. The held-out ELBO is averaged over many encoder draws (`predict_samples`)
and set against the log-likelihood of independent pixels with their training frequencies.

Run it alone with `python examples/seed_vae.py --output demo_output` or through `make demo`
(needs scikit-learn for the digits).
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
from probax.training import fit

NUM_PIXELS = 64


class Settings(NamedTuple):
    """Model size, training budget and the number of encoder draws for the held-out ELBO."""

    latent_size: int = 8
    hidden_units: int = 256
    epochs: int = 300
    batch_size: int = 64
    num_draws: int = 100


def binarized_digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1797 digits as 0/1 pixel vectors `[n, 64]` (intensity / 16 > 0.5), split 80/20."""
    from sklearn.datasets import load_digits

    pixels = (load_digits().data / 16.0 > 0.5).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(pixels))
    split = int(0.8 * len(pixels))
    return pixels[order[:split]], pixels[order[split:]]


def standard_normal_prior(latent_size: int) -> tfd.Distribution:
    """p(z): a standard Normal over the latent vector."""
    return tfd.Independent(tfd.Normal(jnp.zeros(latent_size), 1.0), 1)


class VAE(nnx.Module):
    """Encoder -> IndependentNormal q(z | x); decoder(z) -> IndependentBernoulli p(x | z) over 64 pixels."""

    def __init__(self, latent_size: int, hidden_units: int, rngs: nnx.Rngs):
        self.latent_size = latent_size
        self.encoder = nnx.Sequential(
            nnx.Linear(NUM_PIXELS, hidden_units, rngs=rngs), nnx.relu,
            nnx.Linear(hidden_units, tfpl.IndependentNormal.params_size(latent_size), rngs=rngs),
            tfpl.IndependentNormal(latent_size, rngs=rngs),  # converts to a draw of z
        )
        self.decoder = nnx.Sequential(
            nnx.Linear(latent_size, hidden_units, rngs=rngs), nnx.relu,
            nnx.Linear(hidden_units, tfpl.IndependentBernoulli.params_size(NUM_PIXELS), rngs=rngs),
            tfpl.IndependentBernoulli(NUM_PIXELS),
        )

    def __call__(self, x):
        """`(q(z | x), p(x | z))` for one draw z of q."""
        posterior = self.encoder(x)
        return posterior, self.decoder(posterior)


def negative_elbo(x, outputs):
    """-ELBO per image: -log p(x | z) + KL(q(z | x) || p(z)), one draw of z."""
    posterior, likelihood = outputs
    prior = standard_normal_prior(posterior.event_shape[-1])
    return -likelihood.log_prob(x) + tfd.kl_divergence(posterior, prior)


def held_out_elbo(model: VAE, images: np.ndarray, num_draws: int, seed: int) -> tuple[float, float, float]:
    """Mean ELBO per image over `num_draws` encoder draws, with its reconstruction and KL parts (nats)."""
    posterior, likelihood = tfpl.predict_samples(model, jnp.asarray(images), num_draws, seed=seed)
    reconstruction = float(jnp.mean(likelihood.log_prob(images)))
    kl = float(jnp.mean(tfd.kl_divergence(posterior, standard_normal_prior(model.latent_size))))
    return reconstruction - kl, reconstruction, kl


def independent_pixels_log_likelihood(train: np.ndarray, test: np.ndarray) -> float:
    """Mean log-likelihood of test images under independent pixels with (add-one) training frequencies."""
    probs = (train.sum(axis=0) + 1.0) / (len(train) + 2.0)
    return float(np.mean(test @ np.log(probs) + (1 - test) @ np.log1p(-probs)))


def train_vae(settings: Settings, train: np.ndarray) -> tuple[VAE, float]:
    """Fit the VAE on the training digits; return it and the training time in seconds."""
    model = VAE(settings.latent_size, settings.hidden_units, nnx.Rngs(0))
    start = time.perf_counter()
    fit(model, train, train, loss=negative_elbo, optimizer=optax.adam(1e-3), epochs=settings.epochs,
        batch_size=settings.batch_size, verbose=0)
    return model, time.perf_counter() - start


def plot_vae(path: Path, model: VAE, test: np.ndarray, seed: int = 0) -> None:
    """Held-out digits and their reconstructions (decoder mean at the encoder mean); prior samples."""
    plt = pyplot()

    originals = test[:8]
    reconstructions = np.asarray(model.decoder(model.encoder(originals).mean()).mean())
    z = standard_normal_prior(model.latent_size).sample(16, seed=jax.random.key(seed))
    samples = np.asarray(model.decoder(z).mean())
    fig, axes = plt.subplots(4, 8, figsize=(9, 4.8))
    rows = (("held-out digit", originals), ("reconstruction", reconstructions), ("prior sample", samples[:8]),
            ("prior sample", samples[8:]))
    for row, (label, images) in enumerate(rows):
        for column, image in enumerate(images):
            axis = axes[row, column]
            axis.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=8)
    fig.suptitle("VAE on binarized 8x8 digits: decoder means")
    save_figure(fig, path)


def main(output: Path, settings: Settings | None = None) -> str:
    """Train the VAE, write `seed003_vae.png`, return the summary text."""
    settings = Settings() if settings is None else settings
    output = output_folder(output)
    start = time.perf_counter()
    train, test = binarized_digits()
    model, seconds = train_vae(settings, train)
    elbo, reconstruction, kl = held_out_elbo(model, test, settings.num_draws, seed=1)
    train_elbo, _, _ = held_out_elbo(model, train, settings.num_draws, seed=2)
    baseline = independent_pixels_log_likelihood(train, test)
    plot_vae(output / "seed003_vae.png", model, test)
    lines = [
        "== Seed 003: variational autoencoder on scikit-learn's 8x8 digits (binarized) ==",
        f"{len(train)} training / {len(test)} held-out digits, latent size {settings.latent_size}, "
        f"{settings.epochs} epochs of {settings.batch_size} in {seconds:.1f} s",
        f"held-out ELBO {elbo:.3f} nats per digit (E log p(x | z) {reconstruction:.3f}, KL {kl:.3f}; "
        f"{settings.num_draws} draws of z per digit); training digits {train_elbo:.3f}",
        f"independent pixels with training frequencies, held out: log-likelihood {baseline:.3f} per digit",
        f"figure: {output / 'seed003_vae.png'}",
        f"(seed 003, VAE, ran in {time.perf_counter() - start:.1f} s)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))
