"""The posterior summary table: names, values, formatting and lookup."""

import collections

import jax.numpy as jnp
import numpy as np
import pytest

from probax.mcmc import rank_diagnostics as rd
from probax.mcmc.hdi import hdi
from probax.mcmc.summary import Summary, parameter_names, summarize

RNG = np.random.default_rng(3)
MU = RNG.normal(size=(4, 400))
THETA = 2.0 + RNG.normal(size=(4, 400, 3))
BETA = RNG.standard_t(3, size=(4, 400, 2, 2)).astype(np.float32)
COLUMNS = ("mean", "sd", "hdi_3%", "hdi_97%", "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat")


@pytest.fixture(scope="module")
def summary():
    return summarize({"mu": MU, "theta": THETA, "beta": BETA})


def test_rows_and_columns(summary):
    # Dict leaves come in JAX's flattening order (sorted keys), elements in C order.
    assert summary.names == (
        "beta[0, 0]", "beta[0, 1]", "beta[1, 0]", "beta[1, 1]", "mu", "theta[0]", "theta[1]", "theta[2]",
    )
    assert summary.columns == COLUMNS
    assert summary.values.shape == (8, 9) and len(summary) == 8
    assert "theta[2]" in summary and "theta" not in summary


def test_values_are_the_diagnostics(summary):
    expected = {
        "mean": THETA.mean(axis=(0, 1)),
        "sd": THETA.reshape(-1, 3).std(axis=0, ddof=1),
        "hdi_3%": hdi(THETA)[:, 0],
        "hdi_97%": hdi(THETA)[:, 1],
        "mcse_mean": rd.mcse_mean(THETA),
        "mcse_sd": rd.mcse_sd(THETA),
        "ess_bulk": rd.ess_bulk(THETA),
        "ess_tail": rd.ess_tail(THETA),
        "r_hat": rd.rhat(THETA),
    }
    for column, values in expected.items():
        got = [summary[f"theta[{i}]"][column] for i in range(3)]
        np.testing.assert_allclose(got, values, rtol=1e-12, err_msg=column)
    np.testing.assert_allclose(summary["beta[1, 0]"]["ess_bulk"], rd.ess_bulk(BETA)[1, 0], rtol=1e-12)
    np.testing.assert_allclose(summary["mu"]["r_hat"], rd.rhat(MU), rtol=1e-12)


def test_row_lookup_and_to_dict(summary):
    row = summary["mu"]
    assert list(row) == list(COLUMNS) and all(isinstance(v, float) for v in row.values())
    table = summary.to_dict()
    assert list(table) == list(COLUMNS) and len(table["mean"]) == 8
    assert table["ess_tail"][summary.names.index("mu")] == row["ess_tail"]
    with pytest.raises(KeyError, match="Summary has no row 'sigma'; rows: beta"):
        summary["sigma"]


def test_text_table_is_aligned(summary):
    lines = str(summary).splitlines()
    assert repr(summary) == str(summary)
    assert len(lines) == 1 + 8
    assert lines[0].split() == list(COLUMNS)
    assert len({len(line) for line in lines}) == 1  # every row as wide as the header
    mu_line = lines[1 + summary.names.index("mu")]
    assert mu_line.startswith("mu ")
    mu = summary["mu"]
    formats = {"ess_bulk": ".0f", "ess_tail": ".0f", "r_hat": ".2f"}
    assert mu_line.split()[1:] == [format(mu[c], formats.get(c, ".3f")) for c in COLUMNS]
    # Every header label ends where its column's values end (right-aligned).
    header_ends = [lines[0].index(c) + len(c) for c in COLUMNS]
    for line in lines[1:]:
        value_ends = [i + 1 for i in range(len(line) - 1) if line[i] != " " and line[i + 1] == " "]
        assert [*value_ends, len(line)][-len(COLUMNS) :] == header_ends


def test_names_of_lists_namedtuples_and_given_names():
    assert summarize([MU, THETA[..., 0]]).names == ("x0", "x1")
    Params = collections.namedtuple("Params", ["loc", "scale"])
    assert summarize(Params(MU, THETA[..., :2])).names == ("loc", "scale[0]", "scale[1]")
    assert summarize((MU, MU), names=["a", "b"]).names == ("a", "b")
    assert summarize(jnp.asarray(MU)).names == ("x",)
    assert parameter_names({"outer": {"inner": MU, "list": [MU, MU]}}) == [
        "outer.inner", "outer.list.0", "outer.list.1",
    ]


def test_prob_sets_the_interval_and_its_labels():
    s = summarize({"mu": MU}, prob=0.9)
    assert s.columns[2:4] == ("hdi_5%", "hdi_95%")
    np.testing.assert_allclose([s["mu"]["hdi_5%"], s["mu"]["hdi_95%"]], hdi(MU, 0.9), rtol=0)
    assert summarize({"mu": MU}, prob=0.95).columns[2:4] == ("hdi_2.5%", "hdi_97.5%")


def test_degenerate_parameters():
    constant = np.full((4, 400), 1.5)
    with_nan = MU.copy()
    with_nan[1, 7] = np.nan
    s = summarize({"a_constant": constant, "b_nan": with_nan, "c_ok": MU})
    assert s["a_constant"]["mean"] == 1.5 and s["a_constant"]["sd"] == 0
    assert s["a_constant"]["ess_bulk"] == 1600 and np.isnan(s["a_constant"]["r_hat"])
    assert all(np.isnan(v) for v in s["b_nan"].values())
    assert s["c_ok"] == summarize({"c_ok": MU})["c_ok"]
    assert "nan" in str(s).splitlines()[2]
    one_chain = summarize(MU[:1])
    assert np.isnan(one_chain["x"]["r_hat"]) and np.isfinite(one_chain["x"]["ess_bulk"])


def test_small_and_large_magnitudes_are_shown_in_scientific_notation():
    s = Summary(("tiny", "huge"), ("mean", "ess_bulk"), np.array([[1.234e-5, 10.0], [5.0e7, 123456.4]]))
    assert str(s).splitlines()[1:] == ["tiny  1.23e-05        10", "huge  5.00e+07    123456"]


def test_bad_input():
    with pytest.raises(ValueError, match=r"summarize \('mu'\): draws must be shaped \(chain, draw"):
        summarize({"mu": np.zeros(10)})
    with pytest.raises(ValueError, match="every leaf needs the same"):
        summarize({"a": MU, "b": MU[:, :100]})
    with pytest.raises(ValueError, match="names must give one name per leaf"):
        summarize([MU, MU], names=["a"])
    with pytest.raises(ValueError, match=r"prob must be a number in \(0, 1\]"):
        summarize(MU, prob=0)
    with pytest.raises(ValueError, match="values must be shaped"):
        Summary(("a",), ("mean",), np.zeros((2, 1)))
