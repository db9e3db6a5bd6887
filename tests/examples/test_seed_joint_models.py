import re

import numpy as np

from tests.examples.loading import load_example


def _load():
    return load_example("seed_joint_models")


def test_walkthrough_matches_the_seed_density_and_closed_forms(tmp_path):
    module = _load()
    summary = module.main(tmp_path)
    assert (tmp_path / "joint_models.png").stat().st_size > 10_000
    density_lines = [line for line in summary.splitlines() if line.startswith(("log_prob via", "seed's"))]
    joint, hand_written = (float(line.rsplit(": ", 1)[1]) for line in density_lines)
    np.testing.assert_allclose(joint, hand_written, rtol=1e-6)
    assert "event_shape (2, 1); samples (1000, 2, 1)" in summary
    number_pair = r"([\d.]+) \(closed form ([\d.]+)\)"
    found = re.search(rf"lambda_1 = {number_pair}, lambda_2 = {number_pair}", summary)
    values = [float(v) for v in found.groups()]
    np.testing.assert_allclose(values[0], values[1], rtol=1e-4)
    np.testing.assert_allclose(values[2], values[3], rtol=1e-4)
    switch, post = module.exact_switch_posterior(module.simulated_counts())
    np.testing.assert_allclose(post.sum(), 1.0, rtol=1e-12)
    assert abs(int(switch[np.argmax(post)]) - module.TRUE_SWITCH) <= 3
