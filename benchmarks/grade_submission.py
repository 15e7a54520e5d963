"""Grade one complete submission (every lab's reference notebook) and time each step.

    .venv/bin/python benchmarks/grade_submission.py [--labs lab18_xor_sigmoid ...] [--no-sandbox]

Prints per lab: points, accuracy measured by the grader, notebook execution seconds; then the
whole submission's wall time and the re-scoring step's wall time (one fresh process for all labs,
TensorFlow import included) — the issue's target is ≤ 15 s for that step.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.grading import pipeline  # noqa: E402
from autograder.labs import all_labs, get_lab  # noqa: E402
from autograder.reporters import to_text  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labs", nargs="*", default=None)
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args()
    labs = [get_lab(lab).lab_id for lab in (args.labs or all_labs())]
    timings: dict[str, float] = {}
    original = pipeline.step_rescore

    def timed_rescore(*a, **k):
        t0 = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            timings["rescore"] = time.perf_counter() - t0

    pipeline.step_rescore = timed_rescore
    with tempfile.TemporaryDirectory() as tmp:
        for lab_id in labs:
            spec = get_lab(lab_id)
            shutil.copy(ROOT / "solutions" / lab_id / spec.notebook, Path(tmp) / spec.notebook)
        t0 = time.perf_counter()
        result = pipeline.grade_path(tmp, pipeline.Options(sandbox=not args.no_sandbox))
        total = time.perf_counter() - t0
    print(to_text(result, detail=False))
    print(f"labs graded: {len(result.labs)}; points {result.score:g}/{result.max_score:g}")
    print(f"whole submission: {total:.1f} s wall (notebook execution {result.execution_time:.1f} s)")
    print(
        f"re-scoring step (one fresh process, all labs): {timings.get('rescore', float('nan')):.1f} s "
        "(target ≤ 15 s)"
    )
    return 0 if result.score == result.max_score else 1


if __name__ == "__main__":
    sys.exit(main())
