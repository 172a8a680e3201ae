"""Changes to data sets that experiments share: corrupted labels and shifted images (numpy only)."""

from __future__ import annotations

import numpy as np


def corrupt_labels(
    labels: np.ndarray, fraction: float, n_classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Replace ``fraction`` of the labels by a different class chosen at random.

    Returns (noisy labels, boolean mask of the changed ones). Wrong labels can only be
    learned by memorizing them, which is what makes overfitting visible on small data
    (``_measure.memorized_fraction`` measures how many were).
    """
    changed = np.zeros(len(labels), dtype=bool)
    count = int(round(fraction * len(labels)))
    changed[rng.choice(len(labels), size=count, replace=False)] = True
    noisy = labels.copy()
    offsets = rng.integers(1, n_classes, size=count)
    noisy[changed] = (labels[changed] + offsets) % n_classes
    return noisy, changed


def shift_images(images: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Shift each (H, W) image by whole pixels (dy, dx), filling uncovered pixels with 0.

    ``images``: (N, H, W); ``shifts``: (N, 2) integers. Positive dy moves the content down,
    positive dx moves it right (the convention of studykit.augment.RandomTranslation).
    """
    out = np.zeros_like(images)
    height, width = images.shape[1:3]
    for index, (dy, dx) in enumerate(np.asarray(shifts, dtype=int)):
        src_y = slice(max(0, -dy), min(height, height - dy))
        dst_y = slice(max(0, dy), min(height, height + dy))
        src_x = slice(max(0, -dx), min(width, width - dx))
        dst_x = slice(max(0, dx), min(width, width + dx))
        out[index, dst_y, dst_x] = images[index, src_y, src_x]
    return out


def random_shifts(n: int, pixels: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) shifts: each image moves ``pixels`` up, down, left or right (chosen at random)."""
    directions = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])
    return directions[rng.integers(0, len(directions), n)] * pixels


def noisy_digits(seed: int, n_train: int, label_noise: float):
    """Digits with ``n_train`` training examples, a ``label_noise`` share of whose labels is
    wrong: returns (split, noisy training labels, mask of the changed ones)."""
    from studykit import datasets

    data = datasets.digits(seed=seed, n_train=n_train)
    noisy, changed = corrupt_labels(data.y_train, label_noise, 10, np.random.default_rng(seed))
    return data, noisy, changed
