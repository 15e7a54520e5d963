"""Execute one notebook in a real Jupyter kernel. Runs *inside* the sandbox.

``python -m autograder.runner IN.ipynb OUT.ipynb --cell-seconds S --output-bytes B --report-fd 3``

* every cell runs (errors are recorded, not fatal); a cell over its time limit is interrupted and
  recorded as a timeout; a kernel that dies is recorded with the cell that killed it, and the
  kernel is restarted so the cells after it still run (their earlier state is gone, so most fail);
* outputs beyond ``--output-bytes`` for the whole notebook are dropped (with a note) so an output
  flood cannot exhaust the grader's memory or disk;
* the per-cell record goes to file descriptor ``--report-fd`` as JSON, which the kernel (a child
  process started with ``close_fds``) cannot write to. It only carries *messages*: scores come
  from the answer files, re-scored in a fresh process outside the sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError


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


def run(in_path: str, out_path: str, cell_seconds: float, output_bytes: int) -> dict:
    nb = nbformat.read(in_path, as_version=4)
    client = CappedClient(
        nb,
        timeout=cell_seconds,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        resources={"metadata": {"path": os.getcwd()}},
        startup_timeout=120,
    )
    client.output_budget = output_bytes
    cells: list[dict] = []
    started = time.monotonic()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            record = {"index": index, "id": cell.get("id", ""), "status": "ok"}
            t0 = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                record["status"] = "timeout"
            except DeadKernelError:
                record["status"] = "dead"
                client.km.restart_kernel(now=True)
                client.kc.wait_for_ready(timeout=120)
            except Exception as exc:  # noqa: BLE001 - anything else is recorded for this cell
                record.update(status="error", ename=type(exc).__name__, evalue=str(exc)[:500])
            record["seconds"] = round(time.monotonic() - t0, 3)
            if record["status"] == "ok" and (err := _error_of(cell)):
                record.update(status="error", ename=err[0], evalue=err[1])
                if record["seconds"] >= cell_seconds * 0.98 or err[0] == "CellTimeoutError":
                    record["status"] = "timeout"
            cells.append(record)
    nbformat.write(nb, out_path)
    return {
        "cells": cells,
        "seconds": round(time.monotonic() - started, 3),
        "output_dropped_bytes": client.dropped,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebook")
    parser.add_argument("output")
    parser.add_argument("--cell-seconds", type=float, default=120)
    parser.add_argument("--output-bytes", type=int, default=1 << 20)
    parser.add_argument("--report-fd", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        report = run(args.notebook, args.output, args.cell_seconds, args.output_bytes)
    except Exception as exc:  # noqa: BLE001 - the report says why
        report = {"cells": [], "fatal": f"{type(exc).__name__}: {exc}"[:1000]}
    data = json.dumps(report).encode()
    if args.report_fd is not None:
        with os.fdopen(args.report_fd, "wb") as handle:
            handle.write(data)
    else:
        sys.stdout.write(data.decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
