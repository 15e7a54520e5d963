"""Same grading in either edition: a Korean and an English submission of the same answers get the
same score from ``grade`` (the CLI), from real ``nbgrader autograde`` and from the Gradescope
bundle's ``run_autograder``; the Korean one's feedback is Korean.

Lab 15 (no training: seconds per notebook). Each edition's submission is its released notebook
with the reference answers typed in, except one answer cell left as the starter's stub, so the
score is partial and a difference in any test would show. Both references and the Korean starter
go through the nbgrader courses too (full marks, 0). For nbgrader the course *is* the Korean edition:
its source folder holds ``editions/ko/solutions/<lab>/<lab>.ipynb``, and ``generate_assignment``
must release exactly ``editions/ko/labs/<lab>/<lab>.ipynb``. Every grading run starts together in
one module fixture (3 at a time); each draws its own random hidden seed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from lab_helpers import nbgrader

from autograder import cli
from autograder.course import instructor_path, student_path
from autograder.labs import get_lab

ROOT = Path(__file__).resolve().parent.parent
LAB = "lab15_one_neuron"
EDITIONS = ("en", "ko")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
pytestmark = pytest.mark.slow


def _nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _submission(language: str, kind: str) -> nbformat.NotebookNode:
    """The released notebook of one edition: untouched (``starter``), or with the reference
    answers typed in (``reference``), or all but the last answer cell before the last test
    (``broken``: some points lost, not all)."""
    nb = nbformat.read(student_path(LAB, language), as_version=4)
    if kind == "starter":
        return nb
    source = nbformat.read(instructor_path(LAB, language), as_version=4)
    answers = {
        _nbgrader_meta(c)["grade_id"]: c.source for c in source.cells if _nbgrader_meta(c).get("solution")
    }
    code = [c for c in nb.cells if _nbgrader_meta(c).get("solution") and c.cell_type == "code"]
    broken = len(code) - 1 if kind == "broken" else None
    for index, cell in enumerate(code):
        if index != broken:
            lines = answers[_nbgrader_meta(cell)["grade_id"]].splitlines()
            cell.source = "\n".join(
                line for line in lines if not re.search(r"### (BEGIN|END) SOLUTION", line)
            )
    return nb


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> dict[tuple[str, str], Path]:
    folder = tmp_path_factory.mktemp("submissions")
    out = {}
    for language in EDITIONS:
        for kind in ("reference", "broken", "starter"):
            out[language, kind] = folder / f"{language}-{kind}" / f"{LAB}.ipynb"
            out[language, kind].parent.mkdir()
            nbformat.write(_submission(language, kind), out[language, kind])
    return out


# ---------------------------------------------------------------- the three ways to grade
def _cli(notebook: Path, tmp: Path) -> dict:
    """``python -m autograder grade`` (sandboxed where bubblewrap exists), its JSON report."""
    from labkit import sandbox

    report = tmp / "result.json"
    argv = ["grade", str(notebook), "--format", "json", "--output", str(report)]
    if sandbox.bwrap_path() is None:
        argv.append("--no-sandbox")
    assert cli.main(argv) == 0
    return json.loads(report.read_text(encoding="utf-8"))


def _gradescope(bundle: Path, tmp: Path, notebook: Path) -> dict:
    """Lay out /autograder like Gradescope and run the bundle's run_autograder."""
    root = tmp / "autograder"
    for part in ("source", "submission", "results"):
        (root / part).mkdir(parents=True)
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            zf.extract(info, root / "source")
            if mode := info.external_attr >> 16 & 0o777:
                (root / "source" / info.filename).chmod(mode)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    shutil.copy(notebook, root / "submission" / notebook.name)
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    proc = subprocess.run(
        [str(root / "run_autograder")], cwd=tmp, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def _nbgrader(tmp: Path, language: str, students: dict[str, Path]) -> dict:
    """Real nbgrader on a course whose source is the ``language`` edition: generate, autograde,
    generate_feedback. Returns each student's (score, max) and feedback HTML, and the release."""
    from nbgrader.api import Gradebook

    course = tmp / "course"
    (course / "solutions" / LAB).mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copy(instructor_path(LAB, language), course / "solutions" / LAB / f"{LAB}.ipynb")
    shutil.copy(ROOT / "solutions" / LAB / "public_checks.json", course / "solutions" / LAB)
    db = f"sqlite:///{course / 'gradebook.db'}"
    steps = (
        ["generate_assignment", LAB, "--force"],
        ["autograde", LAB, "--create", "--force"],
        ["generate_feedback", LAB, "--force"],
    )
    for argv in steps:
        if argv[0] == "autograde":
            for student, notebook in students.items():
                (course / "submitted" / student / LAB).mkdir(parents=True)
                shutil.copy(notebook, course / "submitted" / student / LAB / f"{LAB}.ipynb")
        nbgrader(argv, course, db)
    out = {"release": (course / "labs" / LAB / f"{LAB}.ipynb").read_bytes()}
    with Gradebook(db) as gb:
        for student in students:
            sub = gb.find_submission(LAB, student)
            html = (course / "feedback" / student / LAB / f"{LAB}.html").read_text(encoding="utf-8")
            out[student] = (float(sub.code_score), float(sub.max_code_score), html)
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory, submissions):
    mktemp = tmp_path_factory.mktemp
    bundle = mktemp("bundle") / f"{LAB}.zip"
    assert cli.main(["gradescope-bundle", "--lab", LAB, "--output", str(bundle)]) == 0
    with ThreadPoolExecutor(3) as pool:
        runs = {}
        for language in EDITIONS:
            runs["cli", language] = pool.submit(
                _cli, submissions[language, "broken"], mktemp(f"cli-{language}")
            )
            runs["gradescope", language] = pool.submit(
                _gradescope, bundle, mktemp(f"gs-{language}"), submissions[language, "broken"]
            )
        for language, kinds in (("ko", ("broken", "reference", "starter")), ("en", ("broken", "reference"))):
            students = {kind: submissions[language, kind] for kind in kinds}
            runs["nbgrader", language] = pool.submit(
                _nbgrader, mktemp(f"nbgrader-{language}"), language, students
            )
        runs["cli", "ko-starter"] = pool.submit(_cli, submissions["ko", "starter"], mktemp("cli-ko-starter"))
        return {key: future.result() for key, future in runs.items()}


# ---------------------------------------------------------------- the same scores everywhere
def _test_list(result: dict) -> list[dict]:
    """The tests of a JSON report (``grade --format json``) or of a Gradescope results.json."""
    return result["labs"][0]["tests"] if "labs" in result else result["tests"]


def _tests(result: dict, prefix: str = "") -> dict[str, float]:
    return {t["name"].removeprefix(prefix): t["score"] for t in _test_list(result)}


def test_both_editions_get_the_same_score_from_cli_nbgrader_and_gradescope(graded):
    spec = get_lab(LAB)
    scores = {}
    for language in EDITIONS:
        scores["cli", language] = graded["cli", language]["score"]
        scores["gradescope", language] = graded["gradescope", language]["score"]
        scores["nbgrader", language] = graded["nbgrader", language]["broken"][0]
        assert graded["nbgrader", language]["broken"][1] == spec.max_score
    assert len(set(scores.values())) == 1, scores
    assert 0 < scores["cli", "ko"] < spec.max_score, scores  # partial: the left-out answer cost points
    # test by test: the same verdicts in both editions, through the CLI and through Gradescope
    assert _tests(graded["cli", "ko"]) == _tests(graded["cli", "en"])
    gradescope = {lang: _tests(graded["gradescope", lang], f"{LAB}: ") for lang in EDITIONS}
    assert gradescope["ko"] == gradescope["en"] == _tests(graded["cli", "en"])


def test_references_get_full_marks_and_the_korean_starter_zero(graded):
    spec = get_lab(LAB)
    nbgrader = graded["nbgrader", "ko"]
    assert nbgrader["reference"][0] == graded["nbgrader", "en"]["reference"][0] == spec.max_score
    assert nbgrader["starter"][0] == 0
    assert graded["cli", "ko-starter"]["score"] == 0


def test_nbgrader_releases_the_committed_korean_edition(graded):
    assert graded["nbgrader", "ko"]["release"] == student_path(LAB, "ko").read_bytes()
    assert graded["nbgrader", "en"]["release"] == student_path(LAB, "en").read_bytes()


def _first_heading(language: str) -> str:
    nb = nbformat.read(student_path(LAB, language), as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "markdown").splitlines()[0].lstrip("# ")


def test_korean_submission_gets_korean_feedback(graded):
    # nbgrader's feedback is the Korean notebook (its Markdown and the kit's lines) ...
    korean, english = _first_heading("ko"), _first_heading("en")
    html = graded["nbgrader", "ko"]["broken"][2]
    assert korean.split()[0] in html and english not in html
    assert english.split(":")[0] in graded["nbgrader", "en"]["broken"][2]
    # ... and the grader's verdicts speak Korean to the Korean submission, English to the English
    for way in ("cli", "gradescope"):
        failed = [t for t in _test_list(graded[way, "ko"]) if t["score"] == 0]
        assert failed and all(HANGUL.search(t["output"]) for t in failed), (way, failed)
        failed = [t for t in _test_list(graded[way, "en"]) if t["score"] == 0]
        assert failed and not any(HANGUL.search(t["output"]) for t in failed), (way, failed)


def test_the_gradescope_bundle_restores_a_korean_submission_from_the_korean_edition(graded):
    from autograder.integrations.gradescope import bundle_members

    names = {name for name, _, _ in bundle_members(LAB)}
    for language in EDITIONS:
        for path in (instructor_path(LAB, language), student_path(LAB, language)):
            assert path.relative_to(ROOT).as_posix() in names
    assert "course.toml" in names
    for way in ("cli", "gradescope"):  # no "restored from the en edition" note
        text = json.dumps(graded[way, "ko"], ensure_ascii=False)
        assert "no ko edition" not in text and "locked cell" not in text, way
