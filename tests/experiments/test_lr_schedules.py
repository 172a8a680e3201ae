"""The claim of the learning-rate-schedule experiment, with the default preset (seed 0).

The curves come from the studykit.schedules objects (StepDecay, ExponentialDecay,
CosineAnnealing) and must follow their formulas; the learning rate Keras actually used, as
recorded by studykit.callbacks.LearningRateLogger, must be the same numbers. The claim:
from the same weights and batches at a high initial learning rate (0.1, momentum 0.9), the
constant rate keeps bouncing while every decaying schedule ends with a clearly lower
training loss.
"""

import math

import numpy as np
import pytest

from studykit import experiments

SCHEDULES = ("constant", "step", "exponential", "cosine")


@pytest.fixture(scope="module")
def result():
    return experiments.run("lr_schedules", preset="default")


def _steps_per_epoch(result):
    return math.ceil(1347 / result.params["batch_size"])  # digits: 1,347 training images


def _rates(result, name):
    table = result.frames["learning_rate"]
    rows = table[table.schedule == name].sort_values("step")
    return rows["step"].to_numpy(), rows["learning_rate"].to_numpy()


def test_curves_follow_the_schedule_formulas(result):
    p = result.params
    lr0, spe = p["initial_learning_rate"], _steps_per_epoch(result)
    total = spe * p["epochs"]
    step, rate = _rates(result, "constant")
    assert len(step) == total + 1
    np.testing.assert_allclose(rate, lr0, rtol=1e-6)
    step, rate = _rates(result, "step")
    expected = lr0 * p["step_gamma"] ** (step // (p["step_every_epochs"] * spe))
    np.testing.assert_allclose(rate, expected, rtol=1e-5)
    step, rate = _rates(result, "exponential")
    np.testing.assert_allclose(
        rate, lr0 * p["exponential_decay_per_epoch"] ** (step / spe), rtol=1e-4
    )
    step, rate = _rates(result, "cosine")
    np.testing.assert_allclose(
        rate, 0.5 * lr0 * (1 + np.cos(np.pi * step / total)), rtol=1e-4, atol=1e-7
    )


def test_logged_learning_rate_is_the_schedule_at_each_epoch_end(result):
    spe = _steps_per_epoch(result)
    logged = result.frames["logged_learning_rate"]
    for name in SCHEDULES:
        step, rate = _rates(result, name)
        mine = logged[logged.schedule == name].sort_values("epoch")
        np.testing.assert_allclose(
            mine["learning_rate"].to_numpy(), rate[mine["epoch"].to_numpy() * spe], rtol=1e-5
        )


def test_final_learning_rate_is_the_rate_of_the_last_update(result):
    f = result.findings
    spe = _steps_per_epoch(result)
    last = spe * result.params["epochs"] - 1  # the last update uses schedule(total - 1)
    assert f["final_lr.constant"] == pytest.approx(0.1)
    assert f["final_lr.step"] == pytest.approx(0.1 * 0.3**2)  # decays after epochs 2 and 4
    assert f["final_lr.exponential"] == pytest.approx(0.1 * 0.4 ** (last / spe), rel=1e-3)
    assert 0 < f["final_lr.cosine"] < 1e-4  # one step before reaching eta_min = 0


def test_decaying_schedules_end_with_a_clearly_lower_loss(result):
    f = result.findings
    for name in ("step", "exponential", "cosine"):
        assert f[f"loss_ratio.{name}"] >= 2.0, name
        assert f[f"final_accuracy.{name}"] > f["final_accuracy.constant"], name


def test_constant_rate_bounces_and_decayed_ones_do_not(result):
    f = result.findings
    assert f["loss_rises.constant"] >= 1
    for name in ("step", "exponential", "cosine"):
        assert f[f"loss_rises.{name}"] == 0, name


def test_every_schedule_starts_from_the_same_weights(result):
    history = result.frames["history"]
    start = history[(history.epoch == 0) & (history.split == "train") & (history.metric == "loss")]
    assert len(start) == len(SCHEDULES) and start["value"].nunique() == 1


def test_summary_names_the_best_schedule(result):
    assert "코사인 어닐링" in result.summary and "가장 낮았습니다" in result.summary
