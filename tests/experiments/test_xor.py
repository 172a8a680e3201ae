"""The claims of the XOR experiment, with the default preset (seed 0)."""

import pytest

from studykit import experiments
from studykit.experiments import xor


@pytest.fixture(scope="module")
def result():
    return experiments.run("xor", preset="default")


def test_no_line_classifies_more_than_three_of_the_four_corners(result):
    assert result.findings["corner_accuracy.linear"] <= 0.75
    assert result.findings["best_random_line_corner_accuracy"] == 0.75
    assert xor.best_random_line(seed=123, lines=200_000) == 0.75


def test_one_hidden_layer_solves_xor(result):
    assert result.findings["corner_accuracy.mlp"] == 1.0
    assert result.findings["accuracy.mlp"] >= 0.95
    assert result.findings["accuracy.linear"] <= 0.75


def test_corner_table(result):
    corners = result.frames["corners"]
    assert len(corners) == 8
    mlp = corners[corners.model == "mlp"]
    assert mlp.correct.all()
    assert (mlp.probability[mlp.label == 1] > 0.9).all()
    assert (mlp.probability[mlp.label == 0] < 0.1).all()
    linear = corners[corners.model == "linear"]
    assert linear.correct.sum() <= 3


def test_frames(result):
    grid = result.frames["grid"]
    assert set(grid.model) == {"linear", "mlp"} and len(grid) == 2 * 41 * 41
    points = result.frames["points"]
    assert set(points.split) == {"train", "validation", "corner"}
    assert len(points) == result.params["samples"] + 4


def test_summary_states_the_accuracies(result):
    assert "100%" in result.summary and "75%" in result.summary
