"""The ``studykit`` command.

studykit run vanishing_gradient --depth 10 --activations sigmoid,relu --csv out/
studykit experiments            # list experiments and presets
studykit questions check        # validate the question bank
studykit questions grade ID "answer"   # what the answer check finds in an answer
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import get_origin

from studykit.quiz.bank import BankError, load_bank


def _experiments():
    """The experiment registry, imported only by the commands that need it."""
    from studykit import experiments

    return experiments


def _parse_value(text: str, annotation):
    """Turn a command-line string into the parameter's type (tuples take comma lists)."""
    if get_origin(annotation) is tuple:
        return [part.strip() for part in text.split(",") if part.strip()]
    if annotation is bool:
        return text.lower() in {"1", "true", "yes", "on"}
    return text  # pydantic converts "10" -> 10 and "0.1" -> 0.1 during validation


def _join_negative_values(extra: list[str]) -> list[str]:
    """'--inputs -2,1' → '--inputs=-2,1', so argparse does not read -2,1 as an option."""
    joined: list[str] = []
    for word in extra:
        negative = len(word) > 1 and word[0] == "-" and (word[1].isdigit() or word[1] == ".")
        if negative and joined and joined[-1].startswith("--") and "=" not in joined[-1]:
            joined[-1] = f"{joined[-1]}={word}"
        else:
            joined.append(word)
    return joined


def _writable_folder(text: str) -> Path:
    """Create the --csv folder (or raise ValueError naming why it cannot be written)."""
    folder = Path(text)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".studykit-write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"cannot write CSV files to {folder}: {error.strerror or error}") from None
    return folder


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    experiments = _experiments()
    if args.name not in experiments.names():
        valid = ", ".join(experiments.names())
        print(f"error: unknown experiment {args.name!r}; experiments: {valid}", file=sys.stderr)
        return 2
    experiment = experiments.get(args.name)
    parser = argparse.ArgumentParser(prog=f"studykit run {args.name}")
    for name, info in experiment.params.model_fields.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=lambda text, a=info.annotation: _parse_value(text, a),
            help=f"{info.title or name} (default: {info.default!r})",
        )
    parsed = parser.parse_args(_join_negative_values(extra))
    params = {k: v for k, v in vars(parsed).items() if v is not None}
    try:
        if args.preset is not None:
            experiment.preset(args.preset)
        folder = _writable_folder(args.csv) if args.csv else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    def progress(fraction: float, message: str) -> None:
        print(f"\r[{fraction:4.0%}] {message}".ljust(60), end="", file=sys.stderr, flush=True)

    try:
        result = experiments.run(args.name, progress=progress, preset=args.preset, **params)
    except experiments.ParameterError as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    print(result.summary)
    for warning in result.warnings:
        print(f"warning: {warning}")
    print(json.dumps(result.findings, indent=2, ensure_ascii=False))
    if folder is not None:
        for key, table in result.frames.items():
            table.to_csv(folder / f"{args.name}_{key}.csv", index=False)
        print(f"wrote {len(result.frames)} CSV file(s) to {folder}")
    return 0


def _list_experiments() -> int:
    experiments = _experiments()
    for name in experiments.names():
        experiment = experiments.get(name)
        print(f"{name}: {experiment.title}  (presets: {', '.join(experiment.presets)})")
    return 0


def experiment_catalog() -> dict[str, dict]:
    """Experiment name -> presets, for validating the question bank's links."""
    experiments = _experiments()
    return {name: experiments.presets(name) for name in experiments.names()}


def _check_questions(directory: str | None) -> int:
    try:
        bank = load_bank(directory, experiments=experiment_catalog())
    except BankError as error:
        print(error, file=sys.stderr)
        return 1
    counts = {t.id: (len(t.questions), len(t.follow_up_questions)) for t in bank.topics}
    total = sum(main for main, _ in counts.values())
    follow_ups = sum(answered for _, answered in counts.values())
    print(f"OK: {total} questions and {follow_ups} answered follow-ups in {len(counts)} topics")
    for topic_id, (main, answered) in counts.items():
        print(f"  {topic_id}: {main} (+{answered} follow-ups)")
    return 0


def _grade_answer(directory: str | None, question_id: str | None, answer: str | None) -> int:
    """Print what the answer check finds in ``answer`` (to test key points and patterns)."""
    from studykit.quiz import grading
    from studykit.quiz.analyser import analyser_for
    from studykit.quiz.bank import questions_dir

    if not question_id or answer is None:
        print("error: usage: studykit questions grade QUESTION_ID 'answer text'", file=sys.stderr)
        return 2
    try:
        bank = load_bank(directory)
        question = bank.question(question_id)
    except (BankError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    grade = grading.grade_free(question, answer, analyser_for(str(directory or questions_dir())))
    for check in grade.points:
        print(
            f"{check.status:>12}  {check.point}"
            + (f"  <- {check.evidence}" if check.evidence else "")
        )
    for found in grade.misconceptions:
        print(f"misconception  {found.claim}  <- {found.evidence}")
    print(f"{grade.feedback} suggested: {grading.RATINGS[grade.suggested_rating]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studykit", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run an experiment and print its findings")
    run.add_argument("name", help="experiment name (see `studykit experiments`)")
    run.add_argument("--preset", default=None, help="start from a named preset")
    run.add_argument("--csv", metavar="FOLDER", help="write every result table as CSV")
    commands.add_parser("experiments", help="list experiments and their presets")
    questions = commands.add_parser("questions", help="question bank tools")
    questions.add_argument("action", choices=["check", "grade"])
    questions.add_argument("question_id", nargs="?", help="grade: the question id")
    questions.add_argument("answer", nargs="?", help="grade: the answer text")
    questions.add_argument("--dir", default=None, help="question folder (default: questions/)")
    args, extra = parser.parse_known_args(argv)
    if args.command == "run":
        return _run(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "experiments":
        return _list_experiments()
    if args.action == "grade":
        return _grade_answer(args.dir, args.question_id, args.answer)
    return _check_questions(args.dir)


if __name__ == "__main__":
    sys.exit(main())
