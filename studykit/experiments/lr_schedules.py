"""Learning-rate schedules: StepDecay, ExponentialDecay, CosineAnnealing vs a constant rate.

Claim: starting every run from the same weights, batches and (high) initial learning rate,
the constant rate keeps bouncing around the minimum (the training loss even rises in some
epochs), while every decaying schedule takes large steps early and small steps late and ends
with a clearly lower training loss.

The learning-rate curves are computed from the ``studykit.schedules`` objects themselves
(called with every step number); ``studykit.callbacks.LearningRateLogger`` records what the
optimizer actually used at the end of each epoch, and the two agree. Keras calls a schedule
with the optimizer's ``iterations`` (completed updates), so ``step`` counts batches: the
per-epoch settings below are converted to steps with the number of batches per epoch.
Update k (counting from 0) uses ``schedule(k)``; ``final_lr.<schedule>`` is the rate of the
last update, ``schedule(total_steps - 1)``, while the logger's value at the end of an epoch
is the rate the next update would use (``schedule(epoch × steps_per_epoch)``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._labels import by_loss, loss_text
from studykit.experiments._measure import EVALUATION_COLUMNS, curve, final, rises
from studykit.experiments._models import build_mlp, reuse, set_random_seed
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result, distinct

SCHEDULES = ("constant", "step", "exponential", "cosine", "cosine_restarts")
ScheduleName = Literal[SCHEDULES]  # type: ignore[valid-type]

KOREAN_NAMES = {
    "constant": "고정 학습률 (constant)",
    "step": "계단식 감소 (StepDecay)",
    "exponential": "지수 감소 (ExponentialDecay)",
    "cosine": "코사인 어닐링 (CosineAnnealing)",
    "cosine_restarts": "웜 리스타트 코사인 (SGDR)",
}


class LRSchedulesParams(Params):
    schedules: tuple[ScheduleName, ...] = Field(
        ("constant", "step", "exponential", "cosine"),
        min_length=1,
        max_length=5,
        title="학습률 스케줄 (learning rate schedule)",
    )
    initial_learning_rate: float = Field(
        0.1, ge=1e-4, le=2.0, title="초기 학습률 (initial learning rate)"
    )
    momentum: float = Field(0.9, ge=0.0, le=0.99, title="모멘텀 계수 (momentum, SGD)")
    step_every_epochs: int = Field(2, ge=1, le=50, title="StepDecay: 몇 에폭마다 줄일지")
    step_gamma: float = Field(0.3, ge=0.01, le=1.0, title="StepDecay: 한 번에 곱할 값 (gamma)")
    exponential_decay_per_epoch: float = Field(
        0.4, ge=0.01, le=1.0, title="ExponentialDecay: 에폭당 곱해지는 값 (매 스텝 조금씩)"
    )
    cosine_min_fraction: float = Field(
        0.0, ge=0.0, le=1.0, title="CosineAnnealing: 최소 학습률 / 초기 학습률 (eta_min)"
    )
    restart_epochs: int = Field(2, ge=1, le=50, title="SGDR: 재시작 주기 (에폭, warm restarts)")
    hidden_layers: int = Field(3, ge=1, le=8, title="은닉층 수 (hidden layers, ReLU + He)")
    width: int = Field(64, ge=8, le=256, title="층당 뉴런 수 (width)")
    epochs: int = Field(6, ge=1, le=100, title="에폭 (epochs)")
    batch_size: int = Field(32, ge=8, le=512, title="배치 크기 (batch size)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("schedules")
    @classmethod
    def _distinct(cls, value):
        return distinct(value, "schedules")


def _schedule(name: str, p: LRSchedulesParams, steps_per_epoch: int, total_steps: int):
    """The learning rate handed to the optimizer: a float or a studykit schedule."""
    from studykit import schedules

    lr = p.initial_learning_rate
    if name == "constant":
        return lr
    if name == "step":
        return schedules.StepDecay(
            lr, step_size=p.step_every_epochs * steps_per_epoch, gamma=p.step_gamma
        )
    if name == "exponential":
        gamma = p.exponential_decay_per_epoch ** (1.0 / steps_per_epoch)
        return schedules.ExponentialDecay(lr, gamma=min(gamma, 1.0))
    eta_min = lr * p.cosine_min_fraction
    if name == "cosine":
        return schedules.CosineAnnealing(lr, T_max=total_steps, eta_min=eta_min)
    return schedules.CosineAnnealing(
        lr, T_max=p.restart_epochs * steps_per_epoch, eta_min=eta_min, warm_restarts=True
    )


def _curve_of(schedule, total_steps: int) -> np.ndarray:
    """The schedule evaluated at steps 0..total_steps (one call with all step numbers)."""
    import keras

    if isinstance(schedule, float):
        return np.full(total_steps + 1, schedule)
    steps = np.arange(total_steps + 1, dtype="int32")
    return keras.ops.convert_to_numpy(schedule(steps)).astype("float64")


def _summary(p: LRSchedulesParams, findings: dict[str, float]) -> str:
    loss = {n: findings[f"final_loss.{n}"] for n in p.schedules}
    parts = ", ".join(
        f"{KOREAN_NAMES[n]} {loss_text(loss[n])}"
        f"(마지막 갱신의 학습률 {findings[f'final_lr.{n}']:.2g})"
        for n in p.schedules
    )
    ranked = by_loss(p.schedules, loss)
    start = (
        f"초기 학습률 {p.initial_learning_rate:g}에서 같은 모델을 {p.epochs} 에폭 학습한 뒤의 "
        f"학습 손실(train loss)을 비교하면 {parts}"
    )
    if not ranked:
        return f"{start}: 모든 스케줄에서 손실이 발산해 비교할 수 없었습니다."
    if len(ranked) < len(p.schedules):
        best = KOREAN_NAMES[ranked[0]]
        return f"{start} 가운데 발산하지 않은 것 중에서는 {best}의 손실이 가장 낮았습니다."
    return f"{start} 가운데 {KOREAN_NAMES[ranked[0]]}의 손실이 가장 낮았습니다."


def run(p: LRSchedulesParams, progress: Progress) -> Result:

    from studykit import callbacks, datasets, optimizers

    data = datasets.digits(seed=p.seed)
    steps_per_epoch = math.ceil(len(data.x_train) / p.batch_size)
    total_steps = steps_per_epoch * p.epochs
    curves, logged, history, findings, warnings = [], [], [], {}, []
    for name, part in progress.parts(p.schedules, KOREAN_NAMES.get):
        schedule = _schedule(name, p, steps_per_epoch, total_steps)
        rates_by_step = _curve_of(schedule, total_steps)
        for step, lr in enumerate(rates_by_step):
            curves.append(
                {
                    "schedule": name,
                    "step": step,
                    "epoch": step / steps_per_epoch,
                    "learning_rate": float(lr),
                }
            )
        set_random_seed(p.seed)
        model = build_mlp(64, 10, [p.width] * p.hidden_layers, "relu", "he_normal", p.seed)
        model.compile(
            optimizer=optimizers.SGD(schedule, momentum=p.momentum),
            loss="sparse_categorical_crossentropy",
            jit_compile=False,
        )
        model = reuse(model)
        rates = callbacks.LearningRateLogger()
        fitted = fit(
            model,
            data.x_train,
            data.y_train,
            epochs=p.epochs,
            batch_size=p.batch_size,
            seed=p.seed,
            shuffle="keras",  # from Keras' global seed, set above
            measure=data.sets(),
            progress=part,
            callbacks=[rates],
        )
        scores, guard = fitted.scores, fitted.guard
        history += scores.rows(schedule=name)
        logged += [{"schedule": name, **r} for r in rates.records]
        losses = curve(scores.records, "train", "loss")
        # The rate of the last update: Keras evaluates the schedule at the number of updates
        # already done, so update k (from 0) uses schedule(k); the logger's epoch-end value is
        # the rate the *next* update would use.
        findings[f"final_lr.{name}"] = float(rates_by_step[total_steps - 1])
        findings[f"final_loss.{name}"] = final(scores.records, "train", "loss")
        findings[f"final_accuracy.{name}"] = final(scores.records, "validation", "accuracy")
        findings[f"loss_rises.{name}"] = float(rises(losses))
        warnings += divergence_warning(
            KOREAN_NAMES[name], guard, "초기 학습률(initial learning rate)을 낮춰 보세요."
        )
    if "constant" in p.schedules:
        # How many times lower the decayed schedule's final loss is than the constant rate's.
        for name in p.schedules:
            if name != "constant":
                findings[f"loss_ratio.{name}"] = findings["final_loss.constant"] / max(
                    findings[f"final_loss.{name}"], 1e-12
                )
    return Result(
        frames={
            "learning_rate": frame(curves, ["schedule", "step", "epoch", "learning_rate"]),
            "logged_learning_rate": frame(logged, ["schedule", "epoch", "learning_rate"]),
            "history": frame(history, ["schedule", *EVALUATION_COLUMNS]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    order = [KOREAN_NAMES[n] for n in result.params["schedules"]]
    rates = result.frames["learning_rate"].assign(
        schedule_name=lambda d: d["schedule"].map(KOREAN_NAMES)
    )
    lr_chart = (
        alt.Chart(rates)
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 (step)"),
            y=alt.Y("learning_rate:Q", title="학습률 (learning rate)"),
            color=alt.Color("schedule_name:N", title="스케줄", sort=order),
            tooltip=["schedule_name", "step", alt.Tooltip("learning_rate:Q", format=".4g")],
        )
        .properties(width=360, height=220, title="스케줄 객체로 계산한 스텝별 학습률")
    )
    history = result.frames["history"]
    history = history[
        ((history["split"] == "train") & (history["metric"] == "loss"))
        | ((history["split"] == "validation") & (history["metric"] == "accuracy"))
    ].assign(
        schedule_name=lambda d: d["schedule"].map(KOREAN_NAMES),
        metric=lambda d: d["metric"].map(
            {"loss": "학습 손실 (train loss)", "accuracy": "검증 정확도 (validation accuracy)"}
        ),
    )
    curves = (
        alt.Chart(history)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="에폭 (epoch)"),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("schedule_name:N", title="스케줄", sort=order),
            tooltip=["schedule_name", "metric", "epoch", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(width=280, height=220)
        .facet(column=alt.Column("metric:N", title=None))
        .resolve_scale(y="independent")
        .properties(title="같은 모델, 같은 초기 가중치: 스케줄에 따른 학습 곡선")
    )
    return [lr_chart, curves]


EXPERIMENT = Experiment(
    name="lr_schedules",
    title="학습률 스케줄 (learning rate schedule): StepDecay, 지수 감소, 코사인 어닐링",
    caption=(
        "위 그래프에서 각 스케줄이 학습률을 언제, 얼마나 줄이는지(계단, 매끄러운 지수 곡선, "
        "코사인 곡선) 보고, 아래 학습 곡선에서 고정 학습률은 끝까지 손실이 출렁이는 반면 "
        "학습률을 줄인 스케줄은 후반에 손실이 더 낮게 안정되는지 비교하세요."
    ),
    params=LRSchedulesParams,
    presets={
        "default": {},
        "tiny": {
            "schedules": ["constant", "cosine"],
            "hidden_layers": 1,
            "width": 16,
            "epochs": 2,
            "batch_size": 128,
        },
        "with_restarts": {
            "schedules": ["constant", "cosine", "cosine_restarts"],
            "epochs": 8,
        },
        "plain_sgd_high_lr": {"initial_learning_rate": 0.3, "momentum": 0.0, "batch_size": 64},
    },
    runner=run,
    charts=charts,
    findings={
        "final_lr": ("마지막 갱신의 학습률", ""),
        "loss_ratio": ("고정 학습률 손실 ÷ 이 스케줄의 손실", "x"),
        "loss_rises": ("학습 손실이 다시 오른 에폭 수", "count"),
    },
    series=KOREAN_NAMES,
    curves=Curves(series="schedule", names=KOREAN_NAMES, series_title="스케줄", shared=False),
)
