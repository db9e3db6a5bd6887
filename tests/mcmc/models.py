"""Shared target densities with known posteriors, and Monte Carlo error checks, for sampler tests.

Models (each log density works in the dtype of its input):
- `GAUSSIAN_50`: a correlated 50-d Gaussian with known mean and covariance.
- `CONJUGATE_NORMAL`: a normal mean with known noise scale and a normal prior (closed-form posterior).
- eight schools, noncentered (`eight_schools_log_prob` over `(mu, log_tau, theta_tilde)`), against
  posteriordb's reference posterior summaries (hard-coded below with their source).

`run_chains` runs vmapped chains of a kernel; `assert_mean_within_mcse` compares a chain
average with the truth using a batch-means Monte Carlo standard error (pooled over chains).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class GaussianModel(NamedTuple):
    """A multivariate normal target given by its mean and covariance (NumPy float64)."""

    mean: np.ndarray
    covariance: np.ndarray
    precision: np.ndarray

    @property
    def variance(self) -> np.ndarray:
        return np.diag(self.covariance)

    def log_prob(self, x):
        """Unnormalized log density at `x` (shape `(d,)`), in `x`'s dtype."""
        centered = x - jnp.asarray(self.mean, x.dtype)
        return -0.5 * centered @ (jnp.asarray(self.precision, x.dtype) @ centered)


def correlated_gaussian(dimension: int = 50, correlation: float = 0.5) -> GaussianModel:
    """AR(1)-correlated Gaussian with scales from 0.5 to 2 and means from -1 to 1."""
    index = np.arange(dimension)
    corr = correlation ** np.abs(index[:, None] - index[None, :])
    scales = np.linspace(0.5, 2.0, dimension)
    covariance = corr * scales[:, None] * scales[None, :]
    return GaussianModel(np.linspace(-1.0, 1.0, dimension), covariance, np.linalg.inv(covariance))


GAUSSIAN_50 = correlated_gaussian()


class ConjugateNormal(NamedTuple):
    """`mu ~ Normal(prior_loc, prior_scale)`, `y_i ~ Normal(mu, noise_scale)`: a scalar state `mu`."""

    data: np.ndarray
    noise_scale: float
    prior_loc: float
    prior_scale: float

    def log_prob(self, mu):
        data = jnp.asarray(self.data, jnp.result_type(mu))
        prior = -0.5 * ((mu - self.prior_loc) / self.prior_scale) ** 2
        return prior - 0.5 * jnp.sum(((data - mu) / self.noise_scale) ** 2)

    @property
    def posterior_mean(self) -> float:
        precision = 1 / self.prior_scale**2 + len(self.data) / self.noise_scale**2
        return (self.prior_loc / self.prior_scale**2 + self.data.sum() / self.noise_scale**2) / precision

    @property
    def posterior_sd(self) -> float:
        return (1 / self.prior_scale**2 + len(self.data) / self.noise_scale**2) ** -0.5


CONJUGATE_NORMAL = ConjugateNormal(
    data=np.array([1.2, 0.3, 2.1, 1.7, 0.9, 1.4, 2.6, 0.2]), noise_scale=1.5, prior_loc=0.0, prior_scale=2.0
)

# Eight schools (Rubin 1981), Stan's noncentered parameterization as in posteriordb's
# `eight_schools-eight_schools_noncentered`: theta = mu + tau * theta_tilde, mu ~ N(0, 5),
# tau ~ HalfCauchy(0, 5), theta_tilde ~ N(0, 1), y ~ N(theta, sigma).
EIGHT_SCHOOLS_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
EIGHT_SCHOOLS_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
# posteriordb reference posterior (reference_posteriors/summary_statistics, posteriordb commit 28f8d3d):
# {name: (mean, sd, mcse of the reference mean)}.
EIGHT_SCHOOLS_REFERENCE = {"mu": (4.411, 3.309, 0.033), "tau": (3.602, 3.198, 0.032)}


def eight_schools_log_prob(mu, log_tau, theta_tilde):
    """Unnormalized posterior over `(mu, log_tau, theta_tilde[8])`; includes the log-Jacobian `log_tau`."""
    dtype = jnp.result_type(mu)
    y, sigma = jnp.asarray(EIGHT_SCHOOLS_Y, dtype), jnp.asarray(EIGHT_SCHOOLS_SIGMA, dtype)
    tau = jnp.exp(log_tau)
    theta = mu + tau * theta_tilde
    log_prior = -0.5 * (mu / 5.0) ** 2 - jnp.log1p((tau / 5.0) ** 2) + log_tau - 0.5 * jnp.sum(theta_tilde**2)
    return log_prior - 0.5 * jnp.sum(((y - theta) / sigma) ** 2)


def eight_schools_init(dtype=jnp.float64):
    """A starting point `[mu, log_tau, theta_tilde]` near the posterior's bulk."""
    return [jnp.asarray(4.0, dtype), jnp.asarray(1.0, dtype), jnp.zeros(8, dtype)]


def batch_means_mcse(draws) -> tuple[np.ndarray, np.ndarray]:
    """Mean and Monte Carlo standard error of `draws` (shape `(chains, draws, ...)`) by batch means.

    Each chain is cut into about `sqrt(draws)` consecutive batches; the variance of the batch means
    (pooled over chains, around the overall mean) estimates the variance of one batch's mean.
    """
    draws = np.asarray(draws, np.float64)
    num_chains, num_draws = draws.shape[:2]
    batch_size = max(int(np.sqrt(num_draws)), 1)
    num_batches = num_draws // batch_size
    usable = draws[:, : num_batches * batch_size]
    batch_means = usable.reshape((num_chains * num_batches, batch_size, *draws.shape[2:])).mean(axis=1)
    mean = usable.mean(axis=(0, 1))
    mcse = np.sqrt(batch_means.var(axis=0, ddof=1) / (num_chains * num_batches))
    return mean, mcse


def effective_sample_size(draws) -> np.ndarray:
    """A crude ESS (`variance / mcse**2`) from batch means, per component."""
    draws = np.asarray(draws, np.float64)
    _, mcse = batch_means_mcse(draws)
    return draws.var(axis=(0, 1)) / mcse**2


def assert_mean_within_mcse(draws, expected, num_sd: float = 4.0, extra_sd=0.0, name: str = "mean") -> None:
    """Assert that the draws' mean is within `num_sd` Monte Carlo standard errors of `expected`.

    `extra_sd` adds (in quadrature) the uncertainty of `expected` itself (a reference run's MCSE).
    """
    mean, mcse = batch_means_mcse(draws)
    tolerance = num_sd * np.sqrt(mcse**2 + np.asarray(extra_sd) ** 2)
    error = np.abs(mean - np.asarray(expected))
    assert np.all(error <= tolerance), (
        f"{name}: max |error| / tolerance = {np.max(error / tolerance):.2f} "
        f"(worst component {int(np.argmax(error / tolerance))}, mean {mean}, expected {expected})"
    )


def assert_moments_within_mcse(draws, mean, variance, num_sd: float = 4.0) -> None:
    """Means and variances of `draws` (shape `(chains, draws, d)`) within Monte Carlo error of the truth."""
    draws = np.asarray(draws, np.float64)
    assert_mean_within_mcse(draws, mean, num_sd, name="mean")
    assert_mean_within_mcse((draws - np.asarray(mean)) ** 2, variance, num_sd, name="variance")


@partial(jax.jit, static_argnames=("num_results", "num_burnin", "num_chains", "trace_fn"))
def run_chains(kernel, init, seed, num_results, num_burnin=0, num_chains=4, trace_fn=None):
    """Run `num_chains` chains of `kernel` from `init` (vmapped, one `lax.scan` each), compiled once.

    Returns `trace_fn(state, results)` (default: the states) for the `num_results` steps after
    `num_burnin` discarded ones, with a leading chain dimension.
    """
    trace = (lambda state, results: state) if trace_fn is None else trace_fn

    def one_chain(key):
        def step(carry, step_key):
            state, results = kernel.one_step(*carry, seed=step_key)
            return (state, results), trace(state, results)

        burnin_key, key = jax.random.split(key)
        carry = (init, kernel.bootstrap_results(init))
        if num_burnin:
            carry, _ = jax.lax.scan(step, carry, jax.random.split(burnin_key, num_burnin))
        return jax.lax.scan(step, carry, jax.random.split(key, num_results))[1]

    return jax.vmap(one_chain)(jax.random.split(seed, num_chains))
