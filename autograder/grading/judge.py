"""Turn a lab's questions and a folder of answer files into a ``LabResult``.

This is the only place a score is decided. It runs in the grader's fresh process (see
``rescore.py``), never in a student's kernel: the kit's public checks there replay data recorded
from this very code at build time (``public_checks.py``), so a student's ✔/✘ agrees with it.
"""

from __future__ import annotations

import traceback

from labkit.answers import AnswerError

from autograder.i18n import _, localize, speaking
from autograder.results import LabResult, TestResult
from autograder.spec import GradeContext, LabSpec, NotAttempted, Question, Verdict


def judge(question: Question, ctx: GradeContext) -> Verdict:
    """Grade one question; any failure of the grading itself becomes an ``error`` verdict."""
    try:
        verdict = question.grade(ctx)
    except NotAttempted as exc:
        return Verdict(False, str(exc), status="failed")
    except AnswerError as exc:
        return Verdict(False, _("unusable answer: {error}").format(error=exc), status="error")
    except Exception as exc:  # noqa: BLE001 - a crash in grading is a verdict, never a crash
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Verdict(
            False,
            _("could not grade `{name}`: {error}: {message} (at {where})").format(
                name=question.name,
                error=type(exc).__name__,
                message=exc,
                where=f"{where.name}:{where.lineno}",
            ),
            status="error",
        )
    if not isinstance(verdict, Verdict):
        return Verdict(
            False,
            _("grader bug: {name} returned {type}").format(name=question.name, type=type(verdict).__name__),
            status="error",
        )
    return verdict


def to_test_result(question: Question, verdict: Verdict) -> TestResult:
    status = verdict.status or ("passed" if verdict.passed else "failed")
    return TestResult(
        name=question.grade_id,
        score=round(question.points * verdict.credit, 4),
        max_score=float(question.points),
        status=status,
        output=localize(verdict.message),
        hidden=question.hidden,
    )


def score_lab(
    spec: LabSpec, answers_dir, seed: int, public_only: bool = False, language: str | None = None
) -> LabResult:
    """Every question of ``spec`` judged on the answers in ``answers_dir``, its feedback in
    ``language`` (already resolved; default: the current one)."""
    with speaking(language) as language:
        return _score_lab(spec, answers_dir, seed, public_only, language)


def _score_lab(spec: LabSpec, answers_dir, seed: int, public_only: bool, language: str) -> LabResult:
    ctx = GradeContext(answers_dir, seed, spec)
    result = LabResult(lab=spec.lab_id, language=language)
    for question in spec.questions:
        if public_only and question.hidden:
            continue
        result.tests.append(to_test_result(question, judge(question, ctx)))
    result.total()
    result.notes.extend(localize(note) for note in ctx.__dict__.get("instructor_notes", []))
    accuracy = ctx.__dict__.get("accuracy")
    if accuracy is not None:
        result.accuracy = round(float(accuracy), 6)
    return result
