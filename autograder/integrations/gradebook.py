"""Push batch results into an nbgrader gradebook, so formgrader and ``nbgrader export`` show them.

For each lab (an nbgrader *assignment* whose one *notebook* has the lab's name) the grade cells
are the lab's questions (``test_<name>``, code, their points) and its manually graded cells
(markdown). When the instructor already ran ``nbgrader generate_assignment`` with this database,
those rows exist and are used as they are; missing ones are added, nothing is changed or removed.

Each graded submission then gets, per autograded cell, ``auto_score`` = the batch's score for
that test and ``needs_manual_grade = False`` — exactly the fields ``nbgrader autograde`` sets.
A grade that has a ``manual_score`` (a person graded it in formgrader) is left entirely alone:
manual grades are never overwritten. Manually graded cells (written answers) are not touched,
so formgrader still lists them as needing a grade.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.store import Record
from autograder.labs import all_labs
from autograder.paths import PROJECT_ROOT
from autograder.spec import LabSpec


@dataclass
class PushReport:
    submissions: int = 0
    new_submissions: int = 0
    scores: int = 0
    kept_manual: int = 0
    skipped: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.submissions} submission(s) pushed ({self.new_submissions} new), {self.scores} "
            f"autograded score(s) set, {self.kept_manual} manual grade(s) left as they were"
        )
        return text + (
            f"; skipped {len(self.skipped)} ({', '.join(self.skipped[:5])})" if self.skipped else ""
        )


def default_course_id() -> str:
    """``c.CourseDirectory.course_id`` from the project's nbgrader_config.py."""
    try:
        text = (PROJECT_ROOT / "nbgrader_config.py").read_text()
    except OSError:
        return "default_course"
    match = re.search(r"""CourseDirectory\.course_id\s*=\s*["']([^"']+)["']""", text)
    return match.group(1) if match else "default_course"


@contextlib.contextmanager
def _alembic_on_path():
    """nbgrader runs the ``alembic`` command when it creates a database: find the venv's."""
    if shutil.which("alembic") is not None:
        yield
        return
    saved = os.environ.get("PATH")
    os.environ["PATH"] = os.pathsep.join(p for p in (str(Path(sys.executable).parent), saved) if p)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = saved


def _ensure_assignment(gb, spec: LabSpec) -> dict:
    """The lab's assignment, notebook and grade cells (created where missing); cells by name."""
    from nbgrader.api import MissingEntry

    lab = spec.lab_id
    try:
        gb.find_assignment(lab)
    except MissingEntry:
        gb.add_assignment(lab)
    try:
        gb.find_notebook(lab, lab)
    except MissingEntry:
        gb.add_notebook(lab, lab)
    wanted = [(q.grade_id, q.points, "code") for q in spec.questions]
    wanted += [(name, points, "markdown") for name, points in spec.manual.items()]
    cells = {}
    for name, points, kind in wanted:
        try:
            cells[name] = gb.find_grade_cell(name, lab, lab)
        except MissingEntry:
            cells[name] = gb.add_grade_cell(name, lab, lab, max_score=float(points), cell_type=kind)
    return cells


def _submitted_notebook(gb, lab: str, student: str, timestamp: str | None):
    from nbgrader.api import MissingEntry, SubmittedNotebook

    created = False
    try:
        submission = gb.find_submission(lab, student)
    except MissingEntry:
        kwargs = {}
        if timestamp:
            from nbgrader.utils import parse_utc

            try:
                parse_utc(timestamp)
                kwargs["timestamp"] = timestamp
            except (ValueError, TypeError, OverflowError):
                pass
        submission = gb.add_submission(lab, student, **kwargs)
        created = True
    for notebook in submission.notebooks:
        if notebook.name == lab:
            return notebook, created
    notebook = SubmittedNotebook(notebook=gb.find_notebook(lab, lab), assignment=submission)
    gb.db.add(notebook)
    gb.db.commit()
    return notebook, created


def push_results(records: list[Record], db_url: str, course_id: str | None = None) -> PushReport:
    """Write every record of a registered lab into the gradebook at ``db_url``."""
    from nbgrader.api import Grade, Gradebook

    labs, report = all_labs(), PushReport()
    with _alembic_on_path():
        gb = Gradebook(db_url, course_id=course_id or default_course_id())
    with gb, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's add_submission
        cells_of: dict[str, dict] = {}
        for record in records:
            spec = labs.get(record.lab)
            if spec is None:
                report.skipped.append(f"{record.student}/{record.lab}")
                continue
            if record.lab not in cells_of:
                cells_of[record.lab] = _ensure_assignment(gb, spec)
            cells = cells_of[record.lab]
            gb.update_or_create_student(record.student)
            notebook, created = _submitted_notebook(
                gb, record.lab, record.student, record.data.get("batch", {}).get("timestamp")
            )
            report.submissions += 1
            report.new_submissions += created
            grades = {grade.cell_id: grade for grade in notebook.grades}
            scores = {
                t["name"]: float(t["score"])
                for lab in record.data.get("labs", [])
                if lab.get("lab") == record.lab
                for t in lab.get("tests", [])
            }
            for question in spec.questions:
                cell = cells[question.grade_id]
                grade = grades.get(cell.id)
                if grade is None:
                    grade = Grade(cell_id=cell.id, notebook=notebook)
                    gb.db.add(grade)
                if grade.manual_score is not None:
                    report.kept_manual += 1
                    continue
                grade.auto_score = scores.get(question.grade_id, 0.0)
                grade.needs_manual_grade = False
                report.scores += 1
            gb.db.commit()
    return report
