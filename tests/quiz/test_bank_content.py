"""The shipped bank's content: answered follow-ups, misconceptions, literal rendering."""

import pytest
from markdown_it import MarkdownIt

from studykit.quiz.bank import load_bank
from studykit.ui.text import plain

RENDER = MarkdownIt("commonmark").enable(["strikethrough", "table"])


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def _texts(question):
    yield question.question
    yield question.answer
    yield from (p.point for p in question.key_points)
    for misconception in question.misconceptions:
        yield misconception.claim
        yield misconception.correction
    yield from question.follow_up_texts
    if question.common_mistake:
        yield question.common_mistake
    for option in question.options or []:
        yield option.text
        yield option.why


def _rendered_text(markdown: str) -> str:
    tokens = RENDER.parse(markdown)
    words = []
    for token in tokens:
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append("\n")
    return "".join(words)


def test_every_follow_up_is_answered(bank):
    unanswered = [q.id for q in bank.questions for f in q.follow_ups if isinstance(f, str)]
    assert unanswered == []


def test_every_free_question_lists_a_misconception(bank):
    missing = [q.id for q in bank.questions if q.kind == "free" and not q.misconceptions]
    assert missing == []


def test_bank_size_targets(bank):
    assert len(bank.questions) >= 260
    for topic in bank.topics:
        assert len(topic.questions) >= 10, topic.id


def test_bank_text_renders_exactly_as_written(bank):
    for question in bank.all_questions:
        for text in _texts(question):
            assert _rendered_text(plain(text)).replace("\n", " ") == " ".join(text.split("\n")), (
                question.id,
                text,
            )


def test_model_answers_do_not_quote_the_notes(bank):
    quoting = [q.id for q in bank.all_questions if "노트에서" in q.answer or "노트는" in q.answer]
    assert quoting == []


def test_plain_escapes_single_tildes_and_other_markdown():
    assert plain("대략 4~5분의 1 ~ 2") == "대략 4\\~5분의 1 \\~ 2"
    assert plain("*a* _b_ $x$ :red[c]") == "\\*a\\* \\_b\\_ \\$x\\$ \\:red\\[c\\]"
