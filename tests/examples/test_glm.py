
import numpy as np

from tests.examples.loading import load_example


def _load():
    return load_example("glm")


def test_walkthrough_recovers_the_sparse_support_and_prints_the_table(tmp_path):
    module = _load()
    summary = module.main(tmp_path)
    assert (tmp_path / "glm.png").stat().st_size > 10_000
    problem = module.simulate_sparse_problem()
    # The slide's call converges with the defaults; its four largest weights are the true ones.
    seed = module.seed_fit(problem)
    assert bool(seed.is_converged)
    largest = np.sort(np.argsort(-np.abs(np.asarray(seed.model_coefficients)))[:4])
    np.testing.assert_array_equal(largest, module.TRUE_SUPPORT)
    # A larger L1 weight zeroes exactly the irrelevant ones.
    _, strong = module.strong_l1_fit(problem)
    np.testing.assert_array_equal(np.flatnonzero(np.asarray(strong.model_coefficients)), module.TRUE_SUPPORT)
    assert f"non-zero at {list(module.TRUE_SUPPORT)}" in summary
    for column in ["coef", "std err", "P>|z|", "const", "x1", "x2"]:
        assert column in summary
