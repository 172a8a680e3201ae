"""Answer check against the labelled corpus: shares, key-point precision/recall, speed.

    .venv/bin/python benchmarks/bench_grading.py

Grades every answer in tests/quiz/corpus/*.yaml (Kiwi loaded first, each question's phrases
analysed once before its answer is timed) and prints one table per measure, then one row per
verdict. Writes benchmarks/results/grading.md.
"""

from __future__ import annotations

import collections
import time
from pathlib import Path

from studykit.quiz import grading
from studykit.quiz.bank import load_bank
from studykit.quiz.evaluation import (
    TARGETS,
    VERDICTS,
    grade_corpus,
    held_out,
    load_corpus,
    summary,
)

ROOT = Path(__file__).parents[1]


def main() -> None:
    bank = load_bank()
    items = load_corpus(ROOT / "tests" / "quiz" / "corpus")
    start = time.perf_counter()
    grading.grade_free(bank.questions[0], "분석기를 불러옵니다.")
    load_s = time.perf_counter() - start
    outcomes = grade_corpus(bank, items)
    questions = {o.item.question for o in outcomes}
    topics = {bank.question(q).topic for q in questions}
    lines = [
        f"{len(outcomes)} answers to {len(questions)} free questions in {len(topics)} topics; "
        f"Kiwi load {load_s:.1f} s. Held out: the questions whose key points were not tuned on "
        "the corpus (studykit.quiz.evaluation.held_out); in parentheses, answers counted.",
        "",
        "| measure | all | held out | tuned | target |",
        "|---|---:|---:|---:|---|",
    ]
    parts = [
        summary(outcomes),
        summary([o for o in outcomes if held_out(o.item.question)]),
        summary([o for o in outcomes if not held_out(o.item.question)]),
    ]
    for name in parts[0]:
        cells = []
        for part in parts:
            value, count = part[name]
            shown = f"{value:.1f}" if name.startswith("median") else f"{value:.3f}"
            cells.append(f"{shown} ({count})")
        lines.append(f"| {name} | {' | '.join(cells)} | {TARGETS.get(name, '')} |")
    lines += [
        "",
        "| verdict | answers | 다시 | 어려움 | 알맞음 | 쉬움 | flagged |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for verdict in VERDICTS:
        chosen = [o for o in outcomes if o.item.verdict == verdict]
        ratings = collections.Counter(o.grade.suggested_rating for o in chosen)
        flagged = sum(o.grade.flagged for o in chosen)
        row = " | ".join(str(ratings.get(r, 0)) for r in (1, 2, 3, 4))
        lines.append(f"| {verdict} | {len(chosen)} | {row} | {flagged} |")
    text = "\n".join(lines)
    print(text)
    out = ROOT / "benchmarks" / "results" / "grading.md"
    out.write_text(
        "# Answer check on the labelled corpus\n\n`python benchmarks/bench_grading.py`\n\n"
        + text
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
