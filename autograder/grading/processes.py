"""Running sandboxed processes: the ``execute`` step's runner (watched, and its record read) and
the ``rescore`` step's fresh process.

``watch`` waits for the runner while enforcing what only the grader can: the notebook's total time
and the size of its work directory (a student may fill the disk with many files, each under the
file-size rlimit). ``cell_messages`` turns the runner's per-cell record into sentences for a
student, keyed by cell id so ``report`` can attach them to the tests they affected.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labkit import sandbox as sb

from autograder.paths import PROJECT_ROOT, SOLUTIONS

NETWORK_ERRORS = (
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Name or service not known",
    "No address associated",
    "Connection refused",
    "URLError",
    "gaierror",
)
PROCESS_LIMIT_ERRORS = ("Resource temporarily unavailable", "can't start new thread")
_OUTSIDE = re.compile(r"'(/(?!submission/)[^']*)'")
MAX_ENTRIES = 100_000  # more files than this in the work directory is itself over the limit


def disk_usage(path: Path, limit: int) -> int:
    """Bytes allocated under ``path`` (symlinks not followed); stops counting past ``limit``."""
    total, entries, stack = 0, 0, [str(path)]
    while stack and total <= limit:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    entries += 1
                    if entries > MAX_ENTRIES:
                        return limit + 1
                    st = entry.stat(follow_symlinks=False)
                    total += st.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def watch(proc: subprocess.Popen, limits: sb.Limits, workdir: Path) -> str | None:
    """Wait for ``proc``; stop it (and all of its group) at the time or disk limit. Returns why."""
    deadline = time.monotonic() + limits.notebook_seconds
    reason = None
    while True:
        try:
            proc.wait(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
            break
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() >= deadline:
            reason = (
                f"the notebook exceeded the {limits.notebook_seconds:g} s total time limit and was stopped"
            )
        elif disk_usage(workdir, limits.disk_bytes) > limits.disk_bytes:
            reason = (
                f"the notebook wrote more than {limits.disk_bytes >> 20} MiB (or {MAX_ENTRIES:,} files) "
                "to its work directory and was stopped"
            )
        if reason:
            break
    kill_group(proc)
    return reason


def where(record: dict) -> str:
    return f"cell {record['index'] + 1} (`{record.get('id', '')}`)"


def _error_message(record: dict, limits: sb.Limits) -> str | None:
    ename, evalue = record.get("ename", ""), record.get("evalue", "")
    if any(s in evalue or s in ename for s in NETWORK_ERRORS):
        return f"network access is not allowed during grading ({where(record)})"
    if ename == "MemoryError":
        return f"{where(record)} ran out of memory (limit {limits.memory_bytes / 2**30:g} GiB)"
    if any(s in evalue for s in PROCESS_LIMIT_ERRORS):
        return f"{where(record)} hit the limit of {limits.processes} processes and threads"
    if ename == "PermissionError" or "Read-only file system" in evalue:
        return (
            f"{where(record)} was denied access outside its work directory: during grading only the "
            "notebook's own folder (and /tmp) can be written"
        )
    if "No space left on device" in evalue:
        return f"{where(record)} ran out of disk space (/tmp holds {limits.tmp_bytes >> 20} MiB)"
    path = _OUTSIDE.search(evalue) if ename in ("FileNotFoundError", "NotADirectoryError") else None
    if path:
        return (
            f"{where(record)} tried to open {path.group(1)}, which does not exist in the grading sandbox: "
            "only the notebook's own folder is there (use relative paths)"
        )
    return None


def cell_messages(report: dict, limits: sb.Limits) -> list[tuple[str, str]]:
    """``(cell id, message)`` for every problem the kernel had, phrased for a student."""
    out: list[tuple[str, str]] = []
    for record in report.get("cells", []):
        status, cell_id, at = record.get("status"), record.get("id", ""), where(record)
        if status == "timeout":
            text = f"{at} exceeded the {limits.cell_seconds:g} s time limit"
            if record.get("restarted"):
                text += (
                    " and ignored the interrupt: the kernel was restarted, later cells ran without its state"
                )
            out.append((cell_id, text))
        elif status == "dead":
            out.append(
                (
                    cell_id,
                    f"the kernel died in {at} (os._exit, a crash, or out of memory); "
                    "it was restarted and later cells ran without its state",
                )
            )
        elif status == "error" and (text := _error_message(record, limits)):
            out.append((cell_id, text))
        if record.get("stray_processes"):
            n = record["stray_processes"]
            out.append((cell_id, f"{at} left {n} process{'es' * (n > 1)} running: stopped by the grader"))
    running = report.get("running")
    if running:
        out.append((running.get("id", ""), f"{where(running)} was running when the notebook was stopped"))
    return out


def answer_notes(report: dict) -> list[str]:
    notes = [
        f"answers/{name} was not written by its test cell: ignored"
        for name in report.get("answers_not_from_tests", [])
    ]
    notes += [
        f"answers/{name} was changed after its test cell ran: the test cell's version was graded"
        for name in report.get("answers_changed_later", [])
    ]
    return notes


def run_rescore(labs: list[str], options, scratch: Path, mnist: Path | None) -> dict[str, dict]:
    """Re-score the collected answers of ``labs`` in one fresh (sandboxed) process: ``{lab: result}``."""
    root = scratch / "collected"
    job_file = root / "job.json"
    inside = Path(sb.SANDBOX_WORKDIR) if options.sandbox else root
    payload = {
        "seed": options.hidden_seed,
        "labs": [{"lab": lab, "answers": str(inside / lab)} for lab in labs],
    }
    job_file.write_text(json.dumps(payload))
    out = tempfile.TemporaryFile(dir=scratch)
    command = [
        sys.executable,
        "-m",
        "autograder.grading.rescore_process",
        str(inside / "job.json"),
        "--report-fd",
        str(out.fileno()),
    ]
    if options.sandbox:
        # The re-scorer is the grader: it needs its own code and the labs' grading specs (never
        # bound into a student's sandbox). It still runs sandboxed: it opens student model files.
        grader = [(p, str(p)) for p in (PROJECT_ROOT / "autograder", SOLUTIONS) if p.is_dir()]
        argv = sb.build_command(
            command, root, mnist=mnist, writable=False, readonly_extra=grader, hide_grader=False
        )
        env = None
    else:
        argv, env = command, {**os.environ, "AUTOGRADER_MNIST": str(mnist or "")}
    proc = subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=(out.fileno(),),
        preexec_fn=sb.preexec_for(sb.Limits(memory_bytes=options.limits.memory_bytes)),
    )
    try:
        _, stderr = proc.communicate(timeout=max(120, 60 * len(labs)))
    except subprocess.TimeoutExpired:
        kill_group(proc)
        return {}
    out.seek(0)
    try:
        return {item["lab"]: item for item in json.loads(out.read() or b"[]")}
    except json.JSONDecodeError:
        return {}
