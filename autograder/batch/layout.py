"""Find the submissions of a whole course: one ``Task`` per (student, lab).

Accepted layouts (``discover``):

* nbgrader: ``submitted/<student>/<lab>/<lab>.ipynb`` (the path may name the course directory,
  which holds ``submitted/``, or ``submitted/`` itself);
* flat: ``<student>/…/*.ipynb`` — each student's folder holds their notebooks (up to three levels
  down), and each notebook's lab is told the way ``grade`` tells it (metadata, grade ids, name);
* a ``.zip`` of either (an LMS download), extracted safely by ``extract_zip`` first;
* one wrapping folder around any of these (``course/submitted/…``, ``download/alice/…``).

Anything else is a ``LayoutError`` whose message lists what was found. Folders and files whose
name starts with ``.`` or ``__MACOSX`` are ignored, and symbolic links to folders are never
followed (a symbolic link *notebook* becomes a task, so its verdict names it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.notebooks import MAX_NOTEBOOK_BYTES, SubmissionError, identify_lab, read_submission
from autograder.labs import all_labs, get_lab

LAB_DIR = re.compile(r"^lab\d\d")
UNIDENTIFIED = "unidentified-"
ZIP_MAX_MEMBERS = 20_000
ZIP_MAX_TOTAL_BYTES = 4 << 30
ZIP_MAX_FILE_BYTES = MAX_NOTEBOOK_BYTES
ZIP_KEEP = re.compile(r"(\.ipynb|(^|/)timestamp\.txt)$", re.IGNORECASE)


class LayoutError(ValueError):
    """The submissions cannot be read as a course; the message says what was found instead."""


@dataclass(frozen=True)
class Task:
    """One student's notebook for one lab: the unit that is graded, saved and resumed."""

    student: str
    lab: str  # a registered lab id, or ``unidentified-<file stem>``
    path: Path
    source: str  # the path shown in reports: relative to the submissions root
    notes: tuple[str, ...] = ()
    timestamp: str | None = None  # nbgrader's timestamp.txt, when there is one

    @property
    def known(self) -> bool:
        return self.lab in all_labs()

    @property
    def key(self) -> str:
        return f"{self.student}/{self.lab}"


@dataclass
class Discovery:
    root: Path
    layout: str  # "nbgrader" | "flat" | "mixed"
    tasks: list[Task]
    warnings: list[str] = field(default_factory=list)


def _visible(entry: os.DirEntry | Path) -> bool:
    return not entry.name.startswith(".") and entry.name != "__MACOSX"


def _entries(path: Path) -> list[os.DirEntry]:
    with os.scandir(path) as it:
        return sorted((e for e in it if _visible(e)), key=lambda e: e.name)


def _notebooks(folder: Path, depth: int, skip: set[str] = frozenset()) -> list[Path]:
    """``*.ipynb`` under ``folder`` down to ``depth`` levels, never through symbolic links."""
    found: list[Path] = []
    for entry in _entries(folder):
        if entry.name in skip:
            continue
        if entry.name.endswith(".ipynb") and not entry.is_dir(follow_symlinks=False):
            found.append(Path(entry.path))
        elif depth > 1 and entry.is_dir(follow_symlinks=False):
            found += _notebooks(Path(entry.path), depth - 1)
    return found


def _lab_of_folder(name: str) -> str | None:
    """The registered lab a folder name stands for (``lab18_xor_sigmoid`` or ``lab18``)."""
    if not LAB_DIR.match(name):
        return None
    try:
        return get_lab(name).lab_id
    except KeyError:
        return None


def _identify(path: Path) -> str | None:
    try:
        return identify_lab(read_submission(path), path)
    except (SubmissionError, OSError, RecursionError, ValueError):
        match = re.match(r"lab(\d\d)", path.name)  # unreadable: the file name, as `grade` would
        found = [lab for lab in all_labs() if match and lab[3:5] == match.group(1)]
        return found[0] if len(found) == 1 else None


def _pick(lab: str, paths: list[Path], root: Path) -> tuple[Path, tuple[str, ...]]:
    """The notebook graded when a student handed in several for one lab (as ``grade`` picks)."""
    paths = sorted(paths, key=lambda p: (p.name != f"{lab}.ipynb", str(p)))
    if len(paths) == 1:
        return paths[0], ()
    ignored = ", ".join(str(p.relative_to(root)) for p in paths[1:])
    return paths[0], (f"{len(paths)} notebooks for {lab}: graded {paths[0].name}, ignored {ignored}",)


def _timestamp(folder: Path) -> str | None:
    stamp = folder / "timestamp.txt"
    if stamp.is_file() and not stamp.is_symlink():
        with open(stamp, "rb") as handle:
            text = handle.read(100).decode("utf-8", "replace").strip()
        return text or None
    return None


def _student_tasks(folder: Path, root: Path, only_lab: str | None, warnings: list[str]) -> tuple[list, set]:
    student, kinds, tasks = folder.name, set(), []
    lab_folders = {}
    for entry in _entries(folder):
        if entry.is_dir(follow_symlinks=False) and LAB_DIR.match(entry.name):
            lab = _lab_of_folder(entry.name)
            if lab is None:
                warnings.append(f"{student}/{entry.name}: not a lab of this course (skipped)")
            else:
                lab_folders[entry.name] = lab
        elif entry.is_symlink() and entry.is_dir():
            warnings.append(f"{student}/{entry.name}: a symbolic link to a folder (not followed)")
    by_lab: dict[str, list[Path]] = {}
    stamps: dict[str, str | None] = {}
    for name, lab in lab_folders.items():
        found = _notebooks(folder / name, depth=2)
        if not found:
            warnings.append(f"{student}/{name}: no notebook in it (nothing to grade)")
            continue
        kinds.add("nbgrader")
        by_lab.setdefault(lab, []).extend(found)
        stamps[lab] = _timestamp(folder / name)
    for path in _notebooks(folder, depth=3, skip=set(lab_folders)):
        kinds.add("flat")
        lab = _identify(path) or only_lab or f"{UNIDENTIFIED}{_safe(path.stem)}"
        by_lab.setdefault(lab, []).append(path)
    for lab in sorted(by_lab):
        if only_lab and lab != only_lab:
            continue
        path, notes = _pick(lab, by_lab[lab], folder)
        tasks.append(Task(student, lab, path, str(path.relative_to(root)), notes, stamps.get(lab)))
    return tasks, kinds


def _safe(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)[:80] or "notebook"


def _scan(root: Path, only_lab: str | None) -> Discovery | None:
    base = (
        root / "submitted"
        if (root / "submitted").is_dir() and not (root / "submitted").is_symlink()
        else root
    )
    tasks: list[Task] = []
    kinds: set[str] = set()
    warnings: list[str] = []
    for entry in _entries(base):
        if entry.is_dir(follow_symlinks=False):
            found, how = _student_tasks(Path(entry.path), base, only_lab, warnings)
            tasks += found
            kinds |= how
        elif entry.is_symlink() and entry.is_dir():
            warnings.append(f"{entry.name}: a symbolic link to a folder (not followed)")
    if not kinds:
        return None
    top = [e.name for e in _entries(base) if e.name.endswith(".ipynb")]
    if top:
        warnings.append(f"notebooks outside any student's folder (not graded): {', '.join(top[:8])}")
    layout = "mixed" if len(kinds) > 1 else kinds.pop()
    return Discovery(base, layout, tasks, warnings)


def _describe(root: Path) -> str:
    entries = _entries(root)
    top = [e.name for e in entries if e.name.endswith(".ipynb")]
    folders = [e.name + "/" for e in entries if e.is_dir(follow_symlinks=False)]
    others = [e.name for e in entries if e.name not in top and e.name + "/" not in folders]

    def listing(names: list[str]) -> str:
        shown = ", ".join(names[:8])
        return shown + (f", … ({len(names) - 8} more)" if len(names) > 8 else "")

    parts = []
    if top:
        parts.append(f"{len(top)} notebook(s) at the top level ({listing(top)})")
    if folders:
        parts.append(
            f"{len(folders)} folder(s) without notebooks a lab could be told from ({listing(folders)})"
        )
    if others:
        parts.append(f"{len(others)} other file(s) ({listing(others)})")
    return "; ".join(parts) or "nothing (it is empty)"


def _wrapped(folder: Path) -> Path | None:
    """The one folder inside ``folder`` when ``folder`` only wraps the real root, else None.

    A wrapper holds no notebook and exactly one folder, which itself holds no notebook and no
    lab folder (else it would be a student's) — only further folders.
    """
    if (folder / "submitted").is_dir():
        return None
    entries = _entries(folder)
    dirs = [e for e in entries if e.is_dir(follow_symlinks=False)]
    if len(dirs) != 1 or any(e.name.endswith(".ipynb") for e in entries):
        return None
    inside = _entries(Path(dirs[0].path))
    if any(e.name.endswith(".ipynb") or (e.is_dir() and LAB_DIR.match(e.name)) for e in inside):
        return None
    return Path(dirs[0].path) if any(e.is_dir(follow_symlinks=False) for e in inside) else None


def discover(path: str | os.PathLike, only_lab: str | None = None) -> Discovery:
    """The tasks under ``path`` (a folder; extract a zip with ``extract_zip`` first)."""
    root = Path(path)
    if not root.is_dir():
        raise LayoutError(f"Expected a folder or a .zip of submissions. Received: {root} (no such folder)")
    only_lab = get_lab(only_lab).lab_id if only_lab else None
    here = root
    for _ in range(2):  # up to two wrapping folders (an LMS download's, a course folder's)
        inner = _wrapped(here)
        if inner is None:
            break
        here = inner
    found = _scan(here, only_lab)
    if found is not None:
        return found
    hint = ""
    if any(e.name.endswith(".ipynb") for e in _entries(here)):
        hint = " (one student's notebooks? grade them with `python -m autograder grade FOLDER`)"
    raise LayoutError(
        "Expected nbgrader's submitted/<student>/<lab>/<lab>.ipynb, or one folder per student "
        f"holding notebooks (<student>/lab18_….ipynb), or a .zip of either. Received: {here}, "
        f"which holds {_describe(here)}{hint}"
    )


# ---------------------------------------------------------------- zip files
def _member_path(name: str) -> tuple[str, ...] | None:
    """The safe relative path of a zip member, or None when it is unsafe."""
    name = name.replace("\\", "/")
    if name.startswith("/") or "\x00" in name or re.match(r"^[A-Za-z]:", name):
        return None
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if any(p == ".." for p in parts):
        return None
    return parts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_zip(archive: Path, into: Path) -> tuple[Path, list[str]]:
    """Extract the notebooks (and nbgrader ``timestamp.txt`` files) of ``archive`` under ``into``.

    The whole archive is refused when a member has an absolute path, a ``..`` component or is a
    symbolic link, when it has more than ``ZIP_MAX_MEMBERS`` members, or when it would expand to
    more than ``ZIP_MAX_TOTAL_BYTES`` (counted while decompressing, not trusted from headers). A
    single member larger than ``ZIP_MAX_FILE_BYTES`` is skipped with a warning. Other files are
    not extracted at all (grading needs nothing but the notebooks). Extracting the same archive
    again reuses the earlier, complete extraction.
    """
    archive = Path(archive)
    target = into / f"{_safe(archive.stem)}-{_sha256(archive)[:12]}"
    marker = target / ".extracted.json"
    if marker.is_file():
        return target, json.loads(marker.read_text())["warnings"]
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise LayoutError(f"Expected a readable .zip of submissions. Received: {archive} ({exc})") from None
    with zf:
        members = zf.infolist()
        if len(members) > ZIP_MAX_MEMBERS:
            raise LayoutError(f"refusing {archive.name}: {len(members)} members (limit {ZIP_MAX_MEMBERS})")
        unsafe = []
        for info in members:
            mode = info.external_attr >> 16
            if _member_path(info.filename) is None:
                unsafe.append(f"{info.filename!r} (absolute path or '..')")
            elif stat.S_ISLNK(mode):
                unsafe.append(f"{info.filename!r} (symbolic link)")
        if unsafe:
            raise LayoutError(
                f"refusing {archive.name}: unsafe member(s) {', '.join(unsafe[:5])}"
                + (f" and {len(unsafe) - 5} more" if len(unsafe) > 5 else "")
            )
        into.mkdir(parents=True, exist_ok=True)
        staging = into / f".partial-{target.name}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        warnings, total, seen = [], 0, set()
        try:
            for info in members:
                parts = _member_path(info.filename)
                if info.is_dir() or not parts or not ZIP_KEEP.search("/".join(parts)):
                    continue
                if any(p.startswith(".") or p == "__MACOSX" for p in parts):
                    continue
                if info.flag_bits & 0x1:
                    warnings.append(f"{info.filename}: encrypted (skipped)")
                    continue
                if parts in seen:
                    warnings.append(f"{info.filename}: a second member with this name (skipped)")
                    continue
                seen.add(parts)
                dest = staging.joinpath(*parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                written, too_big = 0, False
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
                with zf.open(info) as src, os.fdopen(fd, "wb") as out:
                    for block in iter(lambda src=src: src.read(1 << 20), b""):
                        written += len(block)
                        total += len(block)
                        if total > ZIP_MAX_TOTAL_BYTES:
                            raise LayoutError(
                                f"refusing {archive.name}: it expands to more than "
                                f"{ZIP_MAX_TOTAL_BYTES >> 30} GiB"
                            )
                        if written > ZIP_MAX_FILE_BYTES:
                            too_big = True
                            break
                        out.write(block)
                if too_big:
                    dest.unlink()
                    warnings.append(
                        f"{info.filename}: larger than {ZIP_MAX_FILE_BYTES >> 20} MiB (skipped, not graded)"
                    )
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise LayoutError(
                f"Expected a readable .zip of submissions. Received: {archive} ({exc})"
            ) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    (staging / ".extracted.json").write_text(json.dumps({"archive": str(archive), "warnings": warnings}))
    if target.exists():  # an interrupted earlier extraction without its marker
        shutil.rmtree(target)
    os.replace(staging, target)
    return target, warnings


def summarise(discovery: Discovery) -> str:
    students = {t.student for t in discovery.tasks}
    labs = Counter(t.lab for t in discovery.tasks)
    per_lab = ", ".join(f"{lab} ×{n}" for lab, n in sorted(labs.items()))
    return (
        f"{len(discovery.tasks)} submission(s) from {len(students)} student(s) "
        f"({discovery.layout} layout in {discovery.root}): {per_lab or 'none'}"
    )
