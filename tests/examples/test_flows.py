import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from tests.examples.loading import load_example

flows = load_example("flows")
SIGMA = flows.SIGMA


def _grid(low, high, step):
    xs, ys = (np.arange(lo, hi + step / 2, step) for lo, hi in zip(low, high, strict=True))
    return np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1)


# The box leaves 8 sigma around both moons (outside mass ~ exp(-32)). On this smooth density a
# Riemann sum with a step of sigma / 3 has an aliasing error of order exp(-2 pi^2 9), so grid sums are
# exact far below the 1e-6 asked of the quadrature.
STEP = SIGMA / 3


@pytest.fixture(scope="module")
def log_density_on_grid():
    return flows.two_moons_log_density(_grid((-1.8, -1.3), (2.8, 1.8), STEP))


def test_true_density_integrates_to_one(log_density_on_grid):
    np.testing.assert_allclose(np.exp(log_density_on_grid).sum() * STEP**2, 1.0, atol=1e-6)


QUADRATURE_POINTS = [(0.0, 1.0), (0.5, 0.25), (-1.3, 0.05), (2.1, 0.6), (0.5, -1.0), (1.0, 2.0)]


@pytest.mark.parametrize("point", QUADRATURE_POINTS)
def test_true_density_matches_adaptive_quadrature(point):
    z = np.asarray(point)

    def log_kernel(t, arc):
        center = flows.moon_arcs(np.asarray(t))[arc]
        return -np.sum((z - center) ** 2) / (2 * SIGMA**2)

    # Scale the integrand by its peak (found on a dense grid) so quad works near 1, far from underflow.
    dense = np.linspace(0, np.pi, 20_001)
    per_arc = []
    for arc in (0, 1):
        values = [log_kernel(t, arc) for t in dense[::50]]
        peak_t = dense[::50][int(np.argmax(values))]
        peak = max(values)
        integral, _ = scipy.integrate.quad(
            lambda t, a=arc, m=peak: np.exp(log_kernel(t, a) - m),
            0,
            np.pi,
            points=[peak_t],
            epsabs=0,
            epsrel=1e-12,
            limit=500,
        )
        per_arc.append(np.log(integral) + peak)
    expected = np.logaddexp(*per_arc) - np.log(2 * np.pi) - np.log(2 * np.pi * SIGMA**2)
    np.testing.assert_allclose(flows.two_moons_log_density(z), expected, rtol=0, atol=1e-8)


def test_true_density_matches_monte_carlo_kernel_average():
    # p(z) = E_{arc, t}[N(z; arc(t), sigma^2 I)]: a plain Monte Carlo average over uniform (arc, t).
    rng = np.random.default_rng(3)
    m = 400_000
    t = rng.uniform(0, np.pi, m)
    centers = flows.moon_arcs(t)[np.arange(m), rng.integers(0, 2, m)]
    points = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.25], [1.8, -0.2]])
    kernels = scipy.stats.multivariate_normal.pdf(
        points[:, None, :] - centers[None], cov=SIGMA**2 * np.eye(2)
    )
    estimate, standard_error = kernels.mean(axis=1), kernels.std(axis=1) / np.sqrt(m)
    exact = np.exp(flows.two_moons_log_density(points))
    assert np.all(np.abs(estimate - exact) < 4 * standard_error)


def test_samples_follow_the_true_density(log_density_on_grid):
    # E[-log p(X)] over draws equals the entropy -int p log p (a grid sum), within Monte Carlo error.
    draws = flows.sample_two_moons(np.random.default_rng(5), 10_000)
    neg_log = -flows.two_moons_log_density(draws)
    entropy = -(np.exp(log_density_on_grid) * log_density_on_grid).sum() * STEP**2
    assert abs(neg_log.mean() - entropy) < 4 * neg_log.std() / np.sqrt(len(draws))


def test_conditional_density_normalizes_and_matches_its_samples():
    # sd(y1) <= 0.5 and sd(y2) = 0.2: the box holds all but ~exp(-18) of the mass at these x, and a
    # step of a tenth of the smallest sd makes the grid sum exact far below 1e-6.
    step = 0.02
    grid = _grid((-2.5, -2.0), (3.0, 13.0), step)
    for x in (-0.9, 0.0, 0.7):
        density = np.exp(flows.conditional_log_density(grid, np.full((*grid.shape[:-1], 1), x)))
        np.testing.assert_allclose(density.sum() * step**2, 1.0, atol=1e-6)
    problem = flows.sample_conditional(np.random.default_rng(2), 20_000)
    neg_log = -flows.conditional_log_density(problem.response, problem.condition)
    # E[-log p(y | x)] = E_x[log(2 pi e sd1(x) sd2)], with sd1 = 0.2 + 0.15 (x + 1), x ~ U(-1, 1).
    mean_log_sd1 = scipy.integrate.quad(lambda x: np.log(0.2 + 0.15 * (x + 1)), -1, 1)[0] / 2
    entropy = np.log(2 * np.pi * np.e) + mean_log_sd1 + np.log(0.2)
    assert abs(neg_log.mean() - entropy) < 4 * neg_log.std() / np.sqrt(len(neg_log))


TINY = flows.FlowConfig(num_layers=2, hidden_units=(8,), num_bins=4)


LOC, SCALE = np.array([0.5, 0.2]), np.array([0.9, 0.6])
POINTS = np.array([[0.1, -0.3], [1.5, 0.7], [-1.0, 0.0], [0.3, 0.4]])


@pytest.fixture(scope="module")
def trained_flow():
    """A tiny spline coupling flow: its log_prob at POINTS before training, then 40 steps on 512 points."""
    data = flows.sample_two_moons(np.random.default_rng(0), 512)
    flow = flows.build_flow("spline_coupling", TINY, LOC, SCALE)
    untrained = flows.flow_log_prob(flow, POINTS)
    result = flows.train(flow, data, steps=40, batch_size=128, learning_rate=1e-2)
    return flow, untrained, result, data


def _fixed_affine_log_prob(points):
    return scipy.stats.norm(LOC, SCALE).logpdf(points).sum(-1)


def test_untrained_maf_is_the_fixed_affine_map():
    # Zero-initialized output layers make every flow layer the identity, leaving N(loc, scale);
    # float32 flows, so float32 resolution of log-densities of order 1. (The spline flow is checked
    # the same way in the training test, before it trains.)
    flow = flows.build_flow("maf", TINY, LOC, SCALE)
    np.testing.assert_allclose(
        flows.flow_log_prob(flow, POINTS), _fixed_affine_log_prob(POINTS), rtol=1e-5, atol=1e-5
    )


def test_training_lowers_the_loss_and_gives_finite_densities(trained_flow):
    flow, untrained, result, _ = trained_flow
    np.testing.assert_allclose(untrained, _fixed_affine_log_prob(POINTS), rtol=1e-5, atol=1e-5)
    assert result.losses.shape == (40,)
    assert np.all(np.isfinite(result.losses))
    # The start is a Gaussian (several nats worse than the moons' ~1); 40 steps must already do better.
    assert result.losses[-8:].mean() < result.losses[:4].mean() - 0.05
    trained = flows.flow_log_prob(flow, POINTS)
    assert np.all(np.isfinite(trained)) and not np.allclose(trained, untrained)


def test_conditional_flow_trains_and_uses_the_condition():
    problem = flows.sample_conditional(np.random.default_rng(0), 256)
    flow = flows.build_conditional_maf(1, (8,), problem.response.mean(0), problem.response.std(0))
    result = flows.train(
        flow, problem.response, steps=5, batch_size=64, learning_rate=1e-2, condition=problem.condition
    )
    assert np.all(np.isfinite(result.losses))
    conditions = np.repeat([[-1.0], [1.0]], 2, axis=0)
    log_probs = flows.flow_log_prob(flow, np.tile(problem.response[:2], (2, 1)), conditions)
    assert np.all(np.isfinite(log_probs)) and not np.allclose(log_probs[:2], log_probs[2:])


@pytest.mark.slow
def test_plots_are_written(tmp_path, trained_flow):
    flow, _, result, data = trained_flow
    results = {"spline_coupling": flows.FlowResult(flow, 1.0, result)}
    flows.plot_two_moons(tmp_path / "moons.png", results, {"test": data, "true_nll": 1.0}, SIGMA)
    conditional = flows.build_conditional_maf(1, (8,), [0.0, 0.0], [1.0, 1.0])
    flows.plot_conditional(tmp_path / "conditional.png", {"flow": conditional})
    assert (tmp_path / "moons.png").stat().st_size > 10_000
    assert (tmp_path / "conditional.png").stat().st_size > 10_000


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="kind must be"):
        flows.build_flow("glow", TINY, [0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="points must end in a dimension of 2"):
        flows.two_moons_log_density(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="batch_size"):
        flows.train(flows.build_flow("maf", TINY, [0.0, 0.0], [1.0, 1.0]), np.zeros((4, 2)), 1, 8, 1e-3)


@pytest.mark.slow
def test_neural_spline_flow_comes_within_005_nats_of_the_truth():
    results, data = flows.fit_two_moons(flows.Settings(), kinds=("spline_coupling",))
    gap = results["spline_coupling"].test_nll - data["true_nll"]
    # Held-out NLL minus the true density's NLL on the same points estimates KL(p || q) >= 0 (a small
    # negative value would be the estimate's noise); the issue asks for a gap under 0.05 nats.
    assert -0.01 < gap < 0.05
