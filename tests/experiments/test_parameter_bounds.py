"""Property tests: every parameter set either validates (a Korean ParameterError) or runs,
and a run that returns is presentable: its charts serialise (Altair's row limit), its summary
never says "nan"/"inf", and its findings read in Korean units, never "nan".

Values come from each field's own bounds: the bounds themselves, one step outside, and
special values (NaN, ±inf, a huge integer, text, an empty or over-long list). Runs start from
the ``tiny`` preset and move one or two fields to a bound; an integer field whose upper
bound is far above its ``tiny`` value (epochs, samples, steps: the run's size) goes to at most
2 × that value instead, and each experiment gets one such corner per test run (hypothesis,
derandomized), so that the whole module stays within a minute or two (119 s on a 2-core
machine shared with other jobs). The chart
limit at those fields' real upper bounds is checked by
``test_charts_at_their_largest_stay_within_altairs_row_limit`` on the cheap experiments
where it was found to break.
"""

import math
import re
from typing import Any, Literal, get_args, get_origin

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from studykit import experiments
from studykit.experiments._charts import MAX_CHART_ROWS
from studykit.experiments._labels import finding_label, format_value
from studykit.experiments.base import bounds

NAMES = experiments.names()
HANGUL = re.compile(r"[가-힣]")
NOT_A_NUMBER = re.compile(r"\b(nan|inf)\b", re.IGNORECASE)
FAST = [Phase.explicit, Phase.generate]  # no shrinking: a failure prints its draws
SIZE_FACTOR = 2  # an integer "size" field goes to at most this many times its tiny value


def _fields(name: str) -> dict[str, Any]:
    return dict(experiments.get(name).params.model_fields)


def _item_annotation(info):
    annotation = info.annotation
    if get_origin(annotation) is tuple:
        return get_args(annotation)[0]
    return None


def _choices(annotation) -> list | None:
    if annotation is not None and get_origin(annotation) is Literal:
        return list(get_args(annotation))
    return None


def _lengths(info) -> tuple[int, int]:
    low = next((m.min_length for m in info.metadata if getattr(m, "min_length", None)), 0)
    high = next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), 8)
    return low, high


def _invalid_values(name: str, field: str) -> st.SearchStrategy:
    """Values a learner could type that the field should refuse (or accept) cleanly."""
    info = _fields(name)[field]
    low, high = bounds(experiments.get(name).params, field)
    special = [math.nan, math.inf, -math.inf, 10**30, -(10**30), "", "abc", "０．１", None]
    for bound, step in ((low, -1), (high, 1)):
        if isinstance(bound, int | float):
            special += [bound, bound + step * (1 if isinstance(bound, int) else 1e-3)]
    if _item_annotation(info) is not None:
        options = _choices(_item_annotation(info)) or [low if low is not None else 0.0]
        _, most = _lengths(info)
        special += [(), (options[0],) * 2, tuple(options) * (most + 1), ("없는 값",)]
    return st.sampled_from(special)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, derandomize=True, database=None, phases=FAST)
@given(data=st.data())
def test_any_value_validates_or_is_refused_in_korean_naming_the_field(name, data):
    experiment = experiments.get(name)
    fields = list(_fields(name))
    chosen = data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique=True))
    values = {**experiment.preset("tiny")}
    for field in chosen:
        values[field] = data.draw(_invalid_values(name, field), label=field)
    try:
        experiment.validate(values)
    except experiments.ParameterError as error:
        assert error.problems
        for problem in error.problems:
            assert HANGUL.search(problem.korean), problem
            assert "Input should" not in problem.korean
            assert problem.name.split(".")[0] in fields or problem.name == "(params)", problem


def _bound_values(name: str, field: str) -> list:
    """In-range extremes of ``field``: its bounds (capped for size fields), list extremes."""
    experiment = experiments.get(name)
    info = _fields(name)[field]
    tiny = experiment.validate(experiment.preset("tiny")).as_dict()[field]
    low, high = bounds(experiment.params, field)
    item = _item_annotation(info)
    if item is not None:
        fewest, most = _lengths(info)
        options = _choices(item)
        if options is not None:
            return [tuple(options[: max(fewest, 1)]), tuple(options[:most])]
        extremes = [v for v in (low, high) if v is not None] or list(tiny)
        spread = tuple(dict.fromkeys(extremes))[:most]
        return [tuple(extremes[:1]) * max(fewest, 1), spread if len(spread) >= fewest else tiny]
    if _choices(info.annotation) is not None:
        return _choices(info.annotation)
    if info.annotation is bool:
        return [False, True]
    values = [v for v in (low, high) if v is not None]
    if info.annotation is int and high is not None and high > SIZE_FACTOR * max(tiny, 1):
        values = [low, min(high, SIZE_FACTOR * max(tiny, 1))] if low is not None else [tiny]
    return values or [tiny]


def _assert_presentable(result) -> None:
    experiment = experiments.get(result.name)
    assert HANGUL.search(result.summary)
    assert not NOT_A_NUMBER.search(result.summary), result.summary
    for warning in result.warnings:
        assert not NOT_A_NUMBER.search(warning), warning
    for key, value in result.findings.items():
        label, unit = finding_label(key, experiment.findings, experiment.series)
        shown = format_value(value, unit)
        assert "nan" not in shown.lower(), (key, shown)
    for chart in experiments.charts(result):
        chart.to_dict()  # raises altair.MaxRowsError past 5,000 rows


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=1,  # one corner per experiment and test run: ~1-2 s each on tiny
    deadline=None,
    derandomize=True,
    database=None,
    phases=FAST,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_parameters_at_their_bounds_validate_or_give_a_presentable_result(name, data):
    experiment = experiments.get(name)
    fields = list(_fields(name))
    chosen = data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique=True))
    values = {**experiment.preset("tiny")}
    for field in chosen:
        values[field] = data.draw(st.sampled_from(_bound_values(name, field)), label=field)
    try:
        experiment.validate(values)
    except experiments.ParameterError as error:  # a cross-field check: a clear refusal
        assert all(HANGUL.search(p.korean) for p in error.problems)
        return
    _assert_presentable(experiments.run(name, **values))


def test_a_full_batch_too_short_to_measure_noise_says_so():
    # 2 epochs of full batch: 2 updates, no spread of loss differences to measure (was "nan").
    result = experiments.run("minibatch", preset="tiny", batch_size=2)
    assert "측정 불가" in result.summary
    _assert_presentable(result)


DIVERGING = {"hidden_layers": 8, "width": 256, "batch_size": 8, "epochs": 2}  # the review's


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("lr_schedules", {"initial_learning_rate": 2.0, "momentum": 0.99, **DIVERGING}),
        (
            "optimizer_training",
            {"optimizers": ["sgd", "momentum"], "lr_sgd": 2.0, "lr_momentum": 2.0, **DIVERGING},
        ),
    ],
)
def test_when_every_run_diverges_the_summary_says_so_and_ranks_nothing(name, params):
    result = experiments.run(name, preset="tiny", **params)
    assert result.warnings  # DivergenceGuard stopped every run
    assert "발산" in result.summary and "가장 낮았" not in result.summary
    assert "순이었" not in result.summary
    _assert_presentable(result)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("activation_functions", {"points": 2001}),
        ("local_minima", {"starts": 101, "steps": 505}),
    ],
)
def test_charts_at_their_largest_stay_within_altairs_row_limit(name, params):
    result = experiments.run(name, preset="tiny", **params)
    largest = max(len(frame) for frame in result.frames.values())
    assert largest > MAX_CHART_ROWS  # the frames themselves are bigger than the limit...
    _assert_presentable(result)  # ...the charts draw every k-th point
