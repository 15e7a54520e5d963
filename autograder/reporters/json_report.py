"""The project's own JSON: one lab object, or ``{"labs": [...], totals}`` for a directory."""

from __future__ import annotations

import json

from autograder.results import SubmissionResult

LAB_KEYS = ("lab", "score", "max_score", "execution_time", "tests", "errors", "notes", "accuracy", "language")


def lab_object(lab) -> dict:
    data = lab.to_dict()
    return {k: data[k] for k in LAB_KEYS}


def to_json(result: SubmissionResult, single: bool | None = None, **_ignored) -> str:
    """``single``: emit the one lab's object (a notebook was graded) rather than the wrapper."""
    single = len(result.labs) == 1 and not result.errors if single is None else single
    if single and result.labs:
        return json.dumps(lab_object(result.labs[0]), indent=2, ensure_ascii=False)
    data = {
        "submission": result.submission,
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": result.execution_time,
        "labs": [lab_object(lab) for lab in result.labs],
        "errors": list(result.errors),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
