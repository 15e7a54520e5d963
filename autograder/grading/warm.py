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


class WarmSandbox:
    """A long-lived sandbox running ``labkit.runner --serve``; ``execute`` runs one notebook."""

    def __init__(self, limits: sb.Limits, mnist: Path | None) -> None:
        self.limits, self.mnist = limits, mnist
        self.home = Path(tempfile.mkdtemp(prefix="warm-"))
        os.chmod(self.home, 0o711)
        self.spool = self.home / "submission"
        self.spool.mkdir()
        self.uid = sb.sandbox_uid() if os.geteuid() == 0 else None
        self.proc: subprocess.Popen | None = None
        self.unavailable: str | None = None  # why warm kernels cannot run here (then: cold path)
        self.started_seconds = 0.0
        self._buffer = b""

    # -- lifecycle -------------------------------------------------------------------------------
    def _start(self) -> None:
        limits = self.limits
        self.report = tempfile.TemporaryFile(dir=self.home)
        self.log = tempfile.TemporaryFile(dir=self.home)
        runner = [sys.executable, "-m", "labkit.runner", "--serve", "--sweep"]
        runner += ["--cell-seconds", str(limits.cell_seconds), "--output-bytes", str(limits.output_bytes)]
        runner += ["--artifact-bytes", str(limits.artifact_bytes), "--tmp-bytes", str(limits.tmp_bytes)]
        runner += ["--report-fd", str(self.report.fileno())]
        sb.prepare_workdir(self.spool, self.uid)
        argv = sb.build_command(runner, self.spool, mnist=self.mnist, uid=self.uid, tmp_bytes=limits.tmp_bytes)
        started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            pass_fds=(self.report.fileno(),),
            preexec_fn=sb.preexec_for(limits),
        )
        self._buffer = b""
        hello = self._line(time.monotonic() + HELLO_SECONDS)
        self.started_seconds = round(time.monotonic() - started, 3)
        if not hello or not hello.get("ready"):
            self.unavailable = (hello or {}).get("error") or f"the warm sandbox did not start ({self._tail()})"
            self._stop()

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
                self.proc.stdin.close()  # the runner ends its loop, the zygote with it
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def usable(self) -> bool:
        if self.unavailable is None and (self.proc is None or self.proc.poll() is not None):
            self._start()
        return self.unavailable is None

    def describe(self) -> str:
        return (
            f"bubblewrap sandbox: {sb.bwrap_source()}; warm kernel forked from a zygote "
            "(own PID, mount, IPC and user namespaces; no capabilities)"
        )

    # -- one notebook --------------------------------------------------------------------------------
    def execute(self, notebook: str, workdir: Path) -> tuple[dict, str | None, str]:
        """Run ``workdir/notebook`` inside; returns (runner record, why it was stopped, stderr tail)."""
        if not self.usable():  # (re)starts the sandbox after a notebook stopped the last one
            raise RuntimeError(f"warm kernels are not available here: {self.unavailable}")
        for entry in os.listdir(self.spool):  # a stopped sandbox may have left something behind
            _remove(self.spool / entry)
        sb.prepare_workdir(workdir, self.uid)
        for entry in os.listdir(workdir):
            os.rename(workdir / entry, self.spool / entry)
        self.report.seek(0)
        self.report.truncate()
        log_start = self.log.seek(0, os.SEEK_END)
        stopped = None
        try:
            self.proc.stdin.write((json.dumps({"notebook": notebook, "output": ".executed.ipynb"}) + "\n").encode())
            self.proc.stdin.flush()
            done = self._line(time.monotonic() + self.limits.notebook_seconds, watch_disk=True)
        except (BrokenPipeError, OSError):
            done = None
        if isinstance(done, str):
            stopped, done = done, None
        if done is None:  # stopped by a limit, or the sandbox died: the next notebook gets a new one
            self._stop()
        for entry in os.listdir(self.spool):
            os.rename(self.spool / entry, workdir / entry)
        self.report.seek(0)
        raw = self.report.read(4 << 20)
        try:
            record = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            record = {}
        return record, stopped, self._tail(log_start)

    # -- plumbing --------------------------------------------------------------------------------
    def _line(self, deadline: float, watch_disk: bool = False):
        """The next JSON line from the runner; a str (why) at a limit; None when it exited."""
        out = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return f"the notebook exceeded the {self.limits.notebook_seconds:g} s total time limit and was stopped"
            if watch_disk and processes.disk_usage(self.spool, self.limits.disk_bytes) > self.limits.disk_bytes:
                return (
                    f"the notebook wrote more than {self.limits.disk_bytes >> 20} MiB (or "
                    f"{processes.MAX_ENTRIES:,} files) to its work directory and was stopped"
                )
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
        except (OSError, ValueError):
            return ""


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
