"""Calibrate labs 25-28: grade the four reference notebooks on several seeds through the grader.

For each seed, the instructor notebooks ``solutions/<lab>/<lab>.ipynb`` of labs 25-28 are copied
into one submission folder and graded with ``autograder.grading.pipeline.grade_path`` (notebooks executed
by the runner, answers re-scored in a fresh process). ``LAB_SEED`` reaches the kernels only
without the sandbox (bubblewrap starts them with a cleared environment), so this script grades
with ``--no-sandbox`` semantics by default: the notebooks are our own reference solutions.

Printed per lab and seed: score/max, the accuracy the grader measured itself (lab 25: the
mini-batch MNIST model; lab 26: the BN network on XOR; lab 27: the best of the six MNIST models;
lab 28: the spiral classifier), the notebook's execution seconds, and any test that did not pass.

    .venv/bin/python benchmarks/calibrate_labs_25_28.py                 # seeds 0-4
    .venv/bin/python benchmarks/calibrate_labs_25_28.py --seeds 0-9 --labs lab27_activations
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from autograder.grading import pipeline  # noqa: E402
from autograder.labs import get_lab  # noqa: E402

LABS = ("lab25_optimizers", "lab26_batchnorm", "lab27_activations", "lab28_outputs_losses")
# passing tests whose message is worth a line of its own (what the grader measured)
DETAILS = {
    "lab25_optimizers": ("test_minibatch",),
    "lab26_batchnorm": ("test_bn_xor",),
    "lab27_activations": ("test_table",),
    "lab28_outputs_losses": ("test_regression",),
}


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def grade_seed(labs: list[str], seed: int, sandbox: bool) -> tuple[list, float]:
    """Grade the reference notebooks of ``labs`` as one submission with ``LAB_SEED=seed``."""
    before = os.environ.get("LAB_SEED")
    os.environ["LAB_SEED"] = str(seed)  # inherited by the kernels when grading without the sandbox
    try:
        with tempfile.TemporaryDirectory(prefix=f"calibrate-s{seed}-") as tmp:
            for lab_id in labs:
                spec = get_lab(lab_id)
                shutil.copy(ROOT / "solutions" / lab_id / spec.notebook, Path(tmp) / spec.notebook)
            start = time.perf_counter()
            result = pipeline.grade_path(tmp, pipeline.Options(sandbox=sandbox))
            return result.labs, time.perf_counter() - start
    finally:
        if before is None:
            os.environ.pop("LAB_SEED", None)
        else:
            os.environ["LAB_SEED"] = before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,3,7 (default 0-4)")
    parser.add_argument("--labs", default=",".join(LABS))
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="grade inside bubblewrap (then every seed runs as seed 0: the sandbox clears LAB_SEED)",
    )
    args = parser.parse_args(argv)
    labs = [get_lab(lab).lab_id for lab in args.labs.split(",")]
    rows = []
    print(f"{'lab':<22}{'seed':>5}{'score':>9}{'accuracy':>10}{'seconds':>9}  not passed")
    for seed in parse_seeds(args.seeds):
        results, wall = grade_seed(labs, seed, args.sandbox)
        for lab in results:
            failed = [f"{t.name}: {t.output[:160]}" for t in lab.tests if t.status != "passed"] + lab.errors
            acc = f"{lab.accuracy:.4f}" if lab.accuracy is not None else "-"
            rows.append((lab.lab, seed, lab.score, lab.max_score, lab.accuracy, lab.execution_time))
            print(
                f"{lab.lab:<22}{seed:>5}{f'{lab.score:g}/{lab.max_score:g}':>9}{acc:>10}"
                f"{lab.execution_time:>9.1f}  {' | '.join(failed) or '-'}",
                flush=True,
            )
            for test in lab.tests:
                if test.status == "passed" and test.name in DETAILS.get(lab.lab, ()):
                    print(f"{'':<27}{test.name}: {test.output.split('; ')[-1]}", flush=True)
        print(f"{'':<22}{seed:>5}  whole submission {wall:.1f} s", flush=True)
    print()
    for lab_id in labs:
        mine = [r for r in rows if r[0] == lab_id]
        full = sum(r[2] == r[3] for r in mine)
        accs = [r[4] for r in mine if r[4] is not None]
        span = f"accuracy {min(accs):.4f}–{max(accs):.4f}; " if accs else ""
        slowest = max(r[5] for r in mine)
        print(f"{lab_id}: full marks {full}/{len(mine)}; {span}slowest notebook {slowest:.1f} s")
    return 0 if all(r[2] == r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
