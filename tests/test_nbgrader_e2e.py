"""nbgrader, unchanged, on this course layout: generate → submit → autograde → feedback → export.

Runs the real nbgrader CLI (its own gradebook, its own kernel) in a temporary copy of the course.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.labs import get_lab

ROOT = Path(__file__).resolve().parent.parent
LAB = "lab19_xor_relu"  # the fastest lab: a few seconds per notebook

pytestmark = pytest.mark.slow


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _liar(released: Path) -> nbformat.NotebookNode:
    """The untouched starter, plus a first answer cell that makes every self-check print ✔ and
    return without saving anything: nbgrader alone would see no error in any test cell."""
    nb = nbformat.read(released, as_version=4)
    first = next(c for c in nb.cells if (c.metadata.get("nbgrader") or {}).get("solution"))
    first.source = "lab.check = lambda *args, **kwargs: print('✔ correct')\n" + first.source
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory, mnist_path) -> Path:
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / LAB, course / "solutions" / LAB)
    os.environ["AUTOGRADER_MNIST"] = str(mnist_path)
    nbgrader(course, "generate_assignment", LAB, "--force")
    released = course / "labs" / LAB / f"{LAB}.ipynb"
    assert released.read_bytes() == (ROOT / "labs" / LAB / f"{LAB}.ipynb").read_bytes()
    # nothing but the notebook and its public checks: no sources, no catalogs (solution comments)
    assert {p.name for p in released.parent.iterdir()} == {f"{LAB}.ipynb", "public_checks.json"}
    liar = course / "mallory.ipynb"
    nbformat.write(_liar(released), liar)
    submissions = (
        ("alice", ROOT / "solutions" / LAB / f"{LAB}.ipynb"),
        ("bob", released),
        ("mallory", liar),
    )
    for student, notebook in submissions:
        target = course / "submitted" / student / LAB
        target.mkdir(parents=True)
        shutil.copy(notebook, target / f"{LAB}.ipynb")
        (target / "timestamp.txt").write_text("2026-11-28 12:00:00.000000 UTC")
    nbgrader(course, "autograde", LAB, "--force")
    nbgrader(course, "generate_feedback", LAB, "--force")
    nbgrader(course, "export")
    return course


def test_autograde_export_scores(course):
    spec = get_lab(LAB)
    with open(course / "grades.csv") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["alice"]["raw_score"]) == spec.max_score  # reference: every autograded point
    assert float(rows["bob"]["raw_score"]) == 0.0  # untouched student notebook
    # the kernel's word is not the score: a notebook whose checks all print ✔ gets the grader's 0
    assert float(rows["mallory"]["raw_score"]) == 0.0
    manual = sum(spec.manual.values())
    assert float(rows["alice"]["max_score"]) == spec.max_score + manual


def test_autograde_draws_hidden_inputs_and_takes_the_graders_verdicts(course):
    graded = nbformat.read(course / "autograded" / "alice" / LAB / f"{LAB}.ipynb", as_version=4)
    seed = graded.metadata["autograder"]["hidden_seed"]  # RescoreTests ran, with this run's seed
    assert isinstance(seed, int)
    hidden = [c for c in graded.cells if "BEGIN HIDDEN TESTS" in c.source]
    assert hidden
    for cell in hidden:  # the grader's verdict on the hidden inputs, not "skipped"
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert text.startswith("✔") and "hidden" in text and "skipped" not in text, text


def test_feedback_is_written_and_readable(course):
    for student in ("alice", "bob"):
        html = (course / "feedback" / student / LAB / f"{LAB}.html").read_text()
        assert LAB in html or "Lab 19" in html
    bob = (course / "feedback" / "bob" / LAB / f"{LAB}.html").read_text()
    assert "not attempted yet" in bob  # the friendly self-check line, not a bare traceback


def test_nbgrader_validate_agrees(course):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    released = course / "labs" / LAB / f"{LAB}.ipynb"
    reference = course / "solutions" / LAB / f"{LAB}.ipynb"
    ok = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", str(reference)],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout + ok.stderr
    inverted = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", "--invert", str(released)],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Success! The notebook does not pass any tests." in inverted.stdout, (
        inverted.stdout + inverted.stderr
    )
