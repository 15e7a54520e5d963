"""Where a graded notebook's seconds go: the student's work versus everything around it.

    .venv/bin/python benchmarks/profile_overhead.py [--labs lab15_one_neuron lab18_xor_sigmoid ...]

For each lab's reference notebook, in one process and one after the other:

``--kernels cold`` (default) profiles the slow path; ``--kernels warm`` the fast path (one sandbox
whose zygote forks a kernel per notebook, a warm re-scorer; their start-up, once per run or batch
worker, is printed apart). ``benchmarks/fast_path.py`` compares the two in one run.

1. **warm** — the notebook's cells in a plain Jupyter kernel that has already imported
   TensorFlow and Keras (no sandbox, no runner, no re-scoring): the work that has to happen;
2. **graded** — the same notebook through the grading pipeline (sandbox on), one notebook per
   submission, as ``grade`` does it.

It prints, per notebook, the graded wall time split into its parts:

* ``steps``    read, identify, restore, prepare, collect (the pipeline's own Python work);
* ``start``    sandbox + runner interpreter + kernel start (execute wall − the cells' own time);
* ``import``   the setup cell's extra time over the warm kernel's (TensorFlow/Keras import);
* ``cells``    every other cell, minus the warm kernel's time for it (nbclient round trips, the
               runner's answer snapshots, a cold TensorFlow's first graph traces);
* ``rescore``  the fresh re-scoring process (sandbox start, TensorFlow import, judging);

and the overhead = graded − warm, the figure the fast-path work has to shrink. The machine's load
is printed before and after; compare ratios within one run, not across runs.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from labkit.mnist import find_mnist  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from autograder.grading import pipeline  # noqa: E402
from autograder.grading.warm import Warm  # noqa: E402
from autograder.grading.workdir import stage  # noqa: E402
from autograder.labs import all_labs, get_lab  # noqa: E402
from autograder.results import LabResult  # noqa: E402

PREWARM = "from labkit import quiet_tensorflow_start; quiet_tensorflow_start(); import matplotlib.pyplot"


def warm_run(nb: nbformat.NotebookNode, workdir: Path, spec=None, seed: int | None = None) -> list[float]:
    """Seconds per code cell in a kernel that imported TensorFlow/Keras before the clock starts.

    With ``spec`` and ``seed`` the work directory is laid out as grading lays it out (public checks,
    the same hidden inputs), so the plain kernel does the same work: its test cells really check.
    A cell that errors here (but not when graded) would make the baseline too cheap: reported."""
    if spec is not None:
        stage(spec, workdir, seed)
    nb = copy.deepcopy(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PREWARM))  # not timed: the "already warm" part
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": workdir}}
    )
    seconds: list[float] = []
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        for index, cell in enumerate(nb.cells[1:], start=1):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            seconds.append(time.perf_counter() - t0)
            if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
                print(f"  (plain kernel: cell {index} raised {cell.outputs[-1].get('ename')})")
    return seconds


def graded_run(path: Path, options: pipeline.Options, scratch: Path, warm=None) -> dict:
    """The pipeline's steps for one notebook, timed; returns the parts in seconds. ``warm``: the
    fast path's servers (already started: their start-up is a per-run cost, reported apart)."""
    job = pipeline.Job(path, options, scratch / "n0", LabResult(lab="unknown", submission=str(path)))
    job.warm = warm.kernels if warm is not None else None
    job.scratch.mkdir(parents=True)
    os.chmod(scratch, 0o711)
    os.chmod(job.scratch, 0o711)
    if options.hidden_seed is None:
        options = replace(options, hidden_seed=pipeline.new_hidden_seed())
        job.options = options
    run = pipeline.Run([job], options, scratch, warm)
    parts = {"steps": 0.0, "execute": 0.0, "rescore": 0.0}
    t_all = time.perf_counter()
    for step in pipeline.STEPS:
        t0 = time.perf_counter()
        step(run)
        name = step.__name__.removeprefix("step_")
        parts[name if name in parts else "steps"] += time.perf_counter() - t0
    parts["wall"] = time.perf_counter() - t_all
    parts["cells"] = [c.get("seconds", 0.0) for c in job.run_report.get("cells", [])]
    parts["score"] = (job.result.score, job.result.max_score)
    parts["restored"] = job.to_run  # exactly what the runner executed (hidden tests included)
    parts["seed"] = options.hidden_seed  # its hidden inputs: the plain kernel gets the same
    return parts


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labs", nargs="*", default=None)
    parser.add_argument("--kernels", choices=("cold", "warm"), default="cold")
    args = parser.parse_args()
    labs = [get_lab(lab).lab_id for lab in (args.labs or all_labs())]
    os.environ.setdefault("AUTOGRADER_MNIST", str(find_mnist(download=False)))
    os.environ["MPLBACKEND"] = "Agg"  # as in the sandbox: the plain kernel renders no inline PNGs
    options = pipeline.Options(kernels=args.kernels)
    print(f"load average before: {load()} ({os.cpu_count()} CPUs); kernels: {args.kernels}")
    warm = None
    if args.kernels == "warm":
        warm = Warm(options.limits, pipeline._mnist_path(options))
        ready = warm.kernels.usable() and warm.rescorer.usable()
        print(
            f"per run (or batch worker), once: kernels' sandbox + zygote ready in "
            f"{warm.kernels.started_seconds:.2f} s, re-scorer in {warm.rescorer.started_seconds:.2f} s "
            f"(started when the zygote was ready){'' if ready else ' — NOT AVAILABLE: ' + str(warm.kernels.unavailable)}"
        )
    header = ("lab", "points", "warm", "graded", "overhead", "steps", "start", "import", "cells", "rescore")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    totals = {k: 0.0 for k in header[2:]}
    for lab_id in labs:
        spec = get_lab(lab_id)
        with tempfile.TemporaryDirectory(prefix="profile-") as tmp:
            tmp = Path(tmp)
            notebook = tmp / spec.notebook
            shutil.copy(ROOT / "solutions" / lab_id / spec.notebook, notebook)
            graded = graded_run(notebook, options, tmp / "grade", warm)
            (tmp / "warm").mkdir()
            plain = warm_run(graded["restored"], tmp / "warm", spec, graded["seed"])
        cells = graded["cells"]
        if len(cells) != len(plain):
            print(f"{lab_id}: the runner ran {len(cells)} cells, the warm kernel {len(plain)}: skipped")
            continue
        row = {
            "warm": sum(plain),
            "graded": graded["wall"],
            "steps": graded["steps"],
            "start": graded["execute"] - sum(cells),
            "import": cells[0] - plain[0],
            "cells": sum(cells[1:]) - sum(plain[1:]),
            "rescore": graded["rescore"],
        }
        row["overhead"] = row["graded"] - row["warm"]
        for key, value in row.items():
            totals[key] += value
        points = f"{graded['score'][0]:g}/{graded['score'][1]:g}"
        print(" | ".join([lab_id, points, *(f"{row[k]:.2f}" for k in header[2:])]))
    n = max(1, len(labs))
    print(" | ".join(["**total**", "", *(f"{totals[k]:.1f}" for k in header[2:])]))
    print(" | ".join(["mean per notebook", "", *(f"{totals[k] / n:.2f}" for k in header[2:])]))
    print(f"load average after: {load()}")
    if warm is not None:
        warm.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
