"""Why activation functions: a deep network without them is one matrix.

Claim: stacking Dense layers with linear activations gives a linear function, so the product of
the weight matrices (with the biases folded in: b = (b₁W₂ + b₂)W₃ + ...) reproduces the deep
network's outputs up to float rounding (~1e-6), and the network cannot separate two concentric
circles (accuracy ~50 %). The same depth and width with ReLU (or another nonlinearity) bends
the boundary into a closed curve and separates them (accuracy > 90 %).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from studykit.experiments._decision_boundary import (
    GRID_COLUMNS,
    POINT_COLUMNS,
    boundary_charts,
    grid_points,
    grid_rows,
    point_rows,
    probe_probabilities,
)
from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._labels import ACTIVATION_NAMES
from studykit.experiments._measure import EVALUATION_COLUMNS, final
from studykit.experiments._models import ACTIVATIONS, build_mlp, reuse, set_random_seed
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result

ActivationName = Literal[ACTIVATIONS]  # type: ignore[valid-type]

KOREAN_NAMES = ACTIVATION_NAMES


class NonlinearityParams(Params):
    depth: int = Field(4, ge=1, le=8, title="은닉층 수 (depth)")
    width: int = Field(16, ge=2, le=64, title="층당 뉴런 수 (width)")
    activation: ActivationName = Field("relu", title="비교할 비선형 활성화 함수 (activation)")
    epochs: int = Field(10, ge=1, le=200, title="에폭 (epochs)")
    learning_rate: float = Field(0.03, ge=1e-4, le=1.0, title="학습률 (learning rate, Adam)")
    batch_size: int = Field(64, ge=8, le=512, title="배치 크기 (batch size)")
    samples: int = Field(512, ge=64, le=4096, title="데이터 수 (samples)")
    noise: float = Field(0.08, ge=0.0, le=0.3, title="잡음 (noise)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")


def _build(p: NonlinearityParams, activation: str | None):
    """``depth`` hidden layers (no activation when ``activation`` is None) and one logit."""
    return build_mlp(2, 1, [p.width] * p.depth, activation, seed=p.seed, output_activation=None)


def _collapse(model) -> tuple[np.ndarray, np.ndarray]:
    """The single (W, b) with x·W + b equal to the layer stack when all activations are linear.

    x·W₁ + b₁ then ·W₂ + b₂ ... = x·(W₁W₂…Wₙ) + ((b₁W₂ + b₂)W₃ + …) + bₙ, in float64.
    """
    weight, bias = None, None
    for layer in model.layers:
        kernel, layer_bias = (np.asarray(v, dtype=np.float64) for v in layer.get_weights())
        if weight is None:
            weight, bias = kernel, layer_bias
        else:
            weight, bias = weight @ kernel, bias @ kernel + layer_bias
    return weight, bias


def _summary(p: NonlinearityParams, findings: dict[str, float]) -> str:
    linear = findings["accuracy.linear"]
    other = findings[f"accuracy.{p.activation}"]
    return (
        f"은닉층 {p.depth}개를 활성화 함수 없이(선형) 쌓은 신경망의 출력은 가중치 행렬의 곱 "
        f"하나(편향 포함)로 계산한 출력과 최대 {findings['max_abs_diff']:.1e}만큼만 달라 사실상 "
        f"선형 모델 하나였고, 그래서 동심원(circles) 데이터의 검증 정확도(validation accuracy)는 "
        f"{linear:.0%}에 그친 반면, 같은 깊이에 {KOREAN_NAMES[p.activation]}를 넣은 신경망은 "
        f"{other:.0%}였습니다."
    )


def run(p: NonlinearityParams, progress: Progress) -> Result:
    import keras

    from studykit import datasets, losses, optimizers

    data = datasets.circles(p.samples, noise=p.noise, seed=p.seed)
    probe = grid_points(np.concatenate([data.x_train, data.x_val]))
    x_all = np.concatenate([data.x_train, data.x_val, probe])
    sets = data.sets()
    history, grid, warnings = [], [], []
    findings: dict[str, float] = {}
    models = {}
    for name, part in progress.parts(("linear", p.activation), KOREAN_NAMES.get, within=(0, 0.9)):
        set_random_seed(p.seed)
        model = _build(p, None if name == "linear" else name)
        model.compile(
            optimizer=optimizers.Adam(p.learning_rate),
            loss=losses.BinaryCrossEntropy(from_logits=True),
            jit_compile=False,
        )
        model = reuse(model)
        fitted = fit(
            model,
            data.x_train,
            data.y_train.astype("float32").reshape(-1, 1),
            epochs=p.epochs,
            batch_size=p.batch_size,
            seed=p.seed,
            shuffle="keras",  # from Keras' global seed, set above
            measure=sets,
            from_logits=True,
            progress=part,
        )
        scores, guard = fitted.scores, fitted.guard
        warnings += divergence_warning(KOREAN_NAMES[name], guard)
        history += scores.rows(model=name)
        findings[f"accuracy.{name}"] = final(scores.records, "validation", "accuracy")
        findings[f"train_accuracy.{name}"] = final(scores.records, "train", "accuracy")
        grid += grid_rows(name, probe, probe_probabilities(model, probe))
        models[name] = model

    # A linear stack is one matrix: the product reproduces every output of the deep network.
    collapsed_rows = []
    for name, key in (("linear", "max_abs_diff"), (p.activation, "max_abs_diff_nonlinear")):
        weight, bias = _collapse(models[name])
        network = keras.ops.convert_to_numpy(models[name](x_all, training=False)).astype(float)
        single = x_all.astype(np.float64) @ weight + bias
        findings[key] = float(np.max(np.abs(network - single)))
        terms = [("w1", weight[0, 0]), ("w2", weight[1, 0]), ("b", bias[0])]
        collapsed_rows += [{"model": name, "term": t, "value": float(v)} for t, v in terms]
    points = point_rows("train", data.x_train, data.y_train) + point_rows(
        "validation", data.x_val, data.y_val
    )
    return Result(
        frames={
            "history": frame(history, ["model", *EVALUATION_COLUMNS]),
            "grid": frame(grid, GRID_COLUMNS),
            "points": frame(points, POINT_COLUMNS),
            "collapsed": frame(collapsed_rows, ["model", "term", "value"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:

    activation = result.params["activation"]
    findings = result.findings
    titles = {
        "linear": f"선형 {result.params['depth']}층: 검증 정확도 {findings['accuracy.linear']:.0%}",
        activation: (
            f"{KOREAN_NAMES[activation]} {result.params['depth']}층: "
            f"검증 정확도 {findings[f'accuracy.{activation}']:.0%}"
        ),
    }
    boundaries = boundary_charts(result.frames["grid"], result.frames["points"], titles)
    boundaries = boundaries.properties(title="결정 경계 (decision boundary): 색 = 클래스 1 확률")
    return [boundaries]


EXPERIMENT = Experiment(
    name="nonlinearity",
    title="비선형성 (nonlinearity): 활성화 함수가 없으면 깊어도 직선 하나",
    caption=(
        "왼쪽 결정 경계에서 선형 신경망은 층이 여러 개여도 경계가 직선 하나뿐이라 바깥 원과 "
        "안쪽 원을 나누지 못하고(정확도 약 50 %), 오른쪽 ReLU 신경망은 안쪽 원을 감싸는 닫힌 "
        "경계를 만드는지 보세요. 요약의 '최대 차이'는 선형 신경망을 가중치 행렬의 곱 하나로 "
        "바꿔 계산해도 출력이 부동소수점 오차만큼만 다르다는 뜻입니다."
    ),
    params=NonlinearityParams,
    presets={
        "default": {},
        "tiny": {"depth": 2, "width": 8, "epochs": 2, "samples": 128},
        "deep": {"depth": 8, "epochs": 20},
        "tanh": {"activation": "tanh"},
    },
    runner=run,
    charts=charts,
    findings={
        "max_abs_diff": ("선형 층을 곱한 행렬과 신경망 출력의 최대 차이", ""),
        "max_abs_diff_nonlinear": ("비선형 신경망에 같은 계산을 했을 때 차이", ""),
    },
    series=KOREAN_NAMES,
    curves=Curves(series="model", names=KOREAN_NAMES, series_title="활성화 함수"),
)
