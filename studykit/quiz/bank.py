"""Load and validate the question bank (questions/*.yaml, one file per topic).

Every error names the file, the question id and the field, and says how to fix it; see
docs/questions.md for the format.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import pydantic
import yaml
from pydantic import Field, PrivateAttr, model_validator

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "questions"
NOTES_DIR_ENV = "STUDYKIT_NOTES_DIR"
QUESTIONS_DIR_ENV = "STUDYKIT_QUESTIONS_DIR"

# Note stems the questions may cite (files in ../shared/notes/).
NOTE_STEMS = frozenset(
    {
        "000_49492a1841c95e72",
        "001_8712d792e2eeb08d",
        "002_71a94eea90a37c0a",
        "003_7c1080f910d423e7",
        "004_a0cbd5e94b658168",
    }
)

KIND_LABELS = {"free": "서술형", "choice": "객관식", "numeric": "수치형", "predict": "예측 후 실행"}

Text = Annotated[str, Field(min_length=1)]


class BankError(ValueError):
    """The question bank is invalid. ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"- {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the question bank:\n{shown}")


class _Model(pydantic.BaseModel):
    # YAML reads `- 0.25` as a number; text fields accept it as the string "0.25".
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


def pattern_groups(pattern: str) -> list[list[str]]:
    """Split a detection pattern 'a | b + c' into concept groups [['a', 'b'], ['c']].

    Every group must be mentioned in one sentence; any alternative of a group counts.
    """
    groups = [[alt.strip() for alt in group.split("|")] for group in pattern.split("+")]
    if any(not alt for group in groups for alt in group):
        raise ValueError(
            f"pattern {pattern!r} has an empty part; write concepts joined by '+', "
            "alternatives by '|', e.g. '시그모이드 | sigmoid + 미분값 1'"
        )
    return groups


def _finite(value: float | None, name: str) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")


class KeyPoint(_Model):
    point: Text
    synonyms: list[Text] = Field(default_factory=list)
    requires: list[Text] = Field(default_factory=list)
    quantity: list[Text] = Field(default_factory=list)
    value: float | None = None
    tolerance: Annotated[float, Field(ge=0)] = 0.0

    @model_validator(mode="after")
    def _claim_fields(self):
        for group in self.requires:
            pattern_groups(group)
        if (self.value is None) != (not self.quantity):
            raise ValueError("quantity/value: give both (the quantity's names and its value)")
        _finite(self.value, "value")
        _finite(self.tolerance, "tolerance")
        return self

    @property
    def terms(self) -> list[str]:
        """The phrases that count as mentioning this point (the point itself included)."""
        return [self.point, *self.synonyms]

    @property
    def required_groups(self) -> list[list[str]]:
        """Concept groups that must also appear in the sentence that states the point."""
        return [alt for group in self.requires for alt in pattern_groups(group)]


class Misconception(_Model):
    claim: Text
    correction: Text
    detect: list[Text] = Field(min_length=1)

    @model_validator(mode="after")
    def _patterns(self):
        for pattern in self.detect:
            pattern_groups(pattern)
        return self


class FollowUp(_Model):
    """An answered follow-up (꼬리 질문): becomes a free question linked to its parent."""

    question: Text
    answer: Text
    key_points: list[KeyPoint] = Field(min_length=1)
    misconceptions: list[Misconception] = Field(default_factory=list)


class Option(_Model):
    text: Text
    correct: bool
    why: Text


class Interval(_Model):
    text: Text
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _bounds(self):
        _finite(self.low, "low")
        _finite(self.high, "high")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"interval {self.text!r}: low ({self.low}) must be below high")
        return self

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)


class Prediction(_Model):
    finding: Text
    options: list[Interval] = Field(min_length=2)

    @model_validator(mode="after")
    def _ordered(self):
        for before, after in zip(self.options, self.options[1:], strict=False):
            if before.high is None or after.low is None or after.low < before.high:
                raise ValueError(
                    f"options must be ordered, non-overlapping intervals: {before.text!r} "
                    f"(high={before.high}) must end at or before {after.text!r} (low={after.low})"
                )
        return self


class ExperimentLink(_Model):
    name: Text
    preset: Text = "default"
    look_at: Text


class Question(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+(-[a-z0-9_]+)+$")]
    kind: Literal["free", "choice", "numeric", "predict"]
    difficulty: Annotated[int, Field(ge=1, le=3)]
    question: Text
    answer: Text
    key_points: list[KeyPoint] = Field(default_factory=list)
    misconceptions: list[Misconception] = Field(default_factory=list)
    follow_ups: list[FollowUp | Text] = Field(default_factory=list, max_length=3)
    common_mistake: str | None = None
    experiment: ExperimentLink | None = None
    notes: list[Text] = Field(min_length=1)
    options: list[Option] | None = None
    value: float | None = None
    tolerance: Annotated[float, Field(ge=0)] | None = None
    unit: str | None = None
    predict: Prediction | None = None
    topic: str = ""  # filled in from the file's topic block
    parent: str | None = None  # set on an answered follow-up: the id of its question
    _children: list[Question] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _kind_fields(self):
        kind = self.kind
        if self.parent is None and not self.follow_ups:
            raise ValueError("follow_ups: a question needs 1-3 follow-ups (꼬리 질문)")
        if kind == "free" and self.parent is None and len(self.key_points) < 2:
            raise ValueError("key_points: a free-answer question needs at least 2 key points")
        if kind == "choice":
            if not self.options or len(self.options) < 2:
                raise ValueError("options: a choice question needs at least 2 options")
            if not any(option.correct for option in self.options):
                raise ValueError("options: mark at least one option `correct: true`")
        if kind == "numeric" and (self.value is None or self.tolerance is None):
            raise ValueError(
                "value/tolerance: a numeric question needs both `value` and `tolerance`"
            )
        _finite(self.value, "value")
        _finite(self.tolerance, "tolerance")
        if kind == "predict" and (self.predict is None or self.experiment is None):
            raise ValueError("predict/experiment: a predict question needs both blocks")
        unknown = sorted(set(self.notes) - NOTE_STEMS)
        if unknown:
            raise ValueError(f"notes: unknown note(s) {unknown}; use stems of files in notes/")
        return self

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def follow_up_texts(self) -> list[str]:
        return [f if isinstance(f, str) else f.question for f in self.follow_ups]

    def answered_follow_ups(self) -> list[Question]:
        """Each answered follow-up as a free question of its own, id '<parent id>-f<n>'."""
        if self._children is None:
            self._children = self._build_follow_ups()
        return self._children

    def _build_follow_ups(self) -> list[Question]:
        return [
            Question(
                id=f"{self.id}-f{number}",
                kind="free",
                difficulty=self.difficulty,
                question=f.question,
                answer=f.answer,
                key_points=f.key_points,
                misconceptions=f.misconceptions,
                notes=self.notes,
                topic=self.topic,
                parent=self.id,
            )
            for number, f in enumerate(self.follow_ups, start=1)
            if not isinstance(f, str)
        ]


class TopicInfo(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    title: Text
    order: Annotated[int, Field(ge=1)]
    summary: Text


class _TopicFile(_Model):
    topic: TopicInfo
    questions: list[object] = Field(min_length=1)


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    order: int
    summary: str
    questions: tuple[Question, ...]

    @property
    def follow_up_questions(self) -> list[Question]:
        return [child for q in self.questions for child in q.answered_follow_ups()]


@dataclass(frozen=True)
class Bank:
    topics: tuple[Topic, ...]
    _index: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._index.update((q.id, q) for q in self.all_questions)

    @property
    def questions(self) -> list[Question]:
        """The main questions (answered follow-ups are in ``all_questions``)."""
        return [q for topic in self.topics for q in topic.questions]

    @property
    def all_questions(self) -> list[Question]:
        """Main questions, each followed by its answered follow-ups."""
        return [x for q in self.questions for x in (q, *q.answered_follow_ups())]

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(f"no topic {topic_id!r}")

    def question(self, question_id: str) -> Question:
        try:
            return self._index[question_id]
        except KeyError:
            raise KeyError(f"no question {question_id!r}") from None


def _field_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(question)"


def _describe(error: dict) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "extra_forbidden":
        return "unknown field (check the spelling against docs/questions.md)"
    if error["type"] == "string_type":
        return f"must be text, got {_short(error.get('input'))} (put it in quotes in the YAML)"
    return message


def _short(value: object, limit: int = 60) -> str:
    """repr() of a value from a file, cut short: a problem message never grows with the file."""
    if isinstance(value, (dict, list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 40


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the bank is ~1.5 MB


def _refuse_aliases_and_depth(text: str) -> None:
    """Scan the parser's events first: an alias (a 'billion laughs' bomb) or deep nesting is
    refused before anything is built or formatted."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise ValueError(f"not valid YAML (aliases (*name) are not allowed, {_where(event)})")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(
                    f"not valid YAML (nested deeper than {MAX_DEPTH} levels, {_where(event)})"
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _where(event) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"


def _read_yaml(path: Path) -> object:
    """Parse one file; raise ValueError with a one-line reason for any problem."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ValueError("not a regular file")
        if size > MAX_FILE_BYTES:
            raise ValueError(f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read the file ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text; save the file as UTF-8") from None
    try:
        _refuse_aliases_and_depth(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise ValueError(f"not valid YAML ({reason[:300]})") from None
    except RecursionError:
        raise ValueError(f"not valid YAML (nested deeper than {MAX_DEPTH} levels)") from None


def _load_file(path: Path, problems: list[str]) -> Topic | None:
    name = path.name
    try:
        raw = _read_yaml(path)
    except ValueError as error:
        problems.append(f"{name}: {error}")
        return None
    try:
        parsed = _TopicFile.model_validate(raw)
    except pydantic.ValidationError as error:
        for e in error.errors():
            problems.append(f"{name}: field `{_field_path(e['loc'])}`: {_describe(e)}")
        return None
    if parsed.topic.id != path.stem:
        problems.append(
            f"{name}: field `topic.id`: is {parsed.topic.id!r}, must be {path.stem!r} "
            "(the file name); the file was not loaded"
        )
        return None
    questions = []
    for index, raw_question in enumerate(parsed.questions):
        if not isinstance(raw_question, dict):
            problems.append(f"{name}: question #{index + 1}: must be a mapping of fields")
            continue
        qid = raw_question.get("id")
        label = f"question {qid!r}" if isinstance(qid, str) else f"question #{index + 1}"
        if "topic" in raw_question and raw_question["topic"] != parsed.topic.id:
            problems.append(
                f"{name}: {label}: field `topic`: is {_short(raw_question['topic'])}, "
                f"must be {parsed.topic.id!r} (or leave it out)"
            )
            continue
        try:
            data = {**raw_question, "topic": parsed.topic.id}
            questions.append(Question.model_validate(data))
        except pydantic.ValidationError as error:
            for e in error.errors():
                problems.append(f"{name}: {label}: field `{_field_path(e['loc'])}`: {_describe(e)}")
    info = parsed.topic
    return Topic(info.id, info.title, info.order, info.summary, tuple(questions))


CACHE_DIR_ENV = "STUDYKIT_CACHE_DIR"


def _cache_dir() -> Path:
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("studykit", appauthor=False)) / "bank"


def _load_file_cached(path: Path, problems: list[str]) -> Topic | None:
    """``_load_file`` through a pickle cache keyed by the file's bytes and this module's
    version, so a server start does not parse and validate 1.5 MB of YAML again."""
    cached = None
    try:
        if path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
            code = Path(__file__).stat().st_mtime_ns
            digest = hashlib.sha256(path.read_bytes() + str(code).encode()).hexdigest()[:32]
            cached = _cache_dir() / f"{path.stem}-{digest}.pickle"
            if cached.is_file():
                topic, file_problems = pickle.loads(cached.read_bytes())  # noqa: S301 - ours
                problems.extend(file_problems)
                return topic
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        cached = None
    file_problems: list[str] = []
    topic = _load_file(path, file_problems)
    problems.extend(file_problems)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(pickle.dumps((topic, file_problems)))
            partial.replace(cached)
        except OSError:
            pass  # no cache: the next start parses again
    return topic


def _check_links(
    bank_topics: list[tuple[str, Topic]],
    catalog: Mapping[str, Mapping[str, object]],
    problems: list[str],
) -> None:
    for file_name, topic in bank_topics:
        for q in topic.questions:
            if q.experiment is None:
                continue
            presets = catalog.get(q.experiment.name)
            if presets is None:
                valid = ", ".join(sorted(catalog))
                problems.append(
                    f"{file_name}: question {q.id!r}: field `experiment.name`: unknown experiment "
                    f"{q.experiment.name!r}; registered experiments: {valid}"
                )
            elif q.experiment.preset not in presets:
                problems.append(
                    f"{file_name}: question {q.id!r}: field `experiment.preset`: experiment "
                    f"{q.experiment.name!r} has no preset {q.experiment.preset!r}; "
                    f"presets: {', '.join(presets)}"
                )


def questions_dir() -> Path:
    return Path(os.environ.get(QUESTIONS_DIR_ENV, DEFAULT_DIR))


def _load(
    directory: Path | str | None, experiments: Mapping[str, Mapping[str, object]] | None
) -> tuple[list[Topic], list[str]]:
    directory = Path(directory) if directory is not None else questions_dir()
    try:
        paths = sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))
    except OSError as error:
        return [], [f"{directory}: cannot list the question folder ({error.strerror or error})"]
    if not paths:
        return [], [f"{directory}: no question files (*.yaml) found"]
    problems: list[str] = []
    loaded = [(path.name, topic) for path in paths if (topic := _load_file_cached(path, problems))]
    seen: dict[str, str] = {}
    kept = []
    for file_name, topic in loaded:
        unique = []
        for q in topic.questions:
            ids = [q.id, *(child.id for child in q.answered_follow_ups())]
            clash = next((i for i in ids if i in seen), None)
            if clash is not None:
                problems.append(
                    f"{file_name}: question {q.id!r}: field `id`: {clash!r} is already used in "
                    f"{seen[clash]}; ids must be unique across the bank (the first one is kept)"
                )
                continue
            seen.update((i, file_name) for i in ids)
            unique.append(q)
        kept.append(
            (file_name, Topic(topic.id, topic.title, topic.order, topic.summary, tuple(unique)))
        )
    if experiments is not None:
        _check_links(kept, experiments, problems)
    topics = sorted((topic for _, topic in kept), key=lambda t: (t.order, t.id))
    return topics, problems


def load_bank(
    directory: Path | str | None = None,
    experiments: Mapping[str, Mapping[str, object]] | None = None,
) -> Bank:
    """Load every ``*.yaml`` in ``directory`` and validate it.

    ``experiments`` maps experiment name -> presets; when given, every question's experiment
    link must resolve. Raises BankError listing every problem found.
    """
    topics, problems = _load(directory, experiments)
    if problems:
        raise BankError(problems)
    return Bank(tuple(topics))


def load_bank_partial(
    directory: Path | str | None = None,
    experiments: Mapping[str, Mapping[str, object]] | None = None,
) -> tuple[Bank, list[str]]:
    """Like ``load_bank`` but keeps going: returns the valid part and the list of problems.

    The app uses this so that one broken file hides only what is broken. Questions named in a
    problem are left out, and so is a whole file that could not be read.
    """
    topics, problems = _load(directory, experiments)
    # Only link problems name a loaded question; every other problem's entry was not loaded.
    broken = {
        q
        for p in problems
        if "field `experiment." in p
        for q in re.findall(r"question '([^']+)'", p)
    }
    kept = tuple(
        Topic(
            t.id, t.title, t.order, t.summary, tuple(q for q in t.questions if q.id not in broken)
        )
        for t in topics
    )
    return Bank(tuple(t for t in kept if t.questions)), problems
