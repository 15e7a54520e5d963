"""Is a model fitted on the MNIST test images caught? And is no honest run flagged?

    .venv/bin/python benchmarks/train_on_test.py                 # labs 20–24, seeds 0–4
    .venv/bin/python benchmarks/train_on_test.py --labs 24 --seeds 0

For every MNIST lab, the reference notebook runs

* honestly on each seed (the five-seed no-false-flag row), and
* twice with its training cell edited the way a student would cheat, on seed 0:
  ``train+test`` fits on the 55,000 training images *and* the 10,000 test images,
  ``test only`` fits on the test images alone.

Each run is graded by the grader's own code (``score_lab``). The table shows the grader's test
accuracy, its accuracy on the 5,000 held-out training digits (``x_train[55000:]``, which the locked
recipe uses for validation only and never fits on), their difference, and the verdict of the model
question. The plausibility limits (``PLAUSIBLE`` in each lab module) must flag every cheating row
and no honest one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mnist_labs import LABS, resolve, run_notebook  # noqa: E402

from autograder.labs import _mnist, get_lab  # noqa: E402
from autograder.spec import GradeContext  # noqa: E402

FIT = "x_fit, y_fit, batch_size=BATCH_SIZE"
CHEATS = {
    "train+test": "np.concatenate([x_fit, x_test]), np.concatenate([y_fit, y_test]), batch_size=BATCH_SIZE",
    "test only": "x_test, y_test, batch_size=BATCH_SIZE",
}


def cheat(replacement: str):
    def edit(nb) -> None:
        cells = [c for c in nb.cells if c.cell_type == "code" and FIT in c.source]
        if len(cells) != 1:
            raise SystemExit(f"Expected one training cell calling fit({FIT}, …). Received: {len(cells)}")
        cells[0].source = cells[0].source.replace(FIT, replacement)

    return edit


def measure(lab_id: str, seed: int, edit=None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"tot-{lab_id}-") as tmp:
        run = run_notebook(lab_id, seed, workdir=Path(tmp), edit=edit)
        ctx = GradeContext(Path(tmp) / "answers", seed=0, spec=get_lab(lab_id))
        test = _mnist.test_accuracy(ctx)
        held = _mnist.held_out_accuracy(ctx)
    model_test = next(t for t in run["result"].tests if t.name == "test_model")
    flagged = model_test.status != "passed" and "flagged" in model_test.output
    return {
        "test": test,
        "held": held,
        "status": model_test.status,
        "flagged": flagged,
        "out": model_test.output,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labs", nargs="*", default=list(LABS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("lab | run | seed | test acc | held-out acc | test − held-out | model verdict")
    print("--- | --- | --- | --- | --- | --- | ---")
    false_flags, missed, rows = 0, 0, []
    for lab_id in [resolve(lab) for lab in args.labs]:
        runs = [("honest", seed, None) for seed in args.seeds]
        runs += [(name, args.seeds[0], cheat(text)) for name, text in CHEATS.items()]
        for kind, seed, edit in runs:
            m = measure(lab_id, seed, edit)
            verdict = "flagged" if m["flagged"] else m["status"]
            if kind == "honest" and m["status"] != "passed":
                false_flags += 1
            if kind != "honest" and not m["flagged"]:
                missed += 1
            rows.append((lab_id, kind, m))
            print(
                f"{lab_id} | {kind} | {seed} | {m['test']:.2%} | {m['held']:.2%} | "
                f"{(m['test'] - m['held']) * 100:+.2f} pt | {verdict}"
            )
    for lab_id in [resolve(lab) for lab in args.labs]:
        honest = [m for lab, kind, m in rows if lab == lab_id and kind == "honest"]
        spec = get_lab(lab_id)
        limits = getattr(sys.modules[f"autograder.labs.{spec.lab_id}"], "PLAUSIBLE", None)
        print(
            f"{lab_id}: honest test {min(m['test'] for m in honest):.2%}–{max(m['test'] for m in honest):.2%}, "
            f"test − held-out {min(m['test'] - m['held'] for m in honest) * 100:+.2f}…"
            f"{max(m['test'] - m['held'] for m in honest) * 100:+.2f} pt; limits: {limits}"
        )
    print(f"honest runs flagged or failed: {false_flags}; cheating runs not flagged: {missed}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if false_flags or missed else 0


if __name__ == "__main__":
    sys.exit(main())
