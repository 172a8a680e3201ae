"""The claim of the batch-normalization experiment, with the default preset (seed 0).

docs/reference.md ("batch norm": 1,000 training samples, 784-[100×5]-10, 20 epochs, SGD 0.01,
16 scales logspace(0, -4); "BN trains over a far wider range of scales, e.g. scale 0.0136:
0.116 without vs 1.0 with") scaled down to digits: 1,000 training images, 64-[64×5]-10,
5 scales logspace(0, -4), SGD 0.2, 5 epochs. We agree with the published shape: without BN
no scale reaches the target (at w = 0.01 the plain net stays at chance, 0.11, like the
book's 0.116) while with BN every scale does.
"""

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("batch_norm", preset="default")


def _runs(result, model):
    runs = result.frames["runs"]
    return runs[runs.model == model].sort_values("scale", ascending=False)


def test_bn_trains_over_a_wider_range_of_scales(result):
    f = result.findings
    n = result.params["n_scales"]
    assert f["scales_reaching_target.batch_norm"] >= n - 1
    assert f["scales_reaching_target.plain"] <= 1
    assert f["scales_reaching_target.batch_norm"] >= f["scales_reaching_target.plain"] + 3
    assert f["mean_final_accuracy.batch_norm"] - f["mean_final_accuracy.plain"] >= 0.4


def test_at_scale_001_plain_stays_at_chance_and_bn_learns(result):
    plain, bn = _runs(result, "plain"), _runs(result, "batch_norm")
    at = np.isclose(plain["scale"], 0.01)
    assert plain[at]["final_accuracy"].item() < 0.15  # docs/reference.md (w = 0.0136): 0.116
    assert bn[np.isclose(bn["scale"], 0.01)]["final_accuracy"].item() > 0.8  # reference: 1.0


def test_without_bn_activations_explode_or_vanish_with_the_scale(result):
    stats = result.frames["activations"]
    plain_last = stats[(stats.model == "plain") & (stats.layer == result.params["depth"])]
    assert plain_last["std"].max() > 1e3  # w = 1: explodes
    assert plain_last["std"].min() < 1e-10  # w = 1e-4: vanishes
    assert result.findings["last_layer_std_at_smallest_scale.plain"] < 1e-10


def test_with_bn_every_layer_keeps_a_similar_spread(result):
    stats = result.frames["activations"]
    bn = stats[stats.model == "batch_norm"]
    assert bn["std"].between(0.2, 1.0).all()
    assert bn["zero_fraction"].between(0.3, 0.7).all()  # ReLU of a standardized input
    assert result.findings["last_layer_std_at_smallest_scale.batch_norm"] > 0.2


def test_frames_are_long_format(result):
    p = result.params
    runs = len(result.frames["runs"])
    assert runs == 2 * p["n_scales"]
    assert len(result.frames["history"]) == runs * (p["epochs"] + 1) * 2 * 2
    assert len(result.frames["histograms"]) == runs * p["depth"] * p["bins"]


def test_summary_counts_the_scales(result):
    assert "BN 없이 0가지" in result.summary and "BN을 쓰면 5가지" in result.summary
