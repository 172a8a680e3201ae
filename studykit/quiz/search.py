"""Search the whole bank (question, answer, key points), Korean-aware.

A query matches a question when every one of its words appears in the question's text. A word
is looked up as written (case-insensitive substring) and, once the lemma index is ready, also
by its lemma (Kiwi's dictionary form, the grader's analyser): '소실되는' finds '소실',
'생겨요' finds '생기다'. The index is built in a background thread because analysing the
whole bank takes seconds (``start_indexing``); until then search is by substring only.
Matches in the question count most, then key points, then the model answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from studykit.quiz import analyser as kiwi
from studykit.quiz.bank import Bank, Question

MAX_QUERY_CHARS = 200
WEIGHTS = {"question": 3.0, "key_points": 2.0, "answer": 1.0}
FIELD_LABELS = {"question": "질문", "key_points": "핵심 포인트", "answer": "모범 답안"}


@dataclass(frozen=True)
class Hit:
    question: Question
    score: float
    fields: tuple[str, ...]  # where the words were found, best first
    snippet: str  # from the answer or key points ('' when only the question matched)

    @property
    def link_question(self) -> str:
        """The question to open on the topic page (a follow-up opens under its parent)."""
        return self.question.parent or self.question.id


def _texts(question: Question) -> dict[str, str]:
    points = " ".join(t for p in question.key_points for t in p.terms)
    return {"question": question.question, "answer": question.answer, "key_points": points}


# --- the lemma index, built once per bank in the background ----------------------------

_lock = threading.Lock()
# id(bank) -> (bank, index); holding the bank keeps its id from being reused by another one
_indexes: dict[int, tuple[Bank, dict[str, dict[str, frozenset[str]]]]] = {}
_building: set[int] = set()


def _lemmas(analyser: kiwi.Analyser, text: str) -> frozenset[str]:
    return frozenset(
        lemma.text.lower()
        for sentence in analyser.sentences(text)
        for lemma in sentence.lemmas
        if lemma.text != kiwi.NOT
    )


def _build(bank: Bank) -> None:
    """Analyse every question; if that fails, search stays by substring (and may retry)."""
    from studykit.quiz.grading import default_analyser

    try:
        analyser = default_analyser()
        index = {
            q.id: {name: _lemmas(analyser, text) for name, text in _texts(q).items()}
            for q in bank.all_questions
        }
        with _lock:
            _indexes[id(bank)] = (bank, index)
    finally:
        with _lock:
            _building.discard(id(bank))


def start_indexing(bank: Bank) -> None:
    """Build the lemma index of ``bank`` in a background thread (once)."""
    with _lock:
        if id(bank) in _indexes or id(bank) in _building:
            return
        _building.add(id(bank))
    threading.Thread(target=_build, args=(bank,), name="search-index", daemon=True).start()


def index_ready(bank: Bank) -> bool:
    return id(bank) in _indexes


# --- searching ------------------------------------------------------------------------


def _snippet(text: str, words: list[str], width: int = 80) -> str:
    lowered = text.lower()
    start = min((lowered.find(w) for w in words if w in lowered), default=0)
    begin = max(0, start - width // 3)
    piece = text[begin : begin + width]
    return ("…" if begin else "") + piece + ("…" if begin + width < len(text) else "")


def search(bank: Bank, query: str, limit: int = 30) -> list[Hit]:
    """The best ``limit`` questions for ``query`` (empty for a blank query)."""
    query = kiwi.normalize(query)[:MAX_QUERY_CHARS].strip()
    words = [w.lower() for w in query.split()]
    if not words:
        return []
    index = _indexes[id(bank)][1] if id(bank) in _indexes else None
    query_lemmas: list[str] = []
    if index is not None:
        from studykit.quiz.grading import default_analyser

        query_lemmas = sorted(_lemmas(default_analyser(), query))
    hits = []
    for question in bank.all_questions:
        texts = {name: kiwi.normalize(t).lower() for name, t in _texts(question).items()}
        lemmas = index.get(question.id, {}) if index is not None else {}
        score, fields = 0.0, set()
        for word in words:
            where = {name for name, text in texts.items() if word in text}
            score += sum(WEIGHTS[name] for name in where)
            fields |= where
        by_words = all(any(w in text for text in texts.values()) for w in words)
        by_lemmas = bool(query_lemmas) and all(
            any(lemma in found or lemma in texts[name] for name, found in lemmas.items())
            for lemma in query_lemmas
        )
        if not (by_words or by_lemmas):
            continue
        for lemma in query_lemmas:
            where = {name for name, found in lemmas.items() if lemma in found}
            score += 0.5 * sum(WEIGHTS[name] for name in where)
            fields |= where
        ordered = tuple(sorted(fields, key=lambda name: -WEIGHTS[name]))
        # the question is the link's label; the snippet shows where else the words are
        others = [name for name in ordered if name != "question"]
        snippet = _snippet(_texts(question)[others[0]], words + query_lemmas) if others else ""
        hits.append(Hit(question, score, ordered, snippet))
    hits.sort(key=lambda hit: -hit.score)
    return hits[:limit]
