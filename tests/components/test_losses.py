"""studykit.losses against Keras' built-in losses and hand-computed numpy values."""

import keras
import numpy as np
import pytest

from studykit import losses

TOL = 1e-6
rng = np.random.default_rng(0)
Y_REG = rng.normal(size=(6, 3)).astype("float32")
P_REG = rng.normal(size=(6, 3)).astype("float32")
Y_BIN = rng.integers(0, 2, size=(6, 3)).astype("float32")
P_BIN = rng.uniform(0.01, 0.99, size=(6, 3)).astype("float32")
LOGITS = rng.normal(scale=3.0, size=(6, 4)).astype("float32")
LABELS = rng.integers(0, 4, size=(6,))
ONE_HOT = np.eye(4, dtype="float32")[LABELS]
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)


def value(x):
    return keras.ops.convert_to_numpy(x)


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


@pytest.mark.parametrize(
    "ours, theirs, y, p",
    [
        (losses.MeanAbsoluteError(), keras.losses.MeanAbsoluteError(), Y_REG, P_REG),
        (losses.MeanSquaredError(), keras.losses.MeanSquaredError(), Y_REG, P_REG),
        (
            losses.BinaryCrossEntropy(),
            keras.losses.BinaryCrossentropy(),
            Y_BIN,
            P_BIN,
        ),
        (
            losses.BinaryCrossEntropy(from_logits=True),
            keras.losses.BinaryCrossentropy(from_logits=True),
            Y_BIN,
            P_REG * 4,
        ),
        (
            losses.CategoricalCrossEntropy(),
            keras.losses.CategoricalCrossentropy(),
            ONE_HOT,
            PROBS,
        ),
        (
            losses.CategoricalCrossEntropy(from_logits=True),
            keras.losses.CategoricalCrossentropy(from_logits=True),
            ONE_HOT,
            LOGITS,
        ),
        (
            losses.SparseCategoricalCrossEntropy(),
            keras.losses.SparseCategoricalCrossentropy(),
            LABELS,
            PROBS,
        ),
        (
            losses.SparseCategoricalCrossEntropy(from_logits=True),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            LABELS[:, None],
            LOGITS,
        ),
    ],
    ids=["mae", "mse", "bce", "bce_logits", "cce", "cce_logits", "scce", "scce_logits"],
)
def test_matches_keras(ours, theirs, y, p):
    np.testing.assert_allclose(value(ours(y, p)), value(theirs(y, p)), rtol=TOL, atol=TOL)
    # Per-sample values and sample weights go through the same Keras reduction.
    weights = np.linspace(0.0, 2.0, len(p)).astype("float32")
    np.testing.assert_allclose(
        value(ours(y, p, sample_weight=weights)),
        value(theirs(y, p, sample_weight=weights)),
        rtol=TOL,
        atol=TOL,
    )


def test_rmse_is_sqrt_of_batch_mse():
    mse = value(keras.losses.MeanSquaredError()(Y_REG, P_REG))
    rmse = value(losses.RootMeanSquaredError()(Y_REG, P_REG))
    np.testing.assert_allclose(rmse, np.sqrt(mse), rtol=TOL)
    # Not the mean of per-sample RMSEs (which is smaller).
    per_sample = np.sqrt(((Y_REG - P_REG) ** 2).mean(-1))
    assert rmse > per_sample.mean() + 1e-3
    np.testing.assert_allclose(
        value(losses.RootMeanSquaredError(reduction=None)(Y_REG, P_REG)), per_sample, rtol=TOL
    )


def test_sse_sums_outputs_and_averages_batch():
    expected = ((Y_REG - P_REG) ** 2).sum(-1).mean()
    np.testing.assert_allclose(value(losses.SumSquaredError()(Y_REG, P_REG)), expected, rtol=TOL)
    mse = value(losses.MeanSquaredError()(Y_REG, P_REG))
    np.testing.assert_allclose(expected, mse * Y_REG.shape[-1], rtol=TOL)


def test_nll_by_hand_and_equals_cross_entropy_on_logits():
    log_probs = log_softmax(LOGITS.astype("float64")).astype("float32")
    expected = -log_probs[np.arange(len(LABELS)), LABELS].mean()
    nll = value(losses.NegativeLogLikelihood()(LABELS, log_probs))
    np.testing.assert_allclose(nll, expected, rtol=TOL)
    cce = value(losses.CategoricalCrossEntropy(from_logits=True)(ONE_HOT, LOGITS))
    nll_of_log_softmax = losses.NegativeLogLikelihood()(LABELS, keras.ops.log_softmax(LOGITS))
    np.testing.assert_allclose(value(nll_of_log_softmax), cce, rtol=TOL)
    # Labels with a trailing axis of 1 work the same.
    np.testing.assert_allclose(
        value(losses.NegativeLogLikelihood()(LABELS[:, None], log_probs)), expected, rtol=TOL
    )


def test_bce_equals_two_class_cross_entropy():
    y = Y_BIN[:, :1]
    p = P_BIN[:, :1]
    two_class_y = np.concatenate([1 - y, y], axis=-1)
    bce = value(losses.BinaryCrossEntropy()(y, p))
    cce = value(losses.CategoricalCrossEntropy()(two_class_y, np.concatenate([1 - p, p], -1)))
    np.testing.assert_allclose(bce, cce, rtol=1e-5)
    # sigmoid(z) = softmax([0, z])[1]
    z = P_REG[:, :1] * 4
    bce_logits = value(losses.BinaryCrossEntropy(from_logits=True)(y, z))
    cce_logits = value(
        losses.CategoricalCrossEntropy(from_logits=True)(
            two_class_y, np.concatenate([np.zeros_like(z), z], -1)
        )
    )
    np.testing.assert_allclose(bce_logits, cce_logits, rtol=TOL)


def test_extreme_logits_are_finite_and_correct():
    z = np.array([[1e4], [-1e4], [1e4], [-1e4]], "float32")
    y = np.array([[0.0], [0.0], [1.0], [1.0]], "float32")
    per_sample = value(losses.BinaryCrossEntropy(from_logits=True, reduction=None)(y, z))
    np.testing.assert_allclose(per_sample, [1e4, 0.0, 0.0, 1e4], rtol=TOL)

    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], "float32")
    labels = np.array([1, 1])
    cce = losses.CategoricalCrossEntropy(from_logits=True, reduction=None)
    scce = losses.SparseCategoricalCrossEntropy(from_logits=True, reduction=None)
    expected = [2e4, 0.0]
    np.testing.assert_allclose(value(cce(np.eye(3)[labels], logits)), expected, rtol=TOL)
    np.testing.assert_allclose(value(scce(labels, logits)), expected, rtol=TOL)


def test_probabilities_are_clipped_like_keras():
    # p = 0 and p = 1 for the wrong class: clipped to [eps, 1 - eps], so about -log(eps).
    eps = keras.config.epsilon()
    p = np.array([[0.0], [1.0]], "float32")
    y = np.array([[1.0], [0.0]], "float32")
    bce = value(losses.BinaryCrossEntropy(reduction=None)(y, p))
    keras_bce = value(keras.losses.BinaryCrossentropy(reduction=None)(y, p))
    np.testing.assert_allclose(bce, keras_bce, rtol=TOL)
    np.testing.assert_allclose(bce, -np.log(eps), rtol=0.02)  # 1 - eps rounds in float32
    one_hot_p = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    cce = value(losses.CategoricalCrossEntropy(reduction=None)(one_hot_p[::-1], one_hot_p))
    assert np.all(np.isfinite(cce))
    np.testing.assert_allclose(cce, -np.log(eps), rtol=1e-3)


ALL = [
    losses.MeanAbsoluteError(),
    losses.MeanSquaredError(reduction="sum"),
    losses.RootMeanSquaredError(name="rmse"),
    losses.SumSquaredError(),
    losses.BinaryCrossEntropy(from_logits=True),
    losses.CategoricalCrossEntropy(),
    losses.SparseCategoricalCrossEntropy(from_logits=True, reduction=None),
    losses.NegativeLogLikelihood(),
]


@pytest.mark.parametrize("loss", ALL, ids=lambda loss: type(loss).__name__)
def test_config_round_trip(loss):
    config = loss.get_config()
    assert type(loss).from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == config


def test_invalid_from_logits():
    with pytest.raises(ValueError, match="from_logits"):
        losses.BinaryCrossEntropy(from_logits="yes")


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (losses.MeanAbsoluteError(), keras.losses.MeanAbsoluteError()),
        (losses.MeanSquaredError(), keras.losses.MeanSquaredError()),
        (
            losses.BinaryCrossEntropy(from_logits=True),
            keras.losses.BinaryCrossentropy(from_logits=True),
        ),
    ],
)
def test_labels_without_the_trailing_axis_are_aligned_like_keras(ours, theirs):
    y_true = np.array([0.0, 1.0, 1.0, 0.0], dtype="float32")  # shape (N,)
    y_pred = np.array([[0.3], [-1.2], [2.0], [0.5]], dtype="float32")  # shape (N, 1)
    for a, b in [(y_true, y_pred), (y_pred[:, 0], y_true[:, None])]:
        expected = keras.ops.convert_to_numpy(theirs(a, b))
        np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(a, b)), expected, atol=1e-6)
