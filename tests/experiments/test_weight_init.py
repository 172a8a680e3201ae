"""The claims of the weight-initialization experiment, with the default preset (seed 0).

Histograms: the "init histograms" setup of Deep Learning from Scratch §6.2 (docs/reference.md:
1,000 × 100 inputs from N(0, 1), 5 layers × 100 units, no bias). The measured numbers agree
with the published/reproduced ones:

| setup              | docs/reference.md                      | measured here (seed 0)       |
|--------------------|-----------------------------------|------------------------------|
| sigmoid + N(0, 1)  | ~76 % of layer-1 outputs saturated | 77 %                         |
| tanh + N(0, 1)     | ~85 % saturated                   | 86 %                         |
| sigmoid + 0.01     | std 0.025 → 0.012, all ≈ 0.5       | 0.025 → 0.014, 99.9 % in (0.4, 0.6) |
| sigmoid + Xavier   | std 0.21 → 0.12, none saturated    | 0.21 → 0.13, < 1 % saturated |
| ReLU + 0.01        | std → 0 by layer 5                 | 1.7e-6                       |
| ReLU + Xavier      | std 0.59 → 0.18 (shrinks)          | 0.59 → 0.17                  |
| ReLU + He          | std 0.83 → 1.00 (stable)           | 0.84 → 0.96                  |

"Xavier" is ``glorot_normal`` (√(2/(n_in+n_out))); for these square layers it is the book's
√(1/n) (``lecun_normal``) exactly, which ``test_glorot_equals_the_books_xavier_on_square_layers``
checks. Training (docs/reference.md "init on MNIST": std 0.01 → 2.305, no learning; Xavier 0.377;
He 0.286) agrees in shape: std 0.01 stays at ln 10 ≈ 2.303, He ends below Xavier.
"""

import numpy as np
import pytest

from studykit import experiments
from studykit.experiments import weight_init


@pytest.fixture(scope="module")
def result():
    return experiments.run("weight_init", preset="default")


def _layer_stats(result, initializer, activation):
    table = result.frames["activations"]
    rows = table[(table.initializer == initializer) & (table.activation == activation)]
    return rows.sort_values("layer")


def test_standard_normal_weights_saturate_sigmoid_and_tanh(result):
    f = result.findings
    assert 0.70 <= f["saturated_fraction.normal_1.sigmoid"] <= 0.82  # docs/reference.md: ~76 %
    assert 0.80 <= f["saturated_fraction.normal_1.tanh"] <= 0.90  # docs/reference.md: ~85 %
    # Saturation persists in every layer, not only the first.
    sigmoid = _layer_stats(result, "normal_1", "sigmoid")
    assert (sigmoid["saturated_fraction"] > 0.6).all()


def test_tiny_weights_collapse_sigmoid_outputs_to_one_half(result):
    f = result.findings
    assert 0.02 <= f["std_first.normal_0.01.sigmoid"] <= 0.03  # docs/reference.md: 0.025
    assert 0.008 <= f["std_last.normal_0.01.sigmoid"] <= 0.02  # docs/reference.md: 0.012
    assert f["saturated_fraction.normal_0.01.sigmoid"] == 0.0
    hist = result.frames["histograms"]
    tiny = hist[(hist.initializer == "normal_0.01") & (hist.activation == "sigmoid")]
    total = tiny["count"].sum()
    near_half = tiny[(tiny.bin_start >= 0.4 - 1e-9) & (tiny.bin_end <= 0.6 + 1e-9)]["count"].sum()
    assert near_half >= 0.99 * total  # 99 % of all outputs of all layers lie in (0.4, 0.6)
    outside = tiny[(tiny.bin_end <= 0.3 + 1e-9) | (tiny.bin_start >= 0.7 - 1e-9)]["count"].sum()
    assert outside == 0


def test_xavier_keeps_sigmoid_and_tanh_spread_and_unsaturated(result):
    f = result.findings
    assert 0.18 <= f["std_first.glorot_normal.sigmoid"] <= 0.24  # docs/reference.md: 0.21
    assert 0.09 <= f["std_last.glorot_normal.sigmoid"] <= 0.16  # docs/reference.md: 0.12
    assert (_layer_stats(result, "glorot_normal", "sigmoid")["saturated_fraction"] < 0.01).all()
    tanh = _layer_stats(result, "glorot_normal", "tanh")
    assert (tanh["std"] > 0.25).all() and (tanh["saturated_fraction"] < 0.1).all()


def test_relu_std_shrinks_with_xavier_and_stays_with_he(result):
    f = result.findings
    assert f["std_last.normal_0.01.relu"] < 1e-4  # docs/reference.md: → 0 by layer 5
    assert 0.5 <= f["std_first.glorot_normal.relu"] <= 0.7  # docs/reference.md: 0.59
    assert 0.12 <= f["std_last.glorot_normal.relu"] <= 0.25  # docs/reference.md: 0.18
    xavier = _layer_stats(result, "glorot_normal", "relu")["std"].to_numpy()
    assert (np.diff(xavier) < 0).all()  # shrinks layer after layer
    assert 0.75 <= f["std_first.he_normal.relu"] <= 0.95  # docs/reference.md: 0.83
    assert 0.75 <= f["std_last.he_normal.relu"] <= 1.25  # docs/reference.md: 1.00
    he = _layer_stats(result, "he_normal", "relu")["std"].to_numpy()
    assert he.max() / he.min() < 1.5


def test_training_on_digits_he_beats_xavier_and_tiny_weights_do_not_learn(result):
    f = result.findings
    assert f["final_loss.normal_0.01"] > 2.2  # docs/reference.md: 2.305 (no learning)
    assert f["final_accuracy.normal_0.01"] < 0.2
    assert f["final_loss.he_normal"] < f["final_loss.glorot_normal"] < 2.0  # reference order
    assert f["final_accuracy.he_normal"] > 0.8


def test_zero_init_never_breaks_the_symmetry(result):
    f = result.findings
    assert f["zero_init.distinct_units"] == 1.0
    assert f["zero_init.relative_unit_difference"] < 1e-6  # float rounding at most
    assert f["zero_init.first_layer_weight_norm"] > 0.0  # the weights did move...
    assert f["zero_init.final_accuracy"] < 0.3  # ...but all units learned the same thing
    symmetry = result.frames["symmetry"]
    assert (symmetry["distinct_units"] == 1).all() and (symmetry["units"] == 100).all()
    weights = result.frames["zero_init_weights"].pivot(
        index="input", columns="unit", values="weight"
    )
    spread = weights.max(axis=1) - weights.min(axis=1)  # every column (unit) is the same
    assert (spread <= 1e-6 * weights.abs().to_numpy().max()).all()


def test_distinct_units_tolerates_rounding_but_not_a_real_difference():
    rng = np.random.default_rng(0)
    column = rng.normal(size=(64, 1)) * 1e-4
    assert weight_init._distinct_units(np.repeat(column, 100, axis=1)) == 1
    rounded = np.repeat(column, 100, axis=1) + rng.normal(size=(64, 100)) * 1e-14
    assert weight_init._distinct_units(rounded) == 1
    assert weight_init._distinct_units(rng.normal(size=(64, 100))) == 100
    assert weight_init._distinct_units(np.zeros((64, 100))) == 1


def test_glorot_equals_the_books_xavier_on_square_layers():
    same = experiments.run(
        "weight_init",
        initializers=["glorot_normal", "lecun_normal"],
        activations=["relu"],
        train_initializers=["he_normal"],
        train_depth=1,
        epochs=1,
        symmetry_epochs=1,
    )
    stats = same.frames["activations"].set_index(["initializer", "layer"])["std"]
    np.testing.assert_array_equal(
        stats.loc["glorot_normal"].to_numpy(), stats.loc["lecun_normal"].to_numpy()
    )


def test_frames_are_long_format(result):
    p = result.params
    combos = len(p["initializers"]) * len(p["activations"])
    assert len(result.frames["activations"]) == combos * p["layers"]
    assert len(result.frames["histograms"]) == combos * p["layers"] * p["bins"]
    history = result.frames["history"]
    assert len(history) == len(p["train_initializers"]) * (p["epochs"] + 1) * 2 * 2


def test_summary_states_the_measured_numbers(result):
    assert "77%" in result.summary and "대칭성" in result.summary
    assert "0.59 → 0.17" in result.summary
