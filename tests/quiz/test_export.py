"""Anki export of the real question bank."""

import sqlite3
import zipfile

from studykit.quiz.bank import load_bank
from studykit.quiz.export import anki_deck, write_anki_package


def test_every_question_becomes_one_note_with_a_stable_guid():
    bank = load_bank()
    deck = anki_deck(bank)
    assert len(deck.notes) == len(bank.all_questions)
    assert len({note.guid for note in deck.notes}) == len(deck.notes)
    assert anki_deck(bank).notes[0].guid == deck.notes[0].guid  # same ids on every export


def test_apkg_file_holds_the_notes(tmp_path):
    bank = load_bank()
    path = write_anki_package(bank, tmp_path / "studykit.apkg")
    with zipfile.ZipFile(path) as archive:
        archive.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM notes").fetchone()
        (fields,) = connection.execute("SELECT flds FROM notes LIMIT 1").fetchone()
    assert count == len(bank.all_questions)
    assert "<li>" in fields  # key points rendered as a list
