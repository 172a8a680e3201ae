import os
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# No background warm-up runs when a test opens an experiment panel (they would only compete
# with the run the test starts); test_helpers.py turns it on for its own test.
os.environ.setdefault("STUDYKIT_WARM_UP", "0")

# The bank's parse cache goes to a fresh folder per test run, not the user's cache.
os.environ.setdefault("STUDYKIT_CACHE_DIR", tempfile.mkdtemp(prefix="studykit-cache-"))
