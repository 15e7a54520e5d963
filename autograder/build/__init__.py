"""Build the course: percent-script sources → instructor notebooks → student notebooks.

The true source of a lab is ``solutions/<lab>/<lab>.py``, a jupytext *percent* script (reviewable
as a diff, no outputs). Cells are marked with tags in their header::

    # %% tags=["locked"] grade_id="setup"      read-only code (nbgrader locked cell)
    # %% tags=["solution"] grade_id="q1"       answer cell (### BEGIN/END SOLUTION inside)
    # %% tags=["tests"] grade_id="test_q1"      autograded test; points come from the LabSpec
    # %% [markdown] tags=["manual"] grade_id="why"   written answer, graded by hand

Every code cell but ``setup`` also gets the ``raises-exception`` tag (see ``RAISES``).

``build`` makes two editions of every lab from its one source, English and Korean
(``editions.py``: the Korean one is the English notebook with its Markdown and comments translated
from ``solutions/<lab>/locale/ko.po``), writes each instructor notebook and runs the real
``nbgrader generate_assignment`` to produce each student notebook. The course language's edition
(``course.toml``) is nbgrader's: ``solutions/<lab>/<lab>.ipynb`` and ``labs/<lab>/<lab>.ipynb``;
the other goes to ``editions/<language>/solutions/<lab>/`` and ``editions/<language>/labs/<lab>/``
(``autograder/course.py``). Everything is deterministic (cell ids come from grade ids and
positions), so a rebuild into a temporary directory must reproduce the committed files byte for
byte — ``tests/test_build.py`` checks it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
from labkit.checks import FILENAME as CHECKS

from autograder.labs import all_labs, get_lab
from autograder.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.S)
_ROLES = {
    "locked": dict(grade=False, solution=False, locked=True),
    "solution": dict(grade=False, solution=True, locked=False),
    "tests": dict(grade=True, solution=False, locked=True),
    "manual": dict(grade=True, solution=True, locked=False),
}


# Run All must reach the end: JupyterLab (and nbclient) go on past a failing cell tagged
# `raises-exception`, so a starter shows every ✘ check and the summary instead of stopping at the
# first. The error is still the cell's output, so nbgrader's validate and autograde still give a
# failing test cell 0 points, and our grader runs every cell anyway. Only the setup cell stops a
# run: when the imports fail, nothing after them can work.
RAISES = "raises-exception"
_STOP_ON_ERROR = {"setup"}


class BuildError(RuntimeError):
    pass


def source_path(lab_id: str, root: Path = ROOT) -> Path:
    return root / "solutions" / lab_id / f"{lab_id}.py"


def instructor_notebook(lab_id: str, root: Path = ROOT) -> nbformat.NotebookNode:
    """Read the percent script and give every cell its nbgrader metadata and a stable id."""
    spec = get_lab(lab_id)
    src = source_path(lab_id, root)
    if not src.exists():
        raise BuildError(f"Expected the lab source at {src}. Received: no such file")
    nb = jupytext.read(src, fmt="py:percent")
    seen: set[str] = set()
    graded = {q.grade_id: q.points for q in spec.questions}
    graded_in_nb: set[str] = set()
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata
        for jupytext_key in ("lines_to_next_cell", "cell_marker", "title"):
            meta.pop(jupytext_key, None)
        tags = list(meta.pop("tags", []))
        grade_id = meta.pop("grade_id", None)
        roles = [t for t in tags if t in _ROLES]
        if cell.cell_type == "code" and grade_id not in _STOP_ON_ERROR and RAISES not in tags:
            tags.append(RAISES)
        cell.id = grade_id or f"{cell.cell_type[:2]}{index:03d}"
        if cell.id in seen:
            raise BuildError(f"{src}: duplicate grade_id {cell.id!r}")
        seen.add(cell.id)
        if not roles:
            if grade_id:
                raise BuildError(f"{src}: cell {grade_id!r} has a grade_id but no role tag")
            if tags:
                meta["tags"] = tags
            continue
        if len(roles) > 1 or not grade_id:
            raise BuildError(f"{src}: cell {index} needs one role tag and a grade_id; got {tags}")
        role = roles[0]
        nbg = {"schema_version": 3, "grade_id": grade_id, "task": False, **_ROLES[role]}
        if role == "tests":
            if grade_id not in graded:
                raise BuildError(
                    f"{src}: test cell {grade_id!r} has no question in the LabSpec. "
                    f"Expected one of {sorted(graded)}"
                )
            nbg["points"] = graded[grade_id]
            graded_in_nb.add(grade_id)
            if not _HIDDEN_BLOCK.sub("", cell.source).strip():
                # A hidden-only test cell would be empty (and "pass") in the student copy: give it a
                # visible line that says a hidden test runs there, and fails while nothing is done.
                # It comes *after* the hidden block, so at grading the hidden check has run first.
                cell.source = (
                    cell.source.rstrip() + f'\nlab.hidden_notice("{grade_id.removeprefix("test_")}")'
                )
        elif role == "manual":
            if grade_id not in spec.manual:
                raise BuildError(f"{src}: manual cell {grade_id!r} missing from LabSpec.manual")
            nbg["points"] = spec.manual[grade_id]
        meta["nbgrader"] = dict(sorted(nbg.items()))
        if tags := [t for t in tags if t not in _ROLES]:
            meta["tags"] = tags
    missing = sorted(set(graded) - graded_in_nb)
    if missing:
        raise BuildError(f"{src}: the LabSpec grades {missing} but the notebook has no such test cell")
    nb.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
        "autograder": {"lab": lab_id},
    }
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb) + "\n"
    path.write_text(text, encoding="utf-8")


def generate_student(lab_ids: list[str], course: Path, out_dirs: dict[str, Path]) -> None:
    """Run the real ``nbgrader generate_assignment`` on a copy of the course (one run for all the
    labs in it: nbgrader's start-up is most of its time), then collect each lab's release."""
    env = dict(os.environ)
    # nbgrader shells out to `alembic`: the venv's bin/ must be on PATH even when not activated.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    cmd = [
        sys.executable,
        "-m",
        "nbgrader",
        "generate_assignment",
        lab_ids[0] if len(lab_ids) == 1 else "*",
        "--force",
        "--CourseDirectory.root=" + str(course),
        "--CourseDirectory.db_url=sqlite:///" + str(course / "gradebook.db"),
        "--log-level=ERROR",
    ]
    proc = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(
            f"nbgrader generate_assignment {' '.join(lab_ids)} failed:\n{proc.stdout}\n{proc.stderr}"
        )
    for lab_id in lab_ids:
        release, out_dir = course / "labs" / lab_id, out_dirs[lab_id]
        if not (release / f"{lab_id}.ipynb").is_file():
            raise BuildError(f"nbgrader generate_assignment wrote no {release / lab_id}.ipynb")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        shutil.copytree(release, out_dir)


def _remove_lab(base: Path, lab_id: str) -> None:
    """Drop a stale copy of a lab from ``base`` (an edition folder), and the folders left empty."""
    for kind in ("solutions", "labs"):
        folder = base / kind / lab_id
        if folder.is_dir():
            shutil.rmtree(folder)
        for empty in (base / kind, base):
            if empty.is_dir() and not any(empty.iterdir()):
                empty.rmdir()


def build(
    lab_ids: list[str] | None = None,
    root: Path = ROOT,
    out_root: Path | None = None,
    languages: list[str] | None = None,
) -> list[Path]:
    """Build the given labs (default: all) in the given editions (default: all) into ``out_root``
    (default: the project itself). The course language's edition (``course.toml``) goes to
    ``solutions/`` and ``labs/``, nbgrader's folders; the other to ``editions/<language>/``."""
    from autograder.build import editions
    from autograder.course import EDITIONS, LANGUAGES, course_language, edition_root

    out_root = out_root or root
    course_lang = course_language(root)
    lab_ids = [get_lab(lab_id).lab_id for lab_id in (lab_ids or list(all_labs()))]
    for language in languages or ():
        if language not in LANGUAGES:
            raise BuildError(f"Expected a language out of {', '.join(LANGUAGES)}. Received: {language!r}")
    languages = [lang for lang in LANGUAGES if lang in (languages or LANGUAGES)]
    written = []
    with tempfile.TemporaryDirectory(prefix="course-") as tmp:
        # one temporary nbgrader course per edition: two editions of a lab in one source folder
        # would be two notebooks of one assignment
        courses = {lang: Path(tmp) / lang for lang in languages}
        for course in courses.values():
            course.mkdir()
            shutil.copy(root / "nbgrader_config.py", course / "nbgrader_config.py")
        # every edition of every lab first: a missing translation stops the build before it writes
        made = {}
        for lab_id in lab_ids:
            english = instructor_notebook(lab_id, root)
            for language in languages:
                made[lab_id, language] = editions.edition(english, lab_id, language, root)
        releases: dict[str, dict[str, Path]] = {lang: {} for lang in languages}
        for lab_id in lab_ids:
            checks = root / "solutions" / lab_id / CHECKS
            if not checks.is_file():
                raise BuildError(
                    f"Expected the public checks at {checks}. Received: no such file "
                    "(record them: `python -m autograder build --checks`)"
                )
            if out_root != root:
                (out_root / "solutions" / lab_id).mkdir(parents=True, exist_ok=True)
                shutil.copy(checks, out_root / "solutions" / lab_id / CHECKS)
            _remove_lab(out_root / EDITIONS / course_lang, lab_id)  # left from another course language
            for language in languages:
                nb = made[lab_id, language]
                base = edition_root(language, out_root, course_lang)
                src_nb = base / "solutions" / lab_id / f"{lab_id}.ipynb"
                write_notebook(nb, src_nb)
                write_notebook(nb, courses[language] / "solutions" / lab_id / f"{lab_id}.ipynb")
                shutil.copy(checks, courses[language] / "solutions" / lab_id / CHECKS)  # released with it
                releases[language][lab_id] = base / "labs" / lab_id
                written += [src_nb, base / "labs" / lab_id / f"{lab_id}.ipynb"]
        for language in languages:
            generate_student(lab_ids, courses[language], releases[language])
    if (out_root / EDITIONS).is_dir() and not any((out_root / EDITIONS).iterdir()):
        (out_root / EDITIONS).rmdir()
    return written


def update_catalogs(lab_ids: list[str] | None = None, root: Path = ROOT) -> list[Path]:
    """Merge every lab's English messages into its translation catalogs (``--lab-catalogs``)."""
    from autograder.build.editions import update_lab_catalogs

    return update_lab_catalogs(lab_ids, root)


def record_checks(lab_ids: list[str] | None = None, root: Path = ROOT) -> list[Path]:
    """Re-record ``solutions/<lab>/public_checks.json``: run each instructor notebook (freshly
    built from its source), then grade its answers while recording the public comparisons."""
    from autograder.build.editions import edition
    from autograder.build.public_checks import build_checks
    from autograder.course import course_language

    lab_ids = [get_lab(lab).lab_id for lab in (lab_ids or list(all_labs()))]
    language = course_language(root)  # nbgrader's source notebook is the course language's edition
    for lab_id in lab_ids:
        nb = edition(instructor_notebook(lab_id, root), lab_id, language, root)
        write_notebook(nb, root / "solutions" / lab_id / f"{lab_id}.ipynb")
    with tempfile.TemporaryDirectory(prefix="checks-") as tmp:
        return build_checks(lab_ids, root / "solutions", Path(tmp))
