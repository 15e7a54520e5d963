"""The hostile corpus: submissions (``Group``), what each case expects (``Case``), and one function
that builds and grades them all (``grade_corpus``), shared by ``tests/test_hostile.py`` and
``benchmarks/hostile_corpus.py``.

The cases live in ``cases_sandbox.py`` (runaway, breaking out), ``cases_gaming.py`` and
``cases_broken.py``; ``registry.py`` says what a group and a case are.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from labkit import sandbox as sb

from autograder.grading.pipeline import Options, grade_path
from autograder.results import SubmissionResult

from . import cases_broken, cases_gaming, cases_sandbox  # noqa: F401 - they register the cases
from . import cells as C
from .cases_broken import _other_labs
from .lab import Lab
from .registry import CASES, GROUPS, TEST_LIMITS, Case, NotApplicable

__all__ = ["CASES", "GROUPS", "TEST_LIMITS", "NotApplicable", "expand", "grade_corpus", "lab_result", "texts"]


# ==================================================================== running it
@dataclass
class GroupRun:
    group: str
    result: SubmissionResult
    seconds: float
    path: Path
    uids: list[int] = field(default_factory=list)


def expand(pattern: str, lab: Lab) -> str:
    """Fill the lab's facts into a message pattern (ANSWER0: the first answer cell's id)."""
    return pattern.replace("ANSWER0", re.escape(lab.prefix_answers[0]))


def lab_result(run: GroupRun, case_: Case, lab: Lab):
    wanted = {"duplicate": f"{lab.lab_id} (duplicate)", "": lab.lab_id, "other": _other_labs(lab)[0]}
    wanted = wanted.get(case_.result, case_.result)
    return next((r for r in run.result.labs if r.lab == wanted), None)


def texts(run: GroupRun, case_: Case, lab: Lab) -> list[str]:
    result = lab_result(run, case_, lab)
    out = list(run.result.errors)
    if result is not None:
        out += result.errors + result.notes + [f"{t.name}: {t.output}" for t in result.tests]
    return out


def grade_group(name: str, lab_id: str, env: C.Env, folder: Path, limits: sb.Limits) -> GroupRun:
    """Build and grade one group, recording the sandbox uids it used (to look for leftovers)."""
    lab, grp = Lab.load(lab_id), GROUPS[name]
    path = grp.build(lab, env, folder / name)
    uids: list[int] = []
    original = sb.sandbox_uid

    def recording_uid() -> int:
        uids.append(original())
        return uids[-1]

    sb.sandbox_uid = recording_uid
    started = time.monotonic()
    try:
        result = grade_path(path, Options(limits=grp.limits(limits), lab=grp.lab_option(lab)))
    finally:
        sb.sandbox_uid = original
    return GroupRun(name, result, time.monotonic() - started, path, uids)


def grade_corpus(lab: Lab, env: C.Env, folder: Path, limits: sb.Limits, groups=None, workers=2, log=print):
    """Build and grade every group (or the named ones), ``workers`` at a time (separate processes:
    most of a group's time is a kernel importing TensorFlow or waiting out a time limit)."""
    names = list(groups or GROUPS)
    first = ("runaway", "escape", "slow")  # the longest: start them first when grading in parallel
    names.sort(key=lambda n: first.index(n) if n in first else len(first))
    runs: dict[str, GroupRun] = {}
    if workers <= 1:
        for name in names:
            runs[name] = grade_group(name, lab.lab_id, env, folder, limits)
            log(f"graded {name:18s} {runs[name].seconds:6.1f} s")
        return runs
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(grade_group, n, lab.lab_id, env, folder, limits): n for n in names}
        for future in as_completed(futures):
            run = future.result()
            runs[run.group] = run
            log(f"graded {run.group:18s} {run.seconds:6.1f} s")
    return {name: runs[name] for name in names}
