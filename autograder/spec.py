"""What a lab *is* to the grader: its questions, their points, and how each is judged.

A lab module in ``autograder/labs/`` defines ``LAB = LabSpec(...)``. Each ``Question`` is one
nbgrader test cell (grade id ``test_<name>``; its points come from here, so the notebook and the
grader cannot disagree) and one answer file the notebook writes with ``lab.check(name, value)``.

``Question.grade(ctx)`` reads answers through ``ctx`` (a ``GradeContext``) and returns a
``Verdict``. It must recompute every expected value itself: it never trusts a number the
student's kernel computed unless it re-derives it from saved weights or inputs.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import answers as _answers

HIDDEN_SEED_ENV = "AUTOGRADER_HIDDEN_SEED"
DEFAULT_HIDDEN_SEED = 7919  # the grader's default too (pipeline), so nbgrader and `grade` agree


@dataclass(frozen=True)
class Verdict:
    """The judgement of one question: ``score`` in ``[0, points]`` and a message for the student."""

    passed: bool
    message: str
    fraction: float | None = None  # partial credit; None means 1.0 if passed else 0.0
    status: str = ""  # "passed" | "failed" | "error"; derived when empty

    @property
    def credit(self) -> float:
        if self.fraction is not None:
            return float(min(1.0, max(0.0, self.fraction)))
        return 1.0 if self.passed else 0.0


def ok(message: str = "correct") -> Verdict:
    return Verdict(True, message)


def fail(message: str) -> Verdict:
    return Verdict(False, message)


class NotAttempted(Exception):
    """The answer this question needs was never written (e.g. the starter's NotImplementedError)."""


@dataclass(frozen=True)
class Question:
    name: str
    points: float
    description: str
    grade: Callable[[GradeContext], Verdict]
    hidden: bool = False  # True: the test cell is a hidden test (stripped from the student copy)
    needs: tuple[str, ...] = ()  # extra answers read besides ``name``

    @property
    def grade_id(self) -> str:
        return f"test_{self.name}"


@dataclass(frozen=True)
class LabSpec:
    lab_id: str
    title: str
    questions: tuple[Question, ...]
    manual: dict[str, float] = field(default_factory=dict)  # grade_id -> points, graded by hand
    notebook_seconds: int = 120  # generous per-notebook time limit at grading

    @property
    def number(self) -> int:
        return int(self.lab_id[3:5])

    @property
    def notebook(self) -> str:
        return f"{self.lab_id}.ipynb"

    @property
    def max_score(self) -> float:
        return float(sum(q.points for q in self.questions))

    def question(self, name: str) -> Question:
        for q in self.questions:
            if q.name == name:
                return q
        raise KeyError(
            f"Expected one of {[q.name for q in self.questions]} for {self.lab_id}. Received: {name!r}"
        )


class GradeContext:
    """Read-only access to one submission's answers, plus the grader's hidden seed."""

    def __init__(self, answers_dir: str | os.PathLike, seed: int | None = None):
        self.answers_dir = Path(answers_dir)
        self.seed = hidden_seed() if seed is None else int(seed)
        self._cache: dict[str, dict] = {}

    def answer(self, name: str, key: str = "value", models: bool = True):
        """One saved value; raises ``NotAttempted`` when the notebook never wrote it."""
        if name not in self._cache or (models and not self._cache[name].get("__models__")):
            if not _answers.has_answer(self.answers_dir, name):
                raise NotAttempted(
                    f"not attempted: no answer `{name}` was recorded (did its cell run without error?)"
                )
            data = _answers.load_answer(self.answers_dir, name, models=models)
            data["__models__"] = models
            self._cache[name] = data
        data = self._cache[name]
        if key not in data:
            present = sorted(k for k in data if k != "__models__")
            raise _answers.AnswerError(f"Expected `{key}` in answer `{name}`. Received: keys {present}")
        return data[key]

    def hidden_case(self, name: str) -> np.random.Generator:
        return hidden_rng(name, self.seed)


def hidden_seed() -> int:
    return int(os.environ.get(HIDDEN_SEED_ENV, DEFAULT_HIDDEN_SEED))


def hidden_rng(name: str, seed: int | None = None) -> np.random.Generator:
    """The random inputs of hidden case ``name``: the same in the kernel and in the re-scorer."""
    seed = hidden_seed() if seed is None else seed
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])
