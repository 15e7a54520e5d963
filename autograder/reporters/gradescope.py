"""Gradescope's ``results.json`` (autograder specification).

Top level: ``score``, ``execution_time``, ``output``, ``visibility``, ``stdout_visibility``,
``tests``; each test: ``score``, ``max_score``, ``name``, ``output``, ``visibility``, ``status``
(``passed``/``failed``). Hidden tests use ``hidden_visibility`` (default ``after_published``).
"""

from __future__ import annotations

import json

from autograder.results import SubmissionResult

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def to_gradescope(result: SubmissionResult, hidden_visibility: str = "after_published", **_) -> str:
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
        lines.append(f"{lab.lab}: {lab.score:g}/{lab.max_score:g}")
        if lab.isolation:
            lines.append(f"  isolation: {lab.isolation}")
        lines += [f"  error: {e}" for e in lab.errors] + [f"  note: {n}" for n in lab.notes]
    lines += [f"error: {e}" for e in result.errors]
    data = {
        "score": result.score,
        "execution_time": result.execution_time,
        "output": "\n".join(lines),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
