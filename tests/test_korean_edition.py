"""Every lab of the Korean edition, graded as a student would hand it in: its instructor notebook
(the reference) gets full marks, its released notebook (the starter) gets 0, and both are judged
and reported in Korean.

The English edition has the same proof lab by lab (tests/test_labs_*.py); the two editions'
code is identical by construction (tests/test_translations.py), so this is the end-to-end check
that the Korean text, the ``language="ko"`` setup line and the Korean messages change no verdict.
Each edition is one submission of 14 notebooks through ``grade_path`` on the fast path (one
sandbox, one warm kernel per notebook), a fresh random hidden seed each.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from autograder.course import instructor_path, student_path
from autograder.grading.pipeline import Options, grade_path
from autograder.labs import all_labs

LABS = sorted(all_labs())
HANGUL = re.compile(r"[\uac00-\ud7a3]")
pytestmark = pytest.mark.slow


def _grade(kind: str, folder: Path, mnist: Path) -> dict:
    path = instructor_path if kind == "reference" else student_path
    for lab_id in LABS:
        shutil.copy(path(lab_id, "ko"), folder / f"{lab_id}.ipynb")
    result = grade_path(folder, Options(mnist=mnist))
    return {lab.lab: lab for lab in result.labs}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, mnist_path) -> dict:
    return {
        kind: _grade(kind, tmp_path_factory.mktemp(kind), mnist_path) for kind in ("reference", "starter")
    }


def test_every_korean_reference_gets_full_marks(graded):
    results = graded["reference"]
    assert sorted(results) == LABS
    short = {
        lab: f"{r.score}/{r.max_score} {r.errors}" for lab, r in results.items() if r.score != r.max_score
    }
    assert not short, short
    assert all(r.max_score > 0 for r in results.values())


def test_every_korean_starter_gets_zero(graded):
    results = graded["starter"]
    assert sorted(results) == LABS
    assert {lab: r.score for lab, r in results.items()} == dict.fromkeys(LABS, 0)


def test_the_korean_edition_is_judged_in_korean(graded):
    for kind in ("reference", "starter"):
        for lab, result in graded[kind].items():
            assert result.language == "ko", (kind, lab)
    # a starter's feedback is what a student reads first: Korean words, for every lab
    for lab, result in graded["starter"].items():
        feedback = " ".join(test.output for test in result.tests)
        assert HANGUL.search(feedback), (lab, feedback[:300])
