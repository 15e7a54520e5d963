"""Which language a report's own words are in (each lab's feedback is already in its own)."""

from __future__ import annotations

from autograder.i18n import DEFAULT
from autograder.results import SubmissionResult


def report_language(result: SubmissionResult, language: str | None = None) -> str:
    """``language`` when given (``report --language``); else the labs' language when they share
    one (a Korean student's submission: Korean); else English."""
    if language:
        return language
    spoken = {lab.language for lab in result.labs}
    return spoken.pop() if len(spoken) == 1 else DEFAULT
