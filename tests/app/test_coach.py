"""The mock-interview coach in AppTest: settings, follow-up, grading, time limit, history."""

from datetime import timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from studykit.quiz.bank import load_bank
from studykit.quiz.store import Store

APP = str(Path(__file__).parents[2] / "app.py")


def coach() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("app_pages/interview.py")
    return at.run()


def _button(at: AppTest, label: str):
    (button,) = [b for b in at.button if b.label == label]
    return button


def _answer_key(at: AppTest) -> str:
    (key,) = [w.key for w in at.text_area if w.key.startswith("coach-answer-")]
    return key


def _start(at: AppTest, count: int, seconds: int) -> dict:
    at.multiselect(key="coach-topics").set_value(["activation"])
    at.number_input(key="coach-count").set_value(count)
    at.number_input(key="coach-seconds").set_value(seconds)
    _button(at, "면접 시작").click().run()
    assert not at.exception
    return at.session_state["coach"]


def test_a_question_and_its_follow_up_are_graded_scheduled_and_saved(db_path):
    bank = load_bank()
    at = coach()
    state = _start(at, count=2, seconds=120)
    assert len(state["plan"]) == 2
    main_id, follow_id = state["plan"][0]
    main, follow = bank.question(main_id), bank.question(follow_id)
    assert main.topic == "activation" and follow.parent == main_id
    (clock,) = [c.value for c in at.caption if "남은 시간" in c.value]
    minutes, seconds = clock.split()[-1].split(":")
    assert 90 <= int(minutes) * 60 + int(seconds) <= 120
    at.text_area(key=_answer_key(at)).input(main.answer)
    _button(at, "답변 제출").click().run()
    assert any("꼬리 질문" in s.value for s in at.subheader)  # the interviewer follows up
    at.text_area(key=_answer_key(at)).input("잘 모르겠습니다")
    _button(at, "답변 제출").click().run()
    assert not at.exception
    (entry,) = at.session_state["coach"]["report"]
    first, second = entry["parts"]
    assert (first["question_id"], second["question_id"]) == (main_id, follow_id)
    assert first["score"] > 0.5 and first["answer"] == main.answer
    assert second["score"] == 0 and second["rating"] == 1  # nothing stated: 다시
    assert any(m.value.startswith("- ✅") for m in at.markdown)
    reviews = Store(db_path).reviews()
    assert [(r["question_id"], r["rating"]) for r in reviews] == [
        (main_id, first["rating"]),
        (follow_id, 1),
    ]
    (saved,) = Store(db_path).mock_interviews()
    assert saved["finished_at"] is None and saved["report"] == [entry]  # saved as it goes
    assert saved["settings"]["topics"] == ["activation"] and saved["settings"]["seconds"] == 120


def test_time_running_out_closes_the_answer_and_submits_what_was_typed(db_path):
    at = coach()
    state = _start(at, count=1, seconds=30)
    at.text_area(key=_answer_key(at)).input("시간 안에 다 못 쓴 답")
    state["part_started"] -= timedelta(seconds=31)  # the countdown has run out
    at.run()
    assert not at.exception
    assert any("앞 답변을 적은 데까지 제출" in w.value for w in at.warning)
    assert state["part"] == 1 and state["answers"][0][0] == "시간 안에 다 못 쓴 답"
    assert state["answers"][0][1] == 30.0 and state["answers"][0][2] is True
    state["part_started"] -= timedelta(seconds=40)
    at.run()  # the follow-up times out with an empty answer
    (entry,) = state["report"]
    assert [p["timed_out"] for p in entry["parts"]] == [True, True]
    assert [p["seconds"] for p in entry["parts"]] == [30.0, 30.0]
    assert any("시간 초과로 자동 제출" in c.value for c in at.caption)
    _button(at, "면접 마치기").click().run()
    table = at.dataframe[0].value
    assert list(table["걸린 시간 (초)"]) == [60]
    (saved,) = Store(db_path).mock_interviews()
    assert saved["finished_at"] is not None
    _button(at, "새 면접 시작").click().run()
    (history,) = [e for e in at.expander if "질문 1개" in e.label]
    assert "중단됨" not in history.label
    assert any("시간 안에 다 못 쓴 답" in m.value for m in at.markdown)


def test_bad_settings_get_a_korean_message_and_start_nothing(db_path):
    at = coach()
    at.number_input(key="coach-seconds").set_value(10)
    _button(at, "면접 시작").click().run()
    assert not at.exception
    assert any("0(제한 없음) 또는 30~900초" in e.value for e in at.error)
    assert "coach" not in at.session_state
    at.number_input(key="coach-seconds").set_value(60)
    at.multiselect(key="coach-levels").set_value([])
    _button(at, "면접 시작").click().run()
    assert any("난이도를 하나 이상" in e.value for e in at.error)


def test_leaving_midway_keeps_the_finished_questions_in_the_history(db_path):
    at = coach()
    _start(at, count=2, seconds=0)
    assert not any("남은 시간" in c.value for c in at.caption)  # no limit: no countdown
    for text in ("첫 답", "꼬리 답"):
        at.text_area(key=_answer_key(at)).input(text)
        _button(at, "답변 제출").click().run()
    _button(at, "면접 그만두기").click().run()
    assert not at.exception and "coach" not in at.session_state
    (history,) = [e for e in at.expander if "질문 1개" in e.label]
    assert "중단됨" in history.label
    (saved,) = Store(db_path).mock_interviews()
    assert saved["finished_at"] is None and len(saved["report"]) == 1


def test_a_malformed_history_entry_is_a_korean_warning_not_a_traceback(db_path):
    from datetime import datetime, timezone

    Store(db_path).save_mock_interview(
        {"count": 1}, [{"parts": [{"question": "빠진 칸"}]}], datetime.now(timezone.utc)
    )
    at = coach()
    assert not at.exception
    assert any("형식이 맞지 않아" in w.value for w in at.warning)


def test_interviews_saved_by_an_earlier_version_are_listed(db_path):
    from datetime import datetime, timedelta, timezone

    started = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    Store(db_path).save_interview(
        "activation-relu-vs-sigmoid",
        {"main": "예전 첫 답", "follow_up_1": "예전 꼬리 답"},
        started,
        started + timedelta(minutes=3),
        180,
    )
    at = coach()
    assert not at.exception
    assert any(e.label == "이전 버전의 면접 기록 1회" for e in at.expander)
    shown = [m.value for m in at.markdown]
    assert "예전 첫 답" in shown and "예전 꼬리 답" in shown
    assert any(c.value == "꼬리 질문 1" for c in at.caption)
