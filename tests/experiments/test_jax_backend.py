"""The experiments on Keras' JAX backend (CPU), in a subprocess: each tiny preset runs, gives
finite findings under the same names as on TensorFlow, repeats exactly, and the claims that
a tiny run can already show hold in relative terms (orders of magnitude, rankings), which do
not depend on float rounding (TF32 matrix multiplications on GPUs, fused kernels).

The whole contract on JAX: KERAS_BACKEND=jax pytest tests/experiments/test_registry.py.
"""

import json
import os
import subprocess
import sys

import pytest

from studykit import experiments

NAMES = ["vanishing_gradient", "dropout", "batch_norm", "xor", "minibatch", "optimizer_training"]

RUN = """
import json, math, sys
from studykit import experiments
import keras
assert keras.backend.backend() == "jax", keras.backend.backend()
out = {}
for name in sys.argv[1:]:
    first = experiments.run(name, preset="tiny").findings
    again = experiments.run(name, preset="tiny").findings
    same = all(a == again[k] or (math.isnan(a) and math.isnan(again[k])) for k, a in first.items())
    out[name] = {"findings": first, "repeats": same}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def jax_runs():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", RUN, *NAMES],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(700)
@pytest.mark.parametrize("name", NAMES)
def test_tiny_runs_on_jax_repeat_exactly_with_the_same_finding_names(name, jax_runs):
    on_tf = experiments.run_cached(name, preset="tiny").findings
    on_jax = jax_runs[name]
    assert on_jax["repeats"]
    assert set(on_jax["findings"]) == set(on_tf)


def test_claims_that_a_tiny_run_shows_hold_on_jax(jax_runs):
    vanishing = jax_runs["vanishing_gradient"]["findings"]
    # Sigmoid's first-layer gradient is far smaller relative to the last layer's than ReLU's.
    ratio_sigmoid = vanishing["first_to_last_grad_ratio.sigmoid"]
    assert ratio_sigmoid < vanishing["first_to_last_grad_ratio.relu"] / 3
    dropout = jax_runs["dropout"]["findings"]
    assert dropout["demo.kept_scale"] == pytest.approx(2.0)  # 1/(1 − 0.5), inverted dropout
    assert dropout["network.repeat_predict_max_diff"] == 0.0  # inference is deterministic
    minibatch = jax_runs["minibatch"]["findings"]
    sizes = sorted(int(k.split(".")[1]) for k in minibatch if k.startswith("updates_per_epoch."))
    for size in sizes:
        assert (
            minibatch[f"updates_per_epoch.{size}"]
            == minibatch[f"expected_updates_per_epoch.{size}"]
        )
    assert (
        minibatch[f"loss_noise.{sizes[0]}"] > minibatch[f"loss_noise.{sizes[1]}"]
    )  # m = 1 noisier
