"""Calibrate the MNIST labs 20–24: run each reference notebook on seeds 0–4 and grade it.

For every lab and seed it executes the instructor notebook in a temporary copy (``LAB_SEED=seed``),
grades the answers it wrote with ``score_lab`` (the grader's code, in this process), and prints the
accuracy the grader measured, the score, and the notebook's wall time. Then, per lab: the worst
seed, the threshold in the lab module, its margin, and the requirements of the issue:

* every seed meets or beats the course's accuracy;
* lab 22 > lab 21 and lab 24 ≥ lab 23 on every seed;
* lab 24 reaches ≥ 98.13 % with ≤ 25 s of training;
* the five notebooks together run in ≤ 150 s (per seed);
* a suggested threshold: the worst seed minus ``--margin``, rounded down to 0.1 %.

    .venv/bin/python benchmarks/calibrate_mnist.py               # labs 20–24, seeds 0–4
    .venv/bin/python benchmarks/calibrate_mnist.py --labs 24 --seeds 0 1
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mnist_labs import LABS, merged_metrics, resolve, run_notebook  # noqa: E402

NOTEBOOKS_BUDGET_S = 150.0
LAB24_TRAIN_BUDGET_S = 25.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labs", nargs="*", default=list(LABS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--margin", type=float, default=0.005, help="suggested threshold = worst seed − margin"
    )
    args = parser.parse_args(argv)
    labs = [resolve(lab) for lab in args.labs]

    runs: dict[tuple[str, int], dict] = {}
    for seed in args.seeds:
        for lab_id in labs:
            run = run_notebook(lab_id, seed)
            m = merged_metrics(run["metrics"])
            result = run["result"]
            runs[lab_id, seed] = {
                "accuracy": result.accuracy if result.accuracy is not None else float("nan"),
                "score": result.score,
                "max": result.max_score,
                "notebook_s": run["seconds"],
                "train_s": m.get("seconds", float("nan")),
                "gap": m.get("gap"),
                "failed": [f"{t.name}: {t.output}" for t in result.tests if t.status != "passed"]
                + run["errors"],
            }
            r = runs[lab_id, seed]
            print(
                f"  seed {seed} {lab_id:24s} acc {r['accuracy']:.2%} score {r['score']:g}/{r['max']:g} "
                f"train {r['train_s']:.1f} s notebook {r['notebook_s']:.1f} s"
                + (f"  FAILED: {r['failed']}" if r["failed"] else ""),
                flush=True,
            )

    problems: list[str] = []
    print()
    seeds_head = " ".join(f"{'seed ' + str(s):>8s}" for s in args.seeds)
    head = (
        f"{'lab':24s} {seeds_head} {'worst':>7s} {'course':>7s} {'thresh.':>7s} {'margin':>7s} "
        f"{'suggest':>7s} {'score':>9s} {'train s':>8s} {'nb s':>6s}"
    )
    print(head)
    print("-" * len(head))
    for lab_id in labs:
        module = importlib.import_module(f"autograder.labs.{lab_id}")
        rows = [runs[lab_id, s] for s in args.seeds]
        accs = [r["accuracy"] for r in rows]
        worst = min(accs)
        suggest = math.floor((worst - args.margin) * 1000) / 1000
        scores = f"{sum(r['score'] for r in rows):g}/{sum(r['max'] for r in rows):g}"
        train = max(r["train_s"] for r in rows)
        nb = max(r["notebook_s"] for r in rows)
        print(
            f"{lab_id:24s} {' '.join(f'{a:8.2%}' for a in accs)} {worst:7.2%} {module.COURSE_ACCURACY:7.2%} "
            f"{module.THRESHOLD:7.1%} {worst - module.THRESHOLD:+7.2%} {suggest:7.1%} {scores:>9s} "
            f"{train:8.1f} {nb:6.1f}"
        )
        if worst < module.COURSE_ACCURACY:
            problems.append(f"{lab_id}: worst seed {worst:.2%} < course {module.COURSE_ACCURACY:.2%}")
        if worst < module.THRESHOLD:
            problems.append(f"{lab_id}: worst seed {worst:.2%} < threshold {module.THRESHOLD:.1%}")
        for seed, r in zip(args.seeds, rows):
            if r["score"] != r["max"]:
                problems.append(f"{lab_id} seed {seed}: {r['score']:g}/{r['max']:g} {r['failed']}")
    for low, high, strict in (
        ("lab21_mnist_naive_init", "lab22_mnist_init", True),
        ("lab23_mnist_deep", "lab24_mnist_dropout", False),
    ):
        if low in labs and high in labs:
            for seed in args.seeds:
                a, b = runs[low, seed]["accuracy"], runs[high, seed]["accuracy"]
                if (b <= a) if strict else (b < a):
                    problems.append(f"seed {seed}: {high} {b:.2%} {'≤' if strict else '<'} {low} {a:.2%}")
    if "lab23_mnist_deep" in labs and "lab24_mnist_dropout" in labs:
        gaps = [
            (runs["lab23_mnist_deep", s]["gap"], runs["lab24_mnist_dropout", s]["gap"]) for s in args.seeds
        ]
        print()
        print(
            "train−test gap per seed (lab 23 → lab 24): " + ", ".join(f"{a:+.2%} → {b:+.2%}" for a, b in gaps)
        )
        problems += [
            f"seed {s}: lab 24's gap is not smaller" for s, (a, b) in zip(args.seeds, gaps) if b >= a
        ]
    if "lab24_mnist_dropout" in labs:
        for seed in args.seeds:
            r = runs["lab24_mnist_dropout", seed]
            if r["accuracy"] < 0.9813 or r["train_s"] > LAB24_TRAIN_BUDGET_S:
                problems.append(
                    f"lab 24 seed {seed}: {r['accuracy']:.2%} in {r['train_s']:.1f} s of training"
                )
    if set(LABS) <= set(labs):
        totals = [sum(runs[lab, s]["notebook_s"] for lab in LABS) for s in args.seeds]
        print("all five notebooks, seconds per seed: " + ", ".join(f"{t:.1f}" for t in totals))
        problems += [
            f"seed {s}: notebooks took {t:.1f} s > {NOTEBOOKS_BUDGET_S:g}"
            for s, t in zip(args.seeds, totals)
            if t > NOTEBOOKS_BUDGET_S
        ]
    print()
    print("OK: every requirement met" if not problems else "PROBLEMS:\n  " + "\n  ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
