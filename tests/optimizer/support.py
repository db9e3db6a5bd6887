"""Shared test support: test problems with independent oracles, single-threaded BLAS for scipy.

JAX versions of the problems feed probax; scipy's own `rosen`/`rosen_der` and
NumPy versions of the other objectives feed scipy, so an error in a JAX
objective cannot hide in both sides of a comparison.
"""

import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # scikit-learn's dependency; without it BLAS keeps its threads
    threadpool_limits = None

def single_threaded_blas():
    """Run BLAS on one thread (for scipy's solvers).

    scipy's quasi-Newton solvers call BLAS on tiny arrays, where OpenBLAS's thread pool costs
    more than the work (10x slower on a busy 2-core machine).
    """
    if threadpool_limits is None:
        return contextlib.nullcontext()
    return threadpool_limits(1, "blas")


def rosenbrock(x):
    """Rosenbrock's function over the last axis; minimum 0 at ones."""
    return jnp.sum(100.0 * (x[..., 1:] - x[..., :-1] ** 2) ** 2 + (1.0 - x[..., :-1]) ** 2, axis=-1)


rosenbrock_value_and_gradient = jax.value_and_grad(rosenbrock)


def rosenbrock_start(n):
    """The classic start (-1.2, 1, -1.2, 1, ...)."""
    return np.tile([-1.2, 1.0], n // 2)


def position_error_bound(n, gradient_tolerance):
    """Supremum-norm distance to the Rosenbrock optimum implied by a gradient tolerance.

    To first order x - x* = H^-1 g with H the Hessian at the optimum, so
    |x - x*|_inf <= |g|_2 / lambda_min(H) <= sqrt(n) |g|_inf / lambda_min(H);
    the factor 2 covers the second-order term at this distance.
    """
    hessian = scipy.optimize.rosen_hess(np.ones(n))
    return 2 * np.sqrt(n) * gradient_tolerance / np.linalg.eigvalsh(hessian)[0]


def scipy_rosenbrock(method, start, gtol):
    """scipy's run on Rosenbrock, stopping on the supremum norm of the gradient only."""
    options = {"gtol": gtol, "maxiter": 10_000}
    if method == "L-BFGS-B":
        options.update(maxcor=10, ftol=0.0)  # probax's default num_correction_pairs; no f-test
    with single_threaded_blas():
        return scipy.optimize.minimize(
            scipy.optimize.rosen, start, jac=scipy.optimize.rosen_der, method=method, options=options
        )


def logistic_data(num_points=200, num_features=5, seed=0):
    """Synthetic logistic-regression data: features, 0/1 labels."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(num_points, num_features))
    weights = rng.normal(size=num_features)
    labels = (rng.uniform(size=num_points) < 1 / (1 + np.exp(-features @ weights))).astype(float)
    return features, labels


PRIOR_SCALE = 2.0


def logistic_map_objective(features, labels):
    """JAX negative log posterior of logistic regression with a Normal(0, PRIOR_SCALE) prior."""
    features, labels = jnp.asarray(features), jnp.asarray(labels)

    def negative_log_posterior(weights):
        logits = features @ weights
        return jnp.sum(jax.nn.softplus(logits) - labels * logits) + 0.5 * jnp.sum(weights**2) / PRIOR_SCALE**2

    return jax.value_and_grad(negative_log_posterior)


def logistic_map_hessian_norm(features):
    """An upper bound on the largest Hessian eigenvalue of the MAP objective (p(1-p) <= 1/4)."""
    return 0.25 * np.linalg.eigvalsh(features.T @ features)[-1] + 1 / PRIOR_SCALE**2


def scipy_logistic_map(features, labels, method):
    """scipy's MAP with a NumPy objective and gradient, run to a gradient of 1e-11."""

    def value_and_gradient(weights):
        logits = features @ weights
        value = np.sum(np.logaddexp(0.0, logits) - labels * logits) + 0.5 * weights @ weights / PRIOR_SCALE**2
        gradient = features.T @ (1 / (1 + np.exp(-logits)) - labels) + weights / PRIOR_SCALE**2
        return value, gradient

    options = {"gtol": 1e-11, "maxiter": 10_000}
    if method == "L-BFGS-B":
        options["ftol"] = 0.0
    with single_threaded_blas():
        result = scipy.optimize.minimize(
            value_and_gradient, np.zeros(features.shape[1]), jac=True, method=method, options=options
        )
    return result, value_and_gradient
