"""studykit.augment on small known images, checked against hand-computed values."""

import keras
import numpy as np
import pytest

from studykit import augment

# An 8×8 gradient with 2 channels: image[y, x, c] = (8y + x)/64 + c/2, all values distinct.
_Y, _X = np.mgrid[0:8, 0:8]
GRADIENT = np.stack([(8 * _Y + _X) / 64, (8 * _Y + _X) / 64 + 0.5], axis=-1).astype("float32")
BATCH = np.repeat(GRADIENT[None], 16, axis=0)  # 16 copies: each gets its own random draw
# Random values use every mantissa bit: copies must be exact, not merely close.
RANDOM = np.random.default_rng(0).uniform(size=(8, 8, 2)).astype("float32")
RANDOM_BATCH = np.repeat(RANDOM[None], 16, axis=0)


def value(x):
    return keras.ops.convert_to_numpy(x)


def train(layer, images=BATCH):
    return value(layer(images, training=True))


def shifted(image, dy, dx):
    """image moved down by dy and right by dx (negative: up/left), zeros where uncovered."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


FACTORIES = {
    "translation": lambda seed: augment.RandomTranslation(0.2, 0.2, seed=seed),
    "flip": lambda seed: augment.RandomFlip("horizontal_and_vertical", seed=seed),
    "brightness": lambda seed: augment.RandomBrightness(0.2, seed=seed),
    "zoom": lambda seed: augment.RandomZoom(0.3, seed=seed),
    "erasing": lambda seed: augment.RandomErasing(0.7, seed=seed),
    "blur": lambda seed: augment.GaussianBlur(sigma=1.0, kernel_size=3),
    "noise": lambda seed: augment.GaussianNoise(0.1, seed=seed),
    "color": lambda seed: augment.ColorNoise(0.1, seed=seed),
    "crop": lambda seed: augment.RandomCrop(5, 6, seed=seed),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_identity_at_inference_and_seeded(name):
    make = FACTORIES[name]
    layer = make(1)
    if name == "crop":  # center crop at inference, (8 - 5)//2 = 1 and (8 - 6)//2 = 1
        np.testing.assert_array_equal(value(layer(BATCH)), BATCH[:, 1:6, 1:7])
    else:
        np.testing.assert_array_equal(value(layer(BATCH)), BATCH)
        np.testing.assert_array_equal(value(layer(BATCH, training=False)), BATCH)
    first, again = train(make(1)), train(make(1))
    np.testing.assert_array_equal(first, again)
    expected_shape = (16, 5, 6, 2) if name == "crop" else BATCH.shape
    assert first.shape == expected_shape
    assert not np.allclose(first, BATCH[:, : first.shape[1], : first.shape[2]])
    if name != "blur":  # the blur is deterministic; every other layer draws per image
        assert not np.array_equal(first, train(make(2)))
        assert len({first[i].tobytes() for i in range(16)}) > 1


def test_translation_by_fixed_fraction():
    # 0.25·8 = 2 pixels down and 2 pixels left, for every image.
    layer = augment.RandomTranslation((0.25, 0.25), (-0.25, -0.25), seed=0)
    out = train(layer, RANDOM_BATCH)
    np.testing.assert_array_equal(out, np.repeat(shifted(RANDOM, 2, -2)[None], 16, 0))


def test_translation_half_pixel_is_bilinear():
    out = train(augment.RandomTranslation(0.0, (1 / 16, 1 / 16), seed=0))[0]  # 0.5 px right
    expected = np.zeros_like(GRADIENT)
    expected[:, 0] = 0.5 * GRADIENT[:, 0]
    expected[:, 1:] = 0.5 * (GRADIENT[:, 1:] + GRADIENT[:, :-1])
    np.testing.assert_allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize(
    "mode, options",
    [
        ("horizontal", [(), (1,)]),
        ("vertical", [(), (0,)]),
        ("horizontal_and_vertical", [(), (0,), (1,), (0, 1)]),
    ],
)
def test_flip_outputs_are_flipped_copies(mode, options):
    out = train(augment.RandomFlip(mode, seed=3), np.repeat(GRADIENT[None], 64, 0))
    candidates = [np.flip(GRADIENT, axis=axes) if axes else GRADIENT for axes in options]
    seen = set()
    for image in out:
        matches = [i for i, c in enumerate(candidates) if np.array_equal(image, c)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert seen == set(range(len(options)))  # with 64 images every option appears


def test_crop_windows_are_exact_copies():
    out = train(augment.RandomCrop(5, 6, seed=4), RANDOM_BATCH)
    windows = {
        (top, left): RANDOM[top : top + 5, left : left + 6] for top in range(4) for left in range(3)
    }
    offsets = set()
    for image in out:
        hits = [k for k, w in windows.items() if np.array_equal(image, w)]
        assert len(hits) == 1
        offsets.add(hits[0])
    assert len(offsets) > 3


def test_brightness_adds_delta_and_clips():
    out = train(augment.RandomBrightness((0.5, 0.5), seed=0))
    np.testing.assert_allclose(out, np.clip(BATCH + 0.5, 0, 1), atol=1e-6)
    assert out.max() == 1.0
    pixels = BATCH * 255
    dark = train(augment.RandomBrightness((-0.25, -0.25), value_range=(0, 255), seed=0), pixels)
    np.testing.assert_allclose(dark, np.clip(pixels - 63.75, 0, 255), atol=1e-4)


def test_brightness_deltas_stay_in_range():
    out = train(augment.RandomBrightness(0.1, seed=5), np.full((64, 2, 2, 1), 0.5, "float32"))
    deltas = out[:, 0, 0, 0] - 0.5
    assert np.all(np.abs(deltas) <= 0.1 + 1e-6) and deltas.std() > 0.03
    assert np.allclose(out, out[:, :1, :1, :1])  # one delta per image


def test_zoom_by_hand():
    # 5×5 image whose value is the column index + 1; center = 2.
    image = np.tile(np.arange(1.0, 6.0, dtype="float32"), (5, 1))[None, :, :, None]
    zoom_in = train(augment.RandomZoom((-0.5, -0.5), seed=0), image)[0, :, :, 0]
    # Sampled at 2 + (x - 2)·0.5 = 1, 1.5, 2, 2.5, 3 (bilinear between columns).
    np.testing.assert_allclose(zoom_in, np.tile([2.0, 2.5, 3.0, 3.5, 4.0], (5, 1)), atol=1e-6)
    zoom_out = train(augment.RandomZoom((1.0, 1.0), seed=0), image)[0, :, :, 0]
    # Sampled at 2 + (x - 2)·2 = -2, 0, 2, 4, 6: outside the image -> 0, same for rows.
    expected = np.zeros((5, 5))
    expected[1:4] = [0.0, 1.0, 3.0, 5.0, 0.0]
    np.testing.assert_allclose(zoom_out, expected, atol=1e-6)


def test_erasing_blanks_one_square():
    ones = np.ones((16, 8, 8, 1), "float32")
    out = train(augment.RandomErasing(1.0, area=(0.25, 0.25), seed=6), ones)
    corners = set()
    for image in out[..., 0]:
        rows, cols = np.nonzero(image == 0)
        assert len(rows) == 16  # 0.25 of 64 pixels: a 4×4 square, fully inside
        assert rows.max() - rows.min() == 3 and cols.max() - cols.min() == 3
        corners.add((rows.min(), cols.min()))
    assert len(corners) > 3
    np.testing.assert_array_equal(train(augment.RandomErasing(0.0, seed=6), ones), ones)


def test_erasing_probability_and_fill():
    ones = np.ones((200, 8, 8, 1), "float32")
    out = train(augment.RandomErasing(0.3, area=(0.1, 0.2), fill_value=0.5, seed=7), ones)
    erased = (out != 1).any(axis=(1, 2, 3))
    assert 0.2 < erased.mean() < 0.4
    assert set(np.unique(out)) == {0.5, 1.0}


def gaussian_numpy(sigma, size):
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    g /= g.sum()
    return np.outer(g, g)


def test_blur_of_impulse_is_the_kernel():
    impulse = np.zeros((1, 9, 9, 2), "float32")
    impulse[0, 4, 4] = [1.0, 2.0]
    out = train(augment.GaussianBlur(sigma=1.2, kernel_size=5), impulse)
    kernel = gaussian_numpy(1.2, 5)
    np.testing.assert_allclose(out[0, 2:7, 2:7, 0], kernel, atol=1e-6)
    np.testing.assert_allclose(out[0, 2:7, 2:7, 1], 2 * kernel, atol=1e-6)
    np.testing.assert_allclose(out[0].sum(axis=(0, 1)), [1.0, 2.0], rtol=1e-5)
    outside = np.ones((9, 9), bool)
    outside[2:7, 2:7] = False
    assert np.all(out[0][outside] == 0)


def test_gaussian_noise_statistics():
    zeros = np.zeros((64, 8, 8, 1), "float32")
    noise = train(augment.GaussianNoise(0.1, seed=8), zeros)
    assert abs(noise.mean()) < 0.005 and abs(noise.std() - 0.1) < 0.005  # 4,096 draws


def test_color_noise_scales_each_channel():
    image = np.random.default_rng(0).uniform(0.2, 1.0, size=(256, 4, 4, 3)).astype("float32")
    out = train(augment.ColorNoise(0.1, seed=9), image)
    ratio = out / image
    scales = ratio[:, 0, 0, :]  # one factor per (image, channel)
    np.testing.assert_allclose(ratio, np.broadcast_to(scales[:, None, None], ratio.shape), 1e-5)
    assert abs(scales.mean() - 1.0) < 0.02 and abs(scales.std() - 0.1) < 0.02  # 768 draws


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: augment.RandomTranslation(1.5, 0.1), "height_factor"),
        (lambda: augment.RandomTranslation(0.1, (0.3, 0.2)), "width_factor"),
        (lambda: augment.RandomFlip("diagonal"), "mode"),
        (lambda: augment.RandomCrop(0, 4), "height"),
        (lambda: augment.RandomCrop(4, 2.5), "width"),
        (lambda: augment.RandomBrightness(-0.1), "factor"),
        (lambda: augment.RandomBrightness(0.1, value_range=(1, 0)), "value_range"),
        (lambda: augment.RandomZoom(1.0), "factor"),
        (lambda: augment.RandomZoom((-1.0, 0.5)), "factor"),
        (lambda: augment.RandomErasing(1.2), "probability"),
        (lambda: augment.RandomErasing(0.5, area=(0.0, 0.2)), "area"),
        (lambda: augment.GaussianBlur(sigma=0), "sigma"),
        (lambda: augment.GaussianBlur(kernel_size=4), "kernel_size"),
        (lambda: augment.GaussianNoise(-1), "stddev"),
        (lambda: augment.ColorNoise(2.0), "stddev"),
    ],
)
def test_invalid_arguments(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_invalid_input_shapes():
    with pytest.raises(ValueError, match="channels_last"):
        augment.RandomFlip()(np.zeros((8, 8, 3), "float32"))
    with pytest.raises(ValueError, match="at least"):
        augment.RandomCrop(10, 4)(np.zeros((1, 8, 8, 1), "float32"))


@pytest.mark.parametrize(
    "layer",
    [
        augment.RandomTranslation((-0.1, 0.2), 0.3, seed=1),
        augment.RandomFlip("vertical", seed=2),
        augment.RandomCrop(4, 5, seed=3),
        augment.RandomBrightness((0.0, 0.4), value_range=(0, 255), seed=4),
        augment.RandomZoom(0.2, seed=5),
        augment.RandomErasing(0.3, area=(0.1, 0.3), fill_value=0.5, seed=6),
        augment.GaussianBlur(sigma=0.7, kernel_size=3),
        augment.GaussianNoise(0.05, seed=7),
        augment.ColorNoise(0.2, seed=8),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_config_round_trip(layer):
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.get_config() == config
