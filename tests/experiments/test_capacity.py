"""The claim of the capacity experiment, with the default preset (seed 0)."""

import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("capacity", preset="default")


def test_model_sizes_grow(result):
    f = result.findings
    assert f["params.small"] < f["params.medium"] < f["params.large"]
    assert f["params.small"] == 64 * 8 + 8 + 8 * 10 + 10


def test_the_large_model_overfits(result):
    f = result.findings
    assert f["final_train_loss.large"] < 0.05
    assert f["train_accuracy.large"] >= 0.99
    assert f["memorized.large"] >= 0.8
    assert f["gap.large"] >= 0.07
    assert f["gap.large"] > f["gap.medium"] + 0.05
    assert f["gap.large"] > f["gap.small"] + 0.05


def test_the_large_models_validation_loss_has_an_early_minimum(result):
    f = result.findings
    epochs = result.params["epochs"]
    assert 1 <= f["best_val_epoch.large"] <= epochs // 2
    assert f["val_loss_rise.large"] >= 0.05
    # Early stopping at that epoch would have kept a better validation accuracy.
    assert f["early_stop_val_accuracy.large"] >= f["val_accuracy.large"]


def test_the_small_model_underfits_instead(result):
    f = result.findings
    assert f["train_accuracy.small"] < 0.9
    assert f["val_accuracy.small"] < f["val_accuracy.medium"] - 0.03
    assert f["best_val_epoch.small"] >= result.params["epochs"] - 5  # still improving


def test_history_is_long_format(result):
    history = result.frames["history"]
    assert list(history.columns) == ["size", "epoch", "split", "metric", "value"]
    epochs = result.params["epochs"]
    # (epochs + 1 measurements) x 2 splits x 2 metrics x 3 sizes
    assert len(history) == (epochs + 1) * 2 * 2 * 3
    large = history[(history["size"] == "large") & (history.metric == "loss")]
    val = large[large.split == "validation"].set_index("epoch")["value"]
    assert val.idxmin() == result.findings["best_val_epoch.large"]


def test_summary_states_the_early_minimum(result):
    assert "격차" in result.summary and "다시 올라갔습니다" in result.summary
