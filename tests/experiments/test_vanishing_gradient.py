"""The claim of the vanishing-gradient experiment, with the default preset (seed 0)."""

import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("vanishing_gradient", preset="default")


def test_sigmoid_first_layer_gradient_is_at_least_100x_smaller(result):
    assert result.params["depth"] == 10
    assert result.findings["first_to_last_grad_ratio.sigmoid"] <= 1 / 100


def test_relu_with_he_init_stays_within_10x(result):
    assert 1 / 10 <= result.findings["first_to_last_grad_ratio.relu"] <= 10
    grads = result.frames["gradients"]
    assert set(grads.loc[grads.activation == "relu", "initializer"]) == {"he_normal"}


def test_relu_reaches_higher_accuracy_after_the_same_epochs(result):
    assert result.findings["final_accuracy.relu"] > result.findings["final_accuracy.sigmoid"] + 0.3


def test_gradients_shrink_layer_by_layer_towards_the_input_for_sigmoid(result):
    grads = result.frames["gradients"]
    at_init = grads[(grads.activation == "sigmoid") & (grads.epoch == 0)].sort_values("layer")
    norms = at_init["grad_norm"].to_numpy()
    assert (norms[1:] > norms[:-1]).all()


def test_frames_are_long_format(result):
    grads = result.frames["gradients"]
    assert list(grads.columns) == [
        "activation",
        "initializer",
        "epoch",
        "layer",
        "name",
        "grad_norm",
    ]
    epochs = result.params["epochs"]
    # (epochs + 1 measurements) x (depth hidden + 1 output layer) x 2 activations
    assert len(grads) == (epochs + 1) * 11 * 2
    history = result.frames["history"]
    assert set(history.metric) == {"loss", "accuracy"}
    assert set(history.split) == {"train", "validation"}


def test_summary_states_the_measured_ratio(result):
    assert "시그모이드" in result.summary and "분의 1" in result.summary
    assert "ReLU" in result.summary
