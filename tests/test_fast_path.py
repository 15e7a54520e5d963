"""The fast path grades exactly like the slow one (issue 14), and every entry point takes it.

``--kernels cold`` (a sandbox, runner and kernel per notebook, a fresh re-scorer) is the reference:
the same submission graded both ways, with the same hidden seed, must get the same tests, scores,
outputs, errors and notes — but for the isolation line and the timings. The hostile corpus
(tests/test_hostile.py) runs on the fast path, the default, with its expectations unchanged.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from labkit import sandbox

from autograder.batch import worker
from autograder.grading import pipeline
from autograder.grading.warm import Warm
from autograder.options import Options
from autograder.paths import PROJECT_ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is not installed"),
]
LAB = "lab18_xor_sigmoid"
_TIMING = re.compile(r"\d+(\.\d+)? s\b")


def comparable(result) -> list:
    """What a student and a gradebook see, without timings and the isolation description."""
    out = []
    for lab in result.labs:
        tests = [(t.name, t.score, t.max_score, t.status, _TIMING.sub("#", t.output)) for t in lab.tests]
        notes = [_TIMING.sub("#", n) for n in lab.notes]
        out.append((lab.lab, lab.score, lab.max_score, tests, lab.errors, notes))
    return out


@pytest.fixture(scope="module")
def submission(tmp_path_factory) -> Path:
    """One student: lab 18's reference and lab 19's starter (full marks and zero, both paths)."""
    folder = tmp_path_factory.mktemp("student")
    shutil.copy(PROJECT_ROOT / "solutions" / LAB / f"{LAB}.ipynb", folder)
    shutil.copy(PROJECT_ROOT / "labs" / "lab19_xor_relu" / "lab19_xor_relu.ipynb", folder)
    return folder


def test_warm_and_cold_grade_identically(submission):
    cold = pipeline.grade_path(submission, Options(kernels="cold", hidden_seed=123))
    warm = pipeline.grade_path(submission, Options(kernels="warm", hidden_seed=123))
    assert comparable(warm) == comparable(cold)
    by_lab = {lab.lab: lab for lab in warm.labs}
    assert by_lab[LAB].score == by_lab[LAB].max_score > 0
    assert by_lab["lab19_xor_relu"].score == 0
    assert all("warm kernel forked from a zygote" in lab.isolation for lab in warm.labs)
    assert all("zygote" not in lab.isolation for lab in cold.labs)


def test_a_batch_worker_keeps_one_warm_sandbox_for_all_its_submissions(submission, tmp_path):
    settings = Options(hidden_seed=5).to_settings()
    payload = {"kind": "file", "name": f"{LAB}.ipynb", "data": (submission / f"{LAB}.ipynb").read_bytes()}
    try:
        first = worker.grade_task(payload, settings)
        boxes = list(worker._WARM.values())
        second = worker.grade_task(payload, settings)
        assert list(worker._WARM.values()) == boxes and len(boxes) == 1
        kernels = boxes[0].kernels
        assert kernels.proc is not None and kernels.proc.poll() is None  # still serving
        for answer in (first, second):
            lab = answer["result"]["labs"][0]
            assert answer["status"] == "graded" and lab["score"] == lab["max_score"] > 0
            assert "zygote" in lab["isolation"]
    finally:
        worker._close_warm()
    assert not worker._WARM


def test_without_nested_namespaces_grading_falls_back_to_cold_kernels(submission):
    warm = Warm(sandbox.Limits(), None)
    warm.kernels._stop()
    warm.kernels.unavailable = "cannot create user namespaces inside the sandbox"  # as on such a host
    try:
        result = pipeline.grade_path(submission / f"{LAB}.ipynb", Options(hidden_seed=9), warm=warm)
    finally:
        warm.close()
    lab = result.labs[0]
    assert lab.score == lab.max_score > 0
    assert any("warm kernels are not available here" in n for n in lab.notes)
    assert "zygote" not in lab.isolation
