"""Execute one notebook in a real Jupyter kernel. Runs *inside* the sandbox.

``python -m labkit.runner IN.ipynb OUT.ipynb --cell-seconds S --output-bytes B --report-fd 3``

* every cell runs (errors are recorded, not fatal); a cell over its time limit is interrupted; a
  kernel that ignores the interrupt for ``GRACE_SECONDS`` (10 s) is killed and replaced by a fresh one,
  as is a kernel that dies (``os._exit``, a segfault, out of memory). Later cells still run, but
  without the lost state, so most of them fail;
* after every cell, processes the cell left behind are killed (``--sweep``, sandbox only: there the
  runner's PID namespace holds nothing but this notebook), so a fork bomb or a background server
  cannot outlive its cell;
* outputs beyond ``--output-bytes`` for the whole notebook are dropped (with a note);
* answers: right before the test cell ``test_<name>`` runs, ``answers/<name>.*`` is deleted; right
  after, the answer files it wrote are copied into the runner's memory. At the end (kernel and every
  other process gone) ``answers/`` is rebuilt from those copies: an answer file planted before its
  test cell, or rewritten after it, is not what gets graded;
* the record lists each snapshot's SHA-256, so when the grader had to stop the runner before that
  rebuild, it still takes only answer files whose content a test cell wrote;
* the per-cell record goes to file descriptor ``--report-fd`` as JSON, rewritten after every cell
  (so a notebook stopped by the grader still has its record). The kernel is a child process started
  with ``close_fds`` and the runner makes itself non-dumpable, so the kernel (same uid) can reach
  neither the descriptor nor the runner's memory through ``/proc``. The record only carries
  *messages*: scores come from the answer files, re-scored in a fresh process.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from labkit.kernels import Zygote, ZygoteUnavailable, use_zygote
from labkit.sandbox import Limits

GRACE_SECONDS = 10.0  # after an interrupt, how long the kernel has to become responsive again
ANSWERS = Path("answers")
_ANSWER_FILE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?\.(npz|keras)$")


class CappedClient(NotebookClient):
    """A NotebookClient that keeps at most ``output_budget`` bytes of outputs in total."""

    output_budget: int = 1 << 20
    dropped: int = 0

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        if size > self.output_budget:
            self.dropped += size
            if not getattr(self, "_noted", False):
                self._noted = True
                outs.append(
                    nbformat.v4.new_output(
                        "stream",
                        name="stderr",
                        text="[grader] output limit reached: further output dropped\n",
                    )
                )
            return None
        self.output_budget -= size
        return super().output(outs, msg, display_id, cell_index)


def _error_of(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", ""), str(out.get("evalue", ""))[:500]
    return None


def _non_dumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0): /proc/<runner>/{fd,mem,environ} become root-only, ptrace refused."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def sweep(keep: set[int]) -> int:
    """Kill every process of this uid but ``keep``, the runner and PID 1 (bwrap): sandbox only."""
    killed, keep = 0, {*keep, 1, os.getpid()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in keep:
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != os.getuid():
                continue
            with open(f"/proc/{entry}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[-1].split()[0] == b"Z":
                    continue  # a zombie: already dead, its parent has yet to reap it
            os.kill(int(entry), signal.SIGKILL)
            killed += 1
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return killed


class Run:
    """One notebook's execution: the client, the record, the answer snapshots."""

    def __init__(
        self,
        nb,
        cell_seconds: float,
        output_bytes: int,
        artifact_bytes: int,
        report_fd,
        do_sweep,
        zygote=None,
    ):
        self.nb, self.cell_seconds, self.artifact_bytes = nb, cell_seconds, artifact_bytes
        self.report_fd, self.do_sweep, self.zygote = report_fd, do_sweep, zygote
        self.keep = {zygote.pid} if zygote else set()  # never swept: the zygote serves the next notebook
        self.client = CappedClient(
            nb,
            timeout=cell_seconds,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=False,  # the runner interrupts, and restarts a kernel that ignores it
            record_timing=False,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": os.getcwd()}},
            startup_timeout=120,
        )
        self.client.output_budget = output_bytes
        self.report: dict = {"cells": [], "seconds": 0.0, "output_dropped_bytes": 0, "answers": {}}
        self.snapshots: dict[str, bytes] = {}
        self.started = time.monotonic()

    # -- record ------------------------------------------------------------------------------
    def write_report(self) -> None:
        self.report["seconds"] = round(time.monotonic() - self.started, 3)
        self.report["output_dropped_bytes"] = self.client.dropped
        if self.report_fd is None:
            return
        data = json.dumps(self.report).encode()
        os.ftruncate(self.report_fd, 0)
        os.pwrite(self.report_fd, data, 0)

    # -- kernel --------------------------------------------------------------------------------
    def kernel_pids(self) -> set[int]:
        """The kernel's processes a sweep must spare (a forked kernel: its init and maker too)."""
        provisioner = getattr(self.client.km, "provisioner", None)
        pids = provisioner.pids() if hasattr(provisioner, "pids") else {getattr(provisioner, "pid", None)}
        return {p for p in pids if p} | self.keep

    def start_kernel(self) -> None:
        started = time.monotonic()
        self.client.km = self.client.create_kernel_manager()
        if self.zygote is not None:
            use_zygote(self.client.km, self.zygote)
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()
        self.report["kernel_seconds"] = round(
            self.report.get("kernel_seconds", 0.0) + time.monotonic() - started, 3
        )

    def stop_kernel(self) -> None:
        started = time.monotonic()
        try:
            self.client._cleanup_kernel()
        except Exception:  # noqa: BLE001 - a dead or stuck kernel is killed either way
            pass
        self.client.km, self.client.kc = None, None
        self.report["kernel_stop_seconds"] = round(
            self.report.get("kernel_stop_seconds", 0.0) + time.monotonic() - started, 3
        )

    def fresh_kernel(self) -> int:
        self.stop_kernel()
        killed = sweep(self.keep) if self.do_sweep else 0
        self.start_kernel()
        return killed

    def responsive_after_interrupt(self) -> bool:
        """Interrupt the kernel; True when it answers a kernel_info request within the grace period."""
        kc = self.client.kc
        run_sync(self.client.km.interrupt_kernel)()  # a coroutine: nbclient's manager is async
        msg_id = kc.kernel_info()
        deadline = time.monotonic() + GRACE_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                reply = run_sync(kc.get_shell_msg)(timeout=left)
            except Exception:  # noqa: BLE001 - queue.Empty: no answer in time
                return False
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False

    # -- answers -------------------------------------------------------------------------------
    @staticmethod
    def _answer_files() -> dict[str, tuple]:
        if not ANSWERS.is_dir() or ANSWERS.is_symlink():
            return {}
        out = {}
        for entry in os.scandir(ANSWERS):
            if _ANSWER_FILE.match(entry.name) and entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                out[entry.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
        return out

    @staticmethod
    def _of_question(name: str, files) -> list[str]:
        return [f for f in files if f == f"{name}.npz" or (f.startswith(f"{name}.") and f.endswith(".keras"))]

    def before_test(self, name: str) -> dict[str, tuple]:
        files = self._answer_files()
        for stale in self._of_question(name, files):
            (ANSWERS / stale).unlink(missing_ok=True)
            self.snapshots.pop(stale, None)
            self.report["answers"].pop(stale, None)
        return self._answer_files()

    def after_test(self, name: str, before: dict[str, tuple]) -> None:
        after = self._answer_files()
        changed = [f for f, sig in after.items() if before.get(f) != sig]
        for fname in sorted(set(changed) | set(self._of_question(name, after))):
            path = ANSWERS / fname
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as handle:
                data = handle.read(self.artifact_bytes + 1)
            if len(data) <= self.artifact_bytes:
                self.snapshots[fname] = data
                self.report["answers"][fname] = hashlib.sha256(data).hexdigest()

    def rebuild_answers(self) -> None:
        """Replace ``answers/`` with what the test cells wrote (no student process is left now)."""
        found = self._answer_files()
        links = [e.name for e in os.scandir(ANSWERS) if e.is_symlink()] if ANSWERS.is_dir() else []
        stray = sorted({*links, *(f for f in found if f not in self.snapshots)})
        changed = sorted(
            f for f in found if f in self.snapshots and (ANSWERS / f).read_bytes() != self.snapshots[f]
        )
        if ANSWERS.is_symlink() or ANSWERS.is_file():
            ANSWERS.unlink()
        elif ANSWERS.exists():
            shutil.rmtree(ANSWERS)
        ANSWERS.mkdir()
        for fname, data in self.snapshots.items():
            (ANSWERS / fname).write_bytes(data)
        self.report["answers_not_from_tests"] = stray
        self.report["answers_changed_later"] = changed

    # -- cells ---------------------------------------------------------------------------------
    def run_cell(self, index: int, cell) -> dict:
        record = {"index": index, "id": cell.get("id", ""), "status": "ok"}
        meta = cell.metadata.get("nbgrader") or {}
        gid = str(meta.get("grade_id") or "")
        question = gid[5:] if meta.get("grade") and gid.startswith("test_") else None
        before = self.before_test(question) if question else None
        self.report["running"] = {"index": index, "id": record["id"]}
        self.write_report()
        t0 = time.monotonic()
        try:
            self.client.execute_cell(cell, index)
        except CellTimeoutError:
            record["status"] = "timeout"
            if not self.responsive_after_interrupt():
                record.update(restarted=True, stray_processes=self.fresh_kernel())
        except DeadKernelError:
            record.update(status="dead", restarted=True, stray_processes=self.fresh_kernel())
        except Exception as exc:  # noqa: BLE001 - anything else is recorded for this cell
            record.update(status="error", ename=type(exc).__name__, evalue=str(exc)[:500])
        record["seconds"] = round(time.monotonic() - t0, 3)
        if record["status"] == "ok" and (err := _error_of(cell)):
            record.update(status="error", ename=err[0], evalue=err[1])
        if question:
            self.after_test(question, before)
        if self.do_sweep and (killed := sweep(self.kernel_pids())):
            record["stray_processes"] = record.get("stray_processes", 0) + killed
        if not record.get("stray_processes"):
            record.pop("stray_processes", None)
        return record

    def run(self) -> dict:
        self.start_kernel()
        try:
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                self.report["cells"].append(self.run_cell(index, cell))
                self.write_report()
        finally:
            self.stop_kernel()
            if self.do_sweep:
                sweep(self.keep)
        self.report.pop("running", None)
        self.rebuild_answers()
        self.write_report()
        return self.report


def _execute(args, do_sweep: bool, zygote=None) -> dict:
    run = None
    try:
        nb = nbformat.read(args.notebook, as_version=4)
        run = Run(
            nb, args.cell_seconds, args.output_bytes, args.artifact_bytes, args.report_fd, do_sweep, zygote
        )
        report = run.run()
        nbformat.write(nb, args.output)
    except Exception as exc:  # noqa: BLE001 - the report says why
        report = run.report if run is not None else {"cells": []}
        report["fatal"] = f"{type(exc).__name__}: {exc}"[:1000]
    if args.report_fd is not None:
        data = json.dumps(report).encode()
        os.ftruncate(args.report_fd, 0)
        os.pwrite(args.report_fd, data, 0)
    else:
        sys.stdout.write(json.dumps(report) + "\n")
    return report


def serve(args, do_sweep: bool) -> int:
    """``--serve``: one sandbox, many notebooks. Start the zygote, say ``{"ready": …}`` on stdout,
    then for every job line on stdin (``{"notebook": …, "output": …}``, run in the current work
    directory, whose files the grader swapped in) execute it and answer ``{"done": …}``."""
    try:
        zygote = Zygote(args.tmp_bytes)
    except ZygoteUnavailable as exc:
        print(json.dumps({"ready": False, "error": str(exc)}), flush=True)
        return 0
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        args.notebook, args.output = job["notebook"], job["output"]
        report = _execute(args, do_sweep, zygote)
        print(json.dumps({"done": args.notebook, "fatal": report.get("fatal")}), flush=True)
    zygote.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("output", nargs="?")
    parser.add_argument("--cell-seconds", type=float, default=Limits.cell_seconds)
    parser.add_argument("--output-bytes", type=int, default=Limits.output_bytes)
    parser.add_argument("--artifact-bytes", type=int, default=Limits.artifact_bytes)
    parser.add_argument("--tmp-bytes", type=int, default=Limits.tmp_bytes)
    parser.add_argument("--report-fd", type=int, default=None)
    parser.add_argument("--sweep", action="store_true", help="kill leftover processes (sandbox only)")
    parser.add_argument("--serve", action="store_true", help="warm kernels for many notebooks (sandbox only)")
    args = parser.parse_args(argv)
    _non_dumpable()
    # --sweep kills every process of this uid: refuse it outside a fresh PID namespace.
    do_sweep = args.sweep and os.getpid() < 16 and os.getuid() != 0
    if args.serve:
        return serve(args, do_sweep)
    if not args.notebook or not args.output:
        parser.error("the notebook and output paths are required (or --serve)")
    _execute(args, do_sweep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
