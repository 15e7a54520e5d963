"""Cold versus warm kernels (issue 14), in one process, on the same submissions, one after the other.

    .venv/bin/python benchmarks/fast_path.py [--labs lab15_one_neuron ...] [--batch N ...]

Three figures, each measured for ``--kernels cold`` (a new sandbox, runner and kernel per notebook,
a fresh re-scoring process per submission: the slow path) and ``--kernels warm`` (one sandbox whose
zygote imported TensorFlow once and forks an isolated kernel per notebook, and a warm re-scorer):

1. **work** — every lab's restored reference notebook in a plain Jupyter kernel that had already
   imported TensorFlow/Keras (no sandbox, no runner, no re-scoring): what has to happen;
2. **one complete submission** — the 14 reference notebooks graded as one submission (``grade``);
   overhead per notebook = (submission wall − work) / notebooks;
3. **batch** — for each size in ``--batch`` (default 16 and 48), that many lab 18 submissions
   (half reference, half starter) through ``batch.run_batch`` with 2 local workers: submissions
   per minute, wall clock from the call to the last grade, so each worker's start-up (its
   sandbox, zygote and re-scorer import TensorFlow once) is in it; the larger batch shows the
   rate a course-sized batch approaches.

Scores must be identical on both paths (checked and printed). The machine's load is printed before
and after every figure: compare the two paths' ratios within one run, not across runs.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from labkit.mnist import find_mnist  # noqa: E402
from profile_overhead import graded_run, warm_run  # noqa: E402

from autograder.batch import run_batch  # noqa: E402
from autograder.grading import pipeline  # noqa: E402
from autograder.labs import all_labs, get_lab  # noqa: E402

KERNELS = ("cold", "warm")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def work_seconds(labs: list[str], tmp: Path) -> dict[str, float]:
    """The cells of each restored reference notebook in a plain, already-warm kernel."""
    out = {}
    for lab_id in labs:
        spec = get_lab(lab_id)
        folder = tmp / f"work-{lab_id}"
        folder.mkdir()
        shutil.copy(ROOT / "solutions" / lab_id / spec.notebook, folder / spec.notebook)
        graded = graded_run(
            folder / spec.notebook, pipeline.Options(kernels="cold", hidden_seed=11), folder / "g"
        )
        out[lab_id] = sum(warm_run(graded["restored"], folder / "w", spec, graded["seed"]))
    return out


def submission(labs: list[str], kernels: str, tmp: Path) -> tuple[float, dict]:
    folder = tmp / f"submission-{kernels}"
    folder.mkdir()
    for lab_id in labs:
        shutil.copy(ROOT / "solutions" / lab_id / f"{lab_id}.ipynb", folder / f"{lab_id}.ipynb")
    started = time.monotonic()
    result = pipeline.grade_path(folder, pipeline.Options(kernels=kernels, hidden_seed=11))
    wall = time.monotonic() - started
    return wall, {lab.lab: (lab.score, lab.max_score, lab.execution_time) for lab in result.labs}


def batch(n: int, kernels: str, tmp: Path) -> tuple[float, str]:
    subs = tmp / f"batch-{kernels}-{n}"
    lab = "lab18_xor_sigmoid"
    for i in range(n):
        kind, folder = ("ref", "solutions") if i % 2 == 0 else ("starter", "labs")
        target = subs / f"{kind}{i:03d}" / lab
        target.mkdir(parents=True)
        shutil.copy(ROOT / folder / lab / f"{lab}.ipynb", target / f"{lab}.ipynb")
    settings = {"kernels": kernels, "hidden_seed": 11}
    started = time.monotonic()
    out = tmp / f"out-{kernels}-{n}"
    run_batch(subs, out, settings=settings, workers=2, progress=False, out=io.StringIO())
    wall = time.monotonic() - started
    grades = (out / "grades.csv").read_text()
    return wall, grades


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labs", nargs="*", default=None)
    parser.add_argument(
        "--batch", type=int, nargs="*", default=[16, 48], help="batch sizes (lab 18 submissions); none: skip"
    )
    args = parser.parse_args()
    labs = [get_lab(lab).lab_id for lab in (args.labs or all_labs())]
    os.environ.setdefault("AUTOGRADER_MNIST", str(find_mnist(download=False)))
    os.environ["MPLBACKEND"] = "Agg"  # as in the sandbox: the plain kernel renders no inline PNGs
    print(f"{os.cpu_count()} CPUs; load average at start: {load()}")
    with tempfile.TemporaryDirectory(prefix="fast-path-") as tmp:
        tmp = Path(tmp)
        work = work_seconds(labs, tmp)
        print(f"work (plain warm kernel), {len(labs)} notebooks: {sum(work.values()):.1f} s; load {load()}")
        walls, scores = {}, {}
        for kernels in KERNELS:
            walls[kernels], scores[kernels] = submission(labs, kernels, tmp)
            print(f"one submission, {kernels}: {walls[kernels]:.1f} s; load {load()}")
        print("\nlab | points cold | points warm | work s | execute cold s | execute warm s")
        print("--- | --- | --- | --- | --- | ---")
        for lab_id in labs:
            c, w = scores["cold"][lab_id], scores["warm"][lab_id]
            print(
                f"{lab_id} | {c[0]:g}/{c[1]:g} | {w[0]:g}/{w[1]:g} | {work[lab_id]:.2f} | {c[2]:.2f} | {w[2]:.2f}"
            )
        total_work = sum(work.values())
        print("\nfigure | cold | warm | cold / warm")
        print("--- | --- | --- | ---")
        over = {k: (walls[k] - total_work) / len(labs) for k in KERNELS}
        print(
            f"overhead per notebook, s | {over['cold']:.2f} | {over['warm']:.2f} | {over['cold'] / over['warm']:.1f}×"
        )
        print(
            f"one complete submission ({len(labs)} labs), s | {walls['cold']:.1f} | {walls['warm']:.1f} | "
            f"{walls['cold'] / walls['warm']:.1f}×"
        )
        same = all(scores["cold"][lab][:2] == scores["warm"][lab][:2] for lab in labs)
        for n in args.batch:
            rates, csvs = {}, {}
            for kernels in KERNELS:
                wall, csvs[kernels] = batch(n, kernels, tmp)
                rates[kernels] = n / wall * 60
            print(
                f"batch, {n} lab 18 submissions, 2 workers, subs/min | {rates['cold']:.1f} | "
                f"{rates['warm']:.1f} | {rates['warm'] / rates['cold']:.1f}× faster; load {load()}"
            )
            same = same and _scores(csvs["cold"]) == _scores(csvs["warm"])
        print(f"\nscores identical on both paths: {same}")
    print(f"load average at end: {load()}")
    return 0 if same else 1


def _scores(csv: str) -> list[str]:
    """grades.csv without the columns that differ by nature (times, workers, isolation words)."""
    import csv as csvlib

    rows = list(csvlib.DictReader(io.StringIO(csv)))
    keep = [k for k in (rows[0] if rows else {}) if "score" in k or k in ("student", "lab", "status")]
    return sorted(",".join(str(r[k]) for k in keep) for r in rows)


if __name__ == "__main__":
    sys.exit(main())
