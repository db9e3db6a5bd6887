"""Every multivariate normal variant (and the multivariate t) against scipy, in one table.

Each family is built from the same random ingredients (a batch of 2 distributions over d = 3)
and compared with `scipy.stats.multivariate_normal` / `multivariate_t` per batch member, with the
dense covariance computed here in NumPy from the parameters' definition.
"""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax.distributions.kl import kl_divergence
from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag
from probax.distributions.multivariate_normal_diag_plus_low_rank import MultivariateNormalDiagPlusLowRank
from probax.distributions.multivariate_normal_full_covariance import MultivariateNormalFullCovariance
from probax.distributions.multivariate_normal_tril import MultivariateNormalTriL
from probax.distributions.multivariate_student_t import MultivariateStudentTTriL
from tests.distributions.oracle import OracleCase, _check_log_prob_gradients

D, BATCH = 3, 2
RNG = np.random.default_rng(20240611)
LOC = RNG.normal(size=(BATCH, D))
DIAG = RNG.uniform(0.5, 2.0, size=(BATCH, D)) * np.array([1.0, -1.0, 1.0])  # a negative entry: |.| counts
TRIL = np.tril(RNG.normal(size=(BATCH, D, D)), -1) + np.einsum("bi,ij->bij", DIAG, np.eye(D))
JUNK_ABOVE = TRIL + np.triu(RNG.normal(size=(BATCH, D, D)), 1)  # ignored, as in TFP
FACTOR = RNG.normal(size=(BATCH, D, 2))
PERTURB = RNG.uniform(0.2, 1.5, size=(BATCH, 2))
DF = np.array([4.5, 9.0])


def _diag_matrix(v):
    return np.einsum("...i,ij->...ij", v, np.eye(v.shape[-1]))


def _outer(s):
    return s @ np.swapaxes(s, -1, -2)


LOW_RANK_SCALE = _diag_matrix(DIAG) + np.einsum("bik,bk,bjk->bij", FACTOR, PERTURB, FACTOR)


@dataclasses.dataclass(frozen=True)
class Family:
    """A family, its parameters and its covariance (computed here from the definition)."""

    name: str
    make: Callable
    params: dict
    covariance: np.ndarray
    student_df: np.ndarray | None = None

    def __str__(self):
        return self.name

    def cast(self, dtype):
        return {k: np.asarray(v, dtype) for k, v in self.params.items()}

    def scipy_members(self):
        if self.student_df is None:
            return [scipy.stats.multivariate_normal(LOC[b], self.covariance[b]) for b in range(BATCH)]
        return [scipy.stats.multivariate_t(LOC[b], self.covariance[b], df=df)
                for b, df in enumerate(self.student_df)]


FAMILIES = [
    Family("diag", lambda **p: MultivariateNormalDiag(**p), dict(loc=LOC, scale_diag=DIAG),
           _diag_matrix(DIAG**2)),
    Family("tril", lambda **p: MultivariateNormalTriL(**p), dict(loc=LOC, scale_tril=JUNK_ABOVE),
           _outer(TRIL)),
    Family("full_covariance", lambda **p: MultivariateNormalFullCovariance(**p),
           dict(loc=LOC, covariance_matrix=_outer(TRIL)), _outer(TRIL)),
    Family("diag_plus_low_rank", lambda **p: MultivariateNormalDiagPlusLowRank(**p),
           dict(loc=LOC, scale_diag=DIAG, scale_perturb_factor=FACTOR, scale_perturb_diag=PERTURB),
           _outer(LOW_RANK_SCALE)),
    Family("student_t", lambda **p: MultivariateStudentTTriL(**p),
           dict(df=DF, loc=LOC, scale_tril=JUNK_ABOVE), _outer(TRIL), student_df=DF),
]
NORMALS = [f for f in FAMILIES if f.student_df is None]
RTOL = {np.float32: 2e-4, np.float64: 1e-9}
# Test points: 4 per batch member, spread over a few standard deviations.
POINTS = LOC + 1.5 * RNG.normal(size=(4, BATCH, D))


def _summaries(dist, points):
    return dict(log_prob=dist.log_prob(points), entropy=dist.entropy(), mean=dist.mean(), mode=dist.mode(),
                variance=dist.variance(), stddev=dist.stddev(), covariance=dist.covariance())


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_against_scipy(family, dtype):
    dist = family.make(**family.cast(dtype))
    assert dist.batch_shape == (BATCH,) and dist.event_shape == (D,)
    got = jax.jit(_summaries)(dist, POINTS.astype(dtype))
    members = family.scipy_members()
    moment = 1.0 if family.student_df is None else (DF / (DF - 2))[:, None, None]
    expected = dict(
        log_prob=np.stack([m.logpdf(POINTS[:, b]) for b, m in enumerate(members)], axis=1),
        entropy=np.array([m.entropy() for m in members]),
        mean=LOC, mode=LOC,
        covariance=moment * family.covariance,
        variance=np.diagonal(moment * family.covariance, axis1=-2, axis2=-1),
    )
    expected["stddev"] = np.sqrt(expected["variance"])
    for key, value in expected.items():
        assert got[key].dtype == dtype, key
        # Covariances are sums of d products: absolute error relative to their scale.
        atol = RTOL[dtype] * np.max(np.abs(value))
        np.testing.assert_allclose(got[key], value, rtol=RTOL[dtype], atol=atol, err_msg=key)


def _whiten(points, loc, covariance):
    """Standardized residuals by the covariance's own Cholesky factor (NumPy)."""
    chol = np.linalg.cholesky(covariance)
    return np.linalg.solve(chol, (points - loc)[..., None])[..., 0]


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_sampling(family):
    n = 10_000
    dist = family.make(**family.cast(np.float64))
    draws = np.asarray(jax.jit(lambda d: d.sample(n, seed=jax.random.key(11)))(dist))
    assert draws.shape == (n, BATCH, D)
    for b in range(BATCH):
        # The radius: |w|^2 ~ chi2(d) for a normal, |w|^2 / d ~ F(d, df) for the t (w whitened).
        radius = np.sum(np.square(_whiten(draws[:, b], LOC[b], family.covariance[b])), axis=-1)
        if family.student_df is None:
            reference = scipy.stats.chi2(D).cdf
        else:
            reference, radius = scipy.stats.f(D, family.student_df[b]).cdf, radius / D
        assert scipy.stats.kstest(radius, reference).pvalue > 1e-3
        # The mean within 5 Monte Carlo standard errors (sqrt(var / n) per coordinate).
        variance = np.diagonal(family.covariance[b])
        if family.student_df is not None:
            variance = variance * DF[b] / (DF[b] - 2)
        assert np.all(np.abs(draws[:, b].mean(0) - LOC[b]) < 5 * np.sqrt(variance / n))
        if family.student_df is None:
            # Gaussian sample covariance: Var(S_ij) = (S_ii S_jj + S_ij^2) / n.
            cov = family.covariance[b]
            standard_error = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
            assert np.all(np.abs(np.cov(draws[:, b], rowvar=False) - cov) < 5 * standard_error)


def _kl_reference(loc_p, cov_p, loc_q, cov_q):
    """KL between two normals from the textbook formula, in NumPy."""
    inverse_q = np.linalg.inv(cov_q)
    difference = loc_q - loc_p
    return 0.5 * (np.trace(inverse_q @ cov_p) + difference @ inverse_q @ difference - len(loc_p)
                  + np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1])


def test_kl_every_pair():
    # q's batch is reversed, so that each pair compares different members.
    reversed_params = [{k: v[::-1] for k, v in f.params.items()} for f in NORMALS]

    @jax.jit
    def all_pairs(ps, qs):
        return [[kl_divergence(f.make(**p), g.make(**q)) for g, q in zip(NORMALS, qs, strict=True)]
                for f, p in zip(NORMALS, ps, strict=True)]

    table = all_pairs([f.params for f in NORMALS], reversed_params)
    for i, f in enumerate(NORMALS):
        for j, g in enumerate(NORMALS):
            expected = [_kl_reference(LOC[b], f.covariance[b], LOC[::-1][b], g.covariance[::-1][b])
                        for b in range(BATCH)]
            np.testing.assert_allclose(table[i][j], expected, rtol=1e-9, err_msg=f"{f}||{g}")


def test_kl_broadcasts_batches_and_missing_parameters():
    # A standard normal (no parameters but its size) against a batch of 2; and a d mismatch.
    standard = MultivariateNormalTriL(loc=np.zeros((1, D)))
    tril = MultivariateNormalTriL(loc=LOC, scale_tril=TRIL)
    expected = [_kl_reference(np.zeros(D), np.eye(D), LOC[b], _outer(TRIL)[b]) for b in range(BATCH)]
    np.testing.assert_allclose(kl_divergence(standard, tril), expected, rtol=1e-9)
    reverse = [_kl_reference(LOC[b], _outer(TRIL)[b], np.zeros(D), np.eye(D)) for b in range(BATCH)]
    np.testing.assert_allclose(kl_divergence(tril, MultivariateNormalDiag(scale_diag=np.ones(D))), reverse,
                               rtol=1e-9)
    with pytest.raises(ValueError, match="event shapes"):
        kl_divergence(tril, MultivariateNormalDiag(scale_diag=np.ones(D + 1)))


def test_kl_matches_monte_carlo():
    p = MultivariateNormalDiagPlusLowRank(LOC, DIAG, FACTOR, PERTURB)
    q = MultivariateNormalTriL(LOC[::-1], TRIL)
    n = 50_000

    @jax.jit
    def log_ratios(p, q):
        samples = p.sample(n, seed=3)
        return p.log_prob(samples) - q.log_prob(samples)

    log_ratio = np.asarray(log_ratios(p, q))
    standard_error = log_ratio.std(0) / np.sqrt(n)
    assert np.all(np.abs(log_ratio.mean(0) - kl_divergence(p, q)) < 5 * standard_error)


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_transforms_and_gradients(family):
    params = family.cast(np.float64)
    log_prob = jax.jit(lambda d, x: d.log_prob(x))
    reference = [m.logpdf(POINTS[:, b]) for b, m in enumerate(family.scipy_members())]
    eager = family.make(**params).log_prob(POINTS)
    np.testing.assert_allclose(eager, np.stack(reference, axis=1), rtol=1e-9)
    returned = jax.jit(lambda p: family.make(**p))(params)
    np.testing.assert_allclose(log_prob(returned, POINTS), eager, rtol=1e-12)
    # vmap over a stacked constructor: batch (2, 2), then a jitted log_prob of the batch.
    stacked = {k: np.stack([v, v]) for k, v in params.items()}
    batched = jax.vmap(lambda p: family.make(**p))(stacked)
    assert batched.batch_shape == (2, BATCH)
    np.testing.assert_allclose(log_prob(batched, POINTS[:, None]),
                               np.stack([eager, eager], 1), rtol=1e-12)
    # Gradients of log_prob in every parameter entry: finite, equal to central differences.
    case = OracleCase(name=family.name, make=family.make, reference=None, params=params)
    _check_log_prob_gradients(case, params, POINTS)
    # Reparameterized draws: d sum(draws) / d loc = number of draws per entry (draws are loc + a
    # term free of loc), and finite gradients in the scale.
    scale_name = next(k for k in params if k not in ("loc", "df"))

    def total_draw(p):
        return jnp.sum(family.make(**{**params, **p}).sample(8, seed=0))

    grads = jax.jit(jax.grad(total_draw))({"loc": params["loc"], scale_name: params[scale_name]})
    np.testing.assert_allclose(grads["loc"], np.full_like(LOC, 8.0), rtol=1e-12)
    assert np.all(np.isfinite(grads[scale_name]))


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_shapes_follow_tfp(family):
    # loc [4, 1, d] against scale batch [2]: batch_shape (4, 2), as TFP broadcasts.
    params = {**family.params, "loc": RNG.normal(size=(4, 1, D))}
    dist = family.make(**params)
    assert dist.batch_shape == (4, BATCH) and dist.event_shape == (D,)

    def shapes(fn):
        return jax.eval_shape(fn, dist).shape  # traced, not compiled: shapes only

    assert shapes(lambda d: d.sample((5, 6), seed=0)) == (5, 6, 4, BATCH, D)
    assert shapes(lambda d: d.log_prob(jnp.zeros(D))) == (4, BATCH)
    assert shapes(lambda d: d.log_prob(jnp.zeros((7, 1, 1, D)))) == (7, 4, BATCH)
    assert shapes(lambda d: d.covariance()) == (4, BATCH, D, D)
    assert shapes(lambda d: d.mean()) == shapes(lambda d: d.variance()) == (4, BATCH, D)
    assert shapes(lambda d: d.entropy()) == (4, BATCH)
    sliced = dist[1:3, 0]
    assert sliced.batch_shape == (2,) and sliced.event_shape == (D,)
    both = jax.jit(lambda d, s, x: (s.log_prob(x), d.log_prob(x)))
    sliced_log_prob, log_prob = both(dist, sliced, POINTS[0, 0])
    np.testing.assert_allclose(sliced_log_prob, log_prob[1:3, 0], rtol=1e-12)
    # loc with a last axis of 1 broadcasts over the event, as in TFP.
    assert family.make(**{**family.params, "loc": np.zeros((BATCH, 1))}).event_shape == (D,)
    with pytest.raises(ValueError, match="event size"):
        family.make(**{**family.params, "loc": np.zeros((BATCH, D + 1))})
    bijector = dist.experimental_default_event_space_bijector()
    assert type(bijector).__name__ == "Identity"
    with pytest.raises(ValueError, match="at least 1 dimension"):
        family.make(**{**family.params, "loc": np.float64(0.0)})


def test_d50_log_prob_layouts():
    """d = 50 log_prob vs scipy, for values that share one matrix on different batch axes."""
    d = 50
    rng = np.random.default_rng(5)
    tril = np.tril(rng.normal(size=(3, d, d)), -1) * 0.3 + _diag_matrix(rng.uniform(0.5, 1.5, size=(3, d)))
    loc = rng.normal(size=(3, d))
    values = rng.normal(size=(6, 1, d)) * 2
    dist = MultivariateNormalTriL(loc, tril)
    expected = np.stack([scipy.stats.multivariate_normal(loc[b], _outer(tril[b])).logpdf(values[:, 0])
                         for b in range(3)], axis=1)
    log_prob = jax.jit(lambda d_, x: d_.log_prob(x))
    np.testing.assert_allclose(log_prob(dist, values), expected, rtol=1e-10)
    # The same with the batch of matrices on a middle axis and values sharing them on both sides.
    middle = MultivariateNormalTriL(loc[None, :, None], tril[None, :, None])  # batch (1, 3, 1)
    got = log_prob(middle, np.broadcast_to(values[:, 0], (2, 1, 6, d)))
    assert got.shape == (2, 3, 6)
    for k in range(2):
        np.testing.assert_allclose(got[k], expected.T, rtol=1e-10)
