"""Calibrate labs 15-17: grade the three reference notebooks on several seeds through the grader.

For each seed, the instructor notebooks ``solutions/<lab>/<lab>.ipynb`` of labs 15-17 are copied
into one submission folder and graded with ``autograder.grading.pipeline.grade_path``: executed by the
runner inside the sandbox, answers re-scored in a fresh process, exactly as a student's would be.
The sandbox starts kernels with a cleared environment, so this script hands ``LAB_SEED`` to them by
wrapping ``labkit.sandbox.build_command`` (in this process only; the grader is unchanged).
``--no-sandbox`` grades without bubblewrap instead (the kernels then inherit ``LAB_SEED``).

Labs 15 and 16 are deterministic (the seed changes nothing they compute); in lab 17 the seed draws
the initial weights of the Keras 2-2-1 XOR network, whose outputs are printed.

Printed per lab and seed: score/max, the notebook's execution seconds (wall clock, kernel start
included; it grows with the load of the machine, so the load average is printed per seed), and any
test that did not pass.

    .venv/bin/python benchmarks/calibrate_labs_15_17.py                 # seeds 0-4
    .venv/bin/python benchmarks/calibrate_labs_15_17.py --seeds 0-9 --labs lab17_logistic_xor
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

from labkit import sandbox as sb  # noqa: E402

from autograder.grading import pipeline  # noqa: E402
from autograder.labs import get_lab  # noqa: E402

LABS = ("lab15_one_neuron", "lab16_chain_rule", "lab17_logistic_xor")


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def grade_seed(labs: list[str], seed: int, sandbox: bool) -> tuple[list, float]:
    """Grade the reference notebooks of ``labs`` as one submission with ``LAB_SEED=seed``."""
    original = sb.build_command

    def with_seed(*args, env=None, **kwargs):
        return original(*args, env={**(env or {}), "LAB_SEED": str(seed)}, **kwargs)

    before = os.environ.get("LAB_SEED")
    os.environ["LAB_SEED"] = str(seed)  # inherited by the kernels when grading without the sandbox
    sb.build_command = with_seed
    try:
        with tempfile.TemporaryDirectory(prefix=f"calibrate-s{seed}-") as tmp:
            for lab_id in labs:
                spec = get_lab(lab_id)
                shutil.copy(ROOT / "solutions" / lab_id / spec.notebook, Path(tmp) / spec.notebook)
            start = time.perf_counter()
            result = pipeline.grade_path(tmp, pipeline.Options(sandbox=sandbox))
            return result.labs, time.perf_counter() - start
    finally:
        sb.build_command = original
        if before is None:
            os.environ.pop("LAB_SEED", None)
        else:
            os.environ["LAB_SEED"] = before


def detail(lab) -> str:
    """What the seed changes: the XOR network's outputs (lab 17); nothing in labs 15 and 16."""
    for test in lab.tests:
        if test.name == "test_xor_two_layer" and "outputs" in test.output:
            return "XOR net outputs " + test.output.split("outputs ", 1)[1]
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,3,7 (default 0-4)")
    parser.add_argument("--labs", default=",".join(LABS))
    parser.add_argument("--no-sandbox", action="store_true", help="grade without bubblewrap")
    args = parser.parse_args(argv)
    labs = [get_lab(lab).lab_id for lab in args.labs.split(",")]
    sandbox = not args.no_sandbox and sb.bwrap_path() is not None
    rows = []
    print(f"{'lab':<20}{'seed':>5}{'score':>8}{'seconds':>9}  notes")
    for seed in parse_seeds(args.seeds):
        results, wall = grade_seed(labs, seed, sandbox)
        for lab in results:
            failed = [f"{t.name}: {t.output[:160]}" for t in lab.tests if t.status != "passed"] + lab.errors
            rows.append((lab.lab, seed, lab.score, lab.max_score, lab.execution_time))
            print(
                f"{lab.lab:<20}{seed:>5}{f'{lab.score:g}/{lab.max_score:g}':>8}{lab.execution_time:>9.1f}  "
                f"{' | '.join(failed) or detail(lab) or '-'}",
                flush=True,
            )
        load = os.getloadavg()[0]
        print(
            f"{'':<20}{seed:>5}  whole submission {wall:.1f} s (load average {load:.1f} on {os.cpu_count()} CPUs)",
            flush=True,
        )
    print()
    for lab_id in labs:
        mine = [r for r in rows if r[0] == lab_id]
        full = sum(r[2] == r[3] for r in mine)
        times = [r[4] for r in mine]
        print(f"{lab_id}: full marks {full}/{len(mine)}; notebook {min(times):.1f}–{max(times):.1f} s")
    return 0 if rows and all(r[2] == r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
