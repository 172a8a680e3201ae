"""The claim of the augmentation experiment, with the default preset (seed 0)."""

import numpy as np
import pytest

from studykit import experiments
from studykit.experiments import augmentation


@pytest.fixture(scope="module")
def result():
    return experiments.run("augmentation", preset="default")


def test_without_augmentation_shifted_digits_are_much_harder(result):
    f = result.findings
    assert f["original_val_accuracy.without"] >= 0.9
    assert f["shift_drop.without"] >= 0.35


def test_translation_augmentation_keeps_accuracy_on_shifted_digits(result):
    f = result.findings
    assert f["val_accuracy.with"] >= f["val_accuracy.without"] + 0.2
    assert f["shift_drop.with"] <= f["shift_drop.without"] / 2
    assert f["gap.with"] < f["gap.without"] - 0.2
    assert f["original_val_accuracy.with"] >= 0.8


def test_keras_training_accuracy_is_measured_on_augmented_batches(result):
    history = result.frames["history"]
    augmented = history[history.split == "train_augmented"]
    assert set(augmented.variant) == {"with"}
    last = history[
        (history.epoch == result.params["epochs"])
        & (history.variant == "with")
        & (history.metric == "accuracy")
    ]
    values = last.set_index("split")["value"]
    assert values["train_augmented"] < values["train"]  # augmented batches are harder


def test_gallery_shows_every_augmentation_on_each_digit(result):
    gallery = result.frames["gallery"]
    assert set(gallery.augmentation) == {"original", *augmentation.GALLERY}
    assert set(gallery.image) == {"숫자 6", "숫자 2"}
    size = 8 * result.params["gallery_scale"]
    for (image, name, draw), table in gallery.groupby(["image", "augmentation", "draw"]):
        side = 12 if name == "crop" else size
        assert len(table) == side * side, (image, name, draw)
    # Each digit's chart stays under Altair's default limit of 5,000 rows.
    assert gallery.groupby("image").size().max() <= 5000
    six = gallery[gallery.image == "숫자 6"]
    original = six[six.augmentation == "original"].sort_values(["row", "col"])["value"]
    for name in ("noise", "blur", "erasing"):
        changed = six[(six.augmentation == name) & (six.draw == 1)].sort_values(["row", "col"])
        assert not np.allclose(changed["value"].to_numpy(), original.to_numpy()), name


def test_summary_states_both_accuracies(result):
    assert "증강 없이" in result.summary and "평행이동" in result.summary
