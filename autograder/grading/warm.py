"""The fast path: one sandbox serves many notebooks, each in a kernel forked from a warm zygote.

Cold (``--kernels cold``, the slow path kept for comparison): per notebook a bubblewrap sandbox, a
runner, a fresh kernel that imports TensorFlow — ~5 s before the first student line runs.

Warm (the default): ``WarmSandbox`` starts *one* sandbox per grading run (``grade``, Gradescope)
or per batch worker, running ``labkit.runner --serve``; inside it ``labkit.zygote`` has imported
TensorFlow and Keras once. For each notebook the grader

1. moves the notebook's prepared work directory *into* the sandbox's ``/submission`` (which is
   empty between notebooks: a notebook never sees another's files),
2. sends one job line and waits for ``done`` while enforcing the notebook's total time and disk
   limits exactly as ``processes.watch`` does for a cold run,
3. moves everything back out (``collect`` then takes the answers as before).

Per-notebook isolation inside the shared sandbox is the zygote's (``labkit/zygote.py``): a fresh
fork, its own PID, mount (private ``/tmp``), IPC and user namespaces, no capabilities. When the
time or disk limit stops a notebook, the whole sandbox is killed and the next notebook gets a new
one; when this machine cannot nest namespaces, every notebook falls back to the cold path.

``WarmRescorer`` does the same for the ``rescore`` step: one sandboxed re-scoring process that
imported TensorFlow and every lab's grading code, forking a fresh child per submission. ``Warm``
holds the pair: the kernels' sandbox starts with the run (or worker); the re-scorer starts once
the zygote is ready, so its import overlaps the first notebook instead of competing with the
zygote's on two cores.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labkit import sandbox as sb

from autograder.grading import processes

HELLO_SECONDS = 180.0  # sandbox + zygote start (TensorFlow import) on a busy 2-core machine


class _Server:
    """A long-lived sandboxed process that answers one JSON line per job line."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="warm-"))
        os.chmod(self.home, 0o711)
        self.spool = self.home / "submission"
        self.spool.mkdir()
        self.uid = sb.sandbox_uid() if os.geteuid() == 0 else None
        self.proc: subprocess.Popen | None = None
        self.unavailable: str | None = None  # why it cannot run here (then: the cold path)
        self.started_seconds = 0.0
        self._buffer = b""
        self._launched = 0.0
        self.then_launch: _Server | None = None  # a server to start once this one is ready

    def argv(self, report_fd: int) -> list[str]:
        raise NotImplementedError

    def _launch(self) -> None:
        self.report = tempfile.TemporaryFile(dir=self.home)
        self.log = tempfile.TemporaryFile(dir=self.home)
        self._buffer = b""
        self._launched = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv(self.report.fileno()),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            pass_fds=(self.report.fileno(),),
            preexec_fn=sb.preexec_for(self.limits),
        )
        self._hello = False

    def usable(self) -> bool:
        """Started and ready (launching or relaunching it when needed); False: use the cold path."""
        if self.unavailable is not None:
            return False
        if self.proc is None or self.proc.poll() is not None:
            self._launch()
        if not self._hello:
            hello = self._line(self._launched + HELLO_SECONDS)
            self.started_seconds = round(time.monotonic() - self._launched, 3)
            if not isinstance(hello, dict) or not hello.get("ready"):
                reason = hello.get("error") if isinstance(hello, dict) else None
                self.unavailable = reason or f"it did not start ({self._tail().strip()[-300:]})"
                self._stop()
                return False
            self._hello = True
            follower = self.then_launch
            if follower is not None and follower.proc is None and follower.unavailable is None:
                follower._launch()  # its TensorFlow import now overlaps student work, not ours
        return True

    def _stop(self) -> None:
        if self.proc is not None:
            processes.kill_group(self.proc)
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # the server ends its loop
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def _request(self, job: dict, deadline: float, watch_disk: bool = False):
        """Send one job; its answer (a dict), why it was stopped (a str) or None (it died)."""
        self.report.seek(0)
        self.report.truncate()
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
            answer = self._line(deadline, watch_disk)
        except (BrokenPipeError, OSError):
            answer = None
        if not isinstance(answer, dict):  # stopped by a limit, or died: the next job gets a new one
            self._stop()
        return answer

    def _record(self) -> dict | list:
        self.report.seek(0)
        raw = self.report.read(4 << 20)
        try:
            return json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return {}

    def _line(self, deadline: float, watch_disk: bool = False):
        """The next JSON line from the server; a str (why) at a limit; None when it exited."""
        out = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return processes.time_limit_message(self.limits)
            if (
                watch_disk
                and processes.disk_usage(self.spool, self.limits.disk_bytes) > self.limits.disk_bytes
            ):
                return processes.disk_limit_message(self.limits)
            ready, _, _ = select.select([out], [], [], min(1.0, left))
            if ready:
                chunk = os.read(out, 65536)
                if not chunk:
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return None

    def _tail(self, start: int = 0) -> str:
        try:
            end = self.log.seek(0, os.SEEK_END)
            self.log.seek(max(start, end - 4096))
            return self.log.read().decode(errors="replace")
        except (OSError, ValueError, AttributeError):
            return ""


class WarmSandbox(_Server):
    """The kernels' sandbox: ``labkit.runner --serve``; ``execute`` runs one notebook."""

    def __init__(self, limits: sb.Limits, mnist: Path | None) -> None:
        super().__init__()
        self.limits, self.mnist = limits, mnist

    def argv(self, report_fd: int) -> list[str]:
        limits = self.limits
        runner = [sys.executable, "-m", "labkit.runner", "--serve", "--sweep"]
        runner += ["--cell-seconds", str(limits.cell_seconds), "--output-bytes", str(limits.output_bytes)]
        runner += ["--artifact-bytes", str(limits.artifact_bytes), "--tmp-bytes", str(limits.tmp_bytes)]
        runner += ["--report-fd", str(report_fd)]
        sb.prepare_workdir(self.spool, self.uid)
        return sb.build_command(
            runner, self.spool, mnist=self.mnist, uid=self.uid, tmp_bytes=limits.tmp_bytes
        )

    def describe(self) -> str:
        return (
            f"bubblewrap sandbox: {sb.bwrap_source()}; warm kernel forked from a zygote "
            "(own PID, mount, IPC and user namespaces; no capabilities)"
        )

    def execute(self, notebook: str, workdir: Path) -> tuple[dict, str | None, str]:
        """Run ``workdir/notebook`` inside; returns (runner record, why it was stopped, stderr tail)."""
        if not self.usable():  # (re)starts the sandbox after a notebook stopped the last one
            raise RuntimeError(f"warm kernels are not available here: {self.unavailable}")
        for entry in os.listdir(self.spool):  # a stopped sandbox may have left something behind
            _remove(self.spool / entry)
        sb.prepare_workdir(workdir, self.uid)
        for entry in os.listdir(workdir):
            os.rename(workdir / entry, self.spool / entry)
        log_start = self.log.seek(0, os.SEEK_END)
        deadline = time.monotonic() + self.limits.notebook_seconds
        answer = self._request({"notebook": notebook, "output": ".executed.ipynb"}, deadline, True)
        for entry in os.listdir(self.spool):
            os.rename(self.spool / entry, workdir / entry)
        record = self._record()
        return (
            (record if isinstance(record, dict) else {}),
            (answer if isinstance(answer, str) else None),
            (self._tail(log_start)),
        )


class WarmRescorer(_Server):
    """The re-scorer's sandbox: ``rescore_process --serve``, one forked judge per submission."""

    def __init__(self, limits: sb.Limits, mnist: Path | None) -> None:
        super().__init__()
        self.limits = sb.Limits(memory_bytes=limits.memory_bytes)
        self.mnist = mnist

    def argv(self, report_fd: int) -> list[str]:
        command = processes.rescore_command(report_fd, "--serve")
        return sb.build_command(
            command,
            self.spool,
            mnist=self.mnist,
            writable=False,
            readonly_extra=processes.grader_binds(),
            hide_grader=False,
        )

    def rescore(self, labs: list[str], collected: Path, seed: int | None, languages: dict | None) -> dict:
        """Judge the answers under ``collected/<lab>``: ``{lab: result}`` ({} when it crashed)."""
        if not self.usable():
            raise RuntimeError(f"the warm re-scorer is not available here: {self.unavailable}")
        for entry in os.listdir(self.spool):
            _remove(self.spool / entry)
        moved = [lab for lab in labs if (collected / lab).is_dir()]
        for lab in moved:
            os.rename(collected / lab, self.spool / lab)
        try:
            job = processes.rescore_job(labs, Path(sb.SANDBOX_WORKDIR), seed, languages)
            deadline = time.monotonic() + max(120, 60 * len(labs))
            answer = self._request(job, deadline)
        finally:
            for lab in moved:
                os.rename(self.spool / lab, collected / lab)
        record = self._record() if isinstance(answer, dict) and answer.get("done") == 0 else []
        return {item["lab"]: item for item in record} if isinstance(record, list) else {}


class Warm:
    """The fast path's two servers, started together (their imports overlap the host's work)."""

    def __init__(self, limits: sb.Limits, mnist: Path | None) -> None:
        self.kernels = WarmSandbox(limits, mnist)
        self.rescorer = WarmRescorer(limits, mnist)
        self.kernels.then_launch = self.rescorer
        self.kernels._launch()

    def close(self) -> None:
        self.kernels.close()
        self.rescorer.close()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
