"""Convolution arithmetic: output sizes, sliding sums of products, padding, pooling, parameters.

Claims (no training, all checked against Keras layers):
- output size = floor((n + 2p − k) / s) + 1 equals the shape keras.layers.Conv2D produces
  (explicit padding p = ZeroPadding2D(p) followed by a 'valid' Conv2D), for the chosen
  setting and for the textbook cases; with 'same' padding Keras gives ceil(n / s);
- each output value is the sum of products of the kernel with one input window (Keras'
  Conv2D is a cross-correlation: the kernel is not flipped);
- fixed Sobel filters turn a digit into vertical/horizontal edge maps; zero padding keeps
  the size, no padding shrinks it by k − 1;
- max pooling keeps the largest value of each window, average pooling the mean (max ≥ avg);
- a conv layer has k·k·C_in·C_out + C_out parameters, independent of the image size,
  far fewer than a Dense layer on the flattened input.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from studykit.experiments._fit import frame
from studykit.experiments._models import set_random_seed
from studykit.experiments.base import Experiment, Invalid, Params, Progress, Result

# (label, n, k, s, p): the notes' and interviews' usual cases.
SIZE_CASES = (
    ("LeNet 첫 층", 32, 5, 1, 0),
    ("ResNet 첫 층", 224, 7, 2, 3),
    ("3×3 same", 28, 3, 1, 1),
    ("스트라이드 2, 나머지 버림", 8, 3, 2, 0),
    ("2×2 풀링 크기", 224, 2, 2, 0),
)
# (label, n, C_in, k, C_out): the question bank's parameter-count case.
PARAM_CASES = (("32×32×3, Conv2D(64, 3)", 32, 3, 3, 64),)
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype="float32")  # vertical edges
FILTERS = {"sobel_x": SOBEL_X, "sobel_y": SOBEL_X.T.copy()}  # sobel_y: horizontal edges
KERAS_PARAM_LIMIT = 5_000_000  # build Keras layers only below this many weights
Digit = Literal[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]


class ConvArithmeticParams(Params):
    input_size: int = Field(32, ge=3, le=256, title="입력 크기 n (n×n)")
    kernel_size: int = Field(5, ge=1, le=11, title="커널 크기 k (k×k)")
    stride: int = Field(1, ge=1, le=5, title="스트라이드 s (stride)")
    padding: int = Field(0, ge=0, le=5, title="패딩 p (양쪽에 붙이는 0의 수)")
    in_channels: int = Field(3, ge=1, le=16, title="입력 채널 수 C_in")
    filters: int = Field(64, ge=1, le=256, title="필터 수 C_out (filters)")
    pool_size: int = Field(2, ge=2, le=4, title="풀링 창 크기 (pool size = stride)")
    digit: Digit = Field(3, title="특징 맵에 쓸 숫자 (digit)")
    image_scale: int = Field(3, ge=1, le=4, title="숫자 이미지 확대 배율 (8×8 → 8·배율)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @model_validator(mode="after")
    def _kernel_fits(self):
        smallest = min(self.input_size, 8 * self.image_scale)
        if self.kernel_size > smallest + 2 * self.padding:
            raise Invalid(
                f"kernel_size {self.kernel_size} must be <= input size + 2·padding "
                f"({smallest} + 2·{self.padding}) — the filter has to fit on the (padded) image",
                f"필터가 (패딩을 더한) 입력 안에 들어가야 하므로 입력 크기 + 2×패딩 = "
                f"{smallest + 2 * self.padding} 이하여야 합니다 (입력값: {self.kernel_size}).",
                field="kernel_size",
            )
        return self


def output_size(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


def _conv(n: int, k: int, s: int, p: int, kernel: np.ndarray | None = None, c_in: int = 1):
    """A Sequential(ZeroPadding2D(p), Conv2D(1, k, s, 'valid')) with an optional fixed kernel."""
    import keras

    layers = [keras.Input((n, n, c_in))]
    if p:
        layers.append(keras.layers.ZeroPadding2D(p))
    conv = keras.layers.Conv2D(1, k, strides=s, padding="valid", use_bias=False)
    layers.append(conv)
    model = keras.Sequential(layers)
    if kernel is not None:
        conv.set_weights([kernel.reshape(k, k, c_in, 1).astype("float32")])
    return model


def _sizes(p: ConvArithmeticParams) -> list[dict]:
    import keras

    cases = [("선택한 설정", p.input_size, p.kernel_size, p.stride, p.padding), *SIZE_CASES]
    rows = []
    for label, n, k, s, pad in cases:
        actual = _conv(n, k, s, pad)(np.zeros((1, n, n, 1), dtype="float32"))
        same = keras.layers.Conv2D(1, k, strides=s, padding="same")(
            np.zeros((1, n, n, 1), dtype="float32")
        )
        rows.append(
            {
                "case": label,
                "n": n,
                "k": k,
                "s": s,
                "p": pad,
                "formula": output_size(n, k, s, pad),
                "keras": int(actual.shape[1]),
                "remainder": (n + 2 * pad - k) % s,
                "same_formula": math.ceil(n / s),
                "same_keras": int(same.shape[1]),
            }
        )
    return rows


def _digit_image(p: ConvArithmeticParams) -> np.ndarray:
    from studykit import datasets

    data = datasets.digits(seed=0)
    image = data.x_val[int(np.flatnonzero(data.y_val == p.digit)[0])].reshape(8, 8)
    return np.kron(image, np.ones((p.image_scale, p.image_scale), dtype="float32"))


def _sliding(p: ConvArithmeticParams, image: np.ndarray) -> tuple[list[dict], float]:
    """Every output cell of the chosen (k, s, p) on the digit: manual sum of products vs Keras."""
    rng = np.random.default_rng(p.seed)
    k, s, pad = p.kernel_size, p.stride, p.padding
    kernel = rng.normal(size=(k, k)).astype("float32")
    size = image.shape[0]
    keras_out = np.asarray(_conv(size, k, s, pad, kernel)(image[None, :, :, None]))[0, :, :, 0]
    padded = np.pad(image, pad)
    out = output_size(size, k, s, pad)
    rows, worst = [], 0.0
    for i in range(out):
        for j in range(out):
            window = padded[i * s : i * s + k, j * s : j * s + k]
            manual = float(np.sum(window * kernel))
            worst = max(worst, abs(manual - float(keras_out[i, j])))
            rows.append(
                {
                    "row": i,
                    "col": j,
                    "top": i * s - pad,
                    "left": j * s - pad,
                    "manual": manual,
                    "keras": float(keras_out[i, j]),
                }
            )
    return rows, worst


def _feature_maps(p: ConvArithmeticParams, image: np.ndarray):
    import keras

    size = image.shape[0]
    maps = {("input", "none"): image}
    for name, kernel in FILTERS.items():
        for padding in ("valid", "same"):
            conv = keras.layers.Conv2D(1, 3, padding=padding, use_bias=False)
            conv.build((None, size, size, 1))
            conv.set_weights([kernel.reshape(3, 3, 1, 1)])
            maps[(name, padding)] = np.asarray(conv(image[None, :, :, None]))[0, :, :, 0]
    rows = [
        {"filter": name, "padding": padding, "row": r, "col": c, "value": float(v)}
        for (name, padding), values in maps.items()
        for (r, c), v in np.ndenumerate(values)
    ]
    return rows, maps


def _pooling(p: ConvArithmeticParams, feature: np.ndarray):
    import keras

    x = feature[None, :, :, None]
    pooled = {
        "max": np.asarray(keras.layers.MaxPooling2D(p.pool_size)(x))[0, :, :, 0],
        "average": np.asarray(keras.layers.AveragePooling2D(p.pool_size)(x))[0, :, :, 0],
    }
    rows = [
        {"kind": "input", "row": r, "col": c, "value": float(v)}
        for (r, c), v in np.ndenumerate(feature)
    ]
    rows += [
        {"kind": kind, "row": r, "col": c, "value": float(v)}
        for kind, values in pooled.items()
        for (r, c), v in np.ndenumerate(values)
    ]
    return rows, pooled


def _keras_params(layer, shape) -> float:
    layer.build(shape)
    return float(layer.count_params())


def _params(p: ConvArithmeticParams) -> list[dict]:
    import keras

    cases = [
        ("선택한 설정", p.input_size, p.in_channels, p.kernel_size, p.filters),
        *PARAM_CASES,
    ]
    rows = []
    for label, n, c_in, k, c_out in cases:
        out = output_size(n, k, p.stride, p.padding) if label == "선택한 설정" else n - k + 1
        flat = n * n * c_in
        counts = {
            "conv": (k * k * c_in * c_out + c_out, f"{k}·{k}·{c_in}·{c_out} + {c_out}"),
            "dense_units": (flat * c_out + c_out, f"({n}·{n}·{c_in})·{c_out} + {c_out}"),
            "dense_full": (
                flat * out * out * c_out + out * out * c_out,
                f"({n}·{n}·{c_in})·({out}·{out}·{c_out}) + {out}·{out}·{c_out}",
            ),
        }
        for layer, (count, formula) in counts.items():
            built = float("nan")
            if count <= KERAS_PARAM_LIMIT:
                if layer == "conv":
                    built = _keras_params(keras.layers.Conv2D(c_out, k), (None, n, n, c_in))
                elif layer == "dense_units":
                    built = _keras_params(keras.layers.Dense(c_out), (None, flat))
                else:
                    built = _keras_params(keras.layers.Dense(out * out * c_out), (None, flat))
            rows.append(
                {
                    "case": label,
                    "layer": layer,
                    "formula": formula,
                    "params": float(count),
                    "keras_params": built,
                }
            )
    return rows


def _summary(p: ConvArithmeticParams, f: dict[str, float]) -> str:
    n, k, s, pad = p.input_size, p.kernel_size, p.stride, p.padding
    return (
        f"입력 {n}, 커널 {k}, 스트라이드 {s}, 패딩 {pad}인 경우 공식으로 계산한 출력 크기"
        f"(floor(({n} + 2·{pad} − {k})/{s}) + 1 = {f['output_size']:.0f})와 Keras Conv2D의 실제 "
        f"출력 크기({f['keras_output_size']:.0f})가 같았고(표의 모든 경우에서 차이 "
        f"{f['formula_minus_keras']:.0f}), 출력의 각 칸은 입력 창과 커널의 곱의 합과 최대 "
        f"{f['manual_minus_keras']:.1e} 차이로 일치했으며, {n}×{n}×{p.in_channels} 입력에 "
        f"{k}×{k} 필터 {p.filters}개인 합성곱 층의 파라미터는 {f['params.conv']:,.0f}개로 같은 "
        f"입력을 펼쳐 Dense({p.filters})에 넣을 때의 {f['params.dense_units']:,.0f}개보다 훨씬 "
        "적었습니다."
    )


def run(p: ConvArithmeticParams, progress: Progress) -> Result:

    set_random_seed(p.seed)
    progress(0.05, "출력 크기 공식과 Keras 비교")
    sizes = _sizes(p)
    progress(0.35, "곱의 합 확인")
    image = _digit_image(p)
    sliding, worst = _sliding(p, image)
    progress(0.55, "소벨 필터 특징 맵")
    feature_rows, maps = _feature_maps(p, image)
    progress(0.7, "풀링")
    edges = np.abs(maps[("sobel_x", "valid")])
    pooling_rows, pooled = _pooling(p, edges)
    progress(0.85, "파라미터 수")
    params = _params(p)
    chosen = sizes[0]
    size = image.shape[0]
    findings = {
        "output_size": float(chosen["formula"]),
        "keras_output_size": float(chosen["keras"]),
        "formula_minus_keras": float(max(abs(r["formula"] - r["keras"]) for r in sizes)),
        "same_formula_minus_keras": float(
            max(abs(r["same_formula"] - r["same_keras"]) for r in sizes)
        ),
        "dropped_positions": float(chosen["remainder"]),
        "manual_minus_keras": float(worst),
        "image_size": float(size),
        "valid_size": float(maps[("sobel_x", "valid")].shape[0]),
        "same_size": float(maps[("sobel_x", "same")].shape[0]),
        "pooled_size": float(pooled["max"].shape[0]),
        "max_pool_mean": float(pooled["max"].mean()),
        "average_pool_mean": float(pooled["average"].mean()),
        "max_minus_average_min": float((pooled["max"] - pooled["average"]).min()),
    }
    for row in params:
        if row["case"] == "선택한 설정":
            findings[f"params.{row['layer']}"] = row["params"]
    checked = [r for r in params if not math.isnan(r["keras_params"])]
    findings["params_formula_minus_keras"] = float(
        max(abs(r["params"] - r["keras_params"]) for r in checked)
    )
    return Result(
        frames={
            "sizes": frame(
                sizes,
                [
                    "case",
                    "n",
                    "k",
                    "s",
                    "p",
                    "formula",
                    "keras",
                    "remainder",
                    "same_formula",
                    "same_keras",
                ],
            ),
            "sliding": frame(sliding, ["row", "col", "top", "left", "manual", "keras"]),
            "feature_maps": frame(feature_rows, ["filter", "padding", "row", "col", "value"]),
            "pooling": frame(pooling_rows, ["kind", "row", "col", "value"]),
            "params": frame(params, ["case", "layer", "formula", "params", "keras_params"]),
        },
        findings=findings,
        summary=_summary(p, findings),
    )


FILTER_NAMES = {
    ("input", "none"): "입력 숫자",
    ("sobel_x", "valid"): "소벨 x (세로 경계), 패딩 없음",
    ("sobel_y", "valid"): "소벨 y (가로 경계), 패딩 없음",
    ("sobel_x", "same"): "소벨 x, 제로 패딩 (same)",
    ("sobel_y", "same"): "소벨 y, 제로 패딩 (same)",
}
POOL_NAMES = {
    "input": "입력 (|소벨 x| 특징 맵)",
    "max": "최대 풀링 (max)",
    "average": "평균 풀링 (average)",
}
LAYER_NAMES = {
    "conv": "합성곱 층 (Conv2D)",
    "dense_units": "Dense(필터 수) — 펼친 입력",
    "dense_full": "Dense — 출력 특징 맵 전체 크기",
}


def _heatmaps(data, facet: str, order: list[str], title: str, columns: int, size: int):
    import altair as alt

    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("col:O", axis=None),
            y=alt.Y("row:O", axis=None),
            color=alt.Color("value:Q", title="값", scale=alt.Scale(scheme="redblue", domainMid=0)),
            tooltip=[facet, "row", "col", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=size, height=size)
        .facet(facet=alt.Facet(f"{facet}:N", title=None, sort=order), columns=columns)
        .resolve_scale(x="independent", y="independent")
        .properties(title=title)
    )


def charts(result: Result) -> list:
    import altair as alt

    sizes = result.frames["sizes"].assign(
        label=lambda d: (
            d["case"]
            + " (n="
            + d["n"].astype(str)
            + ", k="
            + d["k"].astype(str)
            + ", s="
            + d["s"].astype(str)
            + ", p="
            + d["p"].astype(str)
            + ")"
        )
    )
    long = sizes.melt(
        id_vars=["label", "remainder"],
        value_vars=["formula", "keras"],
        var_name="source",
        value_name="size",
    ).assign(source=lambda d: d["source"].map({"formula": "공식", "keras": "Keras Conv2D"}))
    size_chart = (
        alt.Chart(long, title="출력 크기: 공식 floor((n + 2p − k)/s) + 1 vs Keras의 실제 출력")
        .mark_bar()
        .encode(
            y=alt.Y("source:N", title=None),
            x=alt.X("size:Q", title="출력 특징 맵 한 변의 크기"),
            color=alt.Color("source:N", title=None),
            row=alt.Row("label:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=["label", "source", "size", alt.Tooltip("remainder:Q", title="버려진 나머지")],
        )
        .properties(width=320, height=40)
    )
    sliding = result.frames["sliding"]
    params = result.params
    sliding_chart = (
        alt.Chart(
            sliding,
            title=(
                f"출력 특징 맵의 각 칸 = 입력 창 × 커널의 곱의 합 (k={params['kernel_size']}, "
                f"s={params['stride']}, p={params['padding']}, 무작위 커널)"
            ),
        )
        .mark_rect()
        .encode(
            x=alt.X("col:O", title="출력 열"),
            y=alt.Y("row:O", title="출력 행"),
            color=alt.Color(
                "keras:Q", title="Keras 출력", scale=alt.Scale(scheme="redblue", domainMid=0)
            ),
            tooltip=[
                "row",
                "col",
                alt.Tooltip("top:Q", title="입력 창의 위쪽 행"),
                alt.Tooltip("left:Q", title="입력 창의 왼쪽 열"),
                alt.Tooltip("manual:Q", title="직접 계산한 곱의 합", format=".4f"),
                alt.Tooltip("keras:Q", title="Keras Conv2D", format=".4f"),
            ],
        )
        .properties(width=260, height=260)
    )
    features = (
        result.frames["feature_maps"]
        .assign(
            view=lambda d: [
                FILTER_NAMES[(f, pad)] for f, pad in zip(d["filter"], d["padding"], strict=True)
            ]
        )[["view", "row", "col", "value"]]
        .round({"value": 3})
    )
    feature_chart = _heatmaps(
        features,
        "view",
        list(FILTER_NAMES.values()),
        "고정된 필터(소벨)로 만든 특징 맵: 패딩이 없으면 한 변이 k − 1만큼 줄어듭니다",
        5,
        110,
    )
    pooling = (
        result.frames["pooling"]
        .assign(view=lambda d: d["kind"].map(POOL_NAMES))[["view", "row", "col", "value"]]
        .round({"value": 3})
    )
    pooling_chart = _heatmaps(
        pooling,
        "view",
        list(POOL_NAMES.values()),
        f"{params['pool_size']}×{params['pool_size']} 풀링 (스트라이드 = 창 크기)",
        3,
        140,
    )
    counts = result.frames["params"].assign(layer=lambda d: d["layer"].map(LAYER_NAMES))
    param_chart = (
        alt.Chart(counts, title="파라미터 수 (로그 눈금): 합성곱 층 vs 펼친 입력의 완전 연결층")
        .mark_bar()
        .encode(
            y=alt.Y("layer:N", title=None, sort=list(LAYER_NAMES.values())),
            x=alt.X("params:Q", title="파라미터 수", scale=alt.Scale(type="log")),
            color=alt.Color("layer:N", title=None, sort=list(LAYER_NAMES.values())),
            row=alt.Row("case:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=[
                "case",
                "layer",
                "formula",
                alt.Tooltip("params:Q", format=","),
                alt.Tooltip("keras_params:Q", title="Keras count_params()", format=","),
            ],
        )
        .properties(width=320, height=80)
    )
    return [size_chart, sliding_chart, feature_chart, pooling_chart, param_chart]


EXPERIMENT = Experiment(
    name="conv_arithmetic",
    title="합성곱 연산 (convolution): 출력 크기, 패딩, 스트라이드, 풀링, 파라미터 수",
    caption=(
        "첫 그래프에서 공식 floor((n + 2p − k)/s) + 1로 계산한 출력 크기와 Keras Conv2D가 실제로 "
        "만든 출력 크기가 모든 경우에 같은지, 스트라이드 2에서 (n + 2p − k)가 홀수이면 나머지가 "
        "버려지는지(툴팁의 '버려진 나머지') 확인하세요. 둘째 그래프의 칸에 마우스를 올리면 그 칸을 "
        "만든 입력 창의 위치와, 직접 계산한 곱의 합이 Keras 출력과 같은지 볼 수 있습니다. 소벨 "
        "필터의 특징 맵에서는 세로·가로 경계가 어디에서 강하게 반응하는지, 패딩이 없을 때 크기가 "
        "줄어드는지 보고, 풀링에서는 최대 풀링이 창의 가장 큰 값을, 평균 풀링이 평균을 남기는지 "
        "비교하세요. 마지막 그래프는 같은 입력에 대해 합성곱 층과 완전 연결층의 파라미터 수를 "
        "로그 눈금으로 비교합니다."
    ),
    params=ConvArithmeticParams,
    presets={
        "default": {},
        "tiny": {"input_size": 8, "kernel_size": 3, "filters": 4, "image_scale": 1},
        "resnet_stem": {"input_size": 224, "kernel_size": 7, "stride": 2, "padding": 3},
        "stride_two": {"input_size": 8, "kernel_size": 3, "stride": 2, "padding": 0},
    },
    runner=run,
    charts=charts,
    findings={
        "output_size": ("출력 크기 (공식)", ""),
        "keras_output_size": ("출력 크기 (Keras)", ""),
        "formula_minus_keras": ("공식과 Keras 출력 크기의 최대 차이", ""),
        "same_formula_minus_keras": ("'same' 패딩: 공식과 Keras의 최대 차이", ""),
        "dropped_positions": ("버려지는 마지막 위치 수", "count"),
        "manual_minus_keras": ("손 계산 합성곱과 Keras의 최대 차이", ""),
        "image_size": ("이미지 크기", ""),
        "valid_size": ("'valid' 출력 크기", ""),
        "same_size": ("'same' 출력 크기", ""),
        "pooled_size": ("풀링 후 크기", ""),
        "max_pool_mean": ("최대 풀링 출력 평균", ""),
        "average_pool_mean": ("평균 풀링 출력 평균", ""),
        "max_minus_average_min": ("최대 풀링 − 평균 풀링 (최솟값)", ""),
        "params": ("파라미터 수", "count"),
        "params_formula_minus_keras": ("파라미터 수: 공식과 Keras의 차이", ""),
    },
    series={
        "conv": "합성곱 층",
        "dense_units": "완전 연결 (같은 유닛 수)",
        "dense_full": "완전 연결 (같은 출력 크기)",
    },
)
