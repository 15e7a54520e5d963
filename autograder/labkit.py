"""The student's side of grading: ``lab.check(name, answer)`` inside a notebook.

Usage in a lab notebook (the first, locked cell)::

    from autograder.labkit import Lab
    lab = Lab("lab18_xor_sigmoid")

and in each test cell::

    lab.check("sigmoid", lambda: sigmoid(z))   # a lambda: a NameError becomes "not attempted"

``check`` saves the answer to ``answers/`` (the only thing the grader takes from the kernel),
judges it with the grader's own code, and prints one friendly line. A wrong answer raises
``CheckFailed``, whose short rendering replaces the traceback — nbgrader still sees an error, so it
gives the cell 0 points, but the student sees "Expected … Received …", not a stack trace.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from autograder import answers as _answers
from autograder.labs import get_lab
from autograder.scoring import judge
from autograder.spec import GradeContext, hidden_rng


class CheckFailed(Exception):
    """A public check did not pass (rendered as one line, not a traceback)."""

    def _render_traceback_(self):  # IPython calls this instead of printing a traceback
        return [f"✘ {self}"]


class Lab:
    """Self-checks for one lab; ``answers_dir`` is where the grader will look for answers."""

    def __init__(self, lab_id: str, answers_dir: str | os.PathLike = _answers.ANSWERS_DIR):
        self.spec = get_lab(lab_id)
        self.answers_dir = Path(answers_dir)
        self.results: dict[str, bool | None] = {q.name: None for q in self.spec.questions}

    def hidden_input(self, name: str):
        """Random generator for hidden case ``name`` (same seed in the kernel and at re-scoring)."""
        return hidden_rng(name)

    def check(self, name: str, answer, **extra):
        """Record ``answer`` for question ``name`` and print its verdict.

        ``answer``: a value, a dict of values, a ``keras.Model``, or a zero-argument function
        returning one (preferred: errors in it are reported, not raised as tracebacks).
        ``extra``: further named values stored with it (e.g. ``model=model``).
        """
        question = self.spec.question(name)
        label = f"{name} [{question.points:g} pt]"
        if inspect.isfunction(answer) or inspect.ismethod(answer):
            try:
                answer = answer()
            except NotImplementedError:
                self.results[name] = False
                raise CheckFailed(
                    f"{label}: not attempted yet — replace `raise NotImplementedError()`"
                ) from None
            except NameError as exc:
                self.results[name] = False
                raise CheckFailed(f"{label}: not attempted yet — {exc} (run the cells above first)") from None
            except Exception as exc:  # noqa: BLE001 - student's code; report, don't crash
                self.results[name] = False
                raise CheckFailed(f"{label}: your code raised {type(exc).__name__}: {exc}") from None
        if extra:
            answer = {**(answer if isinstance(answer, dict) else {"value": answer}), **extra}
        try:
            _answers.save_answer(self.answers_dir, name, answer)
        except _answers.AnswerError as exc:
            self.results[name] = False
            raise CheckFailed(f"{label}: {exc}") from None
        verdict = judge(question, GradeContext(self.answers_dir))
        self.results[name] = verdict.passed
        if not verdict.passed:
            raise CheckFailed(f"{label}: {verdict.message}")
        hidden = " (hidden case)" if question.hidden else ""
        print(f"✔ {label}{hidden}: {verdict.message}")

    def hidden_notice(self, name: str) -> None:
        """The visible line of a hidden-test cell: says a hidden test runs here at grading.

        It fails while no check of this lab has passed yet, so an untouched student notebook
        fails every test cell (``nbgrader validate --invert`` agrees with the grader's 0). At
        grading it follows the restored hidden check, which has then already recorded a verdict.
        """
        question = self.spec.question(name)
        label = f"{name} [{question.points:g} pt]"
        if self.results.get(name) is not None:  # the hidden check itself ran (grading): it spoke already
            return
        if not any(self.results.values()):
            raise CheckFailed(
                f"{label}: a hidden test runs here at grading — make the checks above pass first"
            )
        print(f"ℹ {label}: a hidden test runs here at grading")

    def summary(self) -> str:
        """One line: how many public checks pass so far, and what is left to the grader."""
        public = [q for q in self.spec.questions if not q.hidden]
        passed = sum(bool(self.results.get(q.name)) for q in public)
        points = sum(q.points for q in public if self.results.get(q.name))
        total = sum(q.points for q in public)
        hidden = sum(q.hidden for q in self.spec.questions)
        line = f"{passed}/{len(public)} public checks pass ({points:g}/{total:g} points)"
        if hidden:
            line += f"; {hidden} hidden test{'s' * (hidden > 1)} run at grading"
        if self.spec.manual:
            line += f"; {len(self.spec.manual)} written answer(s) are graded by hand"
        missing = [q.name for q in public if self.results.get(q.name) is None]
        if missing:
            line += f". Not run yet: {', '.join(missing)}"
        print(line)
        return line
