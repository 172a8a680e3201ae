"""Contract every registered experiment must meet (run with its `tiny` preset)."""

import math
import subprocess
import sys

import pandas as pd
import pytest

from studykit import activations, experiments, initializers
from studykit.experiments import _models

NAMES = experiments.names()


@pytest.fixture(scope="module")
def tiny_runs():
    """name -> (result, progress calls); each experiment runs once for the whole module."""
    cache = {}

    def get(name):
        if name not in cache:
            calls = []
            result = experiments.run(
                name, progress=lambda f, m: calls.append((f, m)), preset="tiny"
            )
            cache[name] = (result, calls)
        return cache[name]

    return get


def test_names_are_listed_and_sorted():
    assert "vanishing_gradient" in NAMES
    assert NAMES == sorted(NAMES)


def test_form_choices_match_the_components():
    assert set(_models.ACTIVATIONS) <= set(activations.NAMES)
    assert set(_models.INITIALIZERS) == set(initializers.NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_presets_validate(name):
    experiment = experiments.get(name)
    assert {"default", "tiny"} <= set(experiment.presets)
    for preset in experiment.presets:
        experiment.validate(experiment.preset(preset))
    assert experiment.title and experiment.caption


@pytest.mark.parametrize("name", NAMES)
def test_tiny_run_returns_tidy_frames_findings_and_progress(name, tiny_runs):
    result, calls = tiny_runs(name)
    assert result.name == name
    assert result.frames and all(isinstance(f, pd.DataFrame) for f in result.frames.values())
    assert all(len(f) > 0 for f in result.frames.values())
    assert result.findings and all(isinstance(v, float) for v in result.findings.values())
    assert any("가" <= ch <= "힣" for ch in result.summary)
    charts = experiments.charts(result)
    assert charts and all(chart.to_dict()["$schema"].startswith("https://vega") for chart in charts)
    fractions = [f for f, _ in calls]
    assert fractions, "progress was never reported"
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] == 1.0


@pytest.mark.parametrize("name", NAMES)
def test_same_params_and_seed_give_the_same_numbers(name, tiny_runs):
    first, _ = tiny_runs(name)
    again = experiments.run(name, preset="tiny")
    assert first.findings.keys() == again.findings.keys()
    for key, value in first.findings.items():
        assert value == again.findings[key] or (
            math.isnan(value) and math.isnan(again.findings[key])
        ), key
    for key, table in first.frames.items():
        pd.testing.assert_frame_equal(table, again.frames[key])


@pytest.mark.parametrize("name", NAMES)
def test_out_of_range_parameters_name_the_parameter_and_range(name):
    experiment = experiments.get(name)
    bounded = [
        (field, info)
        for field, info in experiment.params.model_fields.items()
        if any(getattr(m, "le", None) is not None for m in info.metadata)
    ]
    assert bounded, "an experiment needs bounded parameters"
    for field, info in bounded:
        high = next(m.le for m in info.metadata if getattr(m, "le", None) is not None)
        with pytest.raises(experiments.ParameterError) as caught:
            experiments.run(name, **{field: high * 10 + 1})
        assert field in str(caught.value) and str(high) in str(caught.value)
        assert field in caught.value.korean


def test_unknown_parameter_and_experiment_are_clear_errors():
    with pytest.raises(experiments.ParameterError, match="unknown parameter"):
        experiments.run("vanishing_gradient", depht=3)
    with pytest.raises(ValueError, match="unknown experiment"):
        experiments.run("no_such_experiment")
    with pytest.raises(ValueError, match="no preset"):
        experiments.run("vanishing_gradient", preset="huge")


def test_run_cached_returns_the_stored_result_for_equal_parameters():
    experiments._CACHE.clear()
    first = experiments.run_cached("vanishing_gradient", preset="tiny")
    tiny = experiments.presets("vanishing_gradient")["tiny"]
    again = experiments.run_cached("vanishing_gradient", **tiny)
    assert not first.cached and again.cached  # the stored run, marked as stored
    assert again.frames is first.frames and again.findings == first.findings
    assert again.seconds == first.seconds and again.finished_at == first.finished_at


def test_listing_experiments_and_loading_the_bank_do_not_import_keras():
    code = (
        "import sys\n"
        "from studykit import experiments\n"
        "from studykit.cli import experiment_catalog\n"
        "from studykit.quiz.bank import load_bank_partial\n"
        "for name in experiments.names():\n"
        "    experiments.get(name).validate(experiments.get(name).preset('default'))\n"
        "load_bank_partial(experiments=experiment_catalog())\n"
        "heavy = sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize("name", NAMES)
def test_every_finding_has_a_korean_label_and_a_readable_value(name, tiny_runs):
    from studykit.experiments._labels import finding_label, format_value

    result, _ = tiny_runs(name)
    experiment = experiments.get(name)
    for key, value in result.findings.items():
        label, unit = finding_label(key, experiment.findings, experiment.series)
        assert label != key and any("가" <= ch <= "힣" for ch in label), key
        assert "nan" not in format_value(value, unit).lower(), key
