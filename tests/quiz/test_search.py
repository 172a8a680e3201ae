"""Search over the bank: substring at once, lemmas once the index is built, ranking, links."""

import pytest

from studykit.quiz import search
from studykit.quiz.bank import Bank, load_bank


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def test_every_word_must_appear_and_question_matches_rank_first(bank):
    hits = search.search(bank, "기울기 소실", limit=1000)
    assert hits
    for hit in hits:
        text = " ".join(search._texts(hit.question).values()).lower()
        assert "기울기" in text and "소실" in text
    in_question = [h for h in hits if "question" in h.fields]
    assert in_question and hits[0].fields[0] == "question"
    for hit in hits:  # the snippet comes from the answer or key points, never the question
        assert (hit.snippet == "") == (set(hit.fields) == {"question"})
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_case_insensitive_and_blank_or_overlong_queries(bank):
    assert {h.question.id for h in search.search(bank, "relu", 1000)} == {
        h.question.id for h in search.search(bank, "ReLU", 1000)
    }
    assert search.search(bank, "   ") == []
    assert search.search(bank, "드" * 10_000) == []  # cut to 200 characters, no crash


def test_a_follow_up_links_to_its_parent(bank):
    child = next(q for q in bank.all_questions if q.parent)
    (hit,) = [h for h in search.search(bank, child.question, 1000) if h.question.id == child.id]
    assert hit.link_question == child.parent


@pytest.mark.timeout(300)
def test_lemmas_find_inflected_words_once_the_index_is_built(bank):
    small = Bank(topics=(bank.topic("vanishing_gradient"),))
    query = "소실되는 이유"  # no question contains the words as written
    assert search.search(small, query) == []
    search._build(small)  # what start_indexing runs in its thread
    assert search.index_ready(small)
    hits = search.search(small, query)
    assert hits and all(h.question.topic == "vanishing_gradient" for h in hits)
