"""The claim of the local-minima experiment, with the default preset."""

import math

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("local_minima", preset="default")


def test_nonconvex_starts_end_in_different_minima(result):
    f = result.findings
    assert f["distinct_minima.nonconvex"] >= 3
    assert 0.1 <= f["global_share.nonconvex"] <= 0.5
    # sin(3w) + 0.1w² has its global minimum where 3cos(3w) + 0.2w = 0, near w = -0.51.
    assert f["global_minimum.nonconvex"] == pytest.approx(-0.512, abs=0.01)
    ends = result.frames["endpoints"]
    nonconvex = ends[ends.function == "nonconvex"]
    # Every end point is a real minimum: zero slope, positive curvature.
    assert f["max_final_gradient.nonconvex"] < 1e-3
    curvature = -9 * np.sin(3 * nonconvex["end"]) + 0.2
    assert (curvature > 0).all()

    # Starts next to the global minimum reach it; starts far away do not.
    def reached(start):
        row = nonconvex.iloc[(nonconvex["start"] - start).abs().argmin()]
        return bool(row["reached_global"])

    assert reached(-0.4) and not reached(-4.0) and not reached(4.0)


def test_convex_starts_all_reach_the_global_minimum(result):
    assert result.findings["distinct_minima.convex"] == 1
    assert result.findings["global_share.convex"] == 1.0
    ends = result.frames["endpoints"]
    assert np.allclose(ends[ends.function == "convex"]["end"], 0.5, atol=1e-3)


def test_gradient_descent_on_the_x_axis_stalls_at_the_saddle(result):
    f = result.findings
    assert f["saddle.on_axis_final_grad_norm"] < 1e-5
    assert f["saddle.on_axis_final_distance"] < 1e-5
    saddle = result.frames["saddle"]
    on_axis = saddle[saddle.run == "on_axis"]
    assert (on_axis["y"] == 0).all() and len(on_axis) == result.params["steps"] + 1


def test_a_tiny_perturbation_escapes_after_a_plateau(result):
    f = result.findings
    # y grows by (1 + 2·lr) = 1.1 per step: from 1e-4 to |y| > 1 takes about log(1e4)/log(1.1).
    expected = math.log(1e4) / math.log(1.1)
    assert abs(f["saddle.escape_step"] - expected) <= 5
    assert f["saddle.perturbed_min_grad_norm"] < 0.1


def test_a_larger_perturbation_escapes_sooner(result):
    bigger = experiments.run("local_minima", perturbation=1e-2, starts=3, steps=150)
    assert bigger.findings["saddle.escape_step"] < result.findings["saddle.escape_step"] - 30


def test_summary_mentions_saddle_and_minima(result):
    assert "안장점" in result.summary and "극소점" in result.summary
    assert "plateau" in experiments.get("local_minima").caption
