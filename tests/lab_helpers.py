"""Helpers of the graders' unit tests: tests/ and every lab folder's ``solutions/<lab>/test_*.py``.

Importable as ``lab_helpers`` from both (pyproject.toml: pytest's ``pythonpath`` holds tests/).
Fixtures (``keras``, ``mnist_path``) are in the project's root conftest.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from labkit.answers import save_answer

from autograder.grading.judge import judge
from autograder.labs import get_lab
from autograder.spec import GradeContext, Verdict


def grade(tmp_path, lab_id: str, question: str, seed: int, **answers) -> Verdict:
    """Save ``answers`` (name → value) and judge ``question`` as the grader would, hidden seed ``seed``."""
    for name, value in answers.items():
        save_answer(tmp_path, name, value)
    return judge(get_lab(lab_id).question(question), GradeContext(tmp_path, seed=seed, spec=get_lab(lab_id)))


def grader(lab_id: str, seed: int):
    """``grade`` for one lab and seed: ``(tmp_path, question, **answers) → Verdict``."""

    def grade_lab(tmp_path, question: str, **answers) -> Verdict:
        return grade(tmp_path, lab_id, question, seed, **answers)

    return grade_lab


def expect_fail(verdict, *fragments):
    assert not verdict.passed, verdict.message
    assert verdict.message.startswith("Expected") and "Received" in verdict.message, verdict.message
    for fragment in fragments:
        assert fragment in verdict.message, (fragment, verdict.message)


def xor_deep_model(keras, activation, depth=3, units=10):
    """The deep XOR network of labs 18 and 19: 2 → ``depth`` × Dense(``units``, activation) → 1."""
    return keras.Sequential(
        [keras.Input(shape=(2,))]
        + [keras.layers.Dense(units, activation=activation) for _ in range(depth)]
        + [keras.layers.Dense(1, activation="sigmoid")]
    )


def mlp(keras, widths, *, dropout=0.0, out=10, out_activation=None, inputs=784, init="he_normal", extra=()):
    """A fully connected MNIST classifier (labs 20–24): ReLU hidden layers of ``widths``."""
    layers = [keras.Input(shape=(inputs,))]
    for units in widths:
        layers.append(keras.layers.Dense(units, activation="relu", kernel_initializer=init))
        layers.extend(extra)
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(out, activation=out_activation, kernel_initializer=init))
    return keras.Sequential(layers)


# The edition whose whole notebooks the lab tests grade (tests/test_labs_15_17.py, test_lab18_19.py,
# test_labs_20_24.py, test_labs_25_28.py: every lab's reference → full marks, starter → 0): the
# Korean one, the language the course is taught in. The English edition is the same code cell by
# cell (tests/test_translations.py) and is graded end to end by test_editions_grading.py,
# test_nbgrader_e2e.py, test_student_ci.py and test_run_all.py. LABS_EDITION=en grades English.
EDITION = os.environ.get("LABS_EDITION", "ko")


def edition_notebook(lab_id: str, kind: str, language: str | None = None) -> Path:
    """The ``reference`` (instructor) or ``starter`` (student) notebook of one edition."""
    from autograder.course import instructor_path, student_path

    where = {"reference": instructor_path, "starter": student_path}[kind]
    return where(lab_id, language or EDITION)


def unanswered(lab_id: str, language: str | None = None) -> dict[str, str]:
    """What the grader says of each question of ``lab_id`` when no answer was saved at all, in
    ``language`` (a starter's verdicts, whatever language the grader speaks)."""
    from autograder.grading.judge import score_lab

    with tempfile.TemporaryDirectory(prefix="unanswered-") as empty:
        result = score_lab(get_lab(lab_id), Path(empty), seed=0, language=language)
    return {t.name: t.output for t in result.tests}


def nbgrader(argv: list[str], course: Path, db: str) -> None:
    """Run the real nbgrader CLI (``argv``, e.g. ``["autograde", lab, "--force"]``) on ``course``
    with gradebook ``db``; fails the test with nbgrader's output when it does not succeed."""
    venv_bin = Path(sys.executable).parent  # nbgrader shells out to `alembic`
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    common = [f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url={db}", "--log-level=ERROR"]
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *argv, *common],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"nbgrader {' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
        )
