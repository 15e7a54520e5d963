"""Labs 25–28 (optimizers, batch normalization, activations, outputs and losses): the whole notebooks
graded through the pipeline (reference → full marks, starter → 0). Each lab's reference math and its
grader's verdicts and messages are tested in its folder: ``solutions/<lab>/test_<labNN>_grading.py``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lab_helpers import EDITION, edition_notebook, unanswered

from autograder.labs import get_lab

ROOT = Path(__file__).resolve().parent.parent
LAB25, LAB26, LAB27, LAB28 = (
    "lab25_optimizers",
    "lab26_batchnorm",
    "lab27_activations",
    "lab28_outputs_losses",
)
LABS = (LAB25, LAB26, LAB27, LAB28)


# ---------------------------------------------------------------------------------------------
# The four notebooks, through the grading pipeline (sandboxed where bubblewrap exists)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory, mnist_path):
    """References and starters of labs 25–28 (``EDITION``) graded as two submissions (two at a
    time), seed 0."""
    import shutil

    from labkit import sandbox

    from autograder.grading import pipeline

    options = pipeline.Options(sandbox=sandbox.bwrap_path() is not None)
    base = tmp_path_factory.mktemp("labs25-28")
    folders = {}
    for kind in ("reference", "starter"):
        folders[kind] = base / kind
        folders[kind].mkdir()
        for lab_id in LABS:
            shutil.copy(edition_notebook(lab_id, kind), folders[kind] / f"{lab_id}.ipynb")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(folders, pool.map(lambda k: pipeline.grade_path(folders[k], options), folders)))
    return {kind: {lab.lab: lab for lab in result.labs} for kind, result in results.items()}


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LABS)
def test_reference_notebook_gets_full_marks(graded, lab_id):
    spec = get_lab(lab_id)
    result = graded["reference"][lab_id]
    assert result.score == result.max_score == spec.max_score, [(t.name, t.output) for t in result.tests]
    assert all(t.status == "passed" for t in result.tests) and not result.errors, result.errors
    if lab_id in (LAB25, LAB27, LAB28):
        assert result.accuracy is not None


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LABS)
def test_starter_notebook_scores_zero(graded, lab_id):
    spec = get_lab(lab_id)
    result = graded["starter"][lab_id]
    assert result.score == 0 and len(result.tests) == len(spec.questions)
    expected = unanswered(lab_id, getattr(result, "language", None) or EDITION)  # "not attempted: …"
    for test in result.tests:
        assert test.status == "failed" and test.output == expected[test.name], (test.name, test.output)
