"""Vanishing (and exploding) gradients: the same deep MLP with sigmoid vs ReLU (and friends).

Claim: in a deep sigmoid network the first hidden layer's gradient is orders of magnitude
smaller than the last hidden layer's (σ' <= 0.25 is multiplied once per layer on the way
back), so the early layers barely learn; ReLU with He initialization keeps the gradient
norms of all layers within the same order of magnitude and trains much faster.

Exploding gradients (preset "exploding": weights drawn from N(0, 1), far too large for 32
inputs): with tanh, each layer multiplies the backward signal by about √32·E[tanh'] > 1 while
the forward activations stay bounded, so the first layer's kernel gradient is about 100 times
the last one's. With ReLU the backward signal grows just as fast (×√(32/2) = 4 per layer), but
so do the forward activations, and a kernel gradient is (input activation) × (backward
signal): the two growths cancel in the ratio, which stays near 1 — instead the activations
and the loss explode, and the first SGD steps turn the loss into NaN. DivergenceGuard stops
that run and the experiment reports it as a warning instead of crashing.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from studykit.experiments._fit import divergence_warning, fit, frame, history_rows
from studykit.experiments._labels import ACTIVATION_NAMES
from studykit.experiments._measure import final
from studykit.experiments._models import (
    ACTIVATIONS,
    INITIALIZERS,
    build_mlp,
    default_initializer,
    reuse,
    set_random_seed,
)
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result, distinct

ActivationName = Literal[ACTIVATIONS]  # type: ignore[valid-type]
InitializerName = Literal[("auto", *INITIALIZERS)]  # type: ignore[valid-type]

KOREAN_NAMES = ACTIVATION_NAMES


class VanishingGradientParams(Params):
    depth: int = Field(10, ge=1, le=20, title="은닉층 수 (depth)")
    width: int = Field(32, ge=4, le=256, title="층당 뉴런 수 (width)")
    activations: tuple[ActivationName, ...] = Field(
        ("sigmoid", "relu"), min_length=1, max_length=5, title="활성화 함수 (activation)"
    )
    initializer: InitializerName = Field(
        "auto", title="가중치 초기화 (initializer); auto = ReLU 계열은 He, 그 외는 Xavier"
    )
    epochs: int = Field(10, ge=1, le=100, title="에폭 (epochs)")
    learning_rate: float = Field(0.1, ge=1e-5, le=10.0, title="학습률 (learning rate, SGD)")
    batch_size: int = Field(32, ge=8, le=512, title="배치 크기 (batch size)")
    samples: int = Field(1024, ge=64, le=8192, title="데이터 수 (samples)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("activations")
    @classmethod
    def _distinct(cls, value):
        return distinct(value, "activations")


def _ratio(grads, activation: str, depth: int) -> float:
    at_init = grads[(grads["activation"] == activation) & (grads["epoch"] == 0)]
    norms = at_init.set_index("layer")["grad_norm"]
    return float(norms[1] / norms[depth]) if norms[depth] > 0 else float("nan")


EXPLODING_RATIO = 10.0  # first/last kernel-gradient ratio above which we call it exploding


def _times(ratio: float) -> str:
    if not np.isfinite(ratio):
        return "측정 불가"
    if ratio < 0.1:
        return f"약 {float(f'{1 / ratio:.2g}'):,.0f}분의 1"
    if ratio >= EXPLODING_RATIO:
        return f"약 {float(f'{ratio:.2g}'):,.0f}배"
    return f"{ratio:.2f}배"


def _summary(p: VanishingGradientParams, findings: dict[str, float]) -> str:
    ratios = ", ".join(
        f"{KOREAN_NAMES[a]}는 {_times(findings[f'first_to_last_grad_ratio.{a}'])}"
        for a in p.activations
    )
    accuracies = ", ".join(
        f"{KOREAN_NAMES[a]} {findings[f'final_accuracy.{a}']:.0%}" for a in p.activations
    )
    diverged = [KOREAN_NAMES[a] for a in p.activations if findings[f"diverged.{a}"] == 1.0]
    stopped = (
        f" 단, {', '.join(diverged)} 네트워크는 손실이 발산(NaN/inf)해 학습을 도중에 멈췄습니다."
        if diverged
        else ""
    )
    return (
        f"은닉층 {p.depth}개인 신경망에서 학습 전 첫 번째 은닉층의 기울기 노름(gradient norm)을 "
        f"마지막 은닉층과 비교하면 {ratios}였고, {p.epochs} 에폭 후 검증 정확도(validation "
        f"accuracy)는 {accuracies}였습니다.{stopped}"
    )


def run(p: VanishingGradientParams, progress: Progress) -> Result:

    from studykit import callbacks, datasets, optimizers

    data = datasets.blobs(p.samples, n_features=16, n_classes=4, seed=p.seed)
    probe = slice(0, min(256, len(data.x_train)))
    grad_rows, history, warnings = [], [], []
    findings: dict[str, float] = {}
    for activation, part in progress.parts(p.activations, KOREAN_NAMES.get):
        # 1. The same deep MLP with this activation (and its usual initializer).
        set_random_seed(p.seed)
        initializer = default_initializer(activation) if p.initializer == "auto" else p.initializer
        model = build_mlp(16, 4, [p.width] * p.depth, activation, initializer, p.seed)
        model.compile(
            optimizer=optimizers.SGD(p.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            jit_compile=False,
        )
        model = reuse(model)
        # 2. Plain SGD; the validation set measured in inference mode every epoch (one call,
        # not Keras' validation_data, which builds a pipeline per epoch); kernel-gradient
        # norms per layer every epoch.
        grads = callbacks.GradientNormLogger(data.x_train[probe], data.y_train[probe])
        fitted = fit(
            model,
            data.x_train,
            data.y_train,
            epochs=p.epochs,
            batch_size=p.batch_size,
            seed=p.seed,
            shuffle="keras",
            measure={"validation": (data.x_val, data.y_val)},
            progress=part,
            callbacks=[grads],
        )
        grad_rows += [
            {"activation": activation, "initializer": initializer, **r} for r in grads.records
        ]
        history += history_rows(fitted.history, activation=activation)  # training mode
        history += fitted.scores.rows(activation=activation)  # validation, from epoch 0
        warnings += divergence_warning(KOREAN_NAMES[activation], fitted.guard)
        findings[f"final_accuracy.{activation}"] = final(
            fitted.scores.records, "validation", "accuracy"
        )
        findings[f"final_loss.{activation}"] = float(fitted.history["loss"][-1])
        findings[f"diverged.{activation}"] = float(fitted.diverged)
    gradients = frame(
        grad_rows, ["activation", "initializer", "epoch", "layer", "name", "grad_norm"]
    )
    for activation in p.activations:
        ratio = _ratio(gradients, activation, p.depth)
        findings[f"first_to_last_grad_ratio.{activation}"] = ratio
        if ratio > EXPLODING_RATIO:
            warnings.append(
                f"{KOREAN_NAMES[activation]}: 학습 전 첫 번째 은닉층의 기울기 노름이 마지막 "
                f"은닉층의 {_times(ratio)}입니다 — 기울기 폭주(exploding gradient). "
                "가중치를 더 작게 초기화(Xavier/He)하거나 기울기 클리핑(clipnorm)을 쓰세요."
            )
    return Result(
        frames={
            "gradients": gradients,
            "history": frame(history, ["activation", "epoch", "split", "metric", "value"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    grads = result.frames["gradients"]
    at_init = grads[grads["epoch"] == 0].assign(
        activation=lambda d: d["activation"].map(KOREAN_NAMES)
    )
    gradient_chart = (
        alt.Chart(at_init, title="학습 전 층별 기울기 노름 (로그 눈금)")
        .mark_line(point=True)
        .encode(
            x=alt.X("layer:O", title="층 번호 (1 = 입력에 가장 가까운 층, 마지막 = 출력층)"),
            y=alt.Y(
                "grad_norm:Q",
                title="기울기 노름 (gradient norm)",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format=".0e"),
            ),
            color=alt.Color("activation:N", title="활성화 함수"),
            tooltip=["activation", "layer", "name", alt.Tooltip("grad_norm:Q", format=".3e")],
        )
    )
    return [gradient_chart]


EXPERIMENT = Experiment(
    name="vanishing_gradient",
    title="기울기 소실 (vanishing gradient): 시그모이드 vs ReLU",
    caption=(
        "층별 기울기 노름 그래프(로그 눈금)에서 시그모이드는 입력에 가까운 층(왼쪽)으로 갈수록 "
        "선이 급격히 낮아지고, ReLU는 층마다 비슷한 높이를 유지하는지 보세요. "
        "아래 학습 곡선에서는 같은 에폭 동안 어느 쪽의 정확도가 먼저 오르는지 비교하세요. "
        "'exploding' 설정(가중치 표준편차 1)에서는 반대로 tanh의 기울기가 입력 쪽으로 갈수록 "
        "커지고(기울기 폭주), ReLU는 손실이 발산해 학습이 멈추는 것을 확인하세요."
    ),
    params=VanishingGradientParams,
    curves=Curves(
        series="activation",
        names=ACTIVATION_NAMES,
        series_title="활성화 함수",
        title="학습 곡선 (학습: Keras의 학습 모드 에폭 평균, 검증: 에폭 끝)",
    ),
    findings={
        "first_to_last_grad_ratio": ("학습 전 첫 층 / 마지막 층 기울기 노름", "x"),
        "final_accuracy": ("최종 검증 정확도", "%"),
        "final_loss": ("마지막 에폭 학습 손실 (학습 모드 평균)", ""),
    },
    presets={
        "default": {},
        "tiny": {"depth": 4, "width": 8, "epochs": 2, "samples": 128},
        "deep": {"depth": 20, "epochs": 10},
        "all_activations": {"activations": list(ACTIVATIONS)},
        "exploding": {"activations": ["tanh", "relu"], "initializer": "normal_1", "epochs": 3},
    },
    runner=run,
    charts=charts,
)
