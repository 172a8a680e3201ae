"""Offline data: synthetic generators (numpy, seeded) and scikit-learn's bundled digits.

Nothing here downloads anything. ``digits`` reads ``sklearn.datasets.load_digits`` (1,797
8×8 images shipped inside the scikit-learn wheel), the offline stand-in for MNIST.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Train/validation arrays (float32 features, int32 labels)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    def sets(self, train_labels: np.ndarray | None = None) -> dict[str, tuple]:
        """{"train": (x, y), "validation": (x, y)}; ``train_labels`` replaces y_train (e.g.
        deliberately corrupted labels, measured as trained on)."""
        labels = self.y_train if train_labels is None else train_labels
        return {"train": (self.x_train, labels), "validation": (self.x_val, self.y_val)}

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_val.max())) + 1


def _split(x: np.ndarray, y: np.ndarray, val_fraction: float, rng: np.random.Generator) -> Split:
    order = rng.permutation(len(x))
    x, y = x[order].astype("float32"), y[order].astype("int32")
    n_val = max(1, int(round(len(x) * val_fraction)))
    return Split(x[n_val:], y[n_val:], x[:n_val], y[:n_val])


def blobs(
    n: int,
    n_features: int = 16,
    n_classes: int = 4,
    spread: float = 1.0,
    seed: int = 0,
    val_fraction: float = 0.25,
) -> Split:
    """Gaussian clusters with random centres on a sphere of radius 3 (standardized features)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, n_features))
    centres *= 3.0 / np.linalg.norm(centres, axis=1, keepdims=True)
    y = np.arange(n) % n_classes
    x = centres[y] + spread * rng.normal(size=(n, n_features))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return _split(x, y, val_fraction, rng)


def circles(
    n: int, noise: float = 0.08, factor: float = 0.5, seed: int = 0, val_fraction: float = 0.25
) -> Split:
    """Two concentric circles (not linearly separable)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 0, 1.0, factor)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    x += noise * rng.normal(size=x.shape)
    return _split(x, y, val_fraction, rng)


def xor(n: int, noise: float = 0.1, seed: int = 0, val_fraction: float = 0.25) -> Split:
    """The four XOR corners (±1, ±1) with gaussian noise; label = sign(x1) != sign(x2)."""
    rng = np.random.default_rng(seed)
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=float)
    idx = np.arange(n) % 4
    x = corners[idx] + noise * rng.normal(size=(n, 2))
    y = (corners[idx, 0] != corners[idx, 1]).astype(int)
    return _split(x, y, val_fraction, rng)


def digits(seed: int = 0, val_fraction: float = 0.25, n_train: int | None = None) -> Split:
    """sklearn's 8×8 digits scaled to [0, 1], flattened to 64 features.

    ``n_train`` keeps only that many training examples (for overfitting demos).
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    split = _split(data.data / 16.0, data.target, val_fraction, np.random.default_rng(seed))
    if n_train is not None:
        split = Split(split.x_train[:n_train], split.y_train[:n_train], split.x_val, split.y_val)
    return split
