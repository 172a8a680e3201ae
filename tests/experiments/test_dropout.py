"""The claim of the dropout experiment, with the default preset (seed 0).

Keras (and studykit.layers.Dropout) use inverted dropout: survivors are scaled by 1/(1 − p)
during training and inference is the identity. The textbook instead scales by (1 − p) at
test time; the demo checks that both keep the expectation (docs/reference.md).
"""

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("dropout", preset="default")


def test_default_setup_is_a_large_mlp_on_a_few_hundred_digits(result):
    p = result.params
    assert p["n_train"] == 200 and p["width"] == 256 and p["depth"] == 2
    assert p["rates"] == [0.0, 0.2, 0.5]


def test_without_dropout_the_network_overfits(result):
    f = result.findings
    assert f["train_accuracy.0"] >= 0.95
    assert f["gap.0"] >= 0.05
    # It memorizes most of the deliberately wrong training labels.
    assert f["memorized.0"] >= 0.5


def test_dropout_shrinks_the_train_validation_gap(result):
    f = result.findings
    assert f["gap.0.2"] < f["gap.0"] - 0.02
    assert f["gap.0.5"] < f["gap.0"] - 0.05
    assert f["gap.0.5"] <= f["gap.0.2"]
    # Slower learning on the training set, no worse on the validation set.
    assert f["train_accuracy.0.5"] < f["train_accuracy.0"] - 0.05
    assert f["val_accuracy.0.5"] >= f["val_accuracy.0"] - 0.02
    assert f["memorized.0.5"] <= f["memorized.0"] - 0.4


def test_gap_findings_match_the_history_frame(result):
    history = result.frames["history"]
    last = history[(history.epoch == result.params["epochs"]) & (history.metric == "accuracy")]
    for rate in (0.0, 0.2, 0.5):
        rows = last[last.rate == rate].set_index("split")["value"]
        assert rows["train"] - rows["validation"] == pytest.approx(result.findings[f"gap.{rate:g}"])


def test_training_mode_zeroes_units_or_scales_them_by_one_over_keep(result):
    f = result.findings
    assert f["demo.kept_scale"] == pytest.approx(2.0, rel=1e-5)  # p = 0.5
    assert f["demo.kept_fraction"] == pytest.approx(0.5, abs=0.03)
    values = result.frames["demo_values"]
    kept = values.output > 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(values.output[kept], 2 * values.input[kept], rtol=1e-5)


def test_mean_of_training_passes_equals_inference_output(result):
    f = result.findings
    assert f["demo.inference_max_diff"] == 0.0
    assert f["demo.mean_relative_error"] < 0.05  # 1000 passes
    # The textbook's unscaled training passes average to its (1 - p)-scaled inference.
    assert f["demo.book_mean_over_inference"] == pytest.approx(1.0, abs=0.05)
    image = result.frames["demo_image"].pivot_table(
        index=["row", "col"], columns="view", values="value"
    )
    np.testing.assert_array_equal(image["inference"], image["original"])
    np.testing.assert_allclose(image["book_inference"], 0.5 * image["original"], rtol=1e-6)


def test_inference_is_deterministic_and_training_mode_is_not(result):
    f = result.findings
    assert f["network.repeat_predict_max_diff"] == 0.0
    assert f["network.train_mode_std"] > 0.01
    assert f["network.mc_agreement"] >= 0.9


def test_summary_states_the_gaps_and_the_scale(result):
    assert "격차" in result.summary and "2.00배" in result.summary
    assert "%p" in result.summary


def test_rates_from_the_command_line_are_numbers():
    params = experiments.get("dropout").validate({"rates": ["0.5", "0"]})
    assert params.rates == (0.0, 0.5)
    with pytest.raises(experiments.ParameterError):
        experiments.get("dropout").validate({"rates": ["0.5", "0.5"]})
    with pytest.raises(experiments.ParameterError):
        experiments.get("dropout").validate({"rates": ["0.55"]})
