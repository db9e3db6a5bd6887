"""Models shared by the JointDistribution tests: eight schools written three ways, and the changepoint
model of seed 001 (TFP's "Bayesian Methods for Hackers" text-message example)."""

import jax.numpy as jnp
import numpy as np

from probax import distributions as tfd
from probax.distributions.independent import Independent

# Rubin (1981): estimated treatment effects and their standard errors.
SCHOOL_EFFECTS = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SCHOOL_STDERRS = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
NUM_SCHOOLS = 8


def eight_schools_sequential():
    return tfd.JointDistributionSequential([
        tfd.Normal(0.0, 5.0),  # avg_effect
        tfd.HalfCauchy(0.0, 5.0),  # avg_stddev
        Independent(tfd.Normal(jnp.zeros(NUM_SCHOOLS), 1.0), 1),  # school_effects_std
        lambda school_effects_std, avg_stddev, avg_effect: Independent(
            tfd.Normal(avg_effect[..., None] + avg_stddev[..., None] * school_effects_std, SCHOOL_STDERRS), 1
        ),  # treatment_effects
    ])


def eight_schools_named():
    return tfd.JointDistributionNamed(dict(
        avg_effect=tfd.Normal(0.0, 5.0),
        avg_stddev=tfd.HalfCauchy(0.0, 5.0),
        school_effects_std=Independent(tfd.Normal(jnp.zeros(NUM_SCHOOLS), 1.0), 1),
        treatment_effects=lambda avg_effect, avg_stddev, school_effects_std: Independent(
            tfd.Normal(avg_effect[..., None] + avg_stddev[..., None] * school_effects_std, SCHOOL_STDERRS), 1
        ),
    ))


def eight_schools_coroutine():
    root = tfd.JointDistributionCoroutine.Root

    def model():
        avg_effect = yield root(tfd.Normal(0.0, 5.0, name="avg_effect"))
        avg_stddev = yield root(tfd.HalfCauchy(0.0, 5.0, name="avg_stddev"))
        school_effects_std = yield root(
            Independent(tfd.Normal(jnp.zeros(NUM_SCHOOLS), 1.0), 1, name="school_effects_std")
        )
        yield Independent(
            tfd.Normal(avg_effect[..., None] + avg_stddev[..., None] * school_effects_std, SCHOOL_STDERRS), 1,
            name="treatment_effects",
        )

    return tfd.JointDistributionCoroutine(model)


def changepoint_model(count_data):
    """Seed 001's model: two Poisson rates with a switch at fraction `tau` of the days."""
    count_data = jnp.asarray(count_data)
    alpha = 1.0 / jnp.mean(count_data)
    num_days = count_data.shape[0]

    def counts(lambda_1, lambda_2, tau):
        late = tau[..., None] * num_days <= jnp.arange(num_days)
        rate = jnp.where(late, lambda_2[..., None], lambda_1[..., None])
        return Independent(tfd.Poisson(rate=rate), 1)

    return tfd.JointDistributionNamed(dict(
        lambda_1=tfd.Exponential(rate=alpha),
        lambda_2=tfd.Exponential(rate=alpha),
        tau=tfd.Uniform(),
        counts=counts,
    ))


def synthetic_counts(seed=0, num_days=60):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.poisson(15.0, num_days // 2), rng.poisson(25.0, num_days - num_days // 2)])
