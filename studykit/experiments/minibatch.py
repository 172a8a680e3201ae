"""Mini-batch size: SGD (batch 1) vs mini-batch (m) vs full batch on the same data.

Claim: one epoch makes ceil(N/m) updates (counted here by Keras itself: the number of
``on_train_batch_end`` calls and the optimizer's ``iterations`` per epoch), so batch size 1
makes N updates per epoch and full batch only one. Small batches give a noisy loss curve (the
loss of each update jumps around; measured as the standard deviation of the differences
between consecutive batch losses) but make far more progress per epoch; the full batch is
smooth but slow per epoch. Wall time per epoch is measured too, but only reported in the
summary sentence: it changes from run to run, so it is neither a finding nor part of a frame.

All three runs start from the same initial weights and use the same learning rate.
"""

from __future__ import annotations

import math
import time

import numpy as np
from pydantic import Field, model_validator

from studykit.experiments._batch_losses import batch_loss_recorder
from studykit.experiments._charts import thin
from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._labels import loss_text
from studykit.experiments._models import build_mlp, reuse, set_random_seed
from studykit.experiments.base import Experiment, Invalid, Params, Progress, Result


class MinibatchParams(Params):
    batch_size: int = Field(32, ge=2, le=1024, title="미니배치 크기 m (mini-batch size)")
    samples: int = Field(200, ge=16, le=2048, title="학습 데이터 수 N (samples)")
    epochs: int = Field(3, ge=2, le=30, title="에폭 (epochs)")
    learning_rate: float = Field(0.05, ge=1e-4, le=1.0, title="학습률 (learning rate, SGD)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @model_validator(mode="after")
    def _between(self):
        if self.batch_size >= self.samples:
            raise Invalid(
                f"batch_size ({self.batch_size}) must be smaller than samples ({self.samples}) "
                "so that it differs from the full batch",
                f"데이터 수({self.samples})보다 작아야 전체 배치와 비교할 수 있습니다 "
                f"(입력값: {self.batch_size}).",
                field="batch_size",
            )
        return self


def _name(size: int, full: int) -> str:
    if size == 1:
        return "배치 1 (SGD)"
    if size == full:
        return f"전체 배치 {size} (batch GD)"
    return f"미니배치 {size}"


def _data(p: MinibatchParams):
    from studykit import datasets

    n = int(math.ceil(p.samples / 0.75)) + 2
    data = datasets.blobs(n, n_features=16, n_classes=4, spread=1.5, seed=p.seed)
    return data.x_train[: p.samples], data.y_train[: p.samples]


def run(p: MinibatchParams, progress: Progress) -> Result:
    import keras

    from studykit import losses, optimizers

    x, y = _data(p)
    sizes = (1, p.batch_size, p.samples)
    set_random_seed(p.seed)
    model = build_mlp(16, 4, [16], "relu", "he_normal", p.seed)
    optimizer = optimizers.SGD(learning_rate=p.learning_rate)
    model.compile(
        optimizer=optimizer,
        loss=losses.SparseCategoricalCrossEntropy(),
        metrics=["accuracy"],
        jit_compile=False,
    )
    model = reuse(model)
    optimizer = model.optimizer
    initial = model.get_weights()
    # Work is proportional to the number of updates; weight the progress bar by it.
    work = [math.ceil(p.samples / m) * p.epochs + 20 for m in sizes]
    done = 0
    step_rows, epoch_rows, summary_rows, warnings = [], [], [], []
    findings: dict[str, float] = {}
    seconds: dict[int, float] = {}
    for size, cost in zip(sizes, work):
        model.set_weights(initial)
        set_random_seed(p.seed)
        recorder = batch_loss_recorder(p.samples, size, labels={"batch_size": size})
        before = int(keras.ops.convert_to_numpy(optimizer.iterations))
        started = time.perf_counter()
        fitted = fit(
            model,
            x,
            y,
            epochs=p.epochs,
            batch_size=size,
            seed=p.seed,
            shuffle="keras",  # from Keras' global seed, set above
            per_batch=True,  # the recorder reads every batch's loss
            progress=progress.slice(
                done / sum(work), (done + cost) / sum(work), _name(size, p.samples)
            ),
            callbacks=[recorder],
        )
        history, guard = fitted.history, fitted.guard
        elapsed = time.perf_counter() - started
        done += cost
        iterations = int(keras.ops.convert_to_numpy(optimizer.iterations)) - before
        epochs_run = len(recorder.updates_per_epoch)
        # The first epoch also traces the training function for this batch shape.
        later = recorder.epoch_seconds[1:] or recorder.epoch_seconds
        seconds[size] = float(np.median(later)) if later else elapsed
        losses_ = np.array([r["loss"] for r in recorder.records], dtype=np.float64)
        diffs = np.diff(losses_)
        noise = float(np.std(diffs)) if len(diffs) > 1 else math.nan
        updates = recorder.updates_per_epoch
        for row in recorder.records:
            per_epoch = updates[row["epoch"] - 1] if row["epoch"] <= len(updates) else 1
            row["epoch_progress"] = row["epoch"] - 1 + row["update"] / per_epoch
        step_rows += recorder.records
        for epoch in range(epochs_run):
            epoch_rows.append(
                {
                    "batch_size": size,
                    "epoch": epoch + 1,
                    "updates": updates[epoch],
                    "train_loss": float(history["loss"][epoch]),
                    "train_accuracy": float(history["accuracy"][epoch]),
                }
            )
        # model.evaluate(x, y, batch_size=p.samples) without building its input pipeline.
        model.reset_metrics()
        final_loss, final_accuracy = model.test_on_batch(x, y)
        expected = math.ceil(p.samples / size)
        findings[f"updates_per_epoch.{size}"] = float(updates[0])
        findings[f"expected_updates_per_epoch.{size}"] = float(expected)
        findings[f"optimizer_iterations_per_epoch.{size}"] = iterations / max(epochs_run, 1)
        findings[f"loss_noise.{size}"] = noise
        findings[f"final_loss.{size}"] = float(final_loss)
        findings[f"final_accuracy.{size}"] = float(final_accuracy)
        summary_rows.append(
            {
                "batch_size": size,
                "updates_per_epoch": updates[0],
                "expected_updates_per_epoch": expected,
                "total_updates": iterations,
                "loss_noise": noise,
                "final_loss": float(final_loss),
            }
        )
        warnings += divergence_warning(_name(size, p.samples), guard)
    findings["noise_ratio_sgd_to_full"] = (
        findings["loss_noise.1"] / findings[f"loss_noise.{p.samples}"]
        if findings[f"loss_noise.{p.samples}"] > 0
        else math.nan
    )
    return Result(
        frames={
            "steps": frame(
                step_rows, ["batch_size", "epoch", "update", "step", "epoch_progress", "loss"]
            ),
            "epochs": frame(
                epoch_rows, ["batch_size", "epoch", "updates", "train_loss", "train_accuracy"]
            ),
            "summary": frame(
                summary_rows,
                [
                    "batch_size",
                    "updates_per_epoch",
                    "expected_updates_per_epoch",
                    "total_updates",
                    "loss_noise",
                    "final_loss",
                ],
            ),
        },
        findings=findings,
        summary=_summary(p, sizes, findings, seconds),
        warnings=warnings,
    )


def _summary(p, sizes, findings, seconds) -> str:
    n = p.samples
    updates = ", ".join(
        f"{_name(size, n)} {findings[f'updates_per_epoch.{size}']:.0f}번" for size in sizes
    )
    noises = [findings[f"loss_noise.{size}"] for size in sizes]
    noise = ", ".join(
        f"{_name(size, n)} {value:.3g}"
        if math.isfinite(value)
        else f"{_name(size, n)} 측정 불가(업데이트가 3번 미만)"
        for size, value in zip(sizes, noises)
    )
    measured = [value for value in noises if math.isfinite(value)]
    trend = (
        "순으로 배치가 클수록 작아졌으며"
        if len(measured) == len(noises) and all(a > b for a, b in zip(noises, noises[1:]))
        else "순이었으며"
    )
    loss = ", ".join(
        f"{_name(size, n)} {loss_text(findings[f'final_loss.{size}'])}" for size in sizes
    )
    times = ", ".join(f"{_name(size, n)} {seconds[size]:.3f}초" for size in sizes)
    return (
        f"학습 데이터 N = {n}개에서 한 에폭의 업데이트 횟수(Keras가 센 값)는 {updates}으로 "
        f"모두 ceil(N/m)과 같았고, 연속한 배치 손실 차이의 표준편차(손실 잡음)는 {noise} {trend}, "
        f"{p.epochs} 에폭 후 전체 학습 데이터의 손실은 {loss} 순이었고, "
        f"에폭당 실행 시간(wall time, 실행마다 달라짐)은 {times}였습니다."
    )


def charts(result: Result) -> list:
    import altair as alt

    n = int(result.params["samples"])
    steps = result.frames["steps"].assign(
        series=lambda d: d["batch_size"].map(lambda s: _name(int(s), n))
    )
    steps = steps[np.isfinite(steps["loss"])]
    per_update = (
        alt.Chart(
            thin(steps, "epoch_progress", by="series"),
            title="업데이트마다의 배치 손실 (x축: 진행한 에폭)",
        )
        .mark_line(opacity=0.8)
        .encode(
            x=alt.X("epoch_progress:Q", title="에폭 (epoch)"),
            y=alt.Y("loss:Q", title="배치 손실 (cross-entropy)"),
            color=alt.Color("series:N", title="배치 크기"),
            tooltip=["series", "epoch", "update", alt.Tooltip("loss:Q", format=".3f")],
        )
    )
    summary = result.frames["summary"].assign(
        series=lambda d: d["batch_size"].map(lambda s: _name(int(s), n))
    )
    bars = (
        alt.Chart(summary, title="한 에폭의 업데이트 횟수 = ceil(N / m) (로그 눈금)")
        .mark_bar()
        .encode(
            x=alt.X("series:N", title="배치 크기", sort=None),
            y=alt.Y(
                "updates_per_epoch:Q", title="에폭당 업데이트 횟수", scale=alt.Scale(type="log")
            ),
            color=alt.Color("series:N", title="배치 크기", legend=None),
            tooltip=["series", "updates_per_epoch", "expected_updates_per_epoch", "total_updates"],
        )
    )
    noise = (
        alt.Chart(summary, title="손실 잡음 (연속한 배치 손실 차이의 표준편차)")
        .mark_bar()
        .encode(
            x=alt.X("series:N", title="배치 크기", sort=None),
            y=alt.Y("loss_noise:Q", title="손실 잡음 (std)"),
            color=alt.Color("series:N", title="배치 크기", legend=None),
            tooltip=["series", alt.Tooltip("loss_noise:Q", format=".4f")],
        )
    )
    epochs = result.frames["epochs"].assign(
        series=lambda d: d["batch_size"].map(lambda s: _name(int(s), n))
    )
    accuracy = (
        alt.Chart(epochs, title="에폭별 학습 손실 (에폭 평균)")
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="에폭 (epoch)"),
            y=alt.Y("train_loss:Q", title="학습 손실 (cross-entropy)"),
            color=alt.Color("series:N", title="배치 크기"),
            tooltip=["series", "epoch", alt.Tooltip("train_loss:Q", format=".3f")],
        )
    )
    return [per_update, alt.hconcat(bars, noise), accuracy]


EXPERIMENT = Experiment(
    name="minibatch",
    title="미니배치 크기 (mini-batch size): 배치 1 vs 미니배치 vs 전체 배치",
    caption=(
        "첫 그래프에서 배치 1(SGD)의 손실이 업데이트마다 크게 출렁이고 전체 배치는 매끈하지만 "
        "같은 에폭 동안 거의 내려가지 않는지 보세요. 막대그래프의 업데이트 횟수가 ceil(N/m)과 "
        "같은지, 손실 잡음이 배치가 클수록 줄어드는지 확인하고, 마지막 그래프에서 같은 에폭 "
        "동안 어느 쪽의 손실이 더 많이 내려가는지 비교하세요."
    ),
    params=MinibatchParams,
    presets={
        "default": {},
        "tiny": {"samples": 32, "batch_size": 8, "epochs": 2},
        "more_epochs": {"epochs": 10},
    },
    runner=run,
    charts=charts,
    findings={
        "updates_per_epoch": ("에폭당 갱신 횟수 (측정)", "count"),
        "expected_updates_per_epoch": ("에폭당 갱신 횟수 (⌈N/m⌉)", "count"),
        "optimizer_iterations_per_epoch": ("옵티마이저 반복 수 / 에폭", "count"),
        "loss_noise": ("배치 손실의 흔들림 (차분의 표준편차)", ""),
        "final_loss": ("학습 후 전체 데이터 손실", ""),
        "final_accuracy": ("학습 후 전체 데이터 정확도", "%"),
        "noise_ratio_sgd_to_full": ("흔들림: 배치 1 ÷ 전체 배치", "x"),
    },
    series={str(size): f"배치 크기 {size}" for size in range(1, 4097)},
)
