"""The base class contract, exercised through Normal and Bernoulli."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import distributions as tfd


def test_shapes_follow_tfp_rules():
    d = tfd.Normal(loc=jnp.zeros(3), scale=jnp.ones((2, 1)))
    assert d.batch_shape == (2, 3)
    assert d.event_shape == ()
    assert d.sample((4, 5), seed=0).shape == (4, 5, 2, 3)
    assert d.sample(seed=0).shape == (2, 3)
    assert d.log_prob(0.0).shape == (2, 3)
    assert d.log_prob(jnp.zeros((7, 1, 3))).shape == (7, 2, 3)
    assert d.mean().shape == d.stddev().shape == d.entropy().shape == (2, 3)


def test_unbroadcastable_parameters_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(3,\), \(2,\) cannot be broadcast"):
        tfd.Normal(jnp.zeros(3), jnp.ones(2))


def test_value_that_does_not_broadcast_shows_shapes():
    with pytest.raises(ValueError, match=r"\(4,\), \(3,\)"):
        tfd.Normal(jnp.zeros(3), 1.0).log_prob(jnp.zeros(4))


@pytest.mark.parametrize("seed", [0, np.int64(3), jax.random.key(1), jax.random.PRNGKey(2)],
                         ids=["int", "numpy-int", "typed-key", "raw-key"])
def test_seed_accepts_keys_and_ints(seed):
    assert tfd.Normal(0.0, 1.0).sample(2, seed=seed).shape == (2,)


def test_same_seed_same_draws_and_int_seed_matches_key():
    d = tfd.Normal(0.0, 1.0)
    np.testing.assert_array_equal(d.sample(5, seed=3), d.sample(5, seed=jax.random.key(3)))
    assert not np.allclose(d.sample(5, seed=3), d.sample(5, seed=4))


@pytest.mark.parametrize("seed", [None, "abc", 1.5, jnp.zeros((2, 2), jnp.uint32)])
def test_bad_seed_is_a_clear_error(seed):
    with pytest.raises(ValueError, match="seed"):
        tfd.Normal(0.0, 1.0).sample(seed=seed)


def test_bad_sample_shape_is_named():
    with pytest.raises(ValueError, match="sample_shape"):
        tfd.Normal(0.0, 1.0).sample((-1,), seed=0)


def test_validate_args_names_parameter_and_constraint():
    with pytest.raises(ValueError, match=r"`scale` must be positive"):
        tfd.Normal(0.0, [1.0, -1.0], validate_args=True)
    tfd.Normal(0.0, -1.0)  # without validation TFP builds it anyway


def test_validate_args_fires_inside_jit():
    f = jax.jit(lambda s: tfd.Normal(0.0, s, validate_args=True).log_prob(1.0))
    assert np.isfinite(f(1.0))
    with pytest.raises(Exception, match="`scale` must be positive"):
        f(-1.0).block_until_ready()


def test_values_outside_support_are_minus_inf_or_errors():
    b = tfd.Bernoulli(probs=0.3)
    np.testing.assert_array_equal(b.log_prob(jnp.array([2.0, -1.0, 0.5])), -np.inf)
    with pytest.raises(ValueError, match="outside the support"):
        tfd.Bernoulli(probs=0.3, validate_args=True).log_prob(2.0)


def test_default_dtype_is_float32_and_x64_gives_float64():
    code = "import probax as px; print(px.distributions.Normal(0., 1.).sample(seed=0).dtype)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "float32"
    assert tfd.Normal(0.0, 1.0).dtype == jnp.float64  # the test session runs with x64 on
    assert tfd.Normal(np.float32(0.0), np.float32(1.0)).dtype == jnp.float32
    assert tfd.Normal(0, 1).dtype == jnp.float64  # integers promote to the default float


def test_immutability_and_copy():
    d = tfd.Normal(0.0, 1.0, name="prior")
    with pytest.raises(AttributeError, match="immutable"):
        d.loc = 3.0
    e = d.copy(scale=2.0)
    assert float(e.scale) == 2.0 and float(d.scale) == 1.0 and e.name == "prior"
    assert set(d.parameters) == {"loc", "scale", "validate_args", "allow_nan_stats", "name"}
    rebuilt = type(d)(**d.parameters)
    assert float(rebuilt.log_prob(0.3)) == float(d.log_prob(0.3))


def test_slicing_batch_dimensions():
    loc = jnp.arange(6.0).reshape(2, 3)
    d = tfd.Normal(loc, jnp.ones(3))
    assert d[0].batch_shape == (3,)
    np.testing.assert_array_equal(d[1].mean(), loc[1])
    assert d[:, 1:].batch_shape == (2, 2)
    assert d[..., 0].batch_shape == (2,)
    assert d[None].batch_shape == (1, 2, 3)
    np.testing.assert_array_equal(d[:, 2].stddev(), [1.0, 1.0])
    with pytest.raises(ValueError, match="too many indices"):
        d[0, 0, 0]


def test_pytree_round_trip_keeps_statics():
    d = tfd.Bernoulli(logits=jnp.zeros(2), dtype=jnp.int8, validate_args=True, name="coin")
    leaves, treedef = jax.tree_util.tree_flatten(d)
    assert len(leaves) == 1  # probs is None: only logits is a leaf
    back = jax.tree_util.tree_unflatten(treedef, leaves)
    assert back.dtype == jnp.int8 and back.validate_args and back.name == "coin"
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(d)[0]]
    assert paths == [".logits"]


def test_distribution_passes_through_scan_and_grad():
    def step(carry, x):
        return carry, carry.log_prob(x)

    _, lp = jax.lax.scan(step, tfd.Normal(0.0, 1.0), jnp.arange(3.0))
    np.testing.assert_allclose(lp, tfd.Normal(0.0, 1.0).log_prob(jnp.arange(3.0)))
    grads = jax.grad(lambda d: d.log_prob(1.0))(tfd.Normal(0.0, 2.0))
    assert isinstance(grads, tfd.Normal)
    np.testing.assert_allclose([grads.loc, grads.scale], [0.25, -0.375])


def test_allow_nan_stats_false_raises_on_nan_statistics():
    d = tfd.Normal(jnp.nan, 1.0, allow_nan_stats=False)
    with pytest.raises(ValueError, match="undefined"):
        d.mean()


def test_unimplemented_method_names_family_and_method():
    with pytest.raises(NotImplementedError, match=r"Normal does not implement `covariance`"):
        tfd.Normal(0.0, 1.0).covariance()


def test_quantile_outside_unit_interval_is_nan():
    q = tfd.Normal(0.0, 1.0).quantile(jnp.array([-0.1, 0.5, 1.1]))
    assert np.isnan(q[0]) and q[1] == 0.0 and np.isnan(q[2])


def test_cross_entropy_is_entropy_plus_kl():
    p, q = tfd.Normal(0.0, 1.0), tfd.Normal(1.0, 2.0)
    # Closed form: log(s_q) + 0.5 log(2 pi) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2)
    expected = np.log(2.0) + 0.5 * np.log(2 * np.pi) + (1.0 + 1.0) / 8.0
    np.testing.assert_allclose(p.cross_entropy(q), expected, rtol=1e-12)


def test_sample_gradient_is_reparameterized():
    def mean_draw(loc, scale):
        return jnp.mean(tfd.Normal(loc, scale).sample(1000, seed=0))

    g_loc, g_scale = jax.grad(mean_draw, argnums=(0, 1))(0.5, 2.0)
    draws = tfd.Normal(0.0, 1.0).sample(1000, seed=0)
    np.testing.assert_allclose([g_loc, g_scale], [1.0, float(jnp.mean(draws))], rtol=1e-12)
    assert tfd.Normal.reparameterization_type is tfd.FULLY_REPARAMETERIZED
    assert tfd.Bernoulli.reparameterization_type is tfd.NOT_REPARAMETERIZED


BOUNDED_SUPPORT = [
    tfd.Bernoulli(probs=0.3), tfd.Categorical(probs=[0.2, 0.8]), tfd.Binomial(5.0, probs=0.3),
    tfd.Poisson(3.0), tfd.Geometric(probs=0.3), tfd.BetaBinomial(5.0, 2.0, 3.0), tfd.Beta(2.0, 3.0),
    tfd.Uniform(0.0, 1.0), tfd.Gamma(2.0, 1.0), tfd.Kumaraswamy(2.0, 3.0), tfd.InverseGaussian(1.0, 1.0),
    tfd.LogitNormal(0.0, 1.0), tfd.TruncatedNormal(0.0, 1.0, -1.0, 1.0), tfd.HalfNormal(1.0),
]


@pytest.mark.parametrize("dist", [tfd.Normal(0.0, 1.0), *BOUNDED_SUPPORT], ids=lambda d: type(d).__name__)
def test_nan_values_propagate_instead_of_becoming_minus_inf(dist):
    assert np.isnan(dist.log_prob(jnp.nan))
    assert np.isnan(jax.jit(dist.log_prob)(jnp.nan))


@pytest.mark.parametrize("dist", BOUNDED_SUPPORT, ids=lambda d: type(d).__name__)
def test_values_below_the_support_have_zero_density(dist):
    assert dist.log_prob(-5.0) == -np.inf


def test_value_event_part_broadcasts_against_event_shape_as_in_tfp():
    from probax.distributions import Dirichlet, MultivariateNormalDiag

    mvn = MultivariateNormalDiag(np.zeros(3), np.ones(3))
    np.testing.assert_allclose(mvn.log_prob(0.0), mvn.log_prob(np.zeros(3)), rtol=1e-14)
    assert mvn.log_prob(np.zeros((2, 1))).shape == (2,)
    # A size-1 event part is broadcast before any reduction over the event axis.
    dirichlet = Dirichlet(np.array([2.0, 3.0, 4.0]))
    third = np.full(3, 1 / 3)
    np.testing.assert_allclose(dirichlet.log_prob(third[:1]), dirichlet.log_prob(third), rtol=1e-14)
    with pytest.raises(ValueError, match=r"value event part and event_shape: shapes \(2,\), \(3,\)"):
        mvn.log_prob(np.zeros(2))


@pytest.mark.parametrize(
    ("build", "outside"),
    [
        (lambda flag: tfd.Gamma(2.0, 1.5, force_probs_to_zero_outside_support=flag), -1.0),
        (lambda flag: tfd.Exponential(1.5, force_probs_to_zero_outside_support=flag), -1.0),
        (lambda flag: tfd.Beta(2.0, 3.0, force_probs_to_zero_outside_support=flag), 1.5),
        (lambda flag: tfd.Poisson(4.0, force_probs_to_zero_outside_support=flag), 2.5),
        (lambda flag: tfd.Geometric(probs=0.3, force_probs_to_zero_outside_support=flag), -1.0),
    ],
    ids=["gamma", "exponential", "beta", "poisson", "geometric"],
)
@pytest.mark.parametrize("flag", [False, True])
def test_tfp_flag_force_probs_to_zero_outside_support(build, outside, flag):
    # TFP's flag is accepted (and kept in `parameters`); probax gives -inf outside the support either way.
    d = build(flag)
    assert d.parameters["force_probs_to_zero_outside_support"] is flag
    assert float(d.log_prob(outside)) == -np.inf and float(d.prob(outside)) == 0.0
    assert d.copy().parameters["force_probs_to_zero_outside_support"] is flag
