"""The app's background loads take turns: Kiwi (which holds the GIL for its whole load) waits
for the Keras import and for any experiment run or warm-up to finish."""

import threading

from studykit import experiments
from studykit.quiz import analyser
from studykit.ui import resources


def test_kiwi_loads_after_the_keras_import_and_once_experiments_are_idle(monkeypatch):
    keras_done, idle, loaded = threading.Event(), threading.Event(), threading.Event()
    keras_import = threading.Thread(target=keras_done.wait, daemon=True)
    keras_import.start()
    monkeypatch.setattr(resources, "start_keras_import", lambda: keras_import)
    monkeypatch.setattr(resources, "_KIWI_THREAD", [])
    monkeypatch.setattr(resources, "IDLE_POLL_S", 0.01)
    monkeypatch.setattr(experiments, "busy", lambda: not idle.is_set())
    monkeypatch.setattr(analyser, "is_loaded", lambda: False)
    halves = []

    def load(between):
        halves.append("constructed")
        between()
        halves.append("first call")
        loaded.set()

    monkeypatch.setattr(analyser, "load", load)

    resources.start_answer_check_loading()
    resources.start_answer_check_loading()  # a second page: still one loader
    assert len(resources._KIWI_THREAD) == 1
    assert not loaded.wait(0.2)  # Keras still importing
    keras_done.set()
    assert not loaded.wait(0.2)  # an experiment still running
    idle.set()
    assert loaded.wait(10)
    resources._KIWI_THREAD[0].join(10)
    assert halves == ["constructed", "first call"]


def test_the_second_half_of_the_load_waits_while_an_answer_check_can_finish_it(monkeypatch):
    class FakeKiwi:
        calls = 0

        def tokenize(self, text):
            FakeKiwi.calls += 1

    monkeypatch.setattr(analyser, "_kiwi", None)
    monkeypatch.setattr(analyser, "_constructed", None)
    monkeypatch.setattr(analyser, "_construct", FakeKiwi)
    seen = []

    def between():  # an answer check comes while the background load waits
        seen.append((analyser.is_loaded(), type(analyser._constructed).__name__))
        assert isinstance(analyser._load(), FakeKiwi)

    analyser.load(between=between)
    assert seen == [(False, "FakeKiwi")]
    assert analyser.is_loaded() and FakeKiwi.calls == 1  # constructed once, warmed once


def test_busy_while_a_run_holds_the_lock_or_a_warm_up_is_alive(monkeypatch):
    assert not experiments.busy()
    held, release = threading.Event(), threading.Event()

    def run():
        with experiments._RUNNING:
            held.set()
            release.wait()

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    assert held.wait(10)
    assert experiments.busy()
    release.set()
    runner.join(10)
    assert not experiments.busy()

    stopper = threading.Event()
    warming = threading.Thread(target=stopper.wait, daemon=True)
    monkeypatch.setattr(experiments, "_WARMING", [warming])
    warming.start()
    assert experiments.busy()
    stopper.set()
    warming.join(10)
    assert not experiments.busy()


def test_a_run_waits_until_the_background_import_has_lifted_its_blocks(monkeypatch):
    settled = threading.Event()
    monkeypatch.setattr(resources, "_KERAS_THREAD", [threading.current_thread()])
    monkeypatch.setattr(resources, "_KERAS_SETTLED", settled)
    waiter = threading.Thread(target=resources.wait_for_keras_import, daemon=True)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()
    assert not resources.keras_ready()
    settled.set()
    waiter.join(10)
    assert not waiter.is_alive()
    monkeypatch.setattr(resources, "_KERAS_THREAD", [])
    resources.wait_for_keras_import()  # no background import: returns at once
