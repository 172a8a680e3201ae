"""Export the question bank as an Anki deck (.apkg) with genanki.

Ids are stable (derived from names), so importing a newer export updates the same notes in
Anki instead of duplicating them. Text is HTML-escaped: the bank is plain text.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import genanki

from studykit.quiz.bank import Bank, Question

_CSS = ".card { font-family: sans-serif; font-size: 18px; text-align: left; } li { margin: 4px 0; }"


def _stable_id(name: str) -> int:
    # Anki ids are 32-bit-ish positive integers; derive them from a fixed name.
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) | (1 << 30)


MODEL = genanki.Model(
    _stable_id("studykit-model-v1"),
    "studykit 면접 질문",
    fields=[
        {"name": "Question"},
        {"name": "Answer"},
        {"name": "KeyPoints"},
        {"name": "FollowUps"},
        {"name": "Topic"},
    ],
    templates=[
        {
            "name": "질문 → 답",
            "qfmt": "<div class=topic>{{Topic}}</div><h3>{{Question}}</h3>",
            "afmt": (
                "{{FrontSide}}<hr id=answer><p>{{Answer}}</p>"
                "<b>핵심 포인트</b><ul>{{KeyPoints}}</ul><b>꼬리 질문</b><ul>{{FollowUps}}</ul>"
            ),
        }
    ],
    css=_CSS,
)


def _items(texts: list[str]) -> str:
    return "".join(f"<li>{html.escape(text)}</li>" for text in texts)


def _answer(question: Question) -> str:
    text = html.escape(question.answer)
    if question.kind == "choice" and question.options:
        right = [o.text for o in question.options if o.correct]
        text = f"정답: {html.escape(', '.join(right))}<br>{text}"
    if question.kind == "numeric" and question.value is not None:
        unit = f" {question.unit}" if question.unit else ""
        text = f"정답: {question.value:g}{html.escape(unit)}<br>{text}"
    return text


def anki_deck(bank: Bank) -> genanki.Deck:
    deck = genanki.Deck(_stable_id("studykit-deck-v1"), "studykit::딥러닝 면접")
    for topic in bank.topics:
        for question in [
            q for main in topic.questions for q in (main, *main.answered_follow_ups())
        ]:
            deck.add_note(
                genanki.Note(
                    model=MODEL,
                    fields=[
                        html.escape(question.question),
                        _answer(question),
                        _items([p.point for p in question.key_points]),
                        _items(question.follow_up_texts),
                        html.escape(topic.title),
                    ],
                    tags=[f"studykit::{topic.id}", question.kind],
                    guid=genanki.guid_for("studykit", question.id),
                )
            )
    return deck


def write_anki_package(bank: Bank, path: Path | str) -> Path:
    """Write the bank as an .apkg file at ``path`` and return the path."""
    path = Path(path)
    genanki.Package(anki_deck(bank)).write_to_file(str(path))
    return path
