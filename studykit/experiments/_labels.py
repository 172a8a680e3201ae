"""Everything the learner reads about a run, in one place: display names, finding labels
and units, number formats, and the Korean particles after numbers (0.25였고 / 1이었고).

An experiment's findings are named ``stem.series`` ("final_accuracy.relu", "gap.0.2");
``finding_label`` turns that into "최종 검증 정확도 · ReLU" and ``format_value`` prints the
value in the finding's unit ("93.0%", "+8.1%p", "1.5×10⁻⁶배"). Stems shared by several
experiments are labelled here (``FINDINGS``); an experiment labels its own in
``Experiment.findings``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

EPOCH = "에폭 (epoch)"
SPLIT_NAMES = {
    "train": "학습",
    "validation": "검증",
    "original": "원본 검증",
    "shifted": "이동된 검증",
    "train_augmented": "학습 (증강된 배치)",
}
METRIC_NAMES = {"loss": "손실 (loss)", "accuracy": "정확도 (accuracy)"}
ACTIVATION_NAMES = {
    "linear": "선형 (활성화 없음)",
    "sigmoid": "시그모이드(sigmoid)",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "elu": "ELU",
}
OPTIMIZER_NAMES = {
    "sgd": "SGD",
    "momentum": "모멘텀(Momentum)",
    "nesterov": "네스테로프(Nesterov)",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
}
SETTING_NAMES = {"A": "설정 A", "B": "설정 B"}

# Units: "%" a share (0.93 -> 93.0%), "%p" a difference of shares, "x" a ratio (배),
# "count", "epochs", "steps", "flag" (1 = 예), "" a plain number.
FINDINGS: dict[str, tuple[str, str]] = {
    "final_accuracy": ("최종 검증 정확도", "%"),
    "accuracy": ("검증 정확도", "%"),
    "val_accuracy": ("검증 정확도", "%"),
    "train_accuracy": ("학습 정확도", "%"),
    "original_val_accuracy": ("원본 검증 정확도", "%"),
    "gap": ("학습−검증 정확도 격차", "%p"),
    "original_gap": ("원본 기준 학습−검증 격차", "%p"),
    "memorized": ("외워 버린 잘못된 레이블 비율", "%"),
    "final_loss": ("최종 학습 손실", ""),
    "final_train_loss": ("최종 학습 손실", ""),
    "final_val_loss": ("최종 검증 손실", ""),
    "min_val_loss": ("가장 낮았던 검증 손실", ""),
    "diverged": ("발산 여부", "flag"),
    "params": ("파라미터 수", "count"),
    "loss": ("손실", ""),
    "steps_to_tol": ("허용 오차 안에 들기까지 갱신 횟수", "steps"),
    "epochs_to_target": ("목표 정확도까지 에폭", "epochs"),
}
UNITS = {"count": "개", "epochs": "에폭", "steps": "번", "x": "배"}

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_value(value: float, unit: str = "") -> str:
    """``value`` as the learner reads it, in ``unit`` (see FINDINGS)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "측정 불가"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "%p":
        return f"{value * 100:+.1f}%p"
    if unit == "flag":
        return "예" if value >= 0.5 else "아니오"
    if unit in ("count", "epochs", "steps") and float(value).is_integer():
        return f"{int(value):,}{UNITS[unit]}"
    text = number(value)
    return f"{text}{UNITS[unit]}" if unit in UNITS else text


def number(value: float) -> str:
    """4 significant digits; powers of ten for very small or large values (1.54×10⁻⁶)."""
    if value == 0 or 1e-3 <= abs(value) < 1e6:
        text = f"{value:.4g}"
        return f"{float(text):,}" if abs(value) >= 1e4 and "e" not in text else text
    mantissa, exponent = f"{value:.3g}e0".split("e")[:2]
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def difference(a: float, b: float, unit: str = "") -> str:
    """B − A in the finding's unit ("+3.2%p", "−0.012", "2.5배 (B/A)" for ratios)."""
    if any(v is None or not math.isfinite(v) for v in (a, b)):
        return "—"
    if unit == "flag":
        return "같음" if (a >= 0.5) == (b >= 0.5) else "다름"
    if unit == "x" and a > 0 and b > 0:
        return f"B가 A의 {number(b / a)}배"
    delta = b - a
    if unit in ("%", "%p"):
        return f"{delta * 100:+.1f}%p"
    if delta == 0:
        return "0"
    sign = "+" if delta > 0 else "−"
    text = format_value(abs(delta), unit if unit != "x" else "")
    return f"{sign}{text}"


def finding_label(
    key: str,
    own: Mapping[str, tuple[str, str]] | None = None,
    series: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """(Korean label, unit) of finding ``key``: its stem's label (the experiment's ``own``
    labels first, then FINDINGS) and each further part through ``series`` and the shared
    names; the longest labelled prefix wins, so "demo.kept_scale" can be labelled whole."""
    own = own or {}
    parts = key.split(".")
    for cut in range(len(parts), 0, -1):
        stem = ".".join(parts[:cut])
        if stem in own or stem in FINDINGS:
            label, unit = own.get(stem) or FINDINGS[stem]
            rest = ".".join(parts[cut:])
            return (f"{label} · {series_name(rest, series)}" if rest else label), unit
    return key, ""


def series_name(text: str, series: Mapping[str, str] | None = None) -> str:
    """A series id as a name, through the experiment's ``series`` names and the shared ones.

    Dotted ids are read greedily ("normal_0.01.sigmoid" -> "N(0, 0.01²) · 시그모이드"), so
    names may contain dots; "lr_0.1" reads "학습률 0.1".
    """
    names = {**ACTIVATION_NAMES, **OPTIMIZER_NAMES, **SPLIT_NAMES, **(series or {})}
    parts = text.split(".") if text else []
    shown = []
    while parts:
        for end in range(len(parts), 0, -1):
            piece = ".".join(parts[:end])
            if piece in names or end == 1:
                break
        if piece not in names:  # no name: keep the dotted number together ("0.2", "lr_0.02")
            end = next((e for e in range(len(parts), 0, -1) if _numeric(parts[:e])), 1)
            piece = ".".join(parts[:end])
        shown.append(names.get(piece) or _plain(piece))
        parts = parts[end:]
    return " · ".join(shown)


def _numeric(parts: list[str]) -> bool:
    text = ".".join(parts).removeprefix("lr_")
    try:
        float(text)
    except ValueError:
        return False
    return True


def _plain(piece: str) -> str:
    if piece.startswith("lr_") and _numeric([piece]):
        return f"학습률 {piece.removeprefix('lr_')}"
    return piece


# Digits whose Korean reading ends in a final consonant (받침): 영, 일, 삼, 육, 칠, 팔.
_BATCHIM_DIGITS = set("013678")


def has_batchim(text: str) -> bool:
    """Whether ``text`` (a number as written, e.g. "0.25", "1", "95%") ends in a 받침."""
    text = text.rstrip()
    if text.endswith("%"):
        return False  # 퍼센트
    last = text[-1:]
    if last.isdigit():
        return last in _BATCHIM_DIGITS
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28 != 0
    return False


def josa(text: str, with_batchim: str, without_batchim: str) -> str:
    """``text`` followed by the right particle: josa("1", "이었고", "였고") == "1이었고"."""
    return text + (with_batchim if has_batchim(text) else without_batchim)


def ro(text: str) -> str:
    """``text`` + 로/으로 (로 also after ㄹ: 1로, 7로, 8로; 으로 after 0, 3, 6)."""
    last = text.rstrip()[-1:]
    if last in "178" or not has_batchim(text):
        return text + "로"
    return text + "으로"


DIVERGED = "발산(diverged)"


def loss_text(value: float, digits: int = 3) -> str:
    """A loss in a summary: "0.123", or "발산(diverged)" when it is NaN or infinite, so that a
    diverged run never reads "nan" to the learner."""
    return f"{value:.{digits}f}" if math.isfinite(value) else DIVERGED


def by_loss(names, loss: Mapping[str, float]) -> list:
    """``names`` from the lowest to the highest finite ``loss[name]``; names whose loss is
    NaN or infinite (diverged) are left out: a diverged run is not ranked."""
    return sorted((n for n in names if math.isfinite(loss[n])), key=lambda n: loss[n])
