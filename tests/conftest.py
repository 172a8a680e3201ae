import os
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The bank's parse cache goes to a fresh folder per test run, not the user's cache.
os.environ.setdefault("STUDYKIT_CACHE_DIR", tempfile.mkdtemp(prefix="studykit-cache-"))
