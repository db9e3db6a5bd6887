"""The registry's mechanics; each family's analytic KL is tested in its own file."""

import jax.numpy as jnp
import numpy as np
import pytest

from probax import distributions as tfd


def test_missing_pair_names_both_families():
    with pytest.raises(NotImplementedError, match=r"KL\(Normal \|\| Bernoulli\)"):
        tfd.kl_divergence(tfd.Normal(0.0, 1.0), tfd.Bernoulli(probs=0.5))


def test_subclass_inherits_parent_formula_and_closest_pair_wins():
    class WideNormal(tfd.Normal):
        pass

    p, q = WideNormal(0.0, 1.0), tfd.Normal(1.0, 1.0)
    np.testing.assert_allclose(tfd.kl_divergence(p, q), 0.5)

    @tfd.RegisterKL(WideNormal, tfd.Normal)
    def _special(a, b):
        return jnp.zeros(())

    assert float(tfd.kl_divergence(p, q)) == 0.0


def test_double_registration_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        tfd.RegisterKL(tfd.Normal, tfd.Normal)(lambda a, b: 0.0)


def test_batches_broadcast():
    kl = tfd.kl_divergence(tfd.Normal(jnp.zeros(3), 1.0), tfd.Normal(0.0, jnp.ones((2, 1))))
    assert kl.shape == (2, 3)
    np.testing.assert_allclose(kl, 0.0)


def test_allow_nan_stats_false_raises():
    with pytest.raises(ValueError, match="NaN"):
        tfd.kl_divergence(tfd.Normal(jnp.nan, 1.0), tfd.Normal(0.0, 1.0), allow_nan_stats=False)
