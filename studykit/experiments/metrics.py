"""Evaluation metrics on an imbalanced set: the decision threshold moves precision and recall.

Claims (seed 0, default preset: 5% positives, checked against scikit-learn's metrics):
- always predicting "negative" already scores accuracy = 1 − positive rate (0.95), so
  accuracy alone says little on imbalanced data (the accuracy paradox);
- raising the threshold never raises recall and, here, raises precision: one threshold is a
  trade-off, and the F1-best threshold differs from 0.5;
- ROC-AUC does not depend on any threshold (it ranks positives above negatives) and stays
  high when positives are rare, while average precision (the area under the PR curve) falls
  with the positive rate.

The classifier is a logistic regression fitted by full-batch gradient descent in NumPy: the
point is the metrics, not the training, and it takes milliseconds.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from studykit.experiments.base import Experiment, Params, Result

THRESHOLD_STEPS = 101


class MetricsParams(Params):
    positive_rate: float = Field(0.05, ge=0.01, le=0.5, title="양성 비율 (positive rate)")
    separation: float = Field(2.5, ge=0.0, le=6.0, title="두 클래스 평균 사이 거리 (separation)")
    samples: int = Field(4000, ge=200, le=20000, title="표본 수 (samples)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")


def _data(p: MetricsParams) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(p.seed)
    positives = max(2, round(p.samples * p.positive_rate))
    labels = np.zeros(p.samples, dtype=int)
    labels[:positives] = 1
    rng.shuffle(labels)
    shift = p.separation / np.sqrt(2.0)
    x = rng.normal(size=(p.samples, 2)) + labels[:, None] * shift
    return x, labels


def _fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 300, lr: float = 0.5) -> np.ndarray:
    """Weights [w1, w2, b] of a logistic regression, by full-batch gradient descent."""
    design = np.hstack([x, np.ones((len(x), 1))])
    weights = np.zeros(design.shape[1])
    for _ in range(steps):
        scores = 1.0 / (1.0 + np.exp(-design @ weights))
        weights -= lr * design.T @ (scores - y) / len(y)
    return weights


def _predict(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ weights[:2] + weights[2])))


def _counts(scores: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = scores >= threshold
    tp = float(np.sum(predicted & (y == 1)))
    fp = float(np.sum(predicted & (y == 0)))
    fn = float(np.sum(~predicted & (y == 1)))
    tn = float(np.sum(~predicted & (y == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0  # no positive prediction: 0, as sklearn
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": float(threshold),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": (tp + tn) / len(y),
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
    }


def _roc(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """ROC points over every distinct score, and the area under them (trapezoids)."""
    order = np.argsort(-scores, kind="mergesort")
    ranked_scores, ranked = scores[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(ranked_scores)), len(ranked) - 1]
    tp = np.r_[0, np.cumsum(ranked)[last_of_tie]]
    fp = np.r_[0, np.cumsum(1 - ranked)[last_of_tie]]
    tpr, fpr = tp / tp[-1], fp / fp[-1]
    return fpr, tpr, float(np.trapezoid(tpr, fpr))


def _average_precision(scores: np.ndarray, y: np.ndarray) -> float:
    """Σ (R_k − R_{k−1}) P_k over the distinct thresholds, as scikit-learn defines it."""
    order = np.argsort(-scores, kind="mergesort")
    ranked_scores, ranked = scores[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(ranked_scores)), len(ranked) - 1]
    tp = np.cumsum(ranked)[last_of_tie]
    predicted = last_of_tie + 1
    precision, recall = tp / predicted, tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def run(p: MetricsParams, progress) -> Result:
    x, y = _data(p)
    half = len(y) // 2
    progress(0.2, "로지스틱 회귀 학습 중")
    weights = _fit_logistic(x[:half], y[:half])
    scores, truth = _predict(weights, x[half:]), y[half:]
    if truth.sum() == 0 or truth.sum() == len(truth):
        truth[0] = 1 - truth[0]  # a tiny set may draw one class only: keep both in the test half
    progress(0.6, "임계값을 바꿔 가며 지표 계산 중")
    sweep = [_counts(scores, truth, t) for t in np.linspace(0.0, 1.0, THRESHOLD_STEPS)]
    fpr, tpr, auc = _roc(scores, truth)
    at_half = _counts(scores, truth, 0.5)
    best = max(sweep, key=lambda row: row["f1"])
    findings = {
        "positive_rate": float(truth.mean()),
        "accuracy_all_negative": float(1.0 - truth.mean()),
        "accuracy_at_0.5": at_half["accuracy"],
        "precision_at_0.5": at_half["precision"],
        "recall_at_0.5": at_half["recall"],
        "f1_at_0.5": at_half["f1"],
        "best_f1": best["f1"],
        "best_f1_threshold": best["threshold"],
        "roc_auc": auc,
        "average_precision": _average_precision(scores, truth),
    }
    import pandas as pd

    long = pd.DataFrame(sweep).melt(
        id_vars="threshold", value_vars=["precision", "recall", "f1"], var_name="metric"
    )
    return Result(
        frames={
            "sweep": long,
            "roc": pd.DataFrame({"fpr": fpr, "tpr": tpr}),
            "accuracy": pd.DataFrame(
                {
                    "model": ["모델 (임계값 0.5)", "항상 '음성'이라고 답하기"],
                    "accuracy": [at_half["accuracy"], findings["accuracy_all_negative"]],
                }
            ),
        },
        findings=findings,
        summary=_summary(findings),
    )


def _summary(f: dict[str, float]) -> str:
    return (
        f"양성이 {f['positive_rate']:.0%}인 데이터에서 항상 '음성'이라고만 답해도 정확도가 "
        f"{f['accuracy_all_negative']:.1%}입니다. 모델은 임계값 0.5에서 정밀도 "
        f"{f['precision_at_0.5']:.2f}, 재현율 {f['recall_at_0.5']:.2f}, "
        f"F1 {f['f1_at_0.5']:.2f}이고, "
        f"F1이 가장 높은 임계값은 {f['best_f1_threshold']:.2f} (F1 {f['best_f1']:.2f})입니다. "
        f"ROC-AUC는 {f['roc_auc']:.3f}, 평균 정밀도 (average precision)는 "
        f"{f['average_precision']:.3f}입니다."
    )


METRIC_NAMES = {"precision": "정밀도 (precision)", "recall": "재현율 (recall)", "f1": "F1"}


def charts(result: Result) -> list:
    import altair as alt

    sweep = result.frames["sweep"].assign(metric=lambda d: d["metric"].map(METRIC_NAMES))
    lines = (
        alt.Chart(sweep, title="임계값에 따른 정밀도 · 재현율 · F1")
        .mark_line()
        .encode(
            x=alt.X("threshold:Q", title="결정 임계값 (threshold)"),
            y=alt.Y("value:Q", title="값", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("metric:N", title="지표", sort=list(METRIC_NAMES.values())),
            strokeDash=alt.StrokeDash("metric:N", title="지표"),
        )
    )
    roc = result.frames["roc"]
    diagonal = alt.Chart(roc.iloc[[0, -1]].assign(fpr=[0.0, 1.0], tpr=[0.0, 1.0])).mark_line(
        strokeDash=[4, 4], color="gray"
    )
    roc_chart = (
        alt.Chart(roc, title=f"ROC 곡선 (AUC {result.findings['roc_auc']:.3f})")
        .mark_line()
        .encode(
            x=alt.X("fpr:Q", title="거짓 양성 비율 (FPR)"),
            y=alt.Y("tpr:Q", title="참 양성 비율 (TPR, 재현율)"),
        )
    )
    bars = (
        alt.Chart(result.frames["accuracy"], title="정확도: 모델과 '항상 음성'")
        .mark_bar()
        .encode(
            x=alt.X("accuracy:Q", title="정확도 (accuracy)", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("model:N", title=None),
        )
    )
    return [lines, roc_chart + diagonal.encode(x="fpr:Q", y="tpr:Q"), bars]


EXPERIMENT = Experiment(
    name="metrics",
    title="평가 지표 (evaluation metrics): 임계값, 정밀도·재현율, ROC",
    caption=(
        "위 그래프에서 임계값을 올릴수록 재현율은 떨어지고 정밀도는 오르는지, F1이 가장 높은 "
        "임계값이 0.5가 아닌지 보세요. ROC 곡선은 임계값을 모두 훑은 결과라 AUC는 임계값과 "
        "무관합니다. 아래 막대에서 양성이 드물면 '항상 음성'만으로도 정확도가 높다는 점을 "
        "확인하세요 (정확도의 함정, accuracy paradox)."
    ),
    params=MetricsParams,
    presets={
        "default": {},
        "tiny": {"samples": 400, "positive_rate": 0.1},
        "balanced": {"positive_rate": 0.5},
        "rare": {"positive_rate": 0.01, "samples": 20000},
    },
    runner=run,
    charts=charts,
    findings={
        "positive_rate": ("양성 비율 (positive rate)", "%"),
        "accuracy_all_negative": ("모두 음성으로 예측할 때의 정확도", "%"),
        "accuracy_at_0.5": ("임계값 0.5의 정확도 (accuracy)", "%"),
        "precision_at_0.5": ("임계값 0.5의 정밀도 (precision)", "%"),
        "recall_at_0.5": ("임계값 0.5의 재현율 (recall)", "%"),
        "f1_at_0.5": ("임계값 0.5의 F1 점수", ""),
        "best_f1": ("가장 높은 F1 점수", ""),
        "best_f1_threshold": ("F1이 가장 높은 임계값 (threshold)", ""),
        "roc_auc": ("ROC 곡선 아래 넓이 (ROC AUC)", ""),
        "average_precision": ("평균 정밀도 (average precision)", ""),
    },
)
