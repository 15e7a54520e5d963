"""A student's *Run All* on every released starter reaches the end and reads well.

nbclient with ``allow_errors=False`` stops at the first failing cell unless it is tagged
``raises-exception`` — the same rule JupyterLab's *Run All Cells* follows — so executing each
released notebook that way is what a student sees, without a browser (``test_browser.py`` does it
in JupyterLab itself for two labs). On every starter:

* every cell runs: the last one, ``lab.summary()``, prints its line exactly once;
* every test cell fails with one ``✘`` line, never a traceback; so does any other failing cell;
* no stderr block from TensorFlow's start-up anywhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from labkit.checks import FILENAME as CHECKS
from nbclient import NotebookClient

from autograder.build import public_checks
from autograder.labs import all_labs

ROOT = Path(__file__).resolve().parent.parent
TF_NOISE = re.compile(r"absl::InitializeLog|oneDNN custom operations|cpu_feature_guard")
pytestmark = pytest.mark.slow


def run_all(path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    """Run All, in ``tmp_path`` holding what a student downloads with the notebook (labs/<lab>/)."""
    nb = nbformat.read(path, as_version=4)
    lab_id = nb.metadata["autograder"]["lab"]
    shutil.copy(ROOT / "labs" / lab_id / CHECKS, tmp_path / CHECKS)
    env_mnist = ROOT / "datasets" / "mnist.npz"
    if env_mnist.exists():
        os.environ.setdefault("AUTOGRADER_MNIST", str(env_mnist))
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError where Run All would stop
    return nb


def texts(cell) -> tuple[list[str], list[str]]:
    """(stream/plain-text outputs, error tracebacks) of one cell."""
    plain, errors = [], []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            plain.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            plain.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            errors.append("\n".join(out.traceback))
    return plain, errors


@pytest.mark.parametrize("lab_id", sorted(all_labs()))
def test_run_all_on_the_starter_reaches_the_summary(lab_id, tmp_path):
    nb = run_all(ROOT / "labs" / lab_id / f"{lab_id}.ipynb", tmp_path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "Run All stopped before the last cell"
    for cell in code:
        plain, errors = texts(cell)
        joined = "".join(plain)
        assert not TF_NOISE.search(joined), (cell.id, joined[:300])
        for tb in errors:
            assert "Traceback" not in tb and "\n" not in tb.strip(), (cell.id, tb[:500])
            assert tb.startswith("✘"), (cell.id, tb[:200])
        grade = (cell.metadata.get("nbgrader") or {}).get("grade")
        if grade:
            assert errors, f"{cell.id}: a test cell of the untouched starter must fail"
    summary = "".join(texts(code[-1])[0])
    assert summary.count("public checks pass") == 1, summary
    assert summary.startswith("0/"), summary


@pytest.mark.parametrize("lab_id", ["lab15_one_neuron", "lab18_xor_sigmoid"])
def test_run_all_on_the_filled_in_notebook_passes_every_public_check(lab_id, tmp_path):
    from browser_helpers import filled_notebook

    path = tmp_path / f"{lab_id}.ipynb"
    nbformat.write(nbformat.from_dict(filled_notebook(lab_id)), path)
    nb = run_all(path, tmp_path)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        plain, errors = texts(cell)
        assert not errors, (cell.id, errors)
        if "lab.check(" in cell.source:  # ✔, or ℹ "saved" for a question judged on the saved model
            assert "✔" in "".join(plain) or "saved" in "".join(plain), (cell.id, plain)
    summary = "".join(texts(nb.cells[-1])[0])
    checks = json.loads((ROOT / "labs" / lab_id / CHECKS).read_text())["questions"]
    kit = sum(q.get("mode") in ("replay", "reference") for q in checks)
    assert summary.startswith(f"{kit}/{kit} public checks pass"), summary
    # The committed public checks are what this reference run records now (sync: build --checks).
    recorded = public_checks.dumps(public_checks.record_lab(all_labs()[lab_id], tmp_path / "answers"))
    assert recorded == (ROOT / "solutions" / lab_id / CHECKS).read_text(), (
        f"{lab_id}: public_checks.json is stale: run `python -m autograder build --checks {lab_id}`"
    )


def test_one_line_errors_tell_not_written_from_failed_earlier(tmp_path):
    """The kit's messages for a partly done notebook, cell by cell, in a real kernel."""
    cells = [
        'from labkit import Lab\nlab = Lab("lab18_xor_sigmoid")',
        "def uses_a_typo():\n    return undefined_inside",
        "uses_a_typo()",  # the student's own function: the full traceback stays
        "y = never_defined",
        "def stub():\n    raise NotImplementedError()\n\nz = stub()",
        "z",
        "w = 1 / 0",
        "w",
        'lab.check("sigmoid", lambda: {"sigmoid": sigmoid(0), "sigmoid_prime": 0})',
        "v = w + 1",
        "v",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["autograder"] = {"lab": "lab18_xor_sigmoid"}
    for cell in nb.cells:
        cell.metadata["tags"] = ["raises-exception"]
    path = tmp_path / "partly_done.ipynb"
    nbformat.write(nb, path)
    out = [texts(c)[1] for c in run_all(path, tmp_path).cells]
    assert out[0] == [] and out[1] == []
    full = "\n".join(out[2])  # IPython's own traceback: the frames of the student's function
    assert "uses_a_typo" in full and "undefined_inside" in full and not full.startswith("✘"), full
    assert out[3] == ["✘ `never_defined` is not defined: run the cells above first (Run → Run All Cells)"]
    assert out[4][0].startswith(
        "✘ not written yet: this cell runs code that still raises NotImplementedError"
    )
    assert out[5] == [
        "✘ `z` comes from a step you have not written yet (its cell still raises NotImplementedError)"
    ]
    assert "ZeroDivisionError" in "\n".join(out[6]) and not out[6][0].startswith("✘")  # not ours to shorten
    assert out[7][0].startswith("✘ `w` comes from an earlier cell that failed (ZeroDivisionError")
    assert out[8] == [
        "✘ sigmoid [1 pt]: not attempted yet — `sigmoid` is not defined: run the cells above first "
        "(Run → Run All Cells)"
    ]
    # a chain of failures points at its first link
    assert out[10][0].startswith("✘ `w` comes from an earlier cell that failed (ZeroDivisionError")
