"""The claims of the convolution-arithmetic experiment (no training, default preset)."""

import numpy as np
import pytest

from studykit import experiments
from studykit.experiments import conv_arithmetic


@pytest.fixture(scope="module")
def result():
    return experiments.run("conv_arithmetic", preset="default")


def test_output_size_formula_matches_keras_conv2d(result):
    f = result.findings
    assert f["output_size"] == 28 == f["keras_output_size"]  # 32, k=5, s=1, p=0
    assert f["formula_minus_keras"] == 0
    assert f["same_formula_minus_keras"] == 0


def test_textbook_cases_including_the_floor(result):
    sizes = result.frames["sizes"].set_index("case")
    resnet = sizes.loc["ResNet 첫 층"]
    assert resnet["keras"] == 112 and resnet["remainder"] == 1  # floor(223 / 2) + 1
    stride_two = sizes.loc["스트라이드 2, 나머지 버림"]
    assert stride_two["keras"] == 3 and stride_two["remainder"] == 1  # floor(5 / 2) + 1
    assert (sizes["formula"] == sizes["keras"]).all()
    assert (sizes["same_keras"] == np.ceil(sizes["n"] / sizes["s"])).all()


def test_each_output_is_the_sum_of_products_of_one_window(result):
    assert result.findings["manual_minus_keras"] < 1e-4
    sliding = result.frames["sliding"]
    side = result.findings["image_size"] - result.params["kernel_size"] + 1
    assert len(sliding) == side * side
    # Stride 1, no padding: the window of output (i, j) starts at input (i, j).
    assert (sliding["top"] == sliding["row"]).all() and (sliding["left"] == sliding["col"]).all()


def test_padding_keeps_the_size_and_no_padding_shrinks_it(result):
    f = result.findings
    assert f["same_size"] == f["image_size"] == 24
    assert f["valid_size"] == f["image_size"] - 2  # 3×3 Sobel: k - 1 = 2


def test_sobel_feature_map_equals_the_cross_correlation(result):
    maps = result.frames["feature_maps"]
    image = (
        maps[maps["filter"] == "input"].pivot(index="row", columns="col", values="value").to_numpy()
    )
    kernel = conv_arithmetic.SOBEL_X
    expected = np.array(
        [
            [np.sum(image[i : i + 3, j : j + 3] * kernel) for j in range(image.shape[1] - 2)]
            for i in range(image.shape[0] - 2)
        ]
    )
    valid = maps[(maps["filter"] == "sobel_x") & (maps["padding"] == "valid")]
    actual = valid.pivot(index="row", columns="col", values="value").to_numpy()
    np.testing.assert_allclose(actual, expected, atol=1e-5)
    assert np.abs(actual).max() > 1  # the digit has vertical edges


def test_max_pooling_keeps_the_largest_value_average_the_mean(result):
    f = result.findings
    assert f["pooled_size"] == f["valid_size"] // 2
    assert f["max_minus_average_min"] >= 0
    assert f["max_pool_mean"] > f["average_pool_mean"]
    pooling = result.frames["pooling"]
    feature = pooling[pooling.kind == "input"].pivot(index="row", columns="col", values="value")
    pooled = pooling[pooling.kind == "max"].pivot(index="row", columns="col", values="value")
    assert pooled.iloc[0, 0] == pytest.approx(feature.iloc[:2, :2].to_numpy().max())


def test_parameter_counts_match_keras_and_the_formula(result):
    f = result.findings
    assert f["params.conv"] == 5 * 5 * 3 * 64 + 64 == 4864
    assert f["params.dense_units"] == 32 * 32 * 3 * 64 + 64 == 196_672
    assert f["params.dense_full"] == 3072 * 28 * 28 * 64 + 28 * 28 * 64
    assert f["params_formula_minus_keras"] == 0
    params = result.frames["params"].set_index(["case", "layer"])
    assert params.loc[("32×32×3, Conv2D(64, 3)", "conv"), "keras_params"] == 1792


def test_resnet_stem_preset_drops_the_last_position():
    result = experiments.run("conv_arithmetic", preset="resnet_stem")
    assert result.findings["output_size"] == 112 == result.findings["keras_output_size"]
    assert result.findings["dropped_positions"] == 1


def test_a_kernel_larger_than_the_padded_input_is_a_clear_error():
    with pytest.raises(experiments.ParameterError, match="kernel_size"):
        experiments.run("conv_arithmetic", input_size=4, kernel_size=7, padding=0)
