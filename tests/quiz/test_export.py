"""Anki export of the real question bank."""

import html
import sqlite3
import zipfile
from datetime import datetime, timezone

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


def _fields(deck, question_id):
    import genanki

    (note,) = [n for n in deck.notes if n.guid == genanki.guid_for("studykit", question_id)]
    return dict(zip([f["name"] for f in deck.notes[0].model.fields], note.fields)), note


def test_choice_options_are_on_the_front_and_explained_on_the_back():
    bank = load_bank()
    question = next(q for q in bank.all_questions if q.kind == "choice")
    fields, _ = _fields(anki_deck(bank), question.id)
    assert fields["Options"].count("<li>") == len(question.options)
    for option in question.options:
        assert html.escape(option.why) in fields["Answer"]
    assert "{{Options}}" in anki_deck(bank).notes[0].model.templates[0]["qfmt"]


def test_numeric_questions_keep_their_unit_on_both_sides():
    bank = load_bank()
    question = next(q for q in bank.all_questions if q.kind == "numeric" and q.unit)
    fields, _ = _fields(anki_deck(bank), question.id)
    assert f"(단위: {html.escape(question.unit)})" in fields["Question"]
    assert f"정답: {question.value:g} {html.escape(question.unit)}" in fields["Answer"]


def test_due_dates_travel_as_field_tag_and_new_card_order(tmp_path):
    bank = load_bank()
    ids = [q.id for q in bank.all_questions]
    later, sooner = ids[10], ids[20]
    due = {
        later: datetime(2026, 3, 1, 12, tzinfo=timezone.utc),
        sooner: datetime(2026, 2, 1, 12, tzinfo=timezone.utc),
    }
    deck = anki_deck(bank, due)
    (s_fields, s_note), (l_fields, l_note) = _fields(deck, sooner), _fields(deck, later)
    assert s_fields["Due"] == due[sooner].astimezone().strftime("%Y-%m-%d")
    assert f"studykit::due::{l_fields['Due']}" in l_note.tags
    assert (s_note.due, l_note.due) == (1, 2)  # cards with a date first, soonest first
    _, other = _fields(deck, ids[0])
    assert other.due == 3 and not any(t.startswith("studykit::due::") for t in other.tags)
    path = write_anki_package(bank, tmp_path / "due.apkg", due)
    with zipfile.ZipFile(path) as archive:
        archive.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as connection:
        dues = sorted(row[0] for row in connection.execute("SELECT due FROM cards"))
    assert dues[:3] == [1, 2, 3] and len(dues) == len(ids)
