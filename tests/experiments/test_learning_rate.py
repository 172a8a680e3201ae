"""The claim of the learning-rate experiment, with the default preset (L = 4, seed 0)."""

import math

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("learning_rate", preset="default")


def test_measured_divergence_threshold_is_two_over_l(result):
    assert result.params["curvature"] == 4.0
    assert result.findings["two_over_L"] == 0.5
    assert result.findings["divergence_threshold"] == pytest.approx(0.5, rel=1e-4)
    assert result.findings["threshold_ratio"] == pytest.approx(1.0, rel=1e-4)


def test_small_good_oscillating_and_too_large_learning_rates(result):
    table = result.frames["quadratic_summary"].set_index("lr")
    assert table["behaviour"].to_dict() == {
        0.02: "slow",
        0.2: "converges",
        0.4: "oscillates",
        0.55: "diverges",
    }
    # 0.02: still far from 0 after 30 steps; 0.2 and 0.4 reach 1/1000 of the start loss.
    assert math.isnan(result.findings["steps_to_tol.lr_0.02"])
    assert result.findings["final_loss.lr_0.02"] > 1e-3 * 2.0
    assert result.findings["steps_to_tol.lr_0.2"] <= 5
    assert result.findings["steps_to_tol.lr_0.4"] <= 10
    # Overshooting (1/L < lr < 2/L) flips the sign of w on every step.
    assert result.findings["sign_changes.lr_0.2"] == 0
    assert result.findings["sign_changes.lr_0.4"] == 30
    assert result.findings["final_loss.lr_0.55"] > 1e4


def test_trajectory_follows_one_minus_lr_times_l(result):
    paths = result.frames["trajectories"]
    for lr in (0.02, 0.2, 0.4, 0.55):
        w = paths[paths.lr == lr].sort_values("step")["w"].to_numpy()
        expected = (1 - lr * 4.0) ** np.arange(31)
        np.testing.assert_allclose(w, expected, rtol=1e-4, atol=1e-30)


def test_divergence_is_reported_not_crashed(result):
    assert result.findings["diverged.lr_0.55"] == 1.0
    assert result.findings["diverged.lr_0.4"] == 0.0
    assert any("0.55" in w and "발산" in w for w in result.warnings)
    assert result.findings["network_diverged.lr_1"] == 1.0
    assert any("신경망" in w and "발산으로 보고" in w for w in result.warnings)


def test_network_shows_slow_good_and_diverging_learning_rates(result):
    f = result.findings
    assert [f[f"network_diverged.lr_{lr}"] for lr in ("0.003", "0.03", "0.3")] == [0, 0, 0]
    assert f["network_final_loss.lr_0.3"] < f["network_final_loss.lr_0.03"]
    assert f["network_final_loss.lr_0.03"] < 0.5 * f["network_final_loss.lr_0.003"]
    network = result.frames["network"]
    # All learning rates start from the same weights and the same first batch.
    first = network[network.step == 1].set_index("lr")["loss"]
    assert first.nunique() == 1
    # The diverging run stops early instead of running all its updates.
    updates = network.groupby("lr")["step"].max()
    assert updates[1.0] < updates[0.3] == 4 * 8


def test_one_over_l_converges_in_one_step_and_two_over_l_never_converges():
    result = experiments.run(
        "learning_rate",
        learning_rates=[0.25, 0.5],
        network_learning_rates=[0.03],
        network_epochs=1,
    )
    table = result.frames["quadratic_summary"].set_index("lr")
    assert table.loc[0.25, "final_w"] == 0.0
    assert table.loc[0.25, "behaviour"] == "converges"
    assert table.loc[0.5, "behaviour"] == "stuck"
    assert abs(table.loc[0.5, "final_w"]) == pytest.approx(1.0)


def test_summary_states_threshold_and_behaviours(result):
    assert "2/L" in result.summary and "발산" in result.summary and "진동" in result.summary
