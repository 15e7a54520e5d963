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

from autograder.i18n import N_, lazy_ngettext
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


def time_limit_message(limits: sb.Limits) -> str:
    return N_("the notebook exceeded the {seconds:g} s total time limit and was stopped").format(
        seconds=limits.notebook_seconds
    )


def disk_limit_message(limits: sb.Limits) -> str:
    return N_(
        "the notebook wrote more than {mib} MiB (or {files:,} files) to its work directory and was stopped"
    ).format(mib=limits.disk_bytes >> 20, files=MAX_ENTRIES)


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
            reason = time_limit_message(limits)
        elif disk_usage(workdir, limits.disk_bytes) > limits.disk_bytes:
            reason = disk_limit_message(limits)
        if reason:
            break
    kill_group(proc)
    return reason


def where(record: dict) -> str:
    return N_("cell {n} (`{id}`)").format(n=record["index"] + 1, id=record.get("id", ""))


def _error_message(record: dict, limits: sb.Limits) -> str | None:
    ename, evalue = record.get("ename", ""), record.get("evalue", "")
    at = where(record)
    if any(s in evalue or s in ename for s in NETWORK_ERRORS):
        return N_("network access is not allowed during grading ({at})").format(at=at)
    if ename == "MemoryError":
        return N_("{at} ran out of memory (limit {gib:g} GiB)").format(at=at, gib=limits.memory_bytes / 2**30)
    if any(s in evalue for s in PROCESS_LIMIT_ERRORS):
        return N_("{at} hit the limit of {n} processes and threads").format(at=at, n=limits.processes)
    if ename == "PermissionError" or "Read-only file system" in evalue:
        return N_(
            "{at} was denied access outside its work directory: during grading only the "
            "notebook's own folder (and /tmp) can be written"
        ).format(at=at)
    if "No space left on device" in evalue:
        return N_("{at} ran out of disk space (/tmp holds {mib} MiB)").format(
            at=at, mib=limits.tmp_bytes >> 20
        )
    path = _OUTSIDE.search(evalue) if ename in ("FileNotFoundError", "NotADirectoryError") else None
    if path:
        return N_(
            "{at} tried to open {path}, which does not exist in the grading sandbox: "
            "only the notebook's own folder is there (use relative paths)"
        ).format(at=at, path=path.group(1))
    return None


def cell_messages(report: dict, limits: sb.Limits) -> list[tuple[str, str]]:
    """``(cell id, message)`` for every problem the kernel had, phrased for a student (English
    ``Text``: ``pipeline.step_report`` puts it in the lab's language)."""
    out: list[tuple[str, str]] = []
    for record in report.get("cells", []):
        status, cell_id, at = record.get("status"), record.get("id", ""), where(record)
        if status == "timeout":
            if record.get("restarted"):
                text = N_(
                    "{at} exceeded the {seconds:g} s time limit and ignored the interrupt: "
                    "the kernel was restarted, later cells ran without its state"
                )
            else:
                text = N_("{at} exceeded the {seconds:g} s time limit")
            out.append((cell_id, text.format(at=at, seconds=limits.cell_seconds)))
        elif status == "dead":
            out.append(
                (
                    cell_id,
                    N_(
                        "the kernel died in {at} (os._exit, a crash, or out of memory); "
                        "it was restarted and later cells ran without its state"
                    ).format(at=at),
                )
            )
        elif status == "error" and (text := _error_message(record, limits)):
            out.append((cell_id, text))
        if record.get("stray_processes"):
            n = record["stray_processes"]
            text = lazy_ngettext(
                "{at} left {n} process running: stopped by the grader",
                "{at} left {n} processes running: stopped by the grader",
                n,
                at=at,
            )
            out.append((cell_id, text))
    running = report.get("running")
    if running:
        out.append(
            (
                running.get("id", ""),
                N_("{at} was running when the notebook was stopped").format(at=where(running)),
            )
        )
    return out


def answer_notes(report: dict) -> list[str]:
    notes = [
        N_("answers/{name} was not written by its test cell: ignored").format(name=name)
        for name in report.get("answers_not_from_tests", [])
    ]
    notes += [
        N_("answers/{name} was changed after its test cell ran: the test cell's version was graded").format(
            name=name
        )
        for name in report.get("answers_changed_later", [])
    ]
    return notes


def rescore_job(labs: list[str], inside: Path, seed: int | None, languages: dict[str, str] | None) -> dict:
    """The re-scorer's job: the hidden seed and, per lab, its answers folder (as the re-scorer
    sees it) and the language of its feedback."""
    return {
        "seed": seed,
        "labs": [
            {"lab": lab, "answers": str(inside / lab), "language": (languages or {}).get(lab, "en")}
            for lab in labs
        ],
    }


def rescore_command(report_fd: int, *job: str) -> list[str]:
    return [sys.executable, "-m", "autograder.grading.rescore_process", *job, "--report-fd", str(report_fd)]


def grader_binds() -> list[tuple[Path, str]]:
    """The re-scorer is the grader: it needs its own code and the labs' grading specs (never
    bound into a student's sandbox). It still runs sandboxed: it opens student model files."""
    return [(p, str(p)) for p in (PROJECT_ROOT / "autograder", SOLUTIONS) if p.is_dir()]


def run_rescore(
    labs: list[str], options, scratch: Path, mnist: Path | None, languages: dict[str, str] | None = None
) -> dict[str, dict]:
    """Re-score the collected answers of ``labs`` in one fresh (sandboxed) process: ``{lab: result}``.
    ``languages``: the language of each lab's feedback (default English)."""
    root = scratch / "collected"
    job_file = root / "job.json"
    inside = Path(sb.SANDBOX_WORKDIR) if options.sandbox else root
    payload = rescore_job(labs, inside, options.hidden_seed, languages)
    job_file.write_text(json.dumps(payload))
    out = tempfile.TemporaryFile(dir=scratch)
    command = rescore_command(out.fileno(), str(inside / "job.json"))
    if options.sandbox:
        argv = sb.build_command(
            command, root, mnist=mnist, writable=False, readonly_extra=grader_binds(), hide_grader=False
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
