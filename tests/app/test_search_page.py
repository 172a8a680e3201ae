"""The 검색 page: hits link to their question, and the topic page opens the linked question."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from studykit.quiz.bank import load_bank

APP = str(Path(__file__).parents[2] / "app.py")


def test_search_lists_hits_that_link_to_the_question(db_path):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/search.py").run()
    assert not at.exception and not at.get("page_link")
    at.text_input(key="search-query").input("ReLU 죽은").run()
    assert not at.exception
    links = at.get("page_link")
    assert links
    bank = load_bank()
    for link in links:
        (question_id,) = [p.split("=", 1)[1] for p in link.proto.query_string.split("&")]
        question = bank.question(question_id)
        assert link.proto.page == question.topic and question.parent is None  # url_path
    at.text_input(key="search-query").input("없는낱말조합xyz").run()
    assert any("들어 있는 문항이 없습니다" in i.value for i in at.info)


def test_a_linked_question_opens_on_its_topic_page(db_path):
    topic = load_bank().topic("activation")
    target = topic.questions[3]
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/activation.py")
    at.query_params["q"] = target.id
    at.run()
    assert not at.exception
    opened = [e.label for e in at.expander if e.proto.expanded]
    assert len(opened) == 1 and opened[0].startswith("Q4.")
    at.query_params["q"] = "no-such-question"
    at.run()
    assert any("링크한 문항을 이 주제에서 찾을 수 없습니다" in w.value for w in at.warning)
