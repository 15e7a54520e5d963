"""Course-scale grading throughput: the same generated batch with 1 and 2 local workers, then Dask.

    .venv/bin/python benchmarks/batch_grading.py [--copies N] [--labs lab18_xor_sigmoid ...]
                                                 [--workers 1 2] [--no-dask] [--no-sandbox]

The batch is N students handing in every lab's reference notebook and N handing in the untouched
starter notebooks (2 × N × labs submissions; default N=1 with the fast XOR labs). Each
configuration grades it from scratch into its own output folder (``batch.run_batch``, the code
behind ``python -m autograder batch``); the Dask run uses a LocalCluster on loopback with one
thread per worker (its start-up is timed separately). Prints, per configuration: wall time,
submissions per minute, CPU seconds of the whole process tree (coordinator, workers, sandboxes,
kernels, re-scorers; sampled with psutil), CPU utilisation = CPU seconds / (wall × cores), and the
speed-up over the first configuration; then checks that every configuration wrote the same
grades.csv.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.batch import run_batch  # noqa: E402
from autograder.labs import all_labs  # noqa: E402

FAST_LABS = ("lab18_xor_sigmoid", "lab19_xor_relu")


def make_batch(root: Path, labs: list[str], copies: int) -> int:
    count = 0
    for i in range(copies):
        for kind, folder in (("ref", "solutions"), ("starter", "labs")):
            for lab in labs:
                target = root / "submitted" / f"{kind}{i:02d}" / lab
                target.mkdir(parents=True)
                shutil.copy(ROOT / folder / lab / f"{lab}.ipynb", target / f"{lab}.ipynb")
                count += 1
    return count


class CpuMeter(threading.Thread):
    """CPU seconds of this process and all its descendants, sampled every 0.25 s.

    ``os.times()`` cannot be used: the sandboxed kernels live in their own PID namespace and their
    CPU time never reaches this process's reaped-children totals. Sampling misses processes that
    live under 0.25 s and each process's last quarter second: a slight under-estimate.
    """

    def __init__(self):
        super().__init__(daemon=True)
        self.me = psutil.Process()
        self.seen: dict[tuple[int, float], float] = {}
        self.done = threading.Event()
        self.start_own = self._own()

    def _own(self) -> float:
        t = self.me.cpu_times()
        return t.user + t.system

    def run(self) -> None:
        while not self.done.wait(0.25):
            for proc in self.me.children(recursive=True):
                try:
                    key = (proc.pid, proc.create_time())
                    t = proc.cpu_times()
                except psutil.Error:
                    continue
                self.seen[key] = max(self.seen.get(key, 0.0), t.user + t.system)

    def stop(self) -> float:
        self.done.set()
        self.join()
        return sum(self.seen.values()) + self._own() - self.start_own


def run(label: str, subs: Path, out: Path, settings: dict, **kwargs) -> dict:
    meter, t0 = CpuMeter(), time.monotonic()
    meter.start()
    report = run_batch(subs, out, settings=settings, progress=False, out=io.StringIO(), **kwargs)
    wall = time.monotonic() - t0
    cpu = meter.stop()
    print(f"  done: {label} in {wall:.0f} s", flush=True)
    return {
        "label": label,
        "report": report,
        "wall": wall,
        "cpu": cpu,
        "csv": (out / "grades.csv").read_text(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=1, help="students per kind (reference, starter)")
    parser.add_argument("--labs", nargs="*", default=[lab for lab in FAST_LABS if lab in all_labs()])
    parser.add_argument("--workers", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    settings = {
        "sandbox": not args.no_sandbox,
        "cell_seconds": 120.0,
        "notebook_seconds": 600.0,
        "hidden_seed": None,
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        subs = Path(tmp) / "course"
        n = make_batch(subs, args.labs, args.copies)
        load = load_before = os.getloadavg()
        print(f"{n} submissions ({args.copies} reference + {args.copies} starter × {', '.join(args.labs)})")
        print(f"machine: {cores} cores; load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        for workers in args.workers:
            rows.append(
                run(
                    f"local, {workers} worker(s)",
                    subs,
                    Path(tmp) / f"out-{workers}",
                    settings,
                    workers=workers,
                )
            )
        if not args.no_dask:
            from distributed import LocalCluster

            t0 = time.monotonic()
            with LocalCluster(
                n_workers=max(args.workers),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster:
                started = time.monotonic() - t0
                label = f"Dask LocalCluster, {max(args.workers)} worker(s) (+{started:.0f} s start)"
                rows.append(
                    run(label, subs, Path(tmp) / "out-dask", settings, scheduler=cluster.scheduler_address)
                )
    load = os.getloadavg()
    base = n / rows[0]["wall"] * 60
    header = f"{'configuration':46s} {'wall s':>7s} {'subs/min':>8s} {'CPU s':>7s} {'CPU util':>8s} {'speed-up':>8s}"
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        rate = n / row["wall"] * 60
        util = row["cpu"] / (row["wall"] * cores) * 100
        crashed = f"  ({row['report'].crashed} not graded)" if row["report"].crashed else ""
        print(
            f"{row['label']:46s} {row['wall']:7.1f} {rate:8.2f} {row['cpu']:7.1f} {util:7.0f}% "
            f"{rate / base:7.2f}×{crashed}"
        )
    same = len({row["csv"] for row in rows}) == 1
    per_sub = sorted(row["cpu"] / n for row in rows)[len(rows) // 2]
    utils = [row["cpu"] / (row["wall"] * cores) * 100 for row in rows]
    print(
        f"\nCPU per submission: {per_sub:.1f} s (median) → {cores} idle cores could grade at most "
        f"~{cores * 60 / per_sub:.0f} submissions/min; the runs above got {min(utils):.0f}–{max(utils):.0f} % "
        "of the cores"
    )
    print(
        f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (above {cores}: other jobs share the cores)"
    )
    print(f"grades.csv identical across configurations: {'yes' if same else 'NO'}")
    busiest = max(*load_before, *load)
    if busiest > 1.5 * cores:
        print(
            f"WARNING: other jobs kept this machine busy (load average up to {busiest:.0f} on {cores} cores): the\n"
            "wall times and speed-ups above measure that contention as much as the grader, and the order\n"
            "of the runs matters; CPU seconds per submission is the number that carries over."
        )
    print(
        "\nWhat limits scaling on this machine: CPU, and nothing else. A grading is a few seconds of CPU\n"
        "(sandbox and Jupyter kernel start-up, TensorFlow imported twice — by the kernel and by the\n"
        "re-scoring process —, then the lab's NumPy/TensorFlow work), mostly one thread at a time and\n"
        "with little I/O: one worker keeps at most about one core busy, a second worker fills the second\n"
        "core, and then no CPU is left — cores × 60 / (CPU s per submission) is the ceiling, and more\n"
        "workers than cores only add memory (~3 GiB each) and context switches. Dask adds a cluster\n"
        "start-up and a little scheduling, nothing per grading. On a machine shared with other jobs the\n"
        "cores are not all ours, and the runs compete with those jobs, not only with each other.\n"
        "Scaling further needs cores: more workers on a bigger machine, or more machines via Dask\n"
        "(docs/batch.md)."
    )
    return 0 if same and not any(row["report"].crashed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
