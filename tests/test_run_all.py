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

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.labs import all_labs

ROOT = Path(__file__).resolve().parent.parent
TF_NOISE = re.compile(r"absl::InitializeLog|oneDNN custom operations|cpu_feature_guard")
pytestmark = pytest.mark.slow


def run_all(path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
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
        if "lab.check(" in cell.source:
            assert "✔" in "".join(plain), (cell.id, plain)
    summary = "".join(texts(nb.cells[-1])[0])
    public = sum(not q.hidden for q in all_labs()[lab_id].questions)
    assert summary.startswith(f"{public}/{public} public checks pass"), summary
