import numpy as np
import pytest

from probax.datasets import SIMULATED_TEXT_MESSAGES_TRUTH, load_text_messages, simulate_text_messages


def test_shipped_counts_are_the_fixed_seed_simulation():
    np.testing.assert_array_equal(load_text_messages(), simulate_text_messages())
    assert load_text_messages().shape == (SIMULATED_TEXT_MESSAGES_TRUTH["num_days"],)


def test_shipped_counts_show_the_known_switch():
    counts = load_text_messages()
    switch = SIMULATED_TEXT_MESSAGES_TRUTH["switch_day"]
    early_se = np.sqrt(SIMULATED_TEXT_MESSAGES_TRUTH["lambda_1"] / switch)
    assert abs(counts[:switch].mean() - SIMULATED_TEXT_MESSAGES_TRUTH["lambda_1"]) < 4 * early_se
    assert counts[switch:].mean() > counts[:switch].mean()


def test_reads_a_one_column_csv(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("1.300000000000000000e+01\n2.4e+01\n8\n")
    np.testing.assert_array_equal(load_text_messages(path), [13.0, 24.0, 8.0])


@pytest.mark.parametrize("text, message", [("", "one count per line"), ("3\n-1\n", "non-negative integers"),
                                           ("2.5\n", "non-negative integers")])
def test_rejects_bad_files(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_text_messages(path)
