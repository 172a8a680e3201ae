"""Question bank loading and validation: the real files and malformed ones."""

import textwrap

import pytest

from studykit.cli import experiment_catalog
from studykit.quiz.bank import BankError, load_bank, load_bank_partial

VALID_TOPIC = """
topic:
  id: sample
  title: 예시 주제
  order: 1
  summary: 검증용 예시
questions:
  - id: sample-free
    kind: free
    difficulty: 1
    question: 질문?
    answer: 답입니다.
    key_points:
      - point: 기울기 소실
        synonyms: [vanishing gradient]
      - point: 미분값
    follow_ups: ["꼬리 질문?"]
    notes: [004_a0cbd5e94b658168]
    experiment: {name: vanishing_gradient, preset: tiny, look_at: 그래프를 보세요.}
"""


def write(tmp_path, text, name="sample.yaml"):
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_real_bank_loads_with_every_topic_having_at_least_6_questions():
    bank = load_bank()
    assert len(bank.topics) >= 1
    for topic in bank.topics:
        assert len(topic.questions) >= 6, topic.id
        assert all(q.topic == topic.id for q in topic.questions)


def test_skeleton_topic_has_the_relu_question_backed_by_the_experiment():
    question = load_bank().question("activation-relu-vs-sigmoid")
    assert "ReLU" in question.question and question.kind == "free"
    assert question.experiment.name == "vanishing_gradient"
    assert len(question.key_points) >= 2


def test_valid_file_loads(tmp_path):
    bank = load_bank(write(tmp_path, VALID_TOPIC), experiments=experiment_catalog())
    (question,) = bank.questions
    assert question.id == "sample-free" and question.topic == "sample"
    assert question.key_points[0].terms == ["기울기 소실", "vanishing gradient"]


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("    kind: free\n", "    kind: essay\n", "question 'sample-free': field `kind`"),
        ("    difficulty: 1\n", "    difficulty: 5\n", "field `difficulty`"),
        ("    question: 질문?\n", "", "field `question`: required field is missing"),
        ("    answer: 답입니다.\n", "    answer: ''\n", "field `answer`"),
        ('    follow_ups: ["꼬리 질문?"]\n', "    follow_ups: []\n", "follow_ups"),
        ("      - point: 미분값\n", "", "key_points: a free-answer question needs at least 2"),
        ("[004_a0cbd5e94b658168]", "[999_nope]", "notes: unknown note"),
        ("name: vanishing_gradient", "name: warp_drive", "unknown experiment 'warp_drive'"),
        ("preset: tiny", "preset: huge", "has no preset 'huge'"),
        ("  id: sample\n", "  id: other\n", "field `topic.id`: is 'other', must be 'sample'"),
        ("  - id: sample-free\n", "  - id: Sample Free\n", "field `id`"),
        (
            "    difficulty: 1\n",
            "    difficulty: 1\n    colour: red\n",
            "field `colour`: unknown field",
        ),
        ("questions:\n", "questions: []\nx:\n", "field `questions`"),
        ("    kind: free\n", "    kind: choice\n", "options: a choice question needs at least 2"),
        ("    kind: free\n", "    kind: numeric\n", "numeric question needs both `value`"),
        ("    kind: free\n", "    kind: predict\n", "predict question needs both blocks"),
        ("    question: 질문?\n", "    question: [질문]\n", "field `question`: must be text"),
        ("  title: 예시 주제\n", "", "field `topic.title`: required field is missing"),
        ("  order: 1\n", "  order: 0\n", "field `topic.order`"),
        (
            '    follow_ups: ["꼬리 질문?"]\n',
            "    follow_ups: [a, b, c, d]\n",
            "field `follow_ups`",
        ),
        ("look_at: 그래프를 보세요.", "look_at: ''", "field `experiment.look_at`"),
    ],
)
def test_malformed_file_names_file_question_and_field(tmp_path, old, new, expected):
    assert old in VALID_TOPIC
    write(tmp_path, VALID_TOPIC.replace(old, new, 1))
    with pytest.raises(BankError) as caught:
        load_bank(tmp_path, experiments=experiment_catalog())
    message = str(caught.value)
    assert "sample.yaml" in message
    assert expected in message, message


def test_invalid_yaml_and_empty_folder(tmp_path):
    with pytest.raises(BankError, match="no question files"):
        load_bank(tmp_path)
    write(tmp_path, "topic: [unclosed\n")
    with pytest.raises(BankError, match="sample.yaml: not valid YAML"):
        load_bank(tmp_path)


def test_duplicate_ids_across_files_are_errors(tmp_path):
    write(tmp_path, VALID_TOPIC)
    write(tmp_path, VALID_TOPIC.replace("id: sample\n", "id: other\n"), name="other.yaml")
    with pytest.raises(BankError, match="field `id`: .sample-free. is already used in other.yaml"):
        load_bank(tmp_path)


def test_choice_and_predict_rules(tmp_path):
    choice = VALID_TOPIC.replace(
        "    kind: free\n",
        "    kind: choice\n    options:\n"
        "      - {text: a, correct: false, why: 아님}\n"
        "      - {text: b, correct: false, why: 아님}\n",
    )
    write(tmp_path, choice)
    with pytest.raises(BankError, match="mark at least one option"):
        load_bank(tmp_path)
    predict = VALID_TOPIC.replace(
        "    kind: free\n",
        "    kind: predict\n    predict:\n      finding: x\n      options:\n"
        "        - {text: 작다, high: 0.5}\n        - {text: 크다, low: 0.4}\n",
    )
    write(tmp_path, predict)
    with pytest.raises(BankError, match="non-overlapping"):
        load_bank(tmp_path)


def test_partial_load_keeps_the_valid_questions(tmp_path):
    write(tmp_path, VALID_TOPIC)
    broken = (
        VALID_TOPIC.replace("id: sample\n", "id: other\n")
        .replace("sample-free", "other-free")
        .replace("difficulty: 1", "difficulty: 9")
    )
    write(tmp_path, broken, name="other.yaml")
    bank, problems = load_bank_partial(tmp_path)
    assert [q.id for q in bank.questions] == ["sample-free"]
    assert len(problems) == 1 and "other-free" in problems[0]


def test_real_bank_experiment_links_all_resolve():
    bank = load_bank(experiments=experiment_catalog())
    assert len(bank.questions) >= 150
    linked = {q.experiment.name for q in bank.questions if q.experiment}
    assert "vanishing_gradient" in linked
    assert any(q.kind == "predict" for q in bank.questions)


ALIAS_BOMB = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
topic: *i
"""


def test_alias_bomb_is_refused_quickly_and_the_other_files_load(tmp_path):
    import resource
    import time

    write(tmp_path, VALID_TOPIC)
    write(tmp_path, ALIAS_BOMB, name="bomb.yaml")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    bank, problems = load_bank_partial(tmp_path)
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB
    assert [q.id for q in bank.questions] == ["sample-free"]
    assert problems == [problems[0]] and "bomb.yaml: not valid YAML" in problems[0]
    assert "aliases" in problems[0] and len(problems[0]) < 500


def test_deep_nesting_is_refused(tmp_path):
    write(tmp_path, "topic: " + "[" * 5000 + "]" * 5000 + "\n", name="deep.yaml")
    with pytest.raises(BankError, match="deep.yaml: not valid YAML.*(nested deeper|nesting depth)"):
        load_bank(tmp_path)


def test_os_errors_are_reported_per_file(tmp_path, monkeypatch):
    write(tmp_path, VALID_TOPIC)
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "missing")
    write(tmp_path, VALID_TOPIC.replace("id: sample\n", "id: locked\n"), name="locked.yaml")
    real_read = type(tmp_path).read_text

    def read_text(self, *args, **kwargs):
        if self.name == "locked.yaml":
            raise PermissionError(13, "Permission denied")
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(type(tmp_path), "read_text", read_text)
    bank, problems = load_bank_partial(tmp_path)
    assert [q.id for q in bank.questions] == ["sample-free"]
    text = "\n".join(problems)
    assert "folder.yaml: not a regular file" in text
    assert "dangling.yaml: cannot read the file" in text
    assert "locked.yaml: cannot read the file (Permission denied)" in text


def test_one_bad_entry_costs_only_that_entry(tmp_path):
    write(tmp_path, VALID_TOPIC + "  - just a string\n")
    bank, problems = load_bank_partial(tmp_path)
    assert [q.id for q in bank.questions] == ["sample-free"]
    assert problems == ["sample.yaml: question #2: must be a mapping of fields"]


def test_duplicate_id_keeps_the_first_and_names_both_files(tmp_path):
    write(tmp_path, VALID_TOPIC.replace("id: sample\n", "id: alpha\n"), name="alpha.yaml")
    write(tmp_path, VALID_TOPIC.replace("id: sample\n", "id: beta\n"), name="beta.yaml")
    bank, problems = load_bank_partial(tmp_path)
    assert [(q.id, q.topic) for q in bank.questions] == [("sample-free", "alpha")]
    assert len(problems) == 1 and "beta.yaml" in problems[0] and "alpha.yaml" in problems[0]


@pytest.mark.parametrize(
    "options, expected",
    [
        ("{text: a, low: 2, high: 1}", "must be below high"),
        ("{text: a, low: .nan, high: 1}", "finite"),
    ],
)
def test_inverted_or_nan_intervals_are_refused(tmp_path, options, expected):
    predict = VALID_TOPIC.replace(
        "    kind: free\n",
        f"    kind: predict\n    predict:\n      finding: x\n      options:\n"
        f"        - {options}\n        - {{text: b, low: 3}}\n",
    )
    write(tmp_path, predict)
    with pytest.raises(BankError, match=expected):
        load_bank(tmp_path)


@pytest.mark.parametrize(
    "fields", ["value: .nan\n    tolerance: 0", "value: 1\n    tolerance: .inf"]
)
def test_non_finite_numeric_answers_are_refused(tmp_path, fields):
    numeric = VALID_TOPIC.replace("    kind: free\n", f"    kind: numeric\n    {fields}\n")
    write(tmp_path, numeric)
    with pytest.raises(BankError, match="finite"):
        load_bank(tmp_path)


def test_topic_id_mismatch_is_an_error_not_a_rename(tmp_path):
    write(tmp_path, VALID_TOPIC, name="renamed.yaml")
    bank, problems = load_bank_partial(tmp_path)
    assert bank.topics == () and "must be 'renamed'" in problems[0]


def test_parse_cache_is_reused_and_follows_edits(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "q"
    folder.mkdir()
    write(folder, VALID_TOPIC)
    first = load_bank(folder)
    assert len(list((tmp_path / "cache").glob("sample-*.pickle"))) == 1
    assert load_bank(folder).questions == first.questions
    write(folder, VALID_TOPIC.replace("question: 질문?", "question: 바뀐 질문?"))
    assert load_bank(folder).questions[0].question == "바뀐 질문?"
