"""A judgement of one question: passed or not, a message for the student, optional partial credit.

The grader's questions return a ``Verdict``; the kit's public checks build the same ``Verdict``
from the build-time data, so a student's ✔/✘ line and the grader's report read alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.i18n import N_


@dataclass(frozen=True)
class Verdict:
    """The judgement of one question: ``score`` in ``[0, points]`` and a message for the student
    (a ``labkit.i18n.Text`` until the grader localizes it, or text already in the student's language)."""

    passed: bool
    message: str
    fraction: float | None = None  # partial credit; None means 1.0 if passed else 0.0
    status: str = ""  # "passed" | "failed" | "error"; derived when empty

    @property
    def credit(self) -> float:
        if self.fraction is not None:
            return float(min(1.0, max(0.0, self.fraction)))
        return 1.0 if self.passed else 0.0


def ok(message: str = N_("correct")) -> Verdict:
    return Verdict(True, message)


def fail(message: str) -> Verdict:
    return Verdict(False, message)
