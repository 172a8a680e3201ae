"""The claims of the loss-function experiment, with the default preset (seed 0)."""

import math

import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("loss_functions", preset="default")


def test_mse_gradient_vanishes_at_a_confidently_wrong_sigmoid(result):
    f = result.findings
    p = f["start_probability"]
    assert result.params["wrong_logit"] == 5.0 and p == pytest.approx(0.00669, abs=1e-5)
    # CE: dL/dz = p - y; MSE: 2 (p - y) p (1 - p), tiny where the sigmoid saturates.
    assert f["grad_logit.ce"] == pytest.approx(p - 1, abs=1e-5)
    assert f["grad_logit.mse"] == pytest.approx(2 * (p - 1) * p * (1 - p), abs=1e-5)
    assert abs(f["grad_logit.mse"]) < 0.05 * abs(f["grad_logit.ce"])


def test_cross_entropy_recovers_in_far_fewer_epochs(result):
    ce, mse = result.findings["epochs_to_recover.ce"], result.findings["epochs_to_recover.mse"]
    assert math.isfinite(ce) and math.isfinite(mse)
    assert ce <= 2
    assert mse >= 4 * ce and mse >= ce + 5
    recovery = result.frames["recovery"]
    start = recovery[(recovery.epoch == 0) & (recovery.metric == "accuracy")]
    assert (start.value < 0.1).all()  # both start confidently wrong


def test_mae_is_pulled_less_by_outliers_than_mse(result):
    f = result.findings
    assert f["slope_error.mae"] < 0.2
    assert f["slope_error.mse"] > 0.5
    assert f["slope_error.mae"] < f["slope_error.mse"] / 5
    assert f["slope.mse"] > 2.0  # pulled up towards the outliers at the right end


def test_rmse_and_mae_are_in_the_units_of_the_target(result):
    scale = result.params["unit_scale"]
    f = result.findings
    assert f["unit_ratio.rmse"] == pytest.approx(scale, rel=1e-4)
    assert f["unit_ratio.mae"] == pytest.approx(scale, rel=1e-4)
    assert f["unit_ratio.mse"] == pytest.approx(scale**2, rel=1e-4)
    assert f["mse_fit.rmse"] == pytest.approx(math.sqrt(f["mse_fit.mse"]), rel=1e-5)


def test_softmax_nll_is_categorical_cross_entropy_and_bce_is_two_class_ce(result):
    f = result.findings
    assert abs(f["nll_minus_ce"]) < 1e-6
    assert abs(f["ce_probs_minus_logits"]) < 1e-5
    assert abs(f["bce_minus_ce2"]) < 1e-6
    assert f["sigmoid_minus_softmax2"] < 1e-6
    identities = result.frames["identities"]
    assert len(identities) == 5 and (identities.difference.abs() < 1e-5).all()


def test_frames(result):
    curves = result.frames["logit_curves"]
    assert set(curves.loss) == {"mse", "ce"} and set(curves.kind) == {"value", "gradient"}
    lines = result.frames["regression_lines"]
    assert set(lines.line) == {"true", "mse", "mae"}
    points = result.frames["regression_points"]
    assert points.outlier.sum() == 10


def test_summary_states_the_measured_numbers(result):
    assert "MSE" in result.summary and "MAE" in result.summary and "에폭" in result.summary
