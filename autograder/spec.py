"""What a lab *is* to the grader: its questions, their points, and how each is judged.

A lab's ``solutions/<lab>/grading.py`` (the module ``autograder.labs.<lab>``) defines
``LAB = LabSpec(...)``. Each ``Question`` is one nbgrader test cell (grade id ``test_<name>``; its
points come from here, so the notebook and the grader cannot disagree) and one answer file the
notebook writes with ``lab.check(name, value)``.

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
from typing import Any

import numpy as np
from labkit import answers as _answers
from labkit import hidden as _hidden
from labkit.verdict import Verdict, fail, ok  # noqa: F401 - re-exported for the lab modules

from autograder.i18n import _


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
    # Each hidden question's inputs: rng → numbers/arrays (nested in tuples, lists, dicts). The
    # grader draws them outside the kernel and writes them next to the notebook (``labkit.hidden``).
    hidden_inputs: dict[str, Callable[[np.random.Generator], Any]] = field(default_factory=dict)
    # Values the student notebook reads (``lab.constant(name)``): pass marks, public inputs.
    # Defined here once; the build writes them into the lab's public_checks.json.
    constants: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        hidden = {q.name for q in self.questions if q.hidden}
        if hidden != set(self.hidden_inputs):
            raise ValueError(
                f"Expected hidden inputs for exactly the hidden questions of {self.lab_id} "
                f"{sorted(hidden)}. Received: {sorted(self.hidden_inputs)}"
            )

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
    """Read-only access to one submission's answers, plus the hidden inputs of this grading run."""

    def __init__(self, answers_dir: str | os.PathLike, seed: int = 0, spec: LabSpec | None = None):
        self.answers_dir = Path(answers_dir)
        self.seed = int(seed)
        self.spec = spec
        self._cache: dict[str, dict] = {}
        self._hidden: dict[str, Any] = {}

    def answer(self, name: str, key: str = "value", models: bool = True):
        """One saved value; raises ``NotAttempted`` when the notebook never wrote it."""
        if name not in self._cache or (models and not self._cache[name].get("__models__")):
            if not _answers.has_answer(self.answers_dir, name):
                raise NotAttempted(
                    _(
                        "not attempted: no answer `{name}` was recorded (did its cell run without error?)"
                    ).format(name=name)
                )
            data = _answers.load_answer(self.answers_dir, name, models=models)
            data["__models__"] = models
            self._cache[name] = data
        data = self._cache[name]
        if key not in data:
            present = sorted(k for k in data if k != "__models__")
            raise _answers.AnswerError(
                _("Expected `{key}` in answer `{name}`. Received: keys {keys}").format(
                    key=key, name=name, keys=present
                )
            )
        return data[key]

    def hidden_input(self, name: str):
        """The inputs hidden test ``name`` was given in the kernel (same seed, same data)."""
        if self.spec is None:
            raise KeyError(
                f"Expected a GradeContext with its LabSpec for hidden input {name!r}. Received: none"
            )
        if name not in self._hidden:
            self._hidden[name] = hidden_input(self.spec, name, self.seed)
        return self._hidden[name]


def hidden_rng(name: str, seed: int) -> np.random.Generator:
    """The generator behind hidden test ``name`` in the grading run with ``seed``."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def hidden_input(spec: LabSpec, name: str, seed: int):
    """Hidden test ``name``'s inputs for ``seed``, exactly as the kernel reads them back."""
    if name not in spec.hidden_inputs:
        raise KeyError(f"Expected one of the hidden tests {sorted(spec.hidden_inputs)}. Received: {name!r}")
    return _hidden.unpack(_hidden.pack(spec.hidden_inputs[name](hidden_rng(name, seed))))


def write_hidden_inputs(spec: LabSpec, seed: int, directory: str | os.PathLike) -> list[str]:
    """Write every hidden input of ``spec`` for ``seed`` under ``directory/hidden_inputs/``."""
    for name, draw in spec.hidden_inputs.items():
        _hidden.write(directory, name, draw(hidden_rng(name, seed)))
    return list(spec.hidden_inputs)
