"""Loss functions: why cross-entropy for classification, MAE vs MSE, and four identities.

Claims (the notes' "평균제곱 오차를 다시 생각하기" and the loss-function section):

(a) A sigmoid output that is confidently wrong (label 1, logit z = −5, p ≈ 0.007): the
    gradient of the loss w.r.t. the logit is 2(p − y)·p(1 − p) ≈ −0.013 under MSE, because
    σ'(z) is tiny there, but p − y ≈ −0.99 under cross-entropy (the σ' cancels). Trained with
    the same plain SGD from that start, cross-entropy recovers in far fewer epochs.
(b) Regression with outliers: MAE's fitted slope is pulled much less than MSE's (squared
    errors let a few large residuals dominate); RMSE (like MAE) is in the target's units, so
    rescaling the target by c scales RMSE by c but MSE by c².
(c) Softmax + negative log-likelihood equals categorical cross-entropy (to float rounding).
(d) Binary cross-entropy equals categorical cross-entropy with two classes [1 − p, p], and
    sigmoid(z) equals softmax([0, z])[1].

All losses are studykit.losses; gradients come from automatic differentiation.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from studykit.experiments._fit import fit, frame
from studykit.experiments._labels import josa
from studykit.experiments._models import reuse, set_random_seed
from studykit.experiments.base import Experiment, Params, Progress, Result

LOSS_NAMES = {"mse": "평균제곱오차 (MSE)", "ce": "교차 엔트로피 (cross-entropy)"}
FIT_NAMES = {"true": "참 직선", "mse": "MSE로 맞춘 직선", "mae": "MAE로 맞춘 직선"}
TRUE_SLOPE, TRUE_INTERCEPT, REGRESSION_NOISE = 2.0, 1.0, 0.3
REGRESSION_POINTS, REGRESSION_STEPS, REPEATS_PER_EPOCH = 100, 200, 40
RECOVERED_ACCURACY = 0.9
IDENTITY_BATCH, IDENTITY_CLASSES = 16, 4
CLASSIFICATION_NOISE = 0.5


class LossFunctionsParams(Params):
    wrong_logit: float = Field(
        5.0, ge=1.0, le=12.0, title="처음 예측이 틀린 정도 (정답 1인데 로짓 = -이 값)"
    )
    learning_rate: float = Field(0.5, ge=0.01, le=5.0, title="학습률 (learning rate, SGD)")
    epochs: int = Field(20, ge=1, le=200, title="에폭 (epochs)")
    samples: int = Field(256, ge=32, le=2048, title="분류 데이터 수 (samples)")
    batch_size: int = Field(16, ge=8, le=512, title="배치 크기 (batch size)")
    outlier_fraction: float = Field(0.1, ge=0.0, le=0.4, title="회귀 데이터의 이상치 비율")
    outlier_offset: float = Field(10.0, ge=0.0, le=50.0, title="이상치가 위로 벗어난 크기")
    unit_scale: float = Field(100.0, ge=1.0, le=1000.0, title="단위 변환 배율 (예: m → cm는 100)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")


def _loss(name: str, **kwargs):
    from studykit import losses

    if name == "mse":
        return losses.MeanSquaredError(**kwargs)
    return losses.BinaryCrossEntropy(**kwargs)


def logit_curves(z: np.ndarray, target: float = 1.0) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Loss of sigmoid(z) against ``target`` and its derivative w.r.t. z, per loss (autodiff)."""
    from studykit import activations
    from studykit._gradients import elementwise_derivative

    y = np.full((len(z), 1), target, dtype="float32")
    rows, gradients = [], {}
    for name in ("mse", "ce"):
        per_sample = _loss(name, reduction=None)
        values, grads = elementwise_derivative(
            lambda logits, f=per_sample: f(y, activations.sigmoid(logits)), z.reshape(-1, 1)
        )
        gradients[name] = grads.reshape(-1).astype(float)
        for kind, ys in (("value", values.reshape(-1)), ("gradient", gradients[name])):
            rows += [
                {"loss": name, "logit": float(a), "kind": kind, "value": float(b)}
                for a, b in zip(z, ys)
            ]
    return rows, gradients


def _classification_data(p: LossFunctionsParams) -> tuple[np.ndarray, np.ndarray]:
    """1-D two-class data: x ≈ +1 for label 1, x ≈ −1 for label 0."""
    rng = np.random.default_rng(p.seed)
    y = (np.arange(p.samples) % 2).astype("float32")
    x = (2.0 * y - 1.0) + CLASSIFICATION_NOISE * rng.normal(size=p.samples)
    return x.astype("float32").reshape(-1, 1), y.reshape(-1, 1)


def _recovery(p: LossFunctionsParams, name: str, progress: Progress):
    """Train σ(w·x + b) from w = −wrong_logit (confidently wrong on every example)."""
    import keras
    from keras import ops

    from studykit import activations, initializers, optimizers

    x, y = _classification_data(p)
    set_random_seed(p.seed)
    model = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(
                1,
                activation=activations.sigmoid,
                kernel_initializer=initializers.Constant(-p.wrong_logit),
                bias_initializer=initializers.Zeros(),
            ),
        ]
    )
    model.compile(optimizer=optimizers.SGD(p.learning_rate), loss=_loss(name), jit_compile=False)
    model = reuse(model)
    rows: list[dict] = []

    class Recorder(keras.callbacks.Callback):
        records = rows  # emptied by fit if it trains again

        def measure(self, epoch):
            prob = ops.convert_to_numpy(self.model(x, training=False)).astype(float)
            correct = np.where(y > 0.5, prob, 1.0 - prob)
            loss = float(ops.convert_to_numpy(_loss(name)(y, prob.astype("float32"))))
            for metric, value in (
                ("accuracy", float(np.mean(correct > 0.5))),
                ("p_correct", float(np.mean(correct))),
                ("loss", loss),
            ):
                rows.append({"loss": name, "epoch": epoch, "metric": metric, "value": value})

        def on_train_begin(self, logs=None):
            self.measure(0)

        def on_epoch_end(self, epoch, logs=None):
            self.measure(epoch + 1)

    guard = fit(
        model,
        x,
        y,
        epochs=p.epochs,
        batch_size=p.batch_size,
        seed=p.seed,
        shuffle="keras",  # from Keras' global seed, set above
        progress=progress,
        callbacks=[Recorder()],
    ).guard
    recovered = [
        r["epoch"]
        for r in rows
        if r["metric"] == "accuracy" and r["epoch"] > 0 and r["value"] >= RECOVERED_ACCURACY
    ]
    # Not recovered within the epochs: infinitely many epochs (so a range [21, ∞) holds it).
    return rows, (float(recovered[0]) if recovered else float("inf")), guard.diverged


def _regression_data(p: LossFunctionsParams):
    rng = np.random.default_rng(p.seed + 1)
    x = rng.uniform(-2.0, 2.0, REGRESSION_POINTS)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + REGRESSION_NOISE * rng.normal(size=REGRESSION_POINTS)
    outlier = np.zeros(REGRESSION_POINTS, dtype=bool)
    count = int(round(p.outlier_fraction * REGRESSION_POINTS))
    if count:
        outlier[np.argsort(x)[-count:]] = True  # the right end: they tilt the line
    y = np.where(outlier, y + p.outlier_offset, y)
    return x.astype("float32"), y.astype("float32"), outlier


def _fit_line(p: LossFunctionsParams, name: str, x, y, progress: Progress) -> tuple[float, float]:
    """Full-batch Adam on a Dense(1) with MSE or MAE; returns (slope, intercept)."""
    import keras

    from studykit import initializers, losses, optimizers

    set_random_seed(p.seed)
    model = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(
                1, kernel_initializer=initializers.Zeros(), bias_initializer=initializers.Zeros()
            ),
        ]
    )
    loss = losses.MeanSquaredError() if name == "mse" else losses.MeanAbsoluteError()
    model.compile(optimizer=optimizers.Adam(0.05), loss=loss, jit_compile=False)
    model = reuse(model)
    # The data repeated REPEATS_PER_EPOCH times, one full copy per batch, in order: every
    # update is a full-batch step, with fewer (costly) epoch boundaries.
    xs = np.tile(x.reshape(-1, 1), (REPEATS_PER_EPOCH, 1))
    ys = np.tile(y.reshape(-1, 1), (REPEATS_PER_EPOCH, 1))
    fit(
        model,
        xs,
        ys,
        epochs=REGRESSION_STEPS // REPEATS_PER_EPOCH,
        batch_size=len(x),
        seed=p.seed,
        shuffle=False,
        guard=False,
        progress=progress,
    )
    kernel, bias = model.layers[0].get_weights()
    return float(kernel[0, 0]), float(bias[0])


def _identities(p: LossFunctionsParams) -> tuple[list[dict], dict[str, float]]:
    """(c) softmax + NLL = categorical CE; (d) BCE = two-class CE, sigmoid = 2-way softmax."""
    from keras import ops

    from studykit import activations, losses

    rng = np.random.default_rng(p.seed + 2)
    logits = (2.0 * rng.normal(size=(IDENTITY_BATCH, IDENTITY_CLASSES))).astype("float32")
    labels = rng.integers(0, IDENTITY_CLASSES, IDENTITY_BATCH)
    one_hot = np.eye(IDENTITY_CLASSES, dtype="float32")[labels]
    probs = activations.softmax(ops.convert_to_tensor(logits))

    def value(tensor) -> float:
        return float(ops.convert_to_numpy(tensor))

    nll = value(losses.NegativeLogLikelihood()(labels, ops.log(probs)))
    ce = value(losses.CategoricalCrossEntropy()(one_hot, probs))
    ce_logits = value(losses.CategoricalCrossEntropy(from_logits=True)(one_hot, logits))
    sparse = value(losses.SparseCategoricalCrossEntropy(from_logits=True)(labels, logits))

    z = (2.0 * rng.normal(size=(IDENTITY_BATCH, 1))).astype("float32")
    y = rng.integers(0, 2, size=(IDENTITY_BATCH, 1)).astype("float32")
    p1 = activations.sigmoid(ops.convert_to_tensor(z))
    bce = value(losses.BinaryCrossEntropy()(y, p1))
    two_class = value(
        losses.CategoricalCrossEntropy()(
            np.concatenate([1.0 - y, y], axis=1), ops.concatenate([1.0 - p1, p1], axis=1)
        )
    )
    softmax2 = activations.softmax(ops.convert_to_tensor(np.concatenate([np.zeros_like(z), z], 1)))
    sigmoid_gap = float(
        np.max(np.abs(ops.convert_to_numpy(p1)[:, 0] - ops.convert_to_numpy(softmax2)[:, 1]))
    )
    rows = [
        {
            "check": "softmax + NLL = 범주형 교차 엔트로피",
            "left": nll,
            "right": ce,
            "difference": nll - ce,
        },
        {
            "check": "교차 엔트로피: 확률 입력 = 로짓 입력 (from_logits)",
            "left": ce,
            "right": ce_logits,
            "difference": ce - ce_logits,
        },
        {
            "check": "희소(sparse) = 원-핫 범주형 교차 엔트로피",
            "left": sparse,
            "right": ce_logits,
            "difference": sparse - ce_logits,
        },
        {
            "check": "이진 교차 엔트로피 = 2-클래스 교차 엔트로피",
            "left": bce,
            "right": two_class,
            "difference": bce - two_class,
        },
        {
            "check": "sigmoid(z) = softmax([0, z])의 두 번째 값 (최대 차이)",
            "left": float("nan"),
            "right": float("nan"),
            "difference": sigmoid_gap,
        },
    ]
    findings = {
        "nll_minus_ce": nll - ce,
        "ce_probs_minus_logits": ce - ce_logits,
        "bce_minus_ce2": bce - two_class,
        "sigmoid_minus_softmax2": sigmoid_gap,
    }
    return rows, findings


def _summary(p: LossFunctionsParams, f: dict[str, float]) -> str:
    def epochs(value: float) -> str:
        return f"{value:.0f} 에폭이" if np.isfinite(value) else f"{p.epochs} 에폭 넘게"

    bce_gap = f"{f['bce_minus_ce2']:.1e}"
    mae_error = f"{f['slope_error.mae']:.3f}"
    ratio = f["grad_logit.ce"] / f["grad_logit.mse"] if f["grad_logit.mse"] else float("inf")
    return (
        f"정답이 1인데 로짓이 -{p.wrong_logit:g}(p = {f['start_probability']:.4f})인 확신에 찬 "
        f"오답에서 로짓에 대한 손실의 미분(∂L/∂z)은 MSE가 {f['grad_logit.mse']:.4f}로 교차 "
        f"엔트로피의 {f['grad_logit.ce']:.4f}(= p − y)의 약 {ratio:.0f}분의 1에 불과해, 같은 "
        f"SGD로 정확도 {RECOVERED_ACCURACY:.0%}를 회복하는 데 교차 엔트로피는 "
        f"{epochs(f['epochs_to_recover.ce'])}, MSE는 {epochs(f['epochs_to_recover.mse'])} "
        f"걸렸고, 이상치 {p.outlier_fraction:.0%}가 섞인 회귀에서 직선 기울기(slope)의 오차는 "
        f"MSE {f['slope_error.mse']:.3f}, MAE {josa(mae_error, '이었으며', '였으며')}, "
        f"소프트맥스 + 음의 로그우도(NLL)와 범주형 교차 엔트로피의 차이는 "
        f"{f['nll_minus_ce']:.1e}, 이진 교차 엔트로피와 2-클래스 교차 엔트로피의 차이는 "
        f"{josa(bce_gap, '이었습니다', '였습니다')}."
    )


def run(p: LossFunctionsParams, progress: Progress) -> Result:
    from keras import ops

    from studykit import losses

    findings: dict[str, float] = {}
    warnings: list[str] = []

    # (a) the gradient w.r.t. the logit at a confidently wrong start, then training from it.
    z = np.unique(np.append(np.linspace(-10.0, 10.0, 201), -p.wrong_logit)).astype("float32")
    curve_rows, gradients = logit_curves(z)
    at = int(np.flatnonzero(np.isclose(z, -p.wrong_logit))[0])
    findings["start_probability"] = float(1.0 / (1.0 + np.exp(p.wrong_logit)))
    findings["grad_logit.mse"] = float(gradients["mse"][at])
    findings["grad_logit.ce"] = float(gradients["ce"][at])
    progress(0.05, "로짓에 대한 미분 계산 완료")
    recovery_rows = []
    for index, name in enumerate(("mse", "ce")):
        rows, epochs, diverged = _recovery(
            p, name, progress.slice(0.05 + 0.3 * index, 0.35 + 0.3 * index, LOSS_NAMES[name])
        )
        recovery_rows += rows
        findings[f"epochs_to_recover.{name}"] = epochs
        if diverged:
            warnings.append(
                f"{LOSS_NAMES[name]}: 손실이 발산해 학습을 멈췄습니다. 학습률을 낮춰 보세요."
            )
        elif not np.isfinite(epochs):
            warnings.append(
                f"{LOSS_NAMES[name]}: {p.epochs} 에폭 안에 정확도 {RECOVERED_ACCURACY:.0%}를 "
                "회복하지 못했습니다. 에폭이나 학습률을 늘려 보세요."
            )

    # (b) outliers: MSE vs MAE fits; units of MSE, RMSE and MAE.
    x, y, outlier = _regression_data(p)
    lines = []
    for index, name in enumerate(("mse", "mae")):
        slope, intercept = _fit_line(
            p, name, x, y, progress.slice(0.65 + 0.15 * index, 0.8 + 0.15 * index, FIT_NAMES[name])
        )
        findings[f"slope.{name}"] = slope
        findings[f"slope_error.{name}"] = abs(slope - TRUE_SLOPE)
        lines += [{"line": name, "x": float(v), "y": slope * v + intercept} for v in (-2, 2)]
        if name == "mse":
            prediction = (slope * x + intercept).reshape(-1, 1)
    lines += [
        {"line": "true", "x": float(v), "y": TRUE_SLOPE * v + TRUE_INTERCEPT} for v in (-2, 2)
    ]
    target = y.reshape(-1, 1)
    for key, loss in (
        ("mse", losses.MeanSquaredError()),
        ("rmse", losses.RootMeanSquaredError()),
        ("mae", losses.MeanAbsoluteError()),
    ):
        original = float(ops.convert_to_numpy(loss(target, prediction)))
        scaled = float(ops.convert_to_numpy(loss(target * p.unit_scale, prediction * p.unit_scale)))
        findings[f"mse_fit.{key}"] = original
        findings[f"unit_ratio.{key}"] = scaled / original if original else float("nan")

    # (c), (d): identities between the classification losses.
    identity_rows, identity_findings = _identities(p)
    findings.update(identity_findings)
    points = [{"x": float(a), "y": float(b), "outlier": bool(c)} for a, b, c in zip(x, y, outlier)]
    return Result(
        frames={
            "logit_curves": frame(curve_rows, ["loss", "logit", "kind", "value"]),
            "recovery": frame(recovery_rows, ["loss", "epoch", "metric", "value"]),
            "regression_points": frame(points, ["x", "y", "outlier"]),
            "regression_lines": frame(lines, ["line", "x", "y"]),
            "identities": frame(identity_rows, ["check", "left", "right", "difference"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    wrong = -result.params["wrong_logit"]
    curves = result.frames["logit_curves"].assign(
        loss=lambda d: d["loss"].map(LOSS_NAMES),
        kind=lambda d: d["kind"].map({"value": "손실 L", "gradient": "로짓에 대한 미분 ∂L/∂z"}),
    )
    lines = (
        alt.Chart()
        .mark_line()
        .encode(
            x=alt.X("logit:Q", title="출력층 로짓 z (정답 y = 1, p = σ(z))"),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("loss:N", title="손실 함수"),
            tooltip=[
                "loss",
                alt.Tooltip("logit:Q", format=".2f"),
                alt.Tooltip("value:Q", format=".4f"),
            ],
        )
    )
    start = alt.Chart().mark_rule(strokeDash=[4, 4], color="gray").encode(x=alt.datum(wrong))
    curve_chart = (
        alt.layer(lines, start, data=curves)
        .properties(width=280, height=220)
        .facet(column=alt.Column("kind:N", title=None, sort=["손실 L", "로짓에 대한 미분 ∂L/∂z"]))
        .resolve_scale(y="independent")
        .properties(title="확신에 찬 오답(점선)에서 MSE의 미분은 0에 가깝고 교차 엔트로피는 약 -1")
    )
    recovery = result.frames["recovery"]
    recovery = recovery[recovery["metric"] != "loss"].assign(
        loss=lambda d: d["loss"].map(LOSS_NAMES),
        metric=lambda d: d["metric"].map(
            {"accuracy": "정확도 (accuracy)", "p_correct": "정답 클래스의 평균 확률"}
        ),
    )
    recovery_chart = (
        alt.Chart(recovery)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="에폭 (epoch)"),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("loss:N", title="손실 함수"),
            tooltip=["loss", "epoch", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=280, height=200)
        .facet(column=alt.Column("metric:N", title=None))
        .properties(title="같은 오답 출발점에서 SGD로 학습: 회복 속도")
    )
    points = result.frames["regression_points"].assign(
        kind=lambda d: d["outlier"].map({True: "이상치 (outlier)", False: "일반 데이터"})
    )
    scatter = (
        alt.Chart(points)
        .mark_point(filled=True, size=30, opacity=0.7)
        .encode(
            x=alt.X("x:Q", title="입력 x"),
            y=alt.Y("y:Q", title="목표값 y"),
            shape=alt.Shape("kind:N", title="데이터"),
            color=alt.value("gray"),
        )
    )
    fits = result.frames["regression_lines"].assign(line=lambda d: d["line"].map(FIT_NAMES))
    fit_lines = (
        alt.Chart(fits)
        .mark_line(strokeWidth=2)
        .encode(
            x="x:Q",
            y="y:Q",
            color=alt.Color("line:N", title="직선"),
            strokeDash=alt.StrokeDash("line:N", title="직선"),
        )
    )
    regression_chart = (scatter + fit_lines).properties(
        width=360,
        height=260,
        title="이상치가 있는 회귀: MSE 직선은 이상치 쪽으로 끌려가고 MAE 직선은 덜 끌려간다",
    )
    columns = {"left": "왼쪽 값", "right": "오른쪽 값", "difference": "차이 (왼쪽 − 오른쪽)"}
    cells = [
        {
            "check": row["check"],
            "column": title,
            "text": "—" if np.isnan(row[key]) else f"{row[key]:.6g}",
        }
        for row in result.frames["identities"].to_dict("records")
        for key, title in columns.items()
    ]
    identity_chart = (
        alt.Chart(alt.Data(values=cells), title="손실 함수 사이의 항등식: 차이가 0이면 같은 값")
        .mark_text(align="center", fontSize=12)
        .encode(
            x=alt.X(
                "column:N",
                title=None,
                sort=list(columns.values()),
                axis=alt.Axis(orient="top", labelAngle=0),
            ),
            y=alt.Y("check:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)),
            text="text:N",
        )
        .properties(width=420, height=170)
    )
    return [curve_chart, recovery_chart, regression_chart, identity_chart]


EXPERIMENT = Experiment(
    name="loss_functions",
    title="손실 함수 (loss function): MSE vs 교차 엔트로피, MAE vs MSE, 그리고 항등식",
    caption=(
        "첫 그래프의 점선(확신에 찬 오답)에서 MSE의 미분 ∂L/∂z는 거의 0이지만 교차 엔트로피는 "
        "약 -1(= p − y)임을 보고, 두 번째 그래프에서 그 차이 때문에 교차 엔트로피가 훨씬 빨리 "
        "정답 쪽으로 돌아오는지 확인하세요. 세 번째 그래프에서는 오른쪽 위 이상치에 MSE 직선이 "
        "더 많이 끌려 올라가는지, 마지막 표에서는 소프트맥스 + NLL과 교차 엔트로피, 이진 교차 "
        "엔트로피와 2-클래스 교차 엔트로피의 차이가 0(부동소수점 오차)인지 보세요."
    ),
    params=LossFunctionsParams,
    presets={
        "default": {},
        "tiny": {"epochs": 2, "samples": 64},
        "very_wrong": {"wrong_logit": 8.0, "epochs": 60},
        "no_outliers": {"outlier_fraction": 0.0},
    },
    runner=run,
    charts=charts,
    findings={
        "start_probability": ("처음 정답 확률", "%"),
        "grad_logit": ("로짓에 대한 기울기 (처음)", ""),
        "epochs_to_recover": ("정확도를 회복하기까지 에폭", "epochs"),
        "slope": ("맞춘 직선의 기울기", ""),
        "slope_error": ("참 기울기와의 차이", ""),
        "mse_fit": ("오차 지표 값", ""),
        "unit_ratio": ("단위를 10배 했을 때 지표 배율", "x"),
        "nll_minus_ce": ("softmax+NLL − 교차 엔트로피", ""),
        "bce_minus_ce2": ("BCE − 두 클래스 교차 엔트로피", ""),
        "sigmoid_minus_softmax2": ("시그모이드 − 두 클래스 소프트맥스", ""),
        "ce_probs_minus_logits": ("확률 입력 CE − 로짓 입력 CE", ""),
    },
    series={"mse": "MSE", "ce": "교차 엔트로피", "mae": "MAE", "rmse": "RMSE"},
)
