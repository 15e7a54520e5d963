"""What a batch worker runs: ``grade_task`` — one submission, the same pipeline as ``grade``.

A task carries the notebook's *bytes*, not a path, so a worker needs no access to the
coordinator's files: a local process and a Dask worker on another machine run exactly the same
code on exactly the same input. The worker writes the notebook into a private temporary folder
under its original file name and calls ``pipeline.grade_path`` (sandbox, hidden tests, fresh
re-scoring process). Whatever happens, it returns a plain dict; only a failure of the grading
machinery itself (never a student's notebook) comes back as ``status: "crashed"``.

``worker_facts`` is what the coordinator checks on every Dask worker before sending work.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing.util
import os
import platform
import socket
import tempfile
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from autograder.grading.notebooks import MAX_NOTEBOOK_BYTES
from autograder.labs import grading_sources
from autograder.paths import PROJECT_ROOT

GIB = 1 << 30
GIB_PER_GRADING = 3  # a Jupyter kernel with TensorFlow, then the re-scoring process (also TensorFlow)
_DANGLING = "/nonexistent/submitted-symlink"


# ---------------------------------------------------------------- coordinator side
def read_for_grading(path: Path) -> tuple[dict, str]:
    """The payload that carries ``path`` to a worker, and the sha256 that identifies its content.

    Symbolic links are never followed, and a file over the notebook size limit is not read: the
    worker re-creates a dangling link, or a sparse file of the same size, so the pipeline gives
    the same verdict it gives ``grade`` on the original.
    """
    payload: dict = {"name": path.name}
    if path.is_symlink():
        payload["kind"] = "symlink"
        return payload, hashlib.sha256(b"symlink:" + os.fsencode(os.readlink(path))).hexdigest()
    if path.exists() and not path.is_file():
        payload["kind"] = "special"  # a FIFO, a device or a folder named .ipynb: never opened
        return payload, "special"
    if not path.is_file():
        payload["kind"] = "missing"
        return payload, "missing"
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        payload.update(kind="oversize", size=size)
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return payload, digest.hexdigest()
    data = path.read_bytes()
    payload.update(kind="file", data=data)
    return payload, hashlib.sha256(data).hexdigest()


def default_workers() -> tuple[int, str]:
    """How many gradings this machine runs at once, and why (cores, then memory)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = _cgroup_cpus()
    if quota is not None and quota < cores:
        cores = max(1, math.floor(quota))
    memory = _available_memory()
    by_memory = max(1, memory // (GIB_PER_GRADING * GIB))
    workers = max(1, min(cores, by_memory))
    limit = "cores" if workers == cores else "memory"
    reason = (
        f"{workers} worker(s): {cores} core(s), {memory / GIB:.0f} GiB available / "
        f"~{GIB_PER_GRADING} GiB per grading (limited by {limit}; --workers N to change)"
    )
    return workers, reason


def _cgroup_cpus() -> float | None:
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        return None


def _available_memory() -> int:
    try:
        import psutil

        available = psutil.virtual_memory().available
    except ImportError:
        available = 4 * GIB
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text())
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return max(available, 0)


# ---------------------------------------------------------------- worker side
def _materialise(payload: dict, folder: Path) -> Path:
    path = folder / payload["name"]
    kind = payload["kind"]
    if kind == "file":
        path.write_bytes(payload["data"])
    elif kind == "symlink":
        os.symlink(_DANGLING, path)
    elif kind == "oversize":
        with open(path, "wb") as handle:
            handle.truncate(payload["size"])  # sparse: no disk used
    return path


@lru_cache(maxsize=1)
def sandbox_problem() -> str | None:
    """Why the sandbox cannot run here (checked once per process), or None when it can.

    Without this, a machine whose bubblewrap cannot create namespaces would turn every
    submission it grades into a zero ("the notebook could not be executed") instead of a
    failure of the grader.
    """
    from labkit import sandbox

    problem = sandbox.probe()
    return None if problem is None else f"the sandbox does not start on this worker: {problem}"


_WARM: dict = {}  # this worker process's sandbox of forked kernels, kept for all its submissions


def _warm_sandbox(options):
    """The worker's fast-path servers for these limits (started on first use, closed at exit)."""
    if not options.sandbox or options.kernels != "warm":
        return None
    from autograder.grading.pipeline import _mnist_path
    from autograder.grading.warm import Warm

    key = (options.limits, _mnist_path(options))
    if key not in _WARM:
        if not _WARM:  # multiprocessing's exit hook runs in pool workers, where atexit may not
            multiprocessing.util.Finalize(None, _close_warm, exitpriority=10)
        _WARM[key] = Warm(*key)
    return _WARM[key]


def _close_warm() -> None:
    while _WARM:
        _WARM.popitem()[1].close()


def grade_task(payload: dict, settings: dict) -> dict:
    """Grade one submission; never raises for anything a submission can do."""

    from autograder.grading.pipeline import Options, grade_path

    worker = f"{socket.gethostname()}:{os.getpid()}"
    started = time.monotonic()
    if payload["kind"] == "missing":
        return {
            "status": "crashed",
            "error": "the notebook disappeared before it was graded",
            "worker": worker,
        }
    if payload["kind"] == "special":
        return {
            "status": "crashed",
            "error": "not a regular file (a FIFO, a device or a folder)",
            "worker": worker,
        }
    if settings.get("sandbox", True) and (problem := sandbox_problem()):
        return {"status": "crashed", "error": problem, "worker": worker}
    options = Options.from_settings(settings, lab=payload.get("lab"))
    try:
        with tempfile.TemporaryDirectory(prefix="batch-") as tmp:
            result = grade_path(_materialise(payload, Path(tmp)), options, warm=_warm_sandbox(options))
    except Exception as exc:  # noqa: BLE001 - a grader bug must not stop the batch
        return {
            "status": "crashed",
            "error": f"the grader failed: {type(exc).__name__}: {exc}",
            "worker": worker,
        }
    seconds = round(time.monotonic() - started, 3)
    if not result.labs:  # no notebook was even looked at: the machinery failed (e.g. no bwrap)
        error = "; ".join(result.errors) or "no result"
        return {"status": "crashed", "error": error, "worker": worker, "seconds": seconds}
    return {"status": "graded", "result": result.to_dict(), "worker": worker, "seconds": seconds}


def _version(*names: str) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def fingerprint() -> str:
    """A digest of everything that decides a grade: the grader's code and the instructor sources."""
    digest = hashlib.sha256()
    files = sorted(PROJECT_ROOT.glob("autograder/**/*.py")) + sorted(PROJECT_ROOT.glob("kit/labkit/*.py"))
    files += grading_sources(PROJECT_ROOT / "solutions")
    files += sorted(PROJECT_ROOT.glob("solutions/*/*.ipynb")) + sorted(
        PROJECT_ROOT.glob("solutions/*/*.json")
    )
    files += sorted(PROJECT_ROOT.glob("editions/*/solutions/*/*.ipynb"))  # the other edition's sources
    for path in files:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def worker_facts() -> dict:
    """What the coordinator compares on every worker before sending it submissions."""
    from labkit import sandbox
    from labkit.mnist import DatasetError, find_mnist

    try:
        mnist = str(find_mnist(download=False))
    except (DatasetError, OSError):
        mnist = None
    return {
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow-cpu", "tensorflow"),
        "keras": _version("keras"),
        "grader": fingerprint(),
        "bwrap": sandbox.bwrap_path(),
        "sandbox": sandbox_problem(),
        "mnist": mnist,
        "cpus": os.cpu_count(),
    }
