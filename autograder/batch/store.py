"""Where a batch keeps its results, and the tables made from them.

``OUTPUT/results/<student>/<lab>.json``  one graded submission: the project's JSON schema (so
                                         ``python -m autograder report`` renders it) plus a
                                         ``batch`` object (student, lab, source, sha256, when, where);
``OUTPUT/errors/<student>/<lab>.json``   the grader itself failed on it (not a grade; retried);
``OUTPUT/backups/<run>/<student>/<lab>.json``  every result replaced by ``--force`` or a changed
                                         submission, kept — a saved grade is never deleted;
``OUTPUT/grades.csv``, ``OUTPUT/summary.txt``  rebuilt from ``results/`` at the end of each run.

Every file is written to a temporary name in the same folder, flushed, then ``os.replace``d, so
a batch killed at any moment leaves each result either complete or absent.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from autograder.labs import all_labs


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class BatchLocked(RuntimeError):
    """Another batch is writing to the same output folder."""


@dataclass
class Record:
    """One saved result, as the tables need it."""

    student: str
    lab: str
    score: float
    max_score: float
    errors: list[str]
    data: dict


class ResultStore:
    def __init__(self, output: Path, run_stamp: str):
        self.output = Path(output)
        self.results = self.output / "results"
        self.errors = self.output / "errors"
        self.backups = self.output / "backups" / run_stamp
        self.scratch = self.output / ".work"  # local workers' temporary files
        self.backed_up = 0
        self._lock = None

    def lock(self) -> None:
        self.output.mkdir(parents=True, exist_ok=True)
        handle = open(self.output / ".batch.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise BatchLocked(f"another batch ({owner}) is writing to {self.output}; wait for it") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock = handle
        for stale in self.output.glob("*/*/.*.tmp"):  # a write cut short by a kill: never a result
            stale.unlink()
        shutil.rmtree(self.scratch, ignore_errors=True)  # what killed workers left

    def clear_scratch(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def result_path(self, student: str, lab: str) -> Path:
        return self.results / student / f"{lab}.json"

    def saved(self, student: str, lab: str) -> dict | None:
        """The saved result, or None when there is none (or it cannot be read)."""
        path = self.result_path(student, lab)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("batch"), dict) else None

    def save(self, student: str, lab: str, data: dict) -> None:
        path = self.result_path(student, lab)
        if path.exists():  # --force, or the submission changed: keep the grade it replaces
            backup = self.backups / student / path.name
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup)
            self.backed_up += 1
        atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        crash = self.errors / student / f"{lab}.json"
        if crash.exists():
            crash.unlink()

    def save_crash(self, student: str, lab: str, data: dict) -> None:
        atomic_write(self.errors / student / f"{lab}.json", json.dumps(data, indent=2) + "\n")

    def records(self) -> list[Record]:
        """Every saved result, sorted by student then lab."""
        found = []
        if not self.results.is_dir():
            return found
        for folder in sorted(p for p in self.results.iterdir() if p.is_dir()):
            for path in sorted(folder.glob("*.json")):
                if path.name.startswith("."):
                    continue
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                batch = data.get("batch", {})
                errors = [e for lab in data.get("labs", []) for e in lab.get("errors", [])]
                errors += data.get("errors", [])
                found.append(
                    Record(
                        batch.get("student", folder.name),
                        batch.get("lab", path.stem),
                        float(data.get("score", 0.0)),
                        float(data.get("max_score", 0.0)),
                        errors,
                        data,
                    )
                )
        return found

    def crashes(self) -> list[tuple[str, str, str]]:
        if not self.errors.is_dir():
            return []
        out = []
        for path in sorted(self.errors.glob("*/*.json")):
            try:
                error = json.loads(path.read_text()).get("error", "")
            except (OSError, ValueError):
                error = "unreadable error record"
            out.append((path.parent.name, path.stem, error))
        return out


def _fmt(value: float) -> str:
    return f"{round(value, 4):g}"


def grades_csv(records: list[Record]) -> str:
    """One row per student, one column per lab (course order), then the total."""
    labs = sorted({r.lab for r in records if r.lab in all_labs()})
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for r in records:
        scores[r.student]  # every student gets a row, even with only unidentified notebooks
        if r.lab in labs:
            scores[r.student][r.lab] = r.score
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *labs, "total"])
    for student in sorted(scores):
        row = scores[student]
        writer.writerow(
            [student, *(_fmt(row[lab]) if lab in row else "" for lab in labs), _fmt(sum(row.values()))]
        )
    return buffer.getvalue()


def summary_table(
    records: list[Record], crashes: list[tuple[str, str, str]], problems_shown: int = 20
) -> str:
    labs = all_labs()
    by_lab: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_lab[r.lab].append(r)
    crashed = defaultdict(int)
    for _, lab, _ in crashes:
        crashed[lab] += 1
    rows = [("lab", "graded", "mean", "max", "full marks", "with errors", "grader failed")]
    for lab in sorted(set(by_lab) | set(crashed)):
        group = by_lab.get(lab, [])
        top = labs[lab].max_score if lab in labs else max((r.max_score for r in group), default=0.0)
        mean = sum(r.score for r in group) / len(group) if group else 0.0
        full = sum(1 for r in group if top and r.score >= top)
        rows.append(
            (
                lab,
                str(len(group)),
                f"{mean:.2f}" if group else "—",
                _fmt(top),
                str(full),
                str(sum(1 for r in group if r.errors)),
                str(crashed.get(lab, 0)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    students = len({r.student for r in records} | {c[0] for c in crashes})
    lines.append(f"{students} student(s), {len(records)} graded submission(s), {len(crashes)} not graded")
    problems = [f"{r.student}/{r.lab}: {_short(r.errors[0])}" for r in records if r.errors]
    problems += [
        f"{s}/{lab}: NOT GRADED — {_short(e)} (run the batch again to retry)" for s, lab, e in crashes
    ]
    if problems:
        lines += ["", "problems:"] + [f"  {p}" for p in problems[:problems_shown]]
        if len(problems) > problems_shown:
            lines.append(f"  … and {len(problems) - problems_shown} more (see summary.txt)")
    return "\n".join(lines) + "\n"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
