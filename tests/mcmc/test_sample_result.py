import collections

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import probax.distributions as tfd
from probax.bijectors import Exp
from probax.mcmc.sample import _restore, resume, sample
from probax.mcmc.sample_result import decode_structure, encode_structure, load_arrays
from tests.mcmc.models import eight_schools_init, eight_schools_log_prob

RUN = {"num_chains": 2, "num_warmup": 60, "num_chunks": 3, "progress_bar": False}


def target(state):
    return eight_schools_log_prob(state["mu"], state["log_tau"], state["theta_tilde"])


INIT = dict(zip(("mu", "log_tau", "theta_tilde"), eight_schools_init(), strict=True))


@pytest.fixture(scope="module")
def full_run():
    return sample(target, init=INIT, num_samples=60, seed=3, **RUN)


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory, full_run):
    path = tmp_path_factory.mktemp("runs") / "eight_schools.npz"
    first = sample(target, init=INIT, num_samples=20, seed=3, **RUN)
    first.save(path)
    return first, path


def test_resume_equals_an_uninterrupted_run(full_run, saved_run):
    first, path = saved_run
    resumed = resume(path, target, num_samples=40, progress_bar=False)
    for name in ("mu", "log_tau", "theta_tilde"):
        np.testing.assert_array_equal(first.draws[name], full_run.draws[name][:, :20])
        np.testing.assert_array_equal(resumed.draws[name], full_run.draws[name])
    for name, value in full_run.stats.items():
        np.testing.assert_array_equal(resumed.stats[name], value)
    only_new = resume(path, target, num_samples=40, progress_bar=False, previous_draws=False)
    np.testing.assert_array_equal(only_new.draws["theta_tilde"], full_run.draws["theta_tilde"][:, 20:])


def test_saved_file_is_plain_arrays_and_json(saved_run):
    first, path = saved_run
    config, arrays = load_arrays(path)  # np.load(..., allow_pickle=False) inside
    assert all(array.dtype != object for array in arrays.values())
    assert config["num_samples"] == 20 and config["steps_taken"] == 80 and config["kernel"] == "nuts"
    assert config["state_encoding"] == {
        "dict": [["log_tau", "leaf"], ["mu", "leaf"], ["theta_tilde", "leaf"]]
    }
    np.testing.assert_array_equal(arrays["stats/step_size"], first.stats["step_size"])


def test_resume_checks_the_target(saved_run):
    _, path = saved_run
    with pytest.raises(ValueError, match="bijector"):
        resume(path, target, num_samples=5, bijector=Exp(), progress_bar=False)
    model = tfd.JointDistributionNamed(dict(mu=tfd.Normal(0.0, 1.0), y=lambda mu: tfd.Normal(mu, 1.0)))
    with pytest.raises(ValueError, match="had no bijector"):
        resume(path, model.experimental_pin(y=1.0), num_samples=5, progress_bar=False)
    _, arrays = load_arrays(path)
    saved = [arrays[f"state/{index}"] for index in range(3)]
    wrong = {name: jax.ShapeDtypeStruct((2, 3), np.float64) for name in ("a", "b", "c")}
    with pytest.raises(ValueError, match=r"saved state does not match .* saved \[\(\(2,\), 'float64'\)"):
        _restore(wrong, saved, "state")


def test_summary_and_arviz(full_run):
    summary = full_run.summary()
    assert summary.names[:2] == ("log_tau", "mu") and len(summary.names) == 10
    assert "r_hat" in str(summary)
    np.testing.assert_allclose(summary["mu"]["mean"], full_run.draws["mu"].mean(), rtol=1e-12)
    pytest.importorskip("arviz")
    data = full_run.to_arviz()
    stats = data.sample_stats
    for name in ("lp", "acceptance_rate", "step_size", "tree_depth", "n_steps", "diverging", "energy"):
        assert name in stats
    np.testing.assert_array_equal(np.asarray(data.posterior["theta_tilde"]), full_run.draws["theta_tilde"])
    np.testing.assert_array_equal(np.asarray(stats["acceptance_rate"]), full_run.stats["accept_prob"])


def test_structure_encoding_round_trip():
    tree = {"b": [np.zeros(2), (np.ones(()),)], "a": np.arange(3)}
    description = encode_structure(tree)
    leaves = [np.arange(3), np.zeros(2), np.ones(())]
    rebuilt = decode_structure(description, leaves)
    assert rebuilt.keys() == tree.keys() and isinstance(rebuilt["b"][1], tuple)
    np.testing.assert_array_equal(rebuilt["a"], np.arange(3))
    point = collections.namedtuple("Point", "x y")
    assert encode_structure(point(np.zeros(1), np.zeros(1))) is None
    assert encode_structure({1: np.zeros(1)}) is None
    assert encode_structure(jnp.zeros(2)) == "leaf"
