"""Read a submitted notebook, tell which lab it is, and restore what the student may not change.

``read_submission`` turns any file into a notebook or a ``SubmissionError`` with a message a
person understands (invalid JSON, truncated, nbformat 3, not UTF-8, too large…).

``restore`` rebuilds the notebook to execute from the instructor's source, in the source's
order: locked and test cells (hidden tests included) always come from the source; answer cells
come from the student by grade id; the student's own extra cells stay after the graded cell they
followed. Every deviation becomes a note in the report ("locked cell `setup` was edited:
restored from the source").
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import nbformat

from autograder.course import EDITIONS, notebook_language
from autograder.labs import all_labs, get_lab
from autograder.paths import PROJECT_ROOT
from autograder.spec import LabSpec

MAX_NOTEBOOK_BYTES = 50 << 20
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


class SubmissionError(ValueError):
    """The file cannot be graded as a notebook; the message is the verdict."""


def read_submission(path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> nbformat.NotebookNode:
    path = Path(path)
    if path.is_symlink():
        raise SubmissionError(f"not a valid notebook: {path.name} is a symbolic link (not followed)")
    if not path.is_file():
        raise SubmissionError(f"not a valid notebook: {path.name} is not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise SubmissionError(
            f"not a valid notebook: {path.name} is {size / 2**20:.0f} MiB; the limit is "
            f"{max_bytes / 2**20:.0f} MiB (clear the outputs and resubmit)"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(
            f"not a valid notebook: {path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    if not text.strip():
        raise SubmissionError(f"not a valid notebook: {path.name} is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) - 2 or not text.rstrip().endswith("}")  # a notebook ends in }
        hint = " — the file looks truncated" if cut else ""
        raise SubmissionError(
            f"not a valid notebook: {path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}){hint}"
        ) from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError(f"not a valid notebook: {path.name} is JSON but has no notebook cells")
    major = data.get("nbformat")
    if major != 4:
        raise SubmissionError(
            f"not a valid notebook: Expected nbformat 4. Received: nbformat={major!r} "
            "(open it in JupyterLab 4 and save it again to upgrade)"
        )
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise SubmissionError(
            f"not a valid notebook: {path.name} fails the nbformat schema ({first})"
        ) from None
    return nb


def _grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


def identify_lab(nb: nbformat.NotebookNode, path: Path) -> str | None:
    """The lab id from the notebook's metadata, its grade ids, or its file name (in that order)."""
    labs = all_labs()
    meta = nb.metadata.get("autograder", {})
    if isinstance(meta, dict) and meta.get("lab") in labs:
        return meta["lab"]
    ids = {_grade_id(c) for c in nb.cells} - {None}
    best, best_hits = None, 0
    for lab_id, spec in labs.items():
        hits = len(ids & {q.grade_id for q in spec.questions})
        if hits > best_hits:
            best, best_hits = lab_id, hits
    if best:
        return best
    match = re.match(r"lab(\d\d)", Path(path).name)
    if match:
        for lab_id in labs:
            if lab_id[3:5] == match.group(1):
                return lab_id
    return None


def _edition_folder(lab_id: str, root: Path, language: str | None) -> Path:
    """Where the ``language`` edition of a lab lives: the course's own folders when it is the
    course language's (or no language is asked for), else ``editions/<language>/``. Told by the
    notebooks' metadata, so a course copy without ``course.toml`` (a Gradescope bundle) works."""
    course_nb = root / "solutions" / lab_id / f"{lab_id}.ipynb"
    if language is None:
        return root
    other = root / EDITIONS / language
    if (other / "solutions" / lab_id / f"{lab_id}.ipynb").is_file():
        if not course_nb.is_file() or notebook_language(nbformat.read(course_nb, as_version=4)) != language:
            return other
    return root


def source_notebook(
    lab_id: str, root: Path = PROJECT_ROOT, language: str | None = None
) -> nbformat.NotebookNode:
    """The instructor notebook of a lab: the edition in ``language`` where one exists, else the
    course's (nbgrader's source, ``solutions/<lab>/<lab>.ipynb``)."""
    path = _edition_folder(lab_id, Path(root), language) / "solutions" / lab_id / f"{lab_id}.ipynb"
    return nbformat.read(path, as_version=4)


def release_notebook(
    lab_id: str, root: Path = PROJECT_ROOT, language: str | None = None
) -> nbformat.NotebookNode:
    path = _edition_folder(lab_id, Path(root), language) / "labs" / lab_id / f"{lab_id}.ipynb"
    return nbformat.read(path, as_version=4)


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def restore(student: nbformat.NotebookNode, spec: LabSpec, root: Path = PROJECT_ROOT):
    """Return ``(notebook_to_execute, notes)``.

    Locked and test cells come from the instructor notebook of the submission's edition (its
    metadata ``autograder.language``; the course's when it names none): a Korean submission keeps
    its Korean text, and the code restored is the same in every edition but the ``Lab(...)`` line.
    """
    language = notebook_language(student)
    source = source_notebook(spec.lab_id, root, language)
    release_nb = release_notebook(spec.lab_id, root, language)
    release = {(_grade_id(c) or c.get("id")): c for c in release_nb.cells}
    notes: list[str] = []
    if language and notebook_language(source) not in (language, None):
        notes.append(
            f"no {language} edition of {spec.lab_id} here: locked cells were restored from the "
            f"{notebook_language(source)} edition"
        )
    src_by_key = {}
    for cell in source.cells:
        src_by_key[_grade_id(cell) or cell.get("id")] = cell
    answers: dict[str, nbformat.NotebookNode] = {}
    free_by_key: dict[str, nbformat.NotebookNode] = {}
    extras: dict[str | None, list] = defaultdict(list)
    seen: set[str] = set()
    anchor = None
    for cell in student.cells:
        gid = _grade_id(cell)
        key = gid or cell.get("id")
        if key in seen and key in src_by_key:
            notes.append(f"duplicate cell id `{key}`: only the first copy was kept")
            continue
        if gid and gid in src_by_key:
            seen.add(gid)
            src_meta = src_by_key[gid].metadata.nbgrader
            if src_meta.get("solution"):
                answers[gid] = cell
            else:
                released = release.get(gid)
                known = {_norm(src_by_key[gid].source)} | ({_norm(released.source)} if released else set())
                if released is not None and _norm(cell.source) not in known:  # hidden tests: the source's
                    notes.append(f"locked cell `{gid}` was edited: restored from the source")
            stu_meta = cell.metadata.get("nbgrader", {})
            if stu_meta.get("points") != src_meta.get("points") or stu_meta.get("grade") != src_meta.get(
                "grade"
            ):
                notes.append(f"nbgrader metadata of `{gid}` was changed: the source's points were used")
            anchor = gid
        elif not gid and key in src_by_key and key not in seen:
            seen.add(key)
            free_by_key[key] = cell
            anchor = key
        else:
            if gid:
                notes.append(f"cell `{gid}` is not part of {spec.lab_id}: its grading metadata was ignored")
            plain = nbformat.from_dict(dict(cell))
            plain.metadata.pop("nbgrader", None)
            extras[anchor].append(plain)
    out = nbformat.v4.new_notebook(metadata=source.metadata)
    out.cells.extend(extras.get(None, []))
    for src in source.cells:
        gid = _grade_id(src)
        key = gid or src.get("id")
        meta = src.metadata.get("nbgrader", {})
        if gid and meta.get("solution"):
            cell = answers.get(gid)
            if cell is None:
                notes.append(f"answer cell `{gid}` was deleted: graded as not attempted")
                cell = nbformat.from_dict(dict(src))
                cell.source = STUB if src.cell_type == "code" else "YOUR ANSWER HERE"
            cell = nbformat.from_dict(dict(cell))
            cell.metadata["nbgrader"] = dict(meta)
            cell.id = src.id
            out.cells.append(cell)
        elif gid:
            if gid not in seen and meta.get("grade"):
                notes.append(f"test cell `{gid}` was deleted: restored from the source")
            out.cells.append(nbformat.from_dict(dict(src)))
        else:
            out.cells.append(nbformat.from_dict(dict(free_by_key.get(key, src))))
        out.cells.extend(extras.get(key, []))
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # cell ids must be unique for nbformat 4.5
    used: set[str] = set()
    for index, cell in enumerate(out.cells):
        if not cell.get("id") or cell.id in used:
            cell.id = f"x{index:04d}"
        used.add(cell.id)
    return out, notes


def lab_for(path: Path, nb, override: str | None) -> LabSpec:
    if override:
        return get_lab(override)
    lab_id = identify_lab(nb, path)
    if lab_id is None:
        raise SubmissionError(
            f"cannot tell which lab {Path(path).name} is: Expected nbgrader metadata or a file name "
            f"like lab18_….ipynb (labs: {', '.join(all_labs())}); pass --lab to choose"
        )
    return get_lab(lab_id)
