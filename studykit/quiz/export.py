"""Export the question bank as an Anki deck (.apkg) with genanki.

Ids are stable (derived from names), so importing a newer export updates the same notes in
Anki instead of duplicating them. Text is HTML-escaped: the bank is plain text.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import genanki

from studykit.quiz.bank import Bank, Question

_CSS = ".card { font-family: sans-serif; font-size: 18px; text-align: left; } li { margin: 4px 0; }"


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def _stable_id(name: str) -> int:
    # Anki ids are 32-bit-ish positive integers; derive them from a fixed name.
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) | (1 << 30)


MODEL = genanki.Model(
    _stable_id("studykit-model-v2"),
    "studykit 면접 질문 v2",
    fields=[
        {"name": "Question"},
        {"name": "Options"},
        {"name": "Answer"},
        {"name": "KeyPoints"},
        {"name": "FollowUps"},
        {"name": "Topic"},
        {"name": "Due"},
    ],
    templates=[
        {
            "name": "질문 → 답",
            "qfmt": (
                "<div class=topic>{{Topic}}</div><h3>{{Question}}</h3>"
                "{{#Options}}<ol>{{Options}}</ol>{{/Options}}"
            ),
            "afmt": (
                "{{FrontSide}}<hr id=answer><p>{{Answer}}</p>"
                "<b>핵심 포인트</b><ul>{{KeyPoints}}</ul><b>꼬리 질문</b><ul>{{FollowUps}}</ul>"
                "{{#Due}}<p class=due>studykit 복습 예정: {{Due}}</p>{{/Due}}"
            ),
        }
    ],
    css=_CSS,
)


def _items(texts: list[str]) -> str:
    return "".join(f"<li>{html.escape(text)}</li>" for text in texts)


def _options(question: Question) -> str:
    """The choices on the front: a choice question's options, a prediction's intervals."""
    if question.kind == "choice" and question.options:
        return _items([o.text for o in question.options])
    if question.kind == "predict" and question.predict is not None:
        return _items([o.text for o in question.predict.options])
    return ""


def _question(question: Question) -> str:
    text = html.escape(question.question)
    if question.kind == "numeric" and question.unit:
        text += f" (단위: {html.escape(question.unit)})"
    return text


def _answer(question: Question) -> str:
    text = html.escape(question.answer)
    if question.kind == "choice" and question.options:
        why = "".join(
            f"<li>{'⭕' if o.correct else '❌'} {html.escape(o.text)} — {html.escape(o.why)}</li>"
            for o in question.options
        )
        right = [o.text for o in question.options if o.correct]
        text = f"정답: {html.escape(', '.join(right))}<ul>{why}</ul>{text}"
    if question.kind == "numeric" and question.value is not None:
        unit = f" {question.unit}" if question.unit else ""
        tolerance = f" (허용 오차 ±{question.tolerance:g})" if question.tolerance else ""
        text = f"정답: {question.value:g}{html.escape(unit)}{tolerance}<br>{text}"
    return text


def anki_deck(bank: Bank, due: Mapping[str, datetime] | None = None) -> genanki.Deck:
    """The bank as a deck; with ``due`` (question id -> studykit due date) each card carries
    its date (a field and a ``studykit::due::YYYY-MM-DD`` tag) and new cards come in that order.

    genanki writes every card as a new card (no review history, no intervals), so Anki cannot
    take over the FSRS schedule itself; the new-card position is the closest it allows.
    """
    due = due or {}
    deck = genanki.Deck(_stable_id("studykit-deck-v1"), "studykit::딥러닝 면접")
    questions = [
        (topic, q)
        for topic in bank.topics
        for main in topic.questions
        for q in (main, *main.answered_follow_ups())
    ]
    order = sorted(
        range(len(questions)),
        key=lambda i: (questions[i][1].id not in due, due.get(questions[i][1].id, _NEVER), i),
    )
    for position, index in enumerate(order, start=1):
        topic, question = questions[index]
        when = due.get(question.id)
        day = when.astimezone().strftime("%Y-%m-%d") if when is not None else ""
        tags = [f"studykit::{topic.id}", question.kind] + ([f"studykit::due::{day}"] if day else [])
        deck.add_note(
            genanki.Note(
                model=MODEL,
                fields=[
                    _question(question),
                    _options(question),
                    _answer(question),
                    _items([p.point for p in question.key_points]),
                    _items(question.follow_up_texts),
                    html.escape(topic.title),
                    day,
                ],
                tags=tags,
                guid=genanki.guid_for("studykit", question.id),
                due=position,
            )
        )
    return deck


def write_anki_package(
    bank: Bank, path: Path | str, due: Mapping[str, datetime] | None = None
) -> Path:
    """Write the bank as an .apkg file at ``path`` and return the path."""
    path = Path(path)
    genanki.Package(anki_deck(bank, due)).write_to_file(str(path))
    return path
