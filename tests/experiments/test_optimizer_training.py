"""The claim of the optimizer-training experiment, with the default preset (seed 0).

Agrees with the *shape* of Deep Learning from Scratch §6.1.8 (docs/reference.md, "optimizers on
MNIST": loss at iteration 1,900 SGD 0.150, Momentum 0.050, AdaGrad 0.016, Adam 0.032): plain
SGD is clearly the slowest and AdaGrad (with the book's h0 = 0) the fastest. The absolute
numbers differ (digits instead of MNIST, 110 instead of 2,000 updates): here SGD ends at
~1.8 while every other optimizer ends below 0.4.
"""

import pytest

from studykit import experiments

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


@pytest.fixture(scope="module")
def result():
    return experiments.run("optimizer_training", preset="default")


def test_default_compares_all_six_optimizers(result):
    assert tuple(result.params["optimizers"]) == OPTIMIZERS
    for name in OPTIMIZERS:
        assert f"final_loss.{name}" in result.findings
        assert f"final_accuracy.{name}" in result.findings


def test_sgd_is_clearly_the_slowest(result):
    f = result.findings
    others = [n for n in OPTIMIZERS if n != "sgd"]
    # SGD's final training loss is several times higher than that of the slowest other one.
    assert f["sgd_over_next_slowest"] >= 2.5
    assert f["final_loss.sgd"] == max(f[f"final_loss.{n}"] for n in OPTIMIZERS)
    assert f["final_accuracy.sgd"] < min(f[f"final_accuracy.{n}"] for n in others) - 0.2


def test_momentum_and_adaptive_methods_learn_the_task(result):
    f = result.findings
    for name in ("momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        assert f[f"final_loss.{name}"] < 0.5, name
        assert f[f"final_accuracy.{name}"] > 0.85, name


def test_adagrad_with_the_books_h0_is_the_fastest_as_in_the_book(result):
    f = result.findings
    assert f["final_loss.adagrad"] == min(f[f"final_loss.{n}"] for n in OPTIMIZERS)


def test_every_optimizer_starts_from_the_same_weights(result):
    history = result.frames["history"]
    start = history[(history.epoch == 0) & (history.split == "train") & (history.metric == "loss")]
    assert len(start) == len(OPTIMIZERS)
    assert start["value"].nunique() == 1


def test_keras_default_accumulator_slows_adagrad_down():
    """docs/reference.md: Keras' Adagrad starts h at 0.1, the book at 0 — the first steps shrink."""
    keras_default = experiments.run(
        "optimizer_training", optimizers=["adagrad"], adagrad_initial_accumulator=0.1
    )
    book = experiments.run("optimizer_training", optimizers=["adagrad"])
    assert keras_default.findings["final_loss.adagrad"] > 1.5 * book.findings["final_loss.adagrad"]


def test_history_is_long_format(result):
    history = result.frames["history"]
    epochs = result.params["epochs"]
    assert list(history.columns) == [
        "optimizer",
        "learning_rate",
        "iteration",
        "epoch",
        "split",
        "metric",
        "value",
    ]
    # (epochs + 1 evaluations) x 2 splits x 2 metrics x 6 optimizers
    assert len(history) == (epochs + 1) * 2 * 2 * len(OPTIMIZERS)
    assert history["iteration"].max() == 110  # 5 epochs x ceil(1,347 / 64) batches


def test_summary_states_the_ranking(result):
    assert "SGD" in result.summary and "AdaGrad" in result.summary
    assert f"{result.findings['final_loss.sgd']:.3f}" in result.summary
