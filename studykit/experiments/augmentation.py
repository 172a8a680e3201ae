"""Data augmentation: a gallery of studykit.augment on digits, and training with / without it.

Gallery: every augmentation layer of ``studykit.augment`` applied (training mode) to a few
sample digits, upscaled from 8×8 so the effect is visible.

Claim: an MLP trained on a few hundred digits without augmentation reaches a high
accuracy on the original validation digits but collapses on the same digits shifted by one
pixel (it has only ever seen centred digits); trained with random translation
(``studykit.augment.RandomTranslation`` inside the model, active only during ``fit``) it
keeps most of its accuracy on the shifted digits. The validation sets are never augmented:
the shifted set is a fixed, deterministic copy of the validation digits.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from studykit.experiments._data import random_shifts, shift_images
from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._measure import EVALUATION_COLUMNS, final
from studykit.experiments._models import build_mlp, compile_classifier, reuse, set_random_seed
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result, distinct

TRAINING_AUGMENTATIONS = ("translation", "flip", "zoom", "erasing", "noise", "brightness")
GALLERY = (
    "translation",
    "flip",
    "crop",
    "brightness",
    "zoom",
    "erasing",
    "blur",
    "noise",
    "color_noise",
)
KOREAN = {
    "original": "원본",
    "translation": "평행이동 (translation)",
    "flip": "뒤집기 (flip)",
    "crop": "랜덤 크롭 (random crop)",
    "brightness": "밝기 (brightness)",
    "zoom": "확대·축소 (zoom)",
    "erasing": "일부 지우기 (random erasing)",
    "blur": "블러 (gaussian blur)",
    "noise": "가우시안 노이즈 (noise)",
    "color_noise": "컬러 노이즈 (color noise)",
}
GALLERY_DRAWS = 2
AugmentationName = Literal[TRAINING_AUGMENTATIONS]  # type: ignore[valid-type]
Digit = Literal[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]


class AugmentationParams(Params):
    augmentations: tuple[AugmentationName, ...] = Field(
        ("translation",), min_length=1, max_length=6, title="학습에 쓰는 증강 (augmentation)"
    )
    strength: float = Field(
        1.0, ge=0.1, le=3.0, title="증강 세기 (1 = 기본: 평행이동 ±15%, 노이즈 σ 0.1 ...)"
    )
    n_train: int = Field(200, ge=50, le=1347, title="학습 데이터 수 (training samples)")
    val_shift: int = Field(1, ge=0, le=3, title="검증 이미지를 옮기는 픽셀 수 (shifted validation)")
    width: int = Field(256, ge=16, le=1024, title="은닉층 뉴런 수 (width)")
    epochs: int = Field(30, ge=1, le=200, title="에폭 (epochs)")
    batch_size: int = Field(40, ge=8, le=512, title="배치 크기 (batch size)")
    learning_rate: float = Field(3e-3, ge=1e-5, le=0.1, title="학습률 (learning rate, Adam)")
    gallery_digits: tuple[Digit, ...] = Field(
        (6, 2), min_length=1, max_length=3, title="갤러리에 쓸 숫자 (digits)"
    )
    gallery_scale: int = Field(2, ge=1, le=2, title="갤러리 이미지 확대 배율 (8×8 → 16×16)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("gallery_digits", mode="before")
    @classmethod
    def _ints(cls, value):
        # The CLI passes "6,2" as strings.
        if isinstance(value, list | tuple):
            return tuple(int(v) if isinstance(v, str) and v.strip().isdigit() else v for v in value)
        return value

    @field_validator("augmentations", "gallery_digits")
    @classmethod
    def _distinct(cls, value):
        return distinct(value, "values")


def _layer(name: str, strength: float, seed: int, size: int, training: bool):
    """The studykit.augment layer for ``name`` at ``strength`` (1 = the default setting)."""
    from studykit import augment

    s = strength
    if name == "translation":
        return augment.RandomTranslation(min(0.15 * s, 1.0), min(0.15 * s, 1.0), seed=seed)
    if name == "flip":
        return augment.RandomFlip("horizontal_and_vertical", seed=seed)
    if name == "crop":
        side = max(1, int(round(size * 0.75)))
        return augment.RandomCrop(side, side, seed=seed)
    if name == "brightness":
        return augment.RandomBrightness(min(0.2 * s, 1.0), seed=seed)
    if name == "zoom":
        return augment.RandomZoom(min(0.2 * s, 0.9), seed=seed)
    if name == "erasing":
        # Always erase in the gallery (so it shows); half of the images in training.
        high = min(0.15 * s, 1.0)
        return augment.RandomErasing(
            probability=0.5 if training else 1.0, area=(min(0.05, high), high), seed=seed
        )
    if name == "blur":
        return augment.GaussianBlur(sigma=0.8 * s, kernel_size=5)
    if name == "noise":
        return augment.GaussianNoise(0.1 * s, seed=seed)
    if name == "color_noise":
        return augment.ColorNoise(min(0.2 * s, 1.0), seed=seed)
    raise ValueError(f"unknown augmentation {name!r}")


def _gallery(p: AugmentationParams, data) -> list[dict]:
    import keras

    rows = []
    scale = p.gallery_scale
    size = 8 * scale
    for digit in p.gallery_digits:
        index = int(np.flatnonzero(data.y_val == digit)[0])
        image = data.x_val[index].reshape(8, 8)
        image = np.kron(image, np.ones((scale, scale), dtype=image.dtype))[None, :, :, None]
        views = {("original", 0): image[0, :, :, 0]}
        batch = np.repeat(image, GALLERY_DRAWS, axis=0)
        for offset, name in enumerate(GALLERY):
            layer = _layer(name, p.strength, p.seed + offset, size, training=False)
            out = keras.ops.convert_to_numpy(layer(batch, training=True))
            for draw in range(GALLERY_DRAWS):
                views[(name, draw + 1)] = out[draw, :, :, 0]
        for (name, draw), values in views.items():
            height, width = values.shape
            for r in range(height):
                for c in range(width):
                    rows.append(
                        {
                            "image": f"숫자 {digit}",
                            "augmentation": name,
                            "draw": draw,
                            "row": r,
                            "col": c,
                            "value": float(values[r, c]),
                        }
                    )
    return rows


def _model(p: AugmentationParams, augmented: bool):
    import keras

    from studykit import activations

    set_random_seed(p.seed)
    augmentations = [
        _layer(name, p.strength, p.seed + 10 + offset, 8, training=True)
        for offset, name in enumerate(p.augmentations if augmented else ())
    ]
    before = [
        keras.layers.Reshape((8, 8, 1), name="as_image"),
        *augmentations,
        keras.layers.Flatten(name="flatten"),
    ]
    model = build_mlp(
        64, 10, [p.width], seed=p.seed, before=before, output_activation=activations.softmax
    )
    return reuse(compile_classifier(model, p.learning_rate))


def _summary(p: AugmentationParams, f: dict[str, float]) -> str:
    used = ", ".join(KOREAN[a].split(" (")[0] for a in p.augmentations)
    return (
        f"학습 데이터 {p.n_train}개로 {p.epochs} 에폭 학습했을 때, 검증 이미지를 "
        f"{p.val_shift}픽셀씩 옮긴 검증 데이터의 정확도는 증강 없이 "
        f"{f['val_accuracy.without']:.1%}, 증강({used})을 쓰면 {f['val_accuracy.with']:.1%}"
        f"였고, 원래 검증 데이터에서는 각각 {f['original_val_accuracy.without']:.1%}와 "
        f"{f['original_val_accuracy.with']:.1%}였습니다."
    )


def run(p: AugmentationParams, progress: Progress) -> Result:
    from studykit import datasets

    data = datasets.digits(seed=p.seed, n_train=p.n_train)
    rng = np.random.default_rng(p.seed)
    shifts = random_shifts(len(data.x_val), p.val_shift, rng)
    shifted = shift_images(data.x_val.reshape(-1, 8, 8), shifts).reshape(-1, 64)
    progress(0.02, "증강 갤러리")
    gallery = _gallery(p, data)
    history, final_rows, warnings = [], [], []
    findings: dict[str, float] = {}
    variants = (("without", False), ("with", True))
    for (variant, augmented), part in progress.parts(
        variants, lambda v: "증강 사용" if v[1] else "증강 없음", within=(0.05, 1.0)
    ):
        # The same MLP without and with the augmentation layers in front of it.
        model = _model(p, augmented)
        fitted = fit(
            model,
            data.x_train,
            data.y_train,
            epochs=p.epochs,
            batch_size=p.batch_size,
            seed=p.seed,
            measure={**data.sets(), "shifted": (shifted, data.y_val)},
            progress=part,
        )
        scores, keras_history = fitted.scores, fitted.history
        warnings += divergence_warning(part.label, fitted.guard)
        history += scores.rows(variant=variant)
        if augmented:
            # Keras' own training accuracy: measured on the augmented batches, in training mode.
            history += [
                {
                    "variant": variant,
                    "epoch": epoch,
                    "split": "train_augmented",
                    "metric": "accuracy",
                    "value": float(value),
                }
                for epoch, value in enumerate(keras_history.get("accuracy", []), start=1)
            ]
        records = scores.records
        values = {
            "val_accuracy": final(records, "shifted", "accuracy"),
            "original_val_accuracy": final(records, "validation", "accuracy"),
            "train_accuracy": final(records, "train", "accuracy"),
        }
        # gap: against the shifted validation set (the one the claim is about);
        # original_gap: against the untouched validation digits.
        values["gap"] = values["train_accuracy"] - values["val_accuracy"]
        values["original_gap"] = values["train_accuracy"] - values["original_val_accuracy"]
        values["shift_drop"] = values["original_val_accuracy"] - values["val_accuracy"]
        for metric, value in values.items():
            findings[f"{metric}.{variant}"] = value
            final_rows.append({"variant": variant, "metric": metric, "value": value})
    return Result(
        frames={
            "gallery": frame(gallery, ["image", "augmentation", "draw", "row", "col", "value"]),
            "history": frame(history, ["variant", *EVALUATION_COLUMNS]),
            "final": frame(final_rows, ["variant", "metric", "value"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


SPLIT_NAMES = {
    "train": "학습 (원본, 추론 모드)",
    "train_augmented": "학습 (증강된 배치, Keras 기록)",
    "validation": "검증 (원본)",
    "shifted": "검증 (이동된 이미지)",
}
VARIANT_NAMES = {"without": "증강 없음", "with": "증강 사용"}


def charts(result: Result) -> list:
    import altair as alt

    gallery = result.frames["gallery"].assign(
        view=lambda d: np.where(
            d["augmentation"] == "original",
            KOREAN["original"],
            d["augmentation"].map(KOREAN) + " #" + d["draw"].astype(str),
        )
    )
    order = [KOREAN["original"]] + [
        f"{KOREAN[name]} #{draw}" for name in GALLERY for draw in range(1, GALLERY_DRAWS + 1)
    ]
    grids = []
    for image, table in gallery.groupby("image", sort=False):
        # Only what the chart needs, rounded: the gallery is thousands of pixels.
        table = table[["view", "row", "col", "value"]].round({"value": 3})
        grids.append(
            alt.Chart(table)
            .mark_rect()
            .encode(
                x=alt.X("col:O", axis=None),
                y=alt.Y("row:O", axis=None),
                color=alt.Color("value:Q", title="밝기", scale=alt.Scale(scheme="greys")),
                tooltip=["view", "row", "col", alt.Tooltip("value:Q", format=".2f")],
            )
            .properties(width=80, height=80)
            .facet(facet=alt.Facet("view:N", title=None, sort=order), columns=5)
            .properties(title=f"증강 갤러리: {image} (기법마다 무작위로 두 번)")
        )
    final = result.frames["final"]
    bars_data = final[final.metric.isin(["original_val_accuracy", "val_accuracy"])].assign(
        model=lambda d: d["variant"].map(VARIANT_NAMES),
        metric=lambda d: d["metric"].map(
            {"original_val_accuracy": "원본 검증", "val_accuracy": "이동된 검증"}
        ),
    )
    bars = (
        alt.Chart(bars_data, title="마지막 에폭의 검증 정확도: 원본 vs 이동된 이미지")
        .mark_bar()
        .encode(
            x=alt.X("model:N", title=None, sort=list(VARIANT_NAMES.values())),
            y=alt.Y("value:Q", title="정확도", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("model:N", title=None, sort=list(VARIANT_NAMES.values())),
            column=alt.Column("metric:N", title=None, sort=["원본 검증", "이동된 검증"]),
            tooltip=["model", "metric", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=140, height=180)
    )
    return [*grids, bars]


EXPERIMENT = Experiment(
    name="augmentation",
    title="데이터 증강 (data augmentation): 갤러리와 증강 유무 비교",
    caption=(
        "갤러리에서 같은 숫자가 기법마다 어떻게 바뀌는지, 사람이 보기에 여전히 같은 숫자인지 "
        "보세요(예: 뒤집기는 6을 9처럼, 2를 다른 모양으로 만들어 레이블을 바꿀 수 있습니다; 흑백 "
        "이미지에서 컬러 노이즈는 밝기 배율로만 보입니다). 학습 곡선에서는 증강 없이 학습한 모델이 "
        "원본 검증 데이터에서는 잘 맞히지만 1픽셀만 옮긴 검증 이미지에서는 크게 틀리는지, 증강을 "
        "쓴 모델은 그 차이가 작은지 비교하세요. 검증 데이터에는 증강을 적용하지 않습니다(이동된 "
        "검증 이미지도 한 번 정해진 고정 사본). 증강된 배치로 잰 Keras의 학습 정확도는 원본으로 잰 "
        "학습 정확도보다 낮게 나올 수 있습니다."
    ),
    params=AugmentationParams,
    presets={
        "default": {},
        "tiny": {
            "n_train": 60,
            "width": 32,
            "epochs": 2,
            "gallery_digits": [6],
            "gallery_scale": 1,
        },
        "strong": {"strength": 2.5},
        "many": {"augmentations": ["translation", "zoom", "erasing", "noise"]},
        "with_flip": {"augmentations": ["translation", "flip"]},
    },
    runner=run,
    charts=charts,
    findings={
        "shift_drop": ("이미지를 옮겼을 때 검증 정확도 하락", "%p"),
        "val_accuracy": ("이동된 검증 이미지 정확도", "%"),
    },
    series=VARIANT_NAMES,
    curves=Curves(series="variant", names=VARIANT_NAMES, series_title="증강"),
)
