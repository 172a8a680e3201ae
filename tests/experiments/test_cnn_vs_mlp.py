"""The claim of the CNN-vs-MLP experiment, with the default preset (seed 0)."""

import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("cnn_vs_mlp", preset="default")


def test_cnn_has_fewer_parameters(result):
    f = result.findings
    assert f["params.cnn"] == (3 * 3 * 1 * 8 + 8) + (3 * 3 * 8 * 16 + 16) + (16 * 10 + 10)
    assert f["params.mlp"] == 64 * 64 + 64 + 64 * 10 + 10
    assert f["params.cnn"] < f["params.mlp"] / 3


def test_both_models_learn_the_original_digits(result):
    f = result.findings
    assert f["accuracy.cnn.original"] >= 0.9
    assert f["accuracy.mlp.original"] >= 0.9
    assert abs(f["accuracy.cnn.original"] - f["accuracy.mlp.original"]) <= 0.05


def test_cnn_keeps_its_accuracy_on_shifted_digits_better(result):
    f = result.findings
    assert f["drop.mlp"] >= 0.3
    assert f["drop.cnn"] <= f["drop.mlp"] - 0.15
    assert f["accuracy.cnn.shifted"] >= f["accuracy.mlp.shifted"] + 0.15


def test_the_gap_widens_with_the_shift(result):
    curve = result.frames["shift_curve"].pivot(index="shift", columns="model", values="accuracy")
    assert (curve.loc[1:, "cnn"] > curve.loc[1:, "mlp"]).all()
    assert curve["mlp"].is_monotonic_decreasing
    assert curve.loc[0, "cnn"] == pytest.approx(result.findings["accuracy.cnn.original"])


def test_layer_table_adds_up_like_model_summary(result):
    layers = result.frames["layers"]
    for name in ("cnn", "mlp"):
        assert layers[layers.model == name]["params"].sum() == result.findings[f"params.{name}"]
    conv = layers[layers.layer == "conv_1"].iloc[0]
    assert conv["params"] == 80 and conv["output_shape"] == "8×8×8"


def test_convolution_is_translation_equivariant(result):
    assert result.findings["equivariance_max_diff"] < 1e-5


def test_summary_states_the_drops(result):
    assert "CNN" in result.summary and "MLP" in result.summary and "하락" in result.summary
