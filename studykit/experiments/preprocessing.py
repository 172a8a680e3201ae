"""Input preprocessing: the same model on raw-scale vs standardized features.

Setup: the digits features (64 pixels) are multiplied by per-feature random scales spread
over several orders of magnitude (10^U(-d/2, d/2)), like mixing a price in won with a
rating from 1 to 5. "raw" trains on those features as they are, "standardized" on
(x - mean) / std computed on the training set (``minmax``: (x - min) / (max - min)).

Claim: with raw scales one learning rate cannot suit every weight: the large-scale features
make the loss surface steep in their directions, so a learning rate large enough to move the
small-scale weights makes training unstable, and a stable one is slow. So each scaling gets
the same small sweep of learning rates (plain SGD, same starting weights and batches) and is
judged by its *best* run: standardized features reach the target validation accuracy within
a couple of epochs, raw features not at all (or many epochs later) within the same budget.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from studykit.experiments._fit import fit, frame
from studykit.experiments._measure import (
    EVALUATION_COLUMNS,
    curve,
    final,
    first_epoch_reaching,
    rises,
)
from studykit.experiments._models import build_mlp, restart, reuse, set_random_seed
from studykit.experiments.base import Experiment, Params, Progress, Result, distinct

SCALINGS = ("raw", "standardized", "minmax")
ScalingName = Literal[SCALINGS]  # type: ignore[valid-type]
KOREAN_NAMES = {
    "raw": "원래 스케일 (raw)",
    "standardized": "표준화 (standardization)",
    "minmax": "최소-최대 정규화 (min-max)",
}


class PreprocessingParams(Params):
    scalings: tuple[ScalingName, ...] = Field(
        ("raw", "standardized"), min_length=1, max_length=3, title="입력 전처리 (scaling)"
    )
    scale_decades: float = Field(
        3.0, ge=0.0, le=6.0, title="특성 스케일이 퍼진 자릿수 (10^±d/2, decades)"
    )
    learning_rates: tuple[Annotated[float, Field(ge=1e-5, le=10.0)], ...] = Field(
        (0.01, 0.03, 0.1, 0.3), min_length=1, max_length=6, title="비교할 학습률 (SGD)"
    )
    target_accuracy: float = Field(0.9, ge=0.2, le=1.0, title="목표 검증 정확도 (target)")
    hidden_units: int = Field(64, ge=4, le=256, title="은닉층 뉴런 수 (ReLU + He)")
    epochs: int = Field(6, ge=1, le=100, title="에폭 (epochs)")
    batch_size: int = Field(64, ge=8, le=512, title="배치 크기 (batch size)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("learning_rates")
    @classmethod
    def _rates(cls, value):
        return tuple(sorted(distinct(value, "learning rates")))

    @field_validator("scalings")
    @classmethod
    def _distinct(cls, value):
        return distinct(value, "scalings")


def _scales(p: PreprocessingParams) -> np.ndarray:
    """One factor per pixel, log-uniform over ``scale_decades`` orders of magnitude."""
    rng = np.random.default_rng(p.seed)
    return 10.0 ** rng.uniform(-p.scale_decades / 2, p.scale_decades / 2, size=64)


def _scaled(data, p: PreprocessingParams) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Train/validation features for every scaling (statistics from the training set only)."""
    scales = _scales(p)
    x_train, x_val = data.x_train * scales, data.x_val * scales
    out = {}
    for name in p.scalings:
        if name == "raw":
            shift, divide = np.zeros(64), np.ones(64)
        elif name == "standardized":
            shift, divide = x_train.mean(axis=0), x_train.std(axis=0)
        else:
            shift, divide = x_train.min(axis=0), x_train.max(axis=0) - x_train.min(axis=0)
        divide = np.where(divide > 0, divide, 1.0)  # constant (always-blank) pixels stay 0
        out[name] = (
            ((x_train - shift) / divide).astype("float32"),
            ((x_val - shift) / divide).astype("float32"),
        )
    return out


def _best(runs: list[dict]) -> dict:
    """Fewest epochs to the target, then the highest final validation accuracy."""

    def key(run):
        epochs = run["epochs_to_target"]
        accuracy = run["final_accuracy"]
        return (
            epochs if math.isfinite(epochs) else math.inf,
            -(accuracy if math.isfinite(accuracy) else -1.0),
        )

    return min(runs, key=key)


def _epochs_text(value: float) -> str:
    return f"{value:.0f} 에폭째" if math.isfinite(value) else "도달하지 못함"


def _summary(p: PreprocessingParams, findings: dict[str, float]) -> str:
    parts = ", ".join(
        f"{KOREAN_NAMES[s]} 학습률 {findings[f'best_learning_rate.{s}']:g}에서 "
        f"{_epochs_text(findings[f'epochs_to_target.{s}'])}"
        f"(최종 검증 정확도 {findings[f'final_accuracy.{s}']:.1%})"
        for s in p.scalings
    )
    return (
        f"특성마다 스케일이 최대 {findings['feature_scale_ratio']:,.0f}배 차이 나는 digits에서 "
        f"학습률 {len(p.learning_rates)}개 중 가장 좋은 것으로 {p.epochs} 에폭 학습했을 때 "
        f"검증 정확도 {p.target_accuracy:.0%} 도달 시점은 {parts}로 나타났습니다."
    )


def run(p: PreprocessingParams, progress: Progress) -> Result:

    from studykit import datasets, optimizers

    data = datasets.digits(seed=p.seed)
    features = _scaled(data, p)
    set_random_seed(p.seed)
    model = build_mlp(64, 10, [p.hidden_units], "relu", "he_normal", p.seed)
    start_weights = model.get_weights()
    model.compile(
        optimizer=optimizers.SGD(p.learning_rates[0]),
        loss="sparse_categorical_crossentropy",
        jit_compile=False,
    )
    model = reuse(model)
    history, summary_rows, scale_rows, findings, warnings = [], [], [], {}, []
    total = len(p.scalings) * len(p.learning_rates)
    for s_index, scaling in enumerate(p.scalings):
        x_train, x_val = features[scaling]
        for feature, std in enumerate(x_train.std(axis=0)):
            scale_rows.append({"scaling": scaling, "feature": feature, "std": float(std)})
        runs = []
        for l_index, rate in enumerate(p.learning_rates):
            restart(model, start_weights, p.seed)  # same start, same batches, one traced step
            model.optimizer.learning_rate.assign(rate)
            fitted = fit(
                model,
                x_train,
                data.y_train,
                epochs=p.epochs,
                batch_size=p.batch_size,
                seed=p.seed,
                shuffle="keras",  # from Keras' global seed, set by restart
                measure={"train": (x_train, data.y_train), "validation": (x_val, data.y_val)},
                progress=progress.part(
                    s_index * len(p.learning_rates) + l_index,
                    total,
                    f"{KOREAN_NAMES[scaling]}, 학습률 {rate:g}",
                ),
            )
            scores, guard = fitted.scores, fitted.guard
            history += scores.rows(scaling=scaling, learning_rate=rate)
            accuracy = curve(scores.records, "validation", "accuracy")
            losses = curve(scores.records, "train", "loss")
            runs.append(
                {
                    "scaling": scaling,
                    "learning_rate": rate,
                    "epochs_to_target": first_epoch_reaching(accuracy, p.target_accuracy),
                    "final_accuracy": final(scores.records, "validation", "accuracy"),
                    "final_loss": final(scores.records, "train", "loss"),
                    # The training loss went up after some epoch: the step was too large.
                    "unstable": rises(losses) > 0,
                    # Did not learn: diverged, NaN, or ended above its starting loss.
                    "failed": bool(
                        guard.diverged or not math.isfinite(losses[-1]) or losses[-1] >= losses[0]
                    ),
                }
            )
        best = _best(runs)
        for run_row in runs:
            summary_rows.append({**run_row, "best": run_row is best})
        findings[f"epochs_to_target.{scaling}"] = best["epochs_to_target"]
        findings[f"final_accuracy.{scaling}"] = best["final_accuracy"]
        findings[f"final_loss.{scaling}"] = best["final_loss"]
        findings[f"best_learning_rate.{scaling}"] = float(best["learning_rate"])
        findings[f"failed_runs.{scaling}"] = float(sum(r["failed"] for r in runs))
        findings[f"unstable_runs.{scaling}"] = float(sum(r["unstable"] for r in runs))
        failed = [r["learning_rate"] for r in runs if r["failed"]]
        if failed:
            warnings.append(
                f"{KOREAN_NAMES[scaling]}: 학습률 {', '.join(f'{r:g}' for r in failed)}에서는 "
                "손실이 발산하거나 검증 정확도가 20% 미만에 머물러 학습에 실패했습니다."
            )
    scales = _scales(p)
    findings["feature_scale_ratio"] = float(scales.max() / scales.min())
    return Result(
        frames={
            "history": frame(history, ["scaling", "learning_rate", *EVALUATION_COLUMNS]),
            "runs": frame(
                summary_rows,
                [
                    "scaling",
                    "learning_rate",
                    "epochs_to_target",
                    "final_accuracy",
                    "final_loss",
                    "unstable",
                    "failed",
                    "best",
                ],
            ),
            "features": frame(scale_rows, ["scaling", "feature", "std"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    order = [KOREAN_NAMES[s] for s in result.params["scalings"]]
    features = result.frames["features"].assign(
        scaling_name=lambda d: d["scaling"].map(KOREAN_NAMES),
        std_plot=lambda d: d["std"].clip(lower=1e-4),
    )
    feature_chart = (
        alt.Chart(features[features["std"] > 0])
        .mark_point(filled=True)
        .encode(
            x=alt.X("feature:Q", title="특성 번호 (픽셀)"),
            y=alt.Y("std_plot:Q", title="특성의 표준편차 (로그 눈금)", scale=alt.Scale(type="log")),
            color=alt.Color("scaling_name:N", title="전처리", sort=order),
            tooltip=["scaling_name", "feature", alt.Tooltip("std:Q", format=".3g")],
        )
        .properties(width=360, height=200, title="전처리 전후 특성별 크기 (표준편차)")
    )
    history = result.frames["history"]
    accuracy = history[
        (history["split"] == "validation") & (history["metric"] == "accuracy")
    ].assign(
        scaling_name=lambda d: d["scaling"].map(KOREAN_NAMES),
        rate=lambda d: d["learning_rate"].map(lambda r: f"{r:g}"),
    )
    target = result.params["target_accuracy"]
    lines = (
        alt.Chart(accuracy)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="에폭 (epoch)"),
            y=alt.Y("value:Q", title="검증 정확도 (validation accuracy)"),
            color=alt.Color("rate:N", title="학습률 (SGD)"),
            tooltip=["scaling_name", "rate", "epoch", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=260, height=220)
    )
    rule = (
        alt.Chart(accuracy).mark_rule(strokeDash=[4, 4], color="gray").encode(y=alt.datum(target))
    )
    curves = (
        alt.layer(lines, rule, data=accuracy)
        .facet(column=alt.Column("scaling_name:N", title=None, sort=order))
        .properties(title=f"학습률별 검증 정확도 (점선: 목표 {target:.0%})")
    )
    return [feature_chart, curves]


EXPERIMENT = Experiment(
    name="preprocessing",
    title="입력 전처리 (preprocessing): 원래 스케일 vs 표준화",
    caption=(
        "첫 그래프에서 원래 스케일의 특성들은 크기가 수백~수천 배씩 다르고 표준화 후에는 모두 "
        "1 근처인지 보세요. 아래 그래프는 학습률마다 검증 정확도 곡선입니다: 표준화한 입력은 큰 "
        "학습률에서 몇 에폭 만에 점선(목표)을 넘는 반면, 원래 스케일은 큰 학습률에서는 "
        "불안정하고 작은 학습률에서는 느려서 어느 학습률로도 늦거나 도달하지 못합니다."
    ),
    params=PreprocessingParams,
    presets={
        "default": {},
        "tiny": {"learning_rates": [0.01, 0.1], "hidden_units": 8, "epochs": 2, "batch_size": 256},
        "with_minmax": {"scalings": ["raw", "standardized", "minmax"]},
        "same_scale": {"scale_decades": 0.0},
    },
    runner=run,
    charts=charts,
    findings={
        "best_learning_rate": ("가장 좋은 학습률", ""),
        "failed_runs": ("학습에 실패한 실행 수", "count"),
        "unstable_runs": ("손실이 다시 오른 실행 수", "count"),
        "feature_scale_ratio": ("특성 크기 비 (가장 큰 ÷ 가장 작은 표준편차)", "x"),
    },
    series=KOREAN_NAMES,
)
