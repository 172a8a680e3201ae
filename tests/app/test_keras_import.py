"""The app's background Keras import keeps out what only unused parts of Keras pull in:
scikit-learn (keras.wrappers: about 1.3 s of CPU) and, on TensorFlow, JAX (tf.lite imports it
whenever it is installed: about 110 MB the app never uses). Both import normally afterwards.
The objects the import leaves are then frozen for the garbage collector."""

import json
import os
import subprocess
import sys

import pytest

CHECK = """
import gc, json, sys
from studykit.ui import resources
resources.start_keras_import().join()
import keras
after = {
    "frozen": gc.get_freeze_count(),
    "backend": keras.backend.backend(),
    "jax_loaded": sys.modules.get("jax") is not None,
    "sklearn_loaded": sys.modules.get("sklearn") is not None,
}
from sklearn.datasets import load_digits  # the experiments' data still loads
after["digits"] = len(load_digits().target)
try:
    import jax  # importable again once Keras is loaded
    after["jax_importable"] = True
except ImportError:
    after["jax_importable"] = False
print(json.dumps(after))
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_the_background_import_leaves_out_what_the_app_does_not_use(backend, tmp_path):
    env = {"KERAS_BACKEND": backend, "KERAS_HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["backend"] == backend
    assert seen["jax_importable"]
    # Before the explicit imports above, JAX was loaded only where Keras needed it, and
    # scikit-learn not at all.
    assert seen["jax_loaded"] == (backend == "jax")
    assert not seen["sklearn_loaded"]
    assert seen["digits"] == 1797
    assert seen["frozen"] > 100_000  # the import's objects are left out of collections


def test_keras_json_chooses_the_backend_when_the_variable_is_unset(tmp_path, monkeypatch):
    from studykit.ui import resources

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert resources._configured_backend() == "tensorflow"  # no keras.json
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')
    assert resources._configured_backend() == "jax"
    (tmp_path / "keras.json").write_text("not json")
    assert resources._configured_backend() == "tensorflow"
