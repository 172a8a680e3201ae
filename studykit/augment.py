"""Image augmentation layers (데이터 증강, data augmentation) for channels_last batches.

Inputs are float images shaped (N, H, W, C). Every layer is active only in training
(``training=True``, which ``model.fit`` passes) and is the identity at inference, except
``RandomCrop``, which center-crops at inference so that the output shape does not change.
Random parameters are drawn per image from a ``keras.random.SeedGenerator``: the same
``seed`` gives the same outputs.

Only ``RandomBrightness`` needs to know the value range: its ``value_range`` defaults to
[0, 1] (Keras' ``RandomBrightness`` defaults to [0, 255]). ``GaussianNoise``'s ``stddev`` and
``RandomErasing``'s ``fill_value`` are in the images' units. Everything else (geometry,
flip, blur, the multiplicative ``ColorNoise``) works the same for any range; uncovered
pixels are filled with 0.

Translation, zoom and crop resample with separable bilinear interpolation written with
``keras.ops.take_along_axis``, so they compile with XLA on TensorFlow and JAX
(``keras.ops.image.affine_transform`` does not compile with XLA on TensorFlow).
"""

from __future__ import annotations

import keras
from keras import ops

from studykit._checks import check_int, check_range

__all__ = [
    "RandomTranslation",
    "RandomFlip",
    "RandomCrop",
    "RandomBrightness",
    "RandomZoom",
    "RandomErasing",
    "GaussianBlur",
    "GaussianNoise",
    "ColorNoise",
    "gaussian_kernel",
]

_register = keras.saving.register_keras_serializable(package="studykit")


def _factor_range(name, factor, *, open_low=False):
    """A number f in [0, 1] means the range [-f, f]; a pair (a, b) in [-1, 1] is kept.

    With ``open_low`` -1 itself is excluded (f < 1, a > -1). Returns two floats.
    """
    if isinstance(factor, (list, tuple)):
        if len(factor) != 2:
            raise ValueError(f"{name} must be a number or a (low, high) pair, got {factor!r}.")
        a, b = (
            check_range(f"{name}[{i}]", v, -1.0, 1.0, low_inclusive=not open_low)
            for i, v in enumerate(factor)
        )
        if a > b:
            raise ValueError(f"{name} must satisfy low <= high, got {factor!r}.")
        return a, b
    f = check_range(name, factor, 0.0, 1.0, high_inclusive=not open_low)
    return -f, f


def _as_config_value(value):
    return list(value) if isinstance(value, tuple) else value


def _interpolate(images, src, axis):
    """Linear interpolation of images (N, H, W, C) along ``axis`` (1 or 2).

    ``src`` (N, out) holds float32 source coordinates per image; the result has ``out``
    entries on ``axis``. Coordinates outside the image read 0; integer coordinates copy
    pixels exactly (the second tap gets weight 0). Gathers, not matrix products: exact on
    GPUs too, where float32 matmuls may use TF32.
    """
    size = images.shape[axis]
    out = src.shape[1]
    shape = (-1, out, 1, 1) if axis == 1 else (-1, 1, out, 1)
    lower = ops.floor(src)
    result = None
    for index, weight in ((lower, 1.0 - (src - lower)), (lower + 1.0, src - lower)):
        weight = ops.where((index >= 0) & (index <= size - 1), weight, 0.0)
        index = ops.cast(ops.clip(index, 0, size - 1), "int32")
        tap = ops.take_along_axis(images, ops.reshape(index, shape), axis=axis)
        tap = tap * ops.cast(ops.reshape(weight, shape), images.dtype)
        result = tap if result is None else result + tap
    return result


def _resample(images, src_y, src_x):
    """out[n, y, x] = images[n, src_y[n, y], src_x[n, x]] with bilinear interpolation.

    src_y: (N, out_height), src_x: (N, out_width), float32 pixel coordinates.
    """
    return _interpolate(_interpolate(images, src_y, axis=1), src_x, axis=2)


def _check_images(input_shape, name):
    if len(input_shape) != 4 or any(d is None for d in input_shape[1:]):
        raise ValueError(
            f"{name} expects channels_last images (N, H, W, C) with known H, W, C, "
            f"got shape {tuple(input_shape)}."
        )


class _Augmentation(keras.layers.Layer):
    """Base class: identity unless training; owns the SeedGenerator."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        _check_images(input_shape, type(self).__name__)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return self.augment(inputs)

    def augment(self, images):
        raise NotImplementedError

    def _uniform(self, images, low=0.0, high=1.0):
        """One float32 draw from U[low, high) per image: shape (N,)."""
        n = ops.shape(images)[0]
        return keras.random.uniform(
            (n,), minval=low, maxval=high, dtype="float32", seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@_register
class RandomTranslation(_Augmentation):
    """평행이동 (translation): shift each image by a random fraction of its size.

    ``height_factor`` / ``width_factor``: a number f shifts by a fraction drawn from
    [-f, f] (of H or W); a pair (a, b) draws from [a, b] (values in [-1, 1]). Positive
    moves the content down / right. Fractional shifts are bilinearly interpolated (like
    Keras); uncovered pixels are 0 (Keras' default fill is "reflect").
    """

    def __init__(self, height_factor, width_factor, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _factor_range("height_factor", height_factor)
        self._width_range = _factor_range("width_factor", width_factor)

    def augment(self, images):
        _, height, width, _ = images.shape
        dy = self._uniform(images, *self._height_range) * height
        dx = self._uniform(images, *self._width_range) * width
        src_y = ops.arange(height, dtype="float32")[None, :] - dy[:, None]
        src_x = ops.arange(width, dtype="float32")[None, :] - dx[:, None]
        return _resample(images, src_y, src_x)

    def get_config(self):
        config = {
            "height_factor": _as_config_value(self.height_factor),
            "width_factor": _as_config_value(self.width_factor),
        }
        return {**super().get_config(), **config}


@_register
class RandomFlip(_Augmentation):
    """좌우대칭 (flip): mirror each image with probability 0.5.

    ``mode``: "horizontal" (left-right, the usual choice for photos), "vertical" (up-down)
    or "horizontal_and_vertical" (each axis decided independently).
    """

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"mode must be one of {self._MODES}, got {mode!r}.")
        self.mode = mode

    def _maybe_flip(self, images, axis):
        flip = self._uniform(images) < 0.5
        return ops.where(flip[:, None, None, None], ops.flip(images, axis=axis), images)

    def augment(self, images):
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = self._maybe_flip(images, axis=2)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = self._maybe_flip(images, axis=1)
        return images

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@_register
class RandomCrop(_Augmentation):
    """랜덤 크랍 (random crop): cut a random ``height`` × ``width`` window from each image.

    The output is (N, height, width, C) in training *and* at inference, where the window is
    centered (like ``keras.layers.RandomCrop``, which also resizes first at inference when
    the aspect ratio differs; this layer only center-crops). Pixels are copied, not
    interpolated. Inputs must be at least height × width.
    """

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height = check_int("height", height, 1)
        self.width = check_int("width", width, 1)

    def build(self, input_shape):
        super().build(input_shape)
        if input_shape[1] < self.height or input_shape[2] < self.width:
            raise ValueError(
                f"RandomCrop(height={self.height}, width={self.width}) needs images at least "
                f"that large, got {input_shape[1]}×{input_shape[2]}."
            )

    def call(self, inputs, training=False):
        if training:
            return self.augment(inputs)
        top = (inputs.shape[1] - self.height) // 2
        left = (inputs.shape[2] - self.width) // 2
        return inputs[:, top : top + self.height, left : left + self.width, :]

    def augment(self, images):
        _, height, width, _ = images.shape
        # Integer offsets in [0, H - height] and [0, W - width].
        top = ops.floor(self._uniform(images) * (height - self.height + 1))
        left = ops.floor(self._uniform(images) * (width - self.width + 1))
        top = ops.minimum(top, height - self.height)
        left = ops.minimum(left, width - self.width)
        src_y = ops.arange(self.height, dtype="float32")[None, :] + top[:, None]
        src_x = ops.arange(self.width, dtype="float32")[None, :] + left[:, None]
        return _resample(images, src_y, src_x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


def _value_range(value_range):
    if not isinstance(value_range, (list, tuple)) or len(value_range) != 2:
        raise ValueError(f"value_range must be a (min, max) pair, got {value_range!r}.")
    low = check_range("value_range[0]", value_range[0])
    high = check_range("value_range[1]", value_range[1])
    if not low < high:
        raise ValueError(f"value_range must satisfy min < max, got {value_range!r}.")
    return low, high


@_register
class RandomBrightness(_Augmentation):
    """밝기 조절 (brightness): add one random delta per image, then clip to ``value_range``.

    The delta is drawn from [-factor, factor] (or from [a, b] for a pair) times the width
    of ``value_range`` (default (0, 1); use (0, 255) for 8-bit images), the same rule as
    ``keras.layers.RandomBrightness``.
    """

    def __init__(self, factor, value_range=(0.0, 1.0), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self._range = _factor_range("factor", factor)
        self.value_range = _value_range(value_range)

    def augment(self, images):
        low, high = self.value_range
        delta = self._uniform(images, *self._range) * (high - low)
        delta = ops.cast(delta[:, None, None, None], images.dtype)
        return ops.clip(images + delta, low, high)

    def get_config(self):
        config = {
            "factor": _as_config_value(self.factor),
            "value_range": list(self.value_range),
        }
        return {**super().get_config(), **config}


@_register
class RandomZoom(_Augmentation):
    """크기 변경 (zoom / scale): zoom each image in or out about its center; shape is kept.

    A zoom amount u is drawn from [-factor, factor] (or [a, b] for a pair, -1 < a <= b <= 1)
    and the image is sampled at center + (p - center)·(1 + u): like Keras, u > 0 zooms
    *out* (content shrinks, borders filled with 0) and u < 0 zooms *in* (content grows).
    Height and width use the same u, so the aspect ratio is kept.
    """

    def __init__(self, factor, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self._range = _factor_range("factor", factor, open_low=True)

    def augment(self, images):
        _, height, width, _ = images.shape
        scale = 1.0 + self._uniform(images, *self._range)

        def source(size):
            center = (size - 1) / 2.0
            grid = ops.arange(size, dtype="float32")[None, :]
            return center + (grid - center) * scale[:, None]

        return _resample(images, source(height), source(width))

    def get_config(self):
        return {**super().get_config(), "factor": _as_config_value(self.factor)}


@_register
class RandomErasing(_Augmentation):
    """일부 지우기 (random erasing / cutout): with ``probability``, blank one rectangle.

    The rectangle covers a fraction of the image drawn from ``area`` = (min, max); it has
    the image's aspect ratio (sides sqrt(fraction)·H and sqrt(fraction)·W, rounded, at
    least 1 pixel) and lies fully inside the image. It is filled with ``fill_value``
    (0 = cutout, DeVries & Taylor 2017). Zhong et al.'s random erasing also draws a random
    aspect ratio and fills with noise; both are left out to keep the layer simple.
    """

    def __init__(self, probability=0.5, area=(0.02, 0.2), fill_value=0.0, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.probability = check_range("probability", probability, 0.0, 1.0)
        if not isinstance(area, (list, tuple)) or len(area) != 2:
            raise ValueError(f"area must be a (min, max) pair in (0, 1], got {area!r}.")
        low = check_range("area[0]", area[0], 0.0, 1.0, low_inclusive=False)
        high = check_range("area[1]", area[1], 0.0, 1.0, low_inclusive=False)
        if low > high:
            raise ValueError(f"area must satisfy min <= max, got {area!r}.")
        self.area = (low, high)
        self.fill_value = check_range("fill_value", fill_value)

    def _window(self, images, side_fraction, size):
        """Boolean (N, size): True inside a random window of round(side_fraction·size)."""
        length = ops.clip(ops.round(side_fraction * size), 1.0, float(size))
        start = ops.floor(self._uniform(images) * (size - length + 1.0))
        start = ops.minimum(start, size - length)
        grid = ops.arange(size, dtype="float32")[None, :]
        return (grid >= start[:, None]) & (grid < (start + length)[:, None])

    def augment(self, images):
        _, height, width, _ = images.shape
        side = ops.sqrt(self._uniform(images, *self.area))
        rows = self._window(images, side, height)
        cols = self._window(images, side, width)
        erase = self._uniform(images) < self.probability
        mask = rows[:, :, None] & cols[:, None, :] & erase[:, None, None]
        fill = ops.cast(self.fill_value, images.dtype)
        return ops.where(mask[..., None], fill, images)

    def get_config(self):
        config = {
            "probability": self.probability,
            "area": list(self.area),
            "fill_value": self.fill_value,
        }
        return {**super().get_config(), **config}


def gaussian_kernel(sigma, kernel_size):
    """Normalized 2-D gaussian kernel (kernel_size × kernel_size, sums to 1) as a tensor."""
    center = (kernel_size - 1) / 2.0
    x = ops.arange(kernel_size, dtype="float32") - center
    g = ops.exp(-ops.square(x) / (2.0 * sigma**2))
    g = g / ops.sum(g)
    return ops.outer(g, g)


@_register
class GaussianBlur(keras.layers.Layer):
    """블러 (blur): convolve every channel with a fixed gaussian kernel (depthwise conv).

    Deterministic (no random parameters). Like the other augmentations it is applied only
    in training and is the identity at inference; for a blur at inference use
    ``keras.ops.image.gaussian_blur``. Borders are zero-padded ("same" padding), so edge
    pixels of a bright image get darker. ``kernel_size`` must be odd.
    """

    def __init__(self, sigma=1.0, kernel_size=5, **kwargs):
        super().__init__(**kwargs)
        self.sigma = check_range("sigma", sigma, 0.0, low_inclusive=False)
        self.kernel_size = check_int("kernel_size", kernel_size, 1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be an odd integer >= 1, got {kernel_size!r}.")

    def build(self, input_shape):
        _check_images(input_shape, "GaussianBlur")
        self._channels = input_shape[-1]

    def call(self, inputs, training=False):
        if not training:
            return inputs
        kernel = gaussian_kernel(self.sigma, self.kernel_size)
        # depthwise kernel: (k, k, channels, 1), the same 2-D kernel for every channel.
        kernel = ops.tile(kernel[:, :, None, None], (1, 1, self._channels, 1))
        return ops.depthwise_conv(inputs, ops.cast(kernel, inputs.dtype), padding="same")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"sigma": self.sigma, "kernel_size": self.kernel_size}
        return {**super().get_config(), **config}


@_register
class GaussianNoise(_Augmentation):
    """랜덤 노이즈 (random noise): add independent N(0, stddev²) noise to every value.

    ``stddev`` is in the images' units (0.1 on [0, 1] images is 25.5 on [0, 255] ones);
    the result is not clipped. Same as ``keras.layers.GaussianNoise``.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = check_range("stddev", stddev, 0.0)

    def augment(self, images):
        noise = keras.random.normal(
            ops.shape(images), stddev=self.stddev, dtype="float32", seed=self.seed_generator
        )
        return images + ops.cast(noise, images.dtype)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


@_register
class ColorNoise(_Augmentation):
    """컬러 노이즈 (color noise): scale each channel of each image by 1 + N(0, stddev²).

    One random factor per (image, channel) shifts the color balance (a red tint, a
    bluish cast) while keeping edges. Multiplicative, so it works for [0, 1] and [0, 255]
    images alike; not clipped. ``stddev`` in [0, 1].
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = check_range("stddev", stddev, 0.0, 1.0)

    def augment(self, images):
        n, channels = ops.shape(images)[0], images.shape[-1]
        scale = 1.0 + keras.random.normal(
            (n, 1, 1, channels), stddev=self.stddev, dtype="float32", seed=self.seed_generator
        )
        return images * ops.cast(scale, images.dtype)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}
