"""``python -m autograder batch``: a course of submissions, resumable, locally and on Dask.

One small course (nbgrader layout) is graded once, locally, by a module fixture; the other tests
compare against it. Only two notebooks in it really execute (a reference and a starter of a fast
lab); the others get their verdicts without a kernel (truncated JSON, a symbolic link, a notebook
of the wrong lab), so each full batch costs about two gradings.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from labkit import sandbox

from autograder import batch, cli
from autograder.batch.layout import LayoutError, discover, extract_zip
from autograder.batch.store import Record, ResultStore, grades_csv
from autograder.batch.worker import read_for_grading
from autograder.labs import all_labs

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"sandbox": True, "cell_seconds": 90.0, "notebook_seconds": 240.0, "hidden_seed": None}


def _built(lab_id: str) -> bool:
    return lab_id in all_labs() and all(
        (ROOT / d / lab_id / f"{lab_id}.ipynb").exists() for d in ("solutions", "labs")
    )


LABS = [lab for lab in ("lab18_xor_sigmoid", "lab19_xor_relu", "lab99_demo") if _built(lab)]
LAB, OTHER = (LABS + [None, None])[:2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(OTHER is None or sandbox.bwrap_path() is None, reason="two built labs and bwrap"),
]
STUDENTS = ["alice", "bob", "carol", "dave"]


def _course(root: Path) -> Path:
    """alice: reference (+ a notebook of LAB filed under OTHER); bob: truncated JSON (in the
    middle of the batch); carol: the untouched starter; dave: a symbolic link (hostile)."""
    reference = ROOT / "solutions" / LAB / f"{LAB}.ipynb"
    sub = root / "submitted"
    for student, lab in [("alice", LAB), ("alice", OTHER), ("bob", LAB), ("carol", LAB), ("dave", LAB)]:
        (sub / student / lab).mkdir(parents=True)
    shutil.copy(reference, sub / "alice" / LAB / f"{LAB}.ipynb")
    (sub / "alice" / LAB / "timestamp.txt").write_text("2026-11-28 12:00:00.000000 UTC")
    shutil.copy(reference, sub / "alice" / OTHER / f"{OTHER}.ipynb")  # the wrong lab's notebook
    (sub / "bob" / LAB / f"{LAB}.ipynb").write_bytes(reference.read_bytes()[:700])
    shutil.copy(ROOT / "labs" / LAB / f"{LAB}.ipynb", sub / "carol" / LAB / f"{LAB}.ipynb")
    (sub / "dave" / LAB / f"{LAB}.ipynb").symlink_to(reference)
    return root


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return _course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def local_run(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    report = batch.run_batch(course, out, workers=2, settings=SETTINGS, progress=False)
    return out, report


def _results(out: Path) -> dict[tuple[str, str], dict]:
    return {(p.parent.name, p.stem): json.loads(p.read_text()) for p in sorted(out.glob("results/*/*.json"))}


def _verdicts(out: Path) -> dict:
    """What must not depend on where or when a submission was graded."""
    return {
        key: (
            data["score"],
            [(t["name"], t["status"], t["score"]) for lab in data["labs"] for t in lab["tests"]],
            bool([e for lab in data["labs"] for e in lab["errors"]]),
        )
        for key, data in _results(out).items()
    }


# ---------------------------------------------------------------- the local run
def test_every_submission_graded_and_the_broken_ones_reported(local_run):
    out, report = local_run
    assert (report.found, report.graded, report.crashed) == (5, 5, 0)
    results = _results(out)
    assert set(results) == {("alice", LAB), ("alice", OTHER), ("bob", LAB), ("carol", LAB), ("dave", LAB)}
    errors = {key: " ".join(e for lab in d["labs"] for e in lab["errors"]) for key, d in results.items()}
    assert "not a valid notebook" in errors[("bob", LAB)] and "not valid JSON" in errors[("bob", LAB)]
    assert "symbolic link" in errors[("dave", LAB)]
    assert "wrong lab" in errors[("alice", OTHER)]
    assert results[("alice", LAB)]["score"] > 0 and not errors[("alice", LAB)]
    assert results[("carol", LAB)]["score"] == 0
    meta = results[("alice", LAB)]["batch"]
    assert meta["source"] == f"alice/{LAB}/{LAB}.ipynb" and meta["timestamp"].startswith("2026-11-28")
    assert results[("alice", LAB)]["labs"][0]["submission"] == meta["source"]  # not the worker's temp path
    summary = (out / "summary.txt").read_text()
    assert f"bob/{LAB}: not a valid notebook" in summary and f"dave/{LAB}" in summary
    # the saved file is the project's JSON: `report` renders it
    assert cli.main(["report", str(out / "results" / "alice" / f"{LAB}.json"), "--format", "text"]) == 0


def test_grades_csv_one_row_per_student_one_column_per_lab(local_run):
    out, _ = local_run
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["student", LAB, OTHER, "total"]
    assert [r[0] for r in rows[1:]] == STUDENTS
    results = _results(out)
    for student, *cells, total in rows[1:]:
        for lab, cell in zip((LAB, OTHER), cells):
            expected = results.get((student, lab))
            assert cell == ("" if expected is None else f"{expected['score']:g}")
        assert float(total) == pytest.approx(sum(float(c) for c in cells if c))
    assert rows[1][1] != "0" and rows[1][2] == "0" and rows[2][2] == ""  # bob handed in no OTHER


def test_grades_csv_order_format_and_unidentified():
    def rec(student, lab, score):
        return Record(student, lab, score, 10.0, [], {})

    records = [rec("zoe", LAB, 2.5), rec("Ann", OTHER, 1), rec("Ann", LAB, 3), rec("bo", "unidentified-x", 0)]
    assert grades_csv(records).splitlines() == [
        f"student,{LAB},{OTHER},total",
        "Ann,3,1,4",
        "bo,,,0",
        "zoe,2.5,,2.5",
    ]


# ---------------------------------------------------------------- resume after kill -9
def _cli(course: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "autograder",
        "batch",
        str(course),
        "--output",
        str(out),
        "--no-progress",
    ] + [*extra]


def test_killed_batch_resumes_without_losing_or_repeating(course, local_run, tmp_path):
    out = tmp_path / "out"
    first = subprocess.Popen(
        _cli(course, out, "--workers", "2", "--cell-timeout", "90", "--timeout", "240"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not list(out.glob("results/*/*.json")):
        assert first.poll() is None and time.monotonic() < deadline, "no result appeared"
        time.sleep(0.1)
    children = psutil.Process(first.pid).children(recursive=True)
    first.send_signal(signal.SIGKILL)
    first.wait()
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, f"workers outlived the killed batch: {alive}"  # they die with it
    kept = {p: p.stat().st_mtime_ns for p in out.glob("results/*/*.json")}
    assert (out / ".work").is_dir()  # the killed workers' temporary files stayed out of /tmp
    assert 0 < len(kept) < 5 and not (out / "grades.csv").exists()
    second = subprocess.run(
        _cli(course, out, "--workers", "2", "--cell-timeout", "90", "--timeout", "240"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert second.returncode == 0, second.stderr
    assert f"resume: {len(kept)} already graded (kept), {5 - len(kept)} to grade" in second.stderr
    assert f"this run: {5 - len(kept)} graded, {len(kept)} already graded" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # nothing saved was graded again
    assert (out / "grades.csv").read_text() == (local_run[0] / "grades.csv").read_text()
    assert _verdicts(out) == _verdicts(local_run[0])
    assert (
        not list(out.glob("results/*/.*.tmp")) and not (out / ".work").exists()
    )  # killed workers' files too


# ---------------------------------------------------------------- Dask
def test_dask_cluster_grades_like_the_local_pool(course, local_run, tmp_path):
    from distributed import LocalCluster

    out = tmp_path / "out"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        report = batch.run_batch(
            course, out, scheduler=cluster.scheduler_address, settings=SETTINGS, progress=False
        )
    assert report.workers.startswith("Dask cluster") and "2 worker(s)" in report.workers
    assert (report.graded, report.crashed) == (5, 0)
    assert {d["batch"]["backend"] for d in _results(out).values()} == {"dask"}
    assert _verdicts(out) == _verdicts(local_run[0])
    assert (out / "grades.csv").read_text() == (local_run[0] / "grades.csv").read_text()


# ---------------------------------------------------------------- zip, force, changed files
def _seeded(local_out: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(local_out / "results", out / "results")
    return out


def test_zip_of_the_course_finds_the_same_submissions(course, local_run, tmp_path):
    archive = tmp_path / "lms-download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(course.rglob("*")):
            if path.is_file() and not path.is_symlink():  # a zip with a symlink is refused
                zf.write(path, "download/" + str(path.relative_to(course)))
    out = _seeded(local_run[0], tmp_path)
    shutil.rmtree(out / "results" / "dave")
    (out / "results" / "bob" / f"{LAB}.json").unlink()
    report = batch.run_batch(archive, out, workers=1, settings=SETTINGS, progress=False)
    assert (report.found, report.already, report.graded) == (4, 3, 1)  # only bob's: same content, same keys
    expected = [
        line for line in (local_run[0] / "grades.csv").read_text().splitlines() if not line.startswith("dave")
    ]
    assert (out / "grades.csv").read_text().splitlines() == expected


def test_force_and_changed_submissions_keep_the_replaced_grade(course, local_run, tmp_path):
    tree = tmp_path / "course"
    shutil.copytree(course, tree, symlinks=True)
    out = _seeded(local_run[0], tmp_path)
    before = (out / "results" / "alice" / f"{OTHER}.json").read_text()
    report = batch.run_batch(tree, out, lab=OTHER, force=True, workers=1, settings=SETTINGS, progress=False)
    assert (report.found, report.graded) == (1, 1)  # --lab: only that lab
    backups = list(out.glob(f"backups/*/alice/{OTHER}.json"))
    assert len(backups) == 1 and backups[0].read_text() == before
    bob = tree / "submitted" / "bob" / LAB / f"{LAB}.ipynb"
    bob.write_text("{}")  # resubmitted, still broken
    report = batch.run_batch(tree, out, workers=1, settings=SETTINGS, progress=False)
    assert (report.already, report.graded) == (4, 1)
    assert "no notebook cells" in " ".join(_results(out)[("bob", LAB)]["labs"][0]["errors"])
    assert len(list(out.glob(f"backups/*/bob/{LAB}.json"))) == 1


def test_zip_extraction_is_safe(tmp_path):
    def make(name: str, members: dict) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as zf:
            for member, data in members.items():
                if isinstance(data, zipfile.ZipInfo):
                    zf.writestr(data, member)
                else:
                    zf.writestr(member, data)
        return path

    for bad in ("../evil.ipynb", "/etc/evil.ipynb", "a/../../evil.ipynb"):
        with pytest.raises(LayoutError, match="unsafe member"):
            extract_zip(make("bad.zip", {bad: "{}"}), tmp_path / "x")
    link = zipfile.ZipInfo("alice/lab.ipynb")
    link.external_attr = (0o120777) << 16
    with pytest.raises(LayoutError, match="symbolic link"):
        extract_zip(make("link.zip", {"/etc/passwd": link}), tmp_path / "x")
    with pytest.raises(LayoutError, match="readable .zip"):
        extract_zip(_garbage(tmp_path), tmp_path / "x")
    archive = make(
        "ok.zip",
        {
            "alice/lab.ipynb": "{}",
            "alice/run.sh": "rm -rf /",
            "__MACOSX/alice/._lab.ipynb": "x",
            "bob/big.ipynb": b"x" * 2048,
        },
    )
    import autograder.batch.layout as layout

    limit, layout.ZIP_MAX_FILE_BYTES = layout.ZIP_MAX_FILE_BYTES, 1024
    try:
        root, warnings = extract_zip(archive, tmp_path / "x")
    finally:
        layout.ZIP_MAX_FILE_BYTES = limit
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        ".extracted.json",
        "alice/lab.ipynb",
    ]
    assert any("bob/big.ipynb" in w and "larger than" in w for w in warnings)
    assert extract_zip(archive, tmp_path / "x") == (root, warnings)  # the same archive: reused


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    return path


# ---------------------------------------------------------------- layouts
def test_flat_layout_duplicates_and_lab_filter(tmp_path):
    reference = ROOT / "solutions" / LAB / f"{LAB}.ipynb"
    root = tmp_path / "Download"  # an LMS zip's wrapping folder
    (root / "ann" / "work").mkdir(parents=True)
    (root / "ben").mkdir()
    shutil.copy(reference, root / "ann" / "work" / "my copy.ipynb")  # told by its metadata
    shutil.copy(reference, root / "ann" / f"{LAB}.ipynb")
    shutil.copy(ROOT / "labs" / OTHER / f"{OTHER}.ipynb", root / "ann" / "other.ipynb")
    (root / "ben" / "mystery.ipynb").write_text("not json")
    os.mkfifo(root / "ben" / "pipe.ipynb")  # never opened (a read would block)
    found = discover(tmp_path)
    assert found.layout == "flat" and found.root == root
    tasks = {t.key: t for t in found.tasks}
    assert set(tasks) == {f"ann/{LAB}", f"ann/{OTHER}", "ben/unidentified-mystery", "ben/unidentified-pipe"}
    assert read_for_grading(tasks["ben/unidentified-pipe"].path)[0]["kind"] == "special"
    assert (
        tasks[f"ann/{LAB}"].path.name == f"{LAB}.ipynb"
        and "ignored work/my copy.ipynb" in tasks[f"ann/{LAB}"].notes[0]
    )
    only = discover(tmp_path, only_lab=OTHER)
    assert sorted(t.key for t in only.tasks) == [f"ann/{OTHER}", f"ben/{OTHER}"]  # unknown counts as --lab


def test_unknown_layout_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "b.ipynb").write_text("{}")
    (tmp_path / "empty-folder").mkdir()
    (tmp_path / "notes.txt").write_text("hi")
    assert cli.main(["batch", str(tmp_path), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Expected nbgrader's submitted/<student>/<lab>/<lab>.ipynb" in err
    assert "2 notebook(s) at the top level (a.ipynb, b.ipynb)" in err and "empty-folder/" in err
    assert "notes.txt" in err and "autograder grade" in err
    assert cli.main(["batch", str(tmp_path / "nowhere"), "--output", str(tmp_path / "out")]) == 2


# ---------------------------------------------------------------- nbgrader gradebook
def test_gradebook_push_never_overwrites_a_manual_grade(course, local_run, tmp_path, capsys):
    from nbgrader.api import Gradebook

    from autograder.integrations.gradebook import push_results

    out = _seeded(local_run[0], tmp_path)
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    report = batch.run_batch(
        course, out, gradebook=db, settings=SETTINGS, progress=False
    )  # all saved already
    assert (report.already, report.graded) == (5, 0)
    assert "5 submission(s) pushed (5 new)" in capsys.readouterr().out
    results = _results(out)
    question = next(t for t in results[("alice", LAB)]["labs"][0]["tests"] if t["status"] == "passed")
    with Gradebook(db, course_id="deep-learning-labs") as gb:
        for (student, lab), data in results.items():
            assert gb.find_submission(lab, student).score == pytest.approx(data["score"])
        grade = gb.find_grade(question["name"], LAB, LAB, "alice")
        assert grade.auto_score == question["score"] and not grade.needs_manual_grade
        grade.manual_score = 0.25  # a person re-graded it in formgrader
        gb.db.commit()
        assert str(gb.find_submission(LAB, "alice").timestamp).startswith("2026-11-28 12:00")
    second = push_results(ResultStore(out, "x").records(), db)
    assert second.new_submissions == 0 and second.kept_manual == 1
    with Gradebook(db, course_id="deep-learning-labs") as gb:
        grade = gb.find_grade(question["name"], LAB, LAB, "alice")
        assert grade.manual_score == 0.25 and grade.score == 0.25


# ---------------------------------------------------------------- a worker that dies
class _DyingBackend:
    """Every grading process dies: the task is sent again once, then recorded as not graded."""

    name = "fake"
    capacity = 2

    def __init__(self):
        self.sent = 0

    def submit(self, payload, settings):
        self.sent += 1
        return object()

    def wait(self, futures):
        return futures[:1]

    def outcome(self, future):
        raise batch._Retry("a grading process died while grading it")


def test_a_dying_worker_is_retried_then_recorded_not_graded(tmp_path, course):
    task = discover(course).tasks[0]
    store = ResultStore(tmp_path / "out", "run")
    report = batch.BatchReport()
    backend = _DyingBackend()

    class Bar:
        def write(self, text, file=None):
            pass

        def set_postfix_str(self, *a, **k):
            pass

        def update(self, n):
            pass

    batch._grade_all(backend, [task], SETTINGS, store, report, Bar(), sys.stderr)
    assert backend.sent == batch.MAX_ATTEMPTS and report.crashed == 1 and not store.records()
    assert store.crashes() == [(task.student, task.lab, "a grading process died while grading it")]


def test_a_machine_whose_sandbox_cannot_start_grades_nothing(course, tmp_path, monkeypatch, capsys):
    """A broken bubblewrap must not turn every submission into a zero."""
    from autograder.batch import worker as batch_worker

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text(
        "#!/bin/sh\necho 'bwrap: Creating new namespace failed: Operation not permitted' >&2\nexit 1\n"
    )
    (fake / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    batch_worker.sandbox_problem.cache_clear()
    try:
        assert "Operation not permitted" in batch_worker.sandbox_problem()
        outcome = batch_worker.grade_task({"name": f"{LAB}.ipynb", "kind": "file", "data": b"{}"}, SETTINGS)
        assert outcome["status"] == "crashed" and "sandbox does not start" in outcome["error"]
        assert cli.main(["batch", str(course), "--output", str(tmp_path / "out"), "--no-progress"]) == 2
        assert "the sandbox does not start here" in capsys.readouterr().err
        assert not (tmp_path / "out" / "results").exists()
    finally:
        batch_worker.sandbox_problem.cache_clear()
