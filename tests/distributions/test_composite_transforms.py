"""jit, vmap, grad and return-from-jit for the composites built on other distributions' values.

(MixtureSameFamily, Independent, Sample and the multivariate families check these in their own
files; this covers Mixture, Empirical, FiniteDiscrete, QuantizedDistribution and Inflated.)
"""

import jax
import numpy as np
import pytest

from probax import distributions as tfd
from tests.distributions.multivariate_checks import check_transforms


def mixture(logits, loc, scale):
    return tfd.Mixture(tfd.Categorical(logits=logits), [tfd.Normal(loc, scale), tfd.Laplace(-loc, scale)])


CASES = {
    "Mixture": (mixture, dict(logits=np.array([0.3, -0.2]), loc=np.array(0.5), scale=np.array(1.3)),
                np.array(0.7), ("logits", "loc", "scale")),
    "FiniteDiscrete": (lambda logits: tfd.FiniteDiscrete(np.array([-1.0, 0.5, 2.0]), logits=logits),
                       dict(logits=np.array([0.1, 0.4, -0.3])), np.array(0.5), ("logits",)),
    "QuantizedDistribution": (lambda loc, scale: tfd.QuantizedDistribution(tfd.Normal(loc, scale)),
                              dict(loc=np.array(0.3), scale=np.array(2.0)), np.array(1.0), ("loc", "scale")),
    "Inflated": (lambda probs, rate: tfd.Inflated(tfd.Poisson(rate), inflated_loc_probs=probs),
                 dict(probs=np.array(0.2), rate=np.array(3.0)), np.array(0.0), ("probs", "rate")),
    "Empirical": (lambda samples: tfd.Empirical(samples), dict(samples=np.array([0.1, 0.5, 0.5, 2.0])),
                  np.array(0.5), ()),
}


@pytest.mark.parametrize("name", CASES)
def test_transforms(name):
    make, params, value, differentiable = CASES[name]
    check_transforms(make, params, value, differentiable)
    # Sampling inside jit from a distribution built there.
    draws = jax.jit(lambda p, key: make(**p).sample(5, seed=key))(params, jax.random.key(0))
    assert draws.shape == (5,)
