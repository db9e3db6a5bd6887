"""MultivariateNormalDiag specifics (the shared maths are tested in test_mvn_linear.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag


def test_builds_no_matrix_for_log_prob_and_sample():
    # The compiled log_prob and sample contain no d x d intermediate (d = 64 here).
    d = 64
    dist = MultivariateNormalDiag(jnp.zeros(d), jnp.ones(d))
    for fn in (lambda m: m.log_prob(jnp.zeros((3, d))), lambda m: m.sample(3, seed=0)):
        text = jax.jit(fn).lower(dist).as_text()
        assert f"{d}x{d}x" not in text


def test_log_prob_keeps_the_whitening_apart_from_the_sum():
    # XLA:CPU runs the whitening ~15% faster in its own loop than inside YNNPACK's sum kernel
    # (benchmarks/multivariate.py, diag_one); the no-op reduce_precision between them keeps them apart.
    dist = MultivariateNormalDiag(jnp.zeros(3), jnp.ones(3))
    jaxpr = jax.make_jaxpr(dist.log_prob)(jnp.zeros((5, 3))).jaxpr
    split = {str(eqn.outvars[0]) for eqn in jaxpr.eqns if eqn.primitive.name == "reduce_precision"}
    sums = [str(eqn.invars[0]) for eqn in jaxpr.eqns
            if eqn.primitive.name == "reduce_sum" and eqn.invars[0].aval.shape == (5, 3)]
    assert len(sums) == 1 and sums[0] in split


def test_standard_normal_defaults_and_scale_tril():
    dist = MultivariateNormalDiag(loc=[1.0, 2.0])  # scale_diag=None: identity
    np.testing.assert_allclose(dist.log_prob([0.0, 0.0]),
                               scipy.stats.multivariate_normal([1, 2]).logpdf([0, 0]), rtol=1e-12)
    np.testing.assert_allclose(MultivariateNormalDiag(scale_diag=[2.0, -3.0]).scale_tril, np.diag([2.0, 3.0]))
    assert MultivariateNormalDiag(scale_diag=[2.0, 3.0]).mean().tolist() == [0.0, 0.0]


def test_validate_args():
    with pytest.raises(ValueError, match="scale_diag"):
        MultivariateNormalDiag([0.0, 0.0], [1.0, 0.0], validate_args=True)
    with pytest.raises(ValueError, match="give at least one"):
        MultivariateNormalDiag()
