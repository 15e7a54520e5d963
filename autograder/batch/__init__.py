"""``python -m autograder batch SUBMISSIONS`` — grade a whole course, resumably, locally or on Dask.

Each (student, lab) notebook found by ``batch_layout.discover`` is one task, graded by
``batch_worker.grade_task`` — the same sandboxed pipeline as ``grade`` — in N local worker
processes, or on a Dask cluster with ``--scheduler``. The coordinator (this process) alone writes
files: each result atomically as soon as it arrives, then ``grades.csv`` and ``summary.txt``.

Resume: a task whose result is saved, for the same notebook content (sha256), is not graded
again, so a batch killed at any point and started again loses nothing and repeats nothing.
``--force`` re-grades everything; a replaced result is kept under ``backups/``. A notebook that
changed since it was graded is re-graded the same way. A failure of the grading machinery (a
worker killed, a lost Dask worker) is retried once, then recorded under ``errors/`` — never as a
grade — and the next run tries it again. See docs/batch.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from labkit.sandbox import Limits

from autograder.batch.layout import Discovery, LayoutError, Task, discover, extract_zip, summarise
from autograder.batch.store import BatchLocked, ResultStore, atomic_write, grades_csv, summary_table
from autograder.batch.worker import (
    default_workers,
    fingerprint,
    grade_task,
    read_for_grading,
    sandbox_problem,
    worker_facts,
)
from autograder.options import Options, add_language_arg, add_limit_args, add_seed_arg

MAX_ATTEMPTS = 2  # a task whose worker died is sent once more, then recorded as not graded


@dataclass
class BatchReport:
    found: int = 0
    already: int = 0
    graded: int = 0
    with_errors: int = 0
    crashed: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    workers: str = ""


class BatchError(RuntimeError):
    """The batch cannot start: no sandbox, no Dask scheduler, workers unlike this machine."""


class _Retry(Exception):
    """The worker process running a task died; the task itself may be innocent."""


# ---------------------------------------------------------------- backends
def _init_worker(parent: int, scratch: str) -> None:
    """Local worker: die with the coordinator (even on kill -9), leave Ctrl-C to it, and keep
    every temporary file (its own and the pipeline's) under ``scratch``, which the next run
    clears — a killed worker leaves nothing behind in /tmp."""
    signal.signal(signal.SIGINT, lambda *_: None)  # a handler, not SIG_IGN: not inherited by exec
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)
    own = Path(scratch) / str(os.getpid())
    own.mkdir(mode=0o711, parents=True, exist_ok=True)
    tempfile.tempdir = str(own)


class LocalPool:
    name = "local"

    def __init__(self, workers: int, scratch: Path):
        self.workers, self.scratch = workers, scratch
        self.capacity = 2 * workers
        self._context = multiprocessing.get_context("spawn")
        self._executor = self._start()
        self._owner: dict = {}

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=self._context,
            initializer=_init_worker,
            initargs=(os.getpid(), str(self.scratch)),
        )

    def submit(self, payload: dict, settings: dict):
        future = self._executor.submit(grade_task, payload, settings)
        self._owner[future] = self._executor
        return future

    def wait(self, futures: list) -> list:
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return sorted(done, key=futures.index)

    def outcome(self, future) -> dict:
        owner = self._owner.pop(future)
        try:
            return future.result()
        except BrokenProcessPool:
            if owner is self._executor:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._start()
            raise _Retry("a grading process died while grading it (out of memory?)") from None
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be unpickled
            return {"status": "crashed", "error": f"{type(exc).__name__}: {exc}"}

    def close(self, kill: bool = False) -> None:
        if kill:
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.kill()
        self._executor.shutdown(wait=not kill, cancel_futures=True)


class DaskCluster:
    """The same tasks on a Dask distributed cluster (``dask worker ADDRESS --nthreads 1``)."""

    name = "dask"

    def __init__(self, address: str, sandbox: bool, log):
        from distributed import Client, as_completed

        try:
            self.client = Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler {address}: {exc}") from None
        try:
            self.client.wait_for_workers(1, timeout=120)
            threads = self.client.nthreads()
            self._check(sandbox, log)
        except TimeoutError:
            self.client.close()
            raise BatchError(f"no Dask worker joined the scheduler {address} within 120 s") from None
        except Exception:
            self.client.close()
            raise
        self.threads = sum(threads.values())
        self.capacity = max(2, 2 * self.threads)
        self.describe = f"Dask cluster {address}: {len(threads)} worker(s), {self.threads} thread(s)"
        self._completed = as_completed()

    def _check(self, sandbox: bool, log) -> None:
        for _ in range(3):  # a checkout being updated right now settles within seconds
            facts, mine = self.client.run(worker_facts), worker_facts()
            if all(theirs["grader"] == mine["grader"] for theirs in facts.values()):
                break
            time.sleep(2)
        fatal = []
        for address, theirs in sorted(facts.items()):
            where = f"worker {address} ({theirs.get('host')})"
            if theirs["grader"] != mine["grader"]:
                fatal.append(f"{where} has other grader code or lab sources (fingerprint {theirs['grader']})")
            if sandbox and theirs["sandbox"]:
                fatal.append(f"{where}: {theirs['sandbox']}")
            for key in ("python", "tensorflow", "keras"):
                if theirs[key] != mine[key]:
                    log.write(f"warning: {where} runs {key} {theirs[key]}, this machine {mine[key]}\n")
            if not theirs["mnist"]:
                log.write(f"warning: {where} has no MNIST file: the MNIST labs will fail there\n")
        if fatal:
            raise BatchError(
                "the Dask workers cannot grade like this machine (fingerprint "
                f"{mine['grader']}):\n  " + "\n  ".join(fatal)
            )

    def submit(self, payload: dict, settings: dict):
        key = f"grade-{uuid.uuid4().hex}"
        future = self.client.submit(grade_task, payload, settings, key=key, pure=False)
        self._completed.add(future)
        return future

    def wait(self, futures: list) -> list:
        return [next(self._completed)]

    def outcome(self, future) -> dict:
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost connection…
            return {"status": "crashed", "error": f"the Dask task failed: {type(exc).__name__}: {exc}"}
        finally:
            future.release()

    def close(self, kill: bool = False) -> None:
        self.client.close()


# ---------------------------------------------------------------- the batch
def _resolve(submissions: Path, output: Path, lab: str | None, log) -> Discovery:
    if submissions.is_file() and zipfile.is_zipfile(submissions):
        root, warnings = extract_zip(submissions, output / "extracted")
        log.write(f"extracted {submissions.name} into {root}\n")
        found = discover(root, lab)
        found.warnings[:0] = warnings
        return found
    if submissions.is_file():
        raise LayoutError(f"Expected a folder or a .zip of submissions. Received: {submissions} (not a zip)")
    return discover(submissions, lab)


def _plan(tasks: list[Task], store: ResultStore, force: bool) -> tuple[list[Task], int, int]:
    todo, already, changed = [], 0, 0
    for task in tasks:
        saved = store.saved(task.student, task.lab)
        if saved is not None and not force:
            try:
                digest = read_for_grading(task.path)[1]
            except OSError:
                digest = None
            if saved["batch"].get("sha256") == digest:
                already += 1
                continue
            changed += 1
        todo.append(task)
    return todo, already, changed


def _record(task: Task, outcome: dict, sha: str, settings: dict, backend: str, grader: str) -> dict:
    data = outcome["result"]
    data["submission"] = task.source
    for lab in data["labs"]:
        lab["submission"] = task.source
        lab["notes"] = list(task.notes) + lab.get("notes", [])
    data["batch"] = {
        "student": task.student,
        "lab": task.lab,
        "source": task.source,
        "sha256": sha,
        "timestamp": task.timestamp,
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": outcome.get("seconds"),
        "worker": outcome.get("worker"),
        "backend": backend,
        "grader": grader,
        "settings": settings,
    }
    return data


def _grade_all(backend, todo: list[Task], settings: dict, store: ResultStore, report: BatchReport, bar, log):
    pending = deque((task, 1) for task in todo)
    inflight: dict = {}
    grader = fingerprint()
    while pending or inflight:
        while pending and len(inflight) < backend.capacity:
            task, attempt = pending.popleft()
            try:
                payload, sha = read_for_grading(task.path)
            except OSError as exc:
                payload, sha = {"name": task.path.name, "kind": "missing"}, f"unreadable: {exc}"
            payload["lab"] = task.lab if task.known else None
            inflight[backend.submit(payload, settings)] = (task, attempt, sha)
        for future in backend.wait(list(inflight)):
            task, attempt, sha = inflight.pop(future)
            try:
                outcome = backend.outcome(future)
            except _Retry as exc:
                if attempt < MAX_ATTEMPTS:
                    pending.appendleft((task, attempt + 1))
                    continue
                outcome = {"status": "crashed", "error": str(exc)}
            if outcome.get("status") == "graded":
                data = _record(task, outcome, sha, settings, backend.name, grader)
                store.save(task.student, task.lab, data)
                report.graded += 1
                errors = [e for lab in data["labs"] for e in lab["errors"]] + data["errors"]
                if errors:
                    report.with_errors += 1
                    bar.write(f"  ! {task.key}: {_one_line(errors[0])}", file=log)
            else:
                store.save_crash(
                    task.student,
                    task.lab,
                    {"task": task.key, "source": task.source, "sha256": sha, **outcome},
                )
                report.crashed += 1
                bar.write(f"  ✘ {task.key}: NOT GRADED — {_one_line(outcome.get('error', ''))}", file=log)
            bar.set_postfix_str(
                f"with errors {report.with_errors}, not graded {report.crashed}", refresh=False
            )
            bar.update(1)


def _one_line(text: str, limit: int = 150) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_batch(
    submissions: str | os.PathLike,
    output: str | os.PathLike,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    lab: str | None = None,
    gradebook: str | None = None,
    course_id: str | None = None,
    settings: dict | None = None,
    progress: bool = True,
    log=None,
    out=None,
) -> BatchReport:
    """Grade every submission under ``submissions`` into ``output``; see the module docstring."""
    from tqdm import tqdm

    log, out = log or sys.stderr, out or sys.stdout
    settings = Options().to_settings() | (settings or {})
    output, started = Path(output), time.monotonic()
    report = BatchReport()
    store = ResultStore(output, datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    store.lock()
    try:
        found = _resolve(Path(submissions), output, lab, log)
        report.found = len(found.tasks)
        log.write(f"found {summarise(found)}\n")
        for warning in found.warnings:
            log.write(f"  warning: {warning}\n")
        todo, report.already, changed = _plan(found.tasks, store, force)
        if force and any(store.result_path(t.student, t.lab).exists() for t in found.tasks):
            log.write(f"--force: re-grading all {len(todo)}; replaced results are kept in {store.backups}\n")
        elif report.already or changed:
            log.write(f"resume: {report.already} already graded (kept), {len(todo)} to grade")
            log.write(
                f" ({changed} changed since graded; old results go to {store.backups})\n" if changed else "\n"
            )
        backend = None
        if todo:
            if scheduler:
                backend = DaskCluster(scheduler, settings["sandbox"], log)
                report.workers = backend.describe
            else:
                if settings["sandbox"] and (problem := sandbox_problem()):
                    raise BatchError(
                        f"{problem.replace(' on this worker', ' here')}: install the Debian package "
                        "`bubblewrap` and let it create namespaces (or --no-sandbox, for trusted notebooks only)"
                    )
                if workers is None:
                    workers, report.workers = default_workers()
                else:
                    report.workers = f"{workers} worker(s) (--workers)"
                workers = max(1, min(workers, len(todo)))
                backend = LocalPool(workers, store.scratch)
            log.write(f"{report.workers}\n")
            bar = tqdm(
                total=len(todo),
                unit="sub",
                desc="grading",
                file=log,
                dynamic_ncols=True,
                disable=not progress,
            )
            bar.set_postfix_str("with errors 0, not graded 0")
            main = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
            try:
                _grade_all(backend, todo, settings, store, report, bar, log)
            except KeyboardInterrupt:
                report.interrupted = True
                backend.close(kill=True)
                backend = None
            finally:
                if main:
                    signal.signal(signal.SIGTERM, previous)
                bar.close()
                if backend is not None:
                    backend.close()
                store.clear_scratch()
        report.seconds = time.monotonic() - started
        if report.interrupted:
            log.write(
                f"interrupted: {report.graded} result(s) saved this run; run the same command again "
                "to grade the rest\n"
            )
            return report
        records = store.records()
        crashes = store.crashes()
        atomic_write(output / "grades.csv", grades_csv(records))
        atomic_write(output / "summary.txt", summary_table(records, crashes, problems_shown=10**9))
        out.write(summary_table(records, crashes))
        out.write(
            f"this run: {report.graded} graded, {report.already} already graded, {report.crashed} not graded "
            f"in {report.seconds:.0f} s; wrote {output / 'grades.csv'}\n"
        )
        if store.backed_up:
            out.write(f"{store.backed_up} replaced result(s) kept in {store.backups}\n")
        if gradebook:
            from autograder.integrations.gradebook import push_results

            pushed = push_results(records, gradebook, course_id=course_id)
            out.write(f"gradebook {gradebook}: {pushed}\n")
        return report
    finally:
        store.unlock()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# ---------------------------------------------------------------- CLI
def register(subparsers) -> None:
    p = subparsers.add_parser(
        "batch",
        help="grade a whole course: every student's submissions, resumable, locally or on Dask",
        description=(
            "Grade every student's submissions with the same sandboxed pipeline as `grade`, N at a time\n"
            "(local worker processes, or a Dask cluster with --scheduler). Results are saved one by one:\n"
            "run the same command again after an interruption and only what has no result is graded.\n"
            "Writes OUTPUT/results/<student>/<lab>.json, OUTPUT/grades.csv and OUTPUT/summary.txt.\n"
            "See docs/batch.md."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("submissions", help="submitted/<student>/<lab>/, <student>/*.ipynb folders, or a .zip")
    p.add_argument("--output", default="grading-output", help="results folder (default: grading-output)")
    p.add_argument(
        "--workers", type=int, help="local worker processes (default: what cores and memory allow)"
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--force", action="store_true", help="re-grade everything (old results kept in backups/)")
    p.add_argument("--lab", help="grade only this lab (notebooks whose lab cannot be told count as it)")
    p.add_argument(
        "--gradebook",
        metavar="DB_URL",
        help="push scores into an nbgrader gradebook, e.g. sqlite:///gradebook.db",
    )
    p.add_argument(
        "--course-id", help="nbgrader course id for new assignments (default: nbgrader_config.py's)"
    )
    p.add_argument("--no-sandbox", action="store_true", help="run without bubblewrap (trusted code only)")
    add_limit_args(p)
    add_seed_arg(p)
    add_language_arg(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_batch)


def cmd_batch(args) -> int:
    if args.workers is not None and args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    settings = Options(
        sandbox=not args.no_sandbox,
        limits=Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.timeout),
        hidden_seed=args.hidden_seed,
        language=args.language,
    ).to_settings()
    try:
        report = run_batch(
            args.submissions,
            args.output,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
            lab=args.lab,
            gradebook=args.gradebook,
            course_id=args.course_id,
            settings=settings,
            progress=not args.no_progress,
        )
    except (LayoutError, BatchLocked, BatchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if report.interrupted:
        return 130
    return 1 if report.crashed else 0
