"""Gradescope's ``results.json`` (autograder specification).

Top level: ``score``, ``execution_time``, ``output``, ``visibility``, ``stdout_visibility``,
``tests``; each test: ``score``, ``max_score``, ``name``, ``output``, ``visibility``, ``status``
(``passed``/``failed``). Hidden tests use ``hidden_visibility`` (default ``after_published``).
Each lab's lines are in its result's language (the notebook's edition).
"""

from __future__ import annotations

import json

from autograder.i18n import _
from autograder.reporters.language import report_language
from autograder.results import SubmissionResult

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def to_gradescope(
    result: SubmissionResult,
    hidden_visibility: str = "after_published",
    language: str | None = None,
    **_ignored,
) -> str:
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"Expected hidden_visibility in {VISIBILITIES}. Received: {hidden_visibility!r}")
    tests = []
    for lab in result.labs:
        for test in lab.tests:
            tests.append(
                {
                    "name": f"{lab.lab}: {test.name}",
                    "score": test.score,
                    "max_score": test.max_score,
                    "status": "passed" if test.status == "passed" else "failed",
                    "output": test.output,
                    "visibility": hidden_visibility if test.hidden else "visible",
                }
            )
    lines = []
    for lab in result.labs:
        lang = language or lab.language
        lines.append(f"{lab.lab}: {lab.score:g}/{lab.max_score:g}")
        if lab.isolation:
            lines.append("  " + _("isolation: {how}", lang).format(how=lab.isolation))
        lines += ["  " + _("error: {message}", lang).format(message=e) for e in lab.errors]
        lines += ["  " + _("note: {message}", lang).format(message=n) for n in lab.notes]
    lang = report_language(result, language)
    lines += [_("error: {message}", lang).format(message=e) for e in result.errors]
    data = {
        "score": result.score,
        "execution_time": result.execution_time,
        "output": "\n".join(lines),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
