"""The claim of the optimizer-paths experiment (Deep Learning from Scratch, ch. 6 setup).

f(x, y) = x²/20 + y² from (-7, 2), 30 updates, lr SGD 0.95, Momentum 0.1, AdaGrad 1.5,
Adam 0.3. docs/reference.md: SGD ends near (-0.35, 0.09) zig-zagging, AdaGrad near (-0.12, 0.00)
without oscillating. AdaGrad follows the book's h0 = 0 (Keras' default is 0.1).
"""

import math

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("optimizer_paths", preset="default")


def test_sgd_zig_zags_and_ends_where_the_book_says(result):
    f = result.findings
    assert f["final_x.bowl.sgd"] == pytest.approx(-0.35, abs=0.01)
    assert f["final_y.bowl.sgd"] == pytest.approx(0.09, abs=0.01)
    assert f["y_sign_changes.bowl.sgd"] == 30  # y changes sign on every update


def test_adagrad_ends_where_the_book_says_without_oscillating(result):
    f = result.findings
    assert f["final_x.bowl.adagrad"] == pytest.approx(-0.12, abs=0.01)
    assert abs(f["final_y.bowl.adagrad"]) < 0.005
    assert f["y_sign_changes.bowl.adagrad"] == 0


def test_momentum_and_adaptive_methods_need_fewer_updates_than_sgd(result):
    f = result.findings
    sgd = f["steps_to_tol.bowl.sgd"]
    assert sgd == 27
    for name in ("momentum", "nesterov", "adagrad", "rmsprop"):
        assert f[f"steps_to_tol.bowl.{name}"] < sgd, name
    assert f["steps_to_tol.bowl.adagrad"] <= sgd - 8
    # Momentum damps the zig-zag (a few sign changes instead of 30).
    assert f["y_sign_changes.bowl.momentum"] <= 6
    # Adam with the book's lr 0.3 overshoots the minimum in x within 30 updates.
    assert f["final_x.bowl.adam"] > 0


def test_sgd_and_adagrad_paths_match_the_books_update_rules(result):
    paths = result.frames["trajectories"]

    def book(kind):
        p, h, out = np.array([-7.0, 2.0]), np.zeros(2), [np.array([-7.0, 2.0])]
        for _ in range(30):
            g = np.array([p[0] / 10, 2 * p[1]])
            if kind == "sgd":
                p = p - 0.95 * g
            else:
                h = h + g * g
                p = p - 1.5 * g / (np.sqrt(h) + 1e-7)
            out.append(p)
        return np.array(out)

    for kind in ("sgd", "adagrad"):
        ours = paths[(paths.surface == "bowl") & (paths.optimizer == kind)].sort_values("step")
        np.testing.assert_allclose(ours[["x", "y"]].to_numpy(), book(kind), atol=1e-4)


def test_momentum_and_adaptive_methods_escape_the_saddle_sooner(result):
    f = result.findings
    assert math.isnan(f["steps_to_tol.saddle.sgd"])  # still on the plateau after 50 updates
    for name in ("momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        assert f[f"steps_to_tol.saddle.{name}"] <= 30, name


def test_frames_hold_paths_and_contour_grid(result):
    paths = result.frames["trajectories"]
    assert list(paths.columns)[:6] == ["optimizer", "surface", "step", "x", "y", "loss"]
    assert len(paths) == 6 * (31 + 51)
    contours = result.frames["contours"]
    assert set(contours.surface) == {"bowl", "saddle"}
    assert {"x", "y", "loss"} <= set(contours.columns)


def test_keras_default_adagrad_accumulator_changes_the_end_point():
    keras_default = experiments.run("optimizer_paths", preset="keras_adagrad")
    x = keras_default.findings["final_x.bowl.adagrad"]
    assert x == pytest.approx(-0.16, abs=0.01)  # book (h0 = 0): -0.12


def test_too_large_learning_rate_diverges_and_is_reported():
    result = experiments.run("optimizer_paths", preset="too_large")
    assert result.findings["diverged.bowl.sgd"] == 1.0
    assert abs(result.findings["final_y.bowl.sgd"]) > 2.0
    assert any("SGD" in w and "발산" in w for w in result.warnings)
