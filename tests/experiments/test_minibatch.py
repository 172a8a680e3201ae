"""The claim of the mini-batch experiment, with the default preset (N = 200, m = 32, seed 0).

Wall time per epoch is reported in the summary but never asserted (it depends on the machine).
"""

import math

import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("minibatch", preset="default")


def test_updates_per_epoch_is_ceil_n_over_m_as_counted_by_keras(result):
    n, m = result.params["samples"], result.params["batch_size"]
    assert (n, m) == (200, 32)
    for size, expected in ((1, 200), (32, 7), (200, 1)):
        assert expected == math.ceil(n / size)
        assert result.findings[f"updates_per_epoch.{size}"] == expected
        assert result.findings[f"optimizer_iterations_per_epoch.{size}"] == expected
    steps = result.frames["steps"]
    counts = steps.groupby("batch_size").size().to_dict()
    epochs = result.params["epochs"]
    assert counts == {1: 200 * epochs, 32: 7 * epochs, 200: epochs}


def test_smaller_batches_give_a_noisier_loss(result):
    f = result.findings
    assert f["loss_noise.1"] > 2 * f["loss_noise.32"]
    assert f["loss_noise.32"] > 10 * f["loss_noise.200"]
    assert f["noise_ratio_sgd_to_full"] > 50


def test_smaller_batches_make_more_progress_per_epoch(result):
    f = result.findings
    assert f["final_loss.1"] < f["final_loss.32"] < f["final_loss.200"]
    assert f["final_accuracy.1"] > f["final_accuracy.200"] + 0.2


def test_full_batch_loss_decreases_smoothly(result):
    steps = result.frames["steps"]
    full = steps[steps.batch_size == 200].sort_values("step")["loss"].to_numpy()
    assert (full[1:] < full[:-1]).all()


def test_summary_reports_counts_noise_and_wall_time(result):
    assert "ceil(N/m)" in result.summary and "초" in result.summary
