"""Optimizers on a real task: the same MLP on digits with SGD, Momentum, ..., Adam.

Claim (the shape of Deep Learning from Scratch §6.1.8, "optimizers on MNIST": 784-[100×4]-10,
ReLU, He init, batch 128, 2,000 iterations; loss at iteration 1,900 SGD 0.150, Momentum
0.050, AdaGrad 0.016, Adam 0.032): starting from the very same weights and batches, plain
SGD is clearly the slowest; momentum and the adaptive methods reach a several times lower
training loss within the same number of updates.

Every optimizer is ``studykit.optimizers``. Defaults follow the book where they keep training
stable here: learning rate 0.01 for SGD/Momentum/Nesterov/AdaGrad and AdaGrad's accumulator
starting at 0 (the book's h = 0; Keras' default is 0.1, which makes the first steps much
smaller), Adam 0.001. RMSProp uses the Keras defaults (0.001, rho 0.9): the book's
(0.01, rho 0.99) makes this small problem oscillate.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._labels import OPTIMIZER_NAMES, by_loss, loss_text
from studykit.experiments._measure import EVALUATION_COLUMNS, final
from studykit.experiments._models import build_mlp, reuse, set_random_seed
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result, distinct

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
OptimizerName = Literal[OPTIMIZERS]  # type: ignore[valid-type]

KOREAN_NAMES = OPTIMIZER_NAMES


class OptimizerTrainingParams(Params):
    optimizers: tuple[OptimizerName, ...] = Field(
        OPTIMIZERS, min_length=1, max_length=6, title="옵티마이저 (optimizer)"
    )
    lr_sgd: float = Field(0.01, ge=1e-5, le=2.0, title="SGD 학습률 (learning rate)")
    lr_momentum: float = Field(0.01, ge=1e-5, le=2.0, title="모멘텀 학습률 (모멘텀 계수 0.9)")
    lr_nesterov: float = Field(0.01, ge=1e-5, le=2.0, title="네스테로프 학습률 (모멘텀 계수 0.9)")
    lr_adagrad: float = Field(0.01, ge=1e-5, le=2.0, title="AdaGrad 학습률")
    adagrad_initial_accumulator: float = Field(
        0.0, ge=0.0, le=1.0, title="AdaGrad 누적값 h의 초깃값 (책 0, Keras 기본 0.1)"
    )
    lr_rmsprop: float = Field(0.001, ge=1e-5, le=2.0, title="RMSProp 학습률 (rho 0.9)")
    lr_adam: float = Field(0.001, ge=1e-5, le=2.0, title="Adam 학습률 (β1 0.9, β2 0.999)")
    hidden_layers: int = Field(3, ge=1, le=8, title="은닉층 수 (hidden layers, ReLU + He)")
    width: int = Field(64, ge=8, le=256, title="층당 뉴런 수 (width)")
    epochs: int = Field(5, ge=1, le=100, title="에폭 (epochs)")
    batch_size: int = Field(64, ge=8, le=512, title="배치 크기 (batch size)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("optimizers")
    @classmethod
    def _distinct(cls, value):
        return distinct(value, "optimizers")


def _optimizer(name: str, p: OptimizerTrainingParams):
    from studykit import optimizers

    if name == "sgd":
        return optimizers.SGD(p.lr_sgd)
    if name == "momentum":
        return optimizers.Momentum(p.lr_momentum, momentum=0.9)
    if name == "nesterov":
        return optimizers.Nesterov(p.lr_nesterov, momentum=0.9)
    if name == "adagrad":
        return optimizers.AdaGrad(
            p.lr_adagrad, initial_accumulator_value=p.adagrad_initial_accumulator
        )
    if name == "rmsprop":
        return optimizers.RMSProp(p.lr_rmsprop, rho=0.9)
    return optimizers.Adam(p.lr_adam)


def _learning_rate(name: str, p: OptimizerTrainingParams) -> float:
    return getattr(p, f"lr_{name}")


def _summary(p: OptimizerTrainingParams, findings: dict[str, float], steps: int) -> str:
    loss = {n: findings[f"final_loss.{n}"] for n in p.optimizers}
    ranked = by_loss(p.optimizers, loss)
    diverged = [n for n in p.optimizers if n not in ranked]
    start = (
        f"같은 초기 가중치와 같은 배치 순서로 digits를 {p.epochs} 에폭({steps}번 갱신) 학습한 뒤 "
    )
    if not ranked:
        names = ", ".join(KOREAN_NAMES[n] for n in diverged)
        return f"{start}{names} 모두 손실이 발산해(diverged) 비교할 수 없었습니다."
    losses = ", ".join(f"{KOREAN_NAMES[n]} {loss_text(loss[n])}" for n in ranked)
    sentence = f"{start}학습 손실(train loss)은 {losses} 순이었"
    if len(ranked) > 1:
        fastest, slowest = ranked[0], ranked[-1]
        ratio = loss[slowest] / max(loss[fastest], 1e-12)
        sentence += (
            f"고, 가장 느린 {KOREAN_NAMES[slowest]}의 손실은 가장 빠른 {KOREAN_NAMES[fastest]}의 "
            f"약 {ratio:.1f}배였습니다."
        )
    else:
        sentence += "습니다."
    if diverged:
        names = ", ".join(KOREAN_NAMES[n] for n in diverged)
        sentence += f" {names}에서는 손실이 발산해(diverged) 순위에서 뺐습니다."
    return sentence


def run(p: OptimizerTrainingParams, progress: Progress) -> Result:
    import math

    from studykit import datasets

    data = datasets.digits(seed=p.seed)
    steps = p.epochs * math.ceil(len(data.x_train) / p.batch_size)
    rows, findings, warnings = [], {}, []
    for name, part in progress.parts(p.optimizers, KOREAN_NAMES.get):
        set_random_seed(p.seed)
        model = build_mlp(64, 10, [p.width] * p.hidden_layers, "relu", "he_normal", p.seed)
        model.compile(
            optimizer=_optimizer(name, p),
            loss="sparse_categorical_crossentropy",
            jit_compile=False,
        )
        model = reuse(model)
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
        )
        scores, guard = fitted.scores, fitted.guard
        per_epoch = steps // p.epochs
        rows += [
            {
                "optimizer": name,
                "learning_rate": _learning_rate(name, p),
                "iteration": r["epoch"] * per_epoch,
                **r,
            }
            for r in scores.records
        ]
        findings[f"final_loss.{name}"] = final(scores.records, "train", "loss")
        findings[f"final_accuracy.{name}"] = final(scores.records, "validation", "accuracy")
        warnings += divergence_warning(KOREAN_NAMES[name], guard)
    others = [n for n in p.optimizers if n != "sgd"]
    if "sgd" in p.optimizers and others:
        # > 1: SGD ends with a higher loss than every other optimizer (it is the slowest).
        next_slowest = max(findings[f"final_loss.{n}"] for n in others)
        findings["sgd_over_next_slowest"] = findings["final_loss.sgd"] / max(next_slowest, 1e-12)
    return Result(
        frames={
            "history": frame(rows, ["optimizer", "learning_rate", "iteration", *EVALUATION_COLUMNS])
        },
        findings=findings,
        summary=_summary(p, findings, steps),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    history = result.frames["history"].assign(
        optimizer_name=lambda d: d["optimizer"].map(KOREAN_NAMES),
        split_name=lambda d: d["split"].map({"train": "학습", "validation": "검증"}),
    )
    order = [KOREAN_NAMES[n] for n in result.params["optimizers"]]
    loss = (
        alt.Chart(history[(history["metric"] == "loss") & (history["split"] == "train")])
        .mark_line(point=True)
        .encode(
            x=alt.X("iteration:Q", title="갱신 횟수 (iteration)"),
            y=alt.Y("value:Q", title="학습 손실 (train loss)"),
            color=alt.Color("optimizer_name:N", title="옵티마이저", sort=order),
            tooltip=[
                "optimizer_name",
                "epoch",
                "iteration",
                alt.Tooltip("value:Q", format=".4f"),
                "learning_rate",
            ],
        )
        .properties(width=360, height=260, title="옵티마이저별 학습 손실 곡선")
    )
    finals = history[(history["metric"] == "accuracy") & (history["split"] == "validation")]
    finals = finals[finals["epoch"] == finals["epoch"].max()]
    accuracy = (
        alt.Chart(finals)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="최종 검증 정확도 (validation accuracy)"),
            y=alt.Y("optimizer_name:N", title=None, sort=order),
            color=alt.Color("optimizer_name:N", title="옵티마이저", sort=order, legend=None),
            tooltip=["optimizer_name", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=360, height=160, title="마지막 에폭의 검증 정확도")
    )
    return [loss, accuracy]


EXPERIMENT = Experiment(
    name="optimizer_training",
    title="옵티마이저 비교 (optimizer): SGD, 모멘텀, AdaGrad, RMSProp, Adam",
    caption=(
        "학습 손실 곡선에서 같은 갱신 횟수 동안 SGD(plain SGD)가 얼마나 느리게 내려가는지, "
        "모멘텀(Momentum)과 적응적 학습률(adaptive learning rate) 방법들이 얼마나 빨리 "
        "바닥에 가까워지는지 비교하세요. 아래 막대는 마지막 에폭의 검증 정확도입니다."
    ),
    params=OptimizerTrainingParams,
    presets={
        "default": {},
        "tiny": {
            "optimizers": ["sgd", "adam"],
            "hidden_layers": 1,
            "width": 16,
            "epochs": 2,
            "batch_size": 128,
        },
        "book_four": {"optimizers": ["sgd", "momentum", "adagrad", "adam"]},
        "keras_adagrad": {"adagrad_initial_accumulator": 0.1},
        "long": {"epochs": 20, "hidden_layers": 4, "width": 100},
    },
    runner=run,
    charts=charts,
    findings={
        "sgd_over_next_slowest": ("SGD 손실 ÷ 다음으로 느린 옵티마이저 손실", "x"),
    },
    series=KOREAN_NAMES,
    curves=Curves(series="optimizer", names=KOREAN_NAMES, series_title="옵티마이저", shared=False),
)
