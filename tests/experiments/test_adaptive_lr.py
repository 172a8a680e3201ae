"""The claim of the adaptive-learning-rate experiment, with the default preset (seed 0)."""

import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("adaptive_lr", preset="default")


def test_adagrad_step_keeps_shrinking_rmsprop_does_not(result):
    f = result.findings
    assert f["step_ratio_last_to_first.adagrad"] < f["step_ratio_last_to_first.rmsprop"] - 0.2
    # From the middle of the run to the end AdaGrad still shrinks (≈ √(50/95)), RMSProp not.
    assert f["step_ratio_last_to_middle.adagrad"] < 0.85
    assert f["step_ratio_last_to_middle.rmsprop"] > 0.85
    # AdaGrad's step ≈ lr/√t: about lr/10 after ~100 steps.
    assert 0.06 < f["last_step_over_lr.adagrad"] < 0.15
    assert 0.7 < f["last_step_over_lr.rmsprop"] < 1.3


def test_adaptive_methods_move_small_gradient_parameters_as_far_as_large_ones(result):
    f = result.findings
    assert f["small_to_large_step.sgd"] == pytest.approx(0.01, rel=0.3)
    for name in ("adagrad", "rmsprop", "adam"):
        assert 0.8 < f[f"small_to_large_step.{name}"] < 1.25, name


def test_adam_bias_correction_fixes_the_first_steps(result):
    f = result.findings
    assert f["first_step_over_lr.adam"] == pytest.approx(1.0, abs=0.01)
    # Without correction: m1 = 0.1·g, √v1 = √0.001·|g|, so the first step is 3.16·lr.
    assert f["adam_bias_correction_factor_step1"] == pytest.approx(
        f["adam_theory_factor_step1"], rel=0.01
    )
    assert f["adam_theory_factor_step1"] == pytest.approx(3.162, abs=0.001)
    assert f["adam_uncorrected_peak_factor"] > 5
    assert f["adam_matches_numpy"] == 1.0
    # RMSProp has no bias correction: its first step is lr/√(1 − ρ) ≈ 3.16·lr.
    assert f["first_step_over_lr.rmsprop"] == pytest.approx(3.162, rel=0.01)


def test_frames_are_long_format(result):
    steps = result.frames["steps"]
    assert list(steps.columns) == [
        "optimizer",
        "parameter",
        "step",
        "gradient",
        "step_size",
        "effective_lr",
    ]
    assert len(steps) == 5 * 2 * result.params["steps"]  # 4 optimizers + uncorrected Adam


def test_summary_states_the_ratios(result):
    assert "AdaGrad" in result.summary and "편향 보정" in result.summary
