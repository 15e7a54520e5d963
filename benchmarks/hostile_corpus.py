"""Grade the whole hostile corpus and print, per case, its verdict, score and seconds.

    .venv/bin/python benchmarks/hostile_corpus.py [--limits test|production] [--lab LAB]
                                                  [--workers N] [--group NAME ...]

``--limits test`` (default) uses the corpus's scaled-down limits (``tests/hostile/registry.py``:
20 s per cell, 4 GiB…); ``production`` uses ``labkit.sandbox.Limits()`` (120 s per cell,
600 s per notebook, 8 GiB), so every runaway case takes its full production time. The seconds of a
case are those of its group (one ``grade_path`` call holding several cases). Exit status 1 when a
case's score differs from the expected one.
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hostile import cells as C  # noqa: E402
from hostile.corpus import CASES, GROUPS, TEST_LIMITS, NotApplicable, expand, grade_corpus, lab_result, texts  # noqa: E402  # noqa: E402
from hostile.lab import Lab  # noqa: E402
from labkit import sandbox  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limits", choices=["test", "production"], default="test")
    parser.add_argument("--lab", help="the lab to build the corpus from (default: lab 19, else lab 18)")
    parser.add_argument("--workers", type=int, default=2, help="groups graded at once (default 2)")
    parser.add_argument("--group", action="append", choices=sorted(GROUPS), help="only these groups")
    args = parser.parse_args(argv)
    limits = TEST_LIMITS if args.limits == "test" else sandbox.Limits()
    lab = Lab.load(args.lab)
    print(f"lab {lab.lab_id}: honest part = {len(lab.prefix_tests)} tests, {lab.honest_points:g} points")
    print(f"limits ({args.limits}): {limits}")
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        outside = Path(tmp) / "outside"
        (outside / "other_student").mkdir(parents=True)
        canary = outside / "canary.txt"
        canary.write_text("canary\n")
        (outside / "other_student" / "lab.ipynb").write_text("{}")
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        env = C.Env(
            ROOT,
            canary,
            outside / "other_student" / "lab.ipynb",
            outside / "results.json",
            server.getsockname()[1],
        )
        started = time.monotonic()
        runs = grade_corpus(lab, env, Path(tmp) / "corpus", limits, groups=args.group, workers=args.workers)
        wall = time.monotonic() - started
        server.setblocking(False)
        try:
            server.accept()
            reached = True
        except BlockingIOError:
            reached = False
        canary_ok = canary.read_text() == "canary\n"
    print()
    print(f"{'case':28s} {'kind':9s} {'group':13s} {'score':>11s} {'expected':>8s} {'seconds':>7s}  verdict")
    mismatches = 0
    for case in CASES:
        if case.group not in runs:
            continue
        run = runs[case.group]
        try:
            expected = case.score(lab)
        except NotApplicable:
            print(f"{case.name:28s} {case.kind:9s} {case.group:13s} {'n/a':>11s}")
            continue
        result = lab_result(run, case, lab)
        score = "—" if result is None else f"{result.score:g}/{result.max_score:g}"
        ok = (
            (result is None)
            if expected is None
            else (result is not None and abs(result.score - expected) < 1e-6)
        )
        found = texts(run, case, lab)
        verdict = next(
            (t for p in case.messages for t in found if re.search(expand(p, lab), t)),
            next((t for t in found if f"`hostile_{case.name}`" in t), "(no message: the score is the check)"),
        )
        mismatches += not ok
        want = "—" if expected is None else f"{expected:g}"
        mark = "" if ok else "  <-- MISMATCH"
        print(
            f"{case.name:28s} {case.kind:9s} {case.group:13s} {score:>11s} {want:>8s} {run.seconds:7.1f}  {verdict[:110]}{mark}"
        )
    print()
    print(f"{len(CASES)} cases in {len(runs)} groups, {args.workers} at a time: {wall:.1f} s wall")
    print(
        f"host loopback server reached: {reached}; canary intact: {canary_ok}; score mismatches: {mismatches}"
    )
    return 1 if mismatches or reached or not canary_ok else 0


if __name__ == "__main__":
    sys.exit(main())
