"""The quiz engine: question bank, grading, spaced-repetition scheduling and the SQLite store.

This package never imports Keras/TensorFlow or ``studykit.experiments``, so quiz pages
appear at once. Links from questions to experiments are checked against a catalog that the
caller passes in (the CLI and the app build it from ``studykit.experiments``).
"""
