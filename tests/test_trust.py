"""The trust model, attacked the way a student would (issue: answer keys never reach students).

* the student kit installed alone (a fresh virtual environment, ``pip install ./kit``): the grader
  is not importable, and no function of the kit answers a hidden question;
* a submission that reaches for everything its kernel can see — the grader's modules, any
  importable module with the lab's function names, the released lab folder, environment
  variables, the work directory — scores 0 on every hidden question;
* two gradings of one reference use different hidden inputs and both give full marks.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from labkit import sandbox

from autograder.grading import pipeline
from autograder.labs import all_labs, get_lab
from autograder.spec import hidden_input

ROOT = Path(__file__).resolve().parent.parent
LAB18 = "lab18_xor_sigmoid"
needs_sandbox = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is not available")


# ---------------------------------------------------------------- the kit alone
KIT_PROBE = r"""
import importlib, inspect, json, pkgutil, sys
import labkit
out = {"labkit": labkit.__file__, "autograder": None, "functions": []}
try:
    import autograder  # noqa: F401
    out["autograder"] = autograder.__file__
except ImportError as exc:
    out["autograder_error"] = str(exc)
# Process control only (they start kernels, sandboxes, kill leftover processes): not called.
SIDE_EFFECTS = {"labkit.__main__", "labkit.runner", "labkit.sandbox", "labkit.selfcheck"}
out["modules"] = sorted(i.name for i in pkgutil.walk_packages(labkit.__path__, "labkit."))
for info in pkgutil.walk_packages(labkit.__path__, "labkit."):
    if info.name in SIDE_EFFECTS:
        continue
    module = importlib.import_module(info.name)
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ == module.__name__:
            out["functions"].append([info.name, name])
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def kit_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with the student kit alone (third-party packages borrowed)."""
    venv = tmp_path_factory.mktemp("kit-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(ROOT / "kit")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Third-party packages (numpy, keras…) from the project's environment, added as a plain path:
    # its .pth files (the editable grader's finder among them) are not processed.
    site = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    ours = next((venv / "lib").glob("python3*/site-packages"))
    (ours / "zz_third_party.pth").write_text(str(site) + "\n")
    return python


def _probe(python: Path, tmp_path: Path) -> dict:
    proc = subprocess.run(
        [str(python), "-c", KIT_PROBE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_kit_alone_has_no_grader(kit_venv, tmp_path):
    out = _probe(kit_venv, tmp_path)
    assert out["autograder"] is None, out["autograder"]
    assert "No module named 'autograder'" in out["autograder_error"]
    assert str(kit_venv.parent.parent) in out["labkit"]  # the installed copy, not the checkout


def _hidden_questions():
    for lab_id, spec in all_labs().items():
        for q in spec.questions:
            if q.hidden:
                yield lab_id, q.name


def _call_every_way(fn, inputs):
    """``fn`` applied to the hidden inputs every plausible way: whole, unpacked, per row."""
    tries = [lambda: fn(inputs)]
    if isinstance(inputs, tuple | list):
        tries.append(lambda: fn(*inputs))
    if isinstance(inputs, dict):
        tries.append(lambda: fn(**inputs))
        tries.append(lambda: fn(*inputs.values()))
    if isinstance(inputs, np.ndarray) and inputs.ndim == 2:
        tries.append(lambda: [fn(*row) for row in inputs])
    for attempt in tries:
        try:
            yield attempt()
        except (Exception, SystemExit):  # noqa: BLE001, S112 - most calls are nonsense: that is the point
            continue


@pytest.mark.slow
def test_no_kit_function_answers_a_hidden_question(kit_venv, tmp_path):
    """Every function of the kit, on every hidden question's inputs, as every answer key."""
    from labkit.answers import AnswerError, save_answer

    from autograder.grading.judge import judge
    from autograder.spec import GradeContext

    probe = _probe(kit_venv, tmp_path)
    functions = probe["functions"]
    assert len(functions) > 20  # the probe really saw the kit
    # What is not called starts processes and holds no math: no number in it but limits.
    for module in ("labkit.runner", "labkit.sandbox", "labkit.selfcheck"):
        assert module in probe["modules"]
        source = (ROOT / "kit" / Path(*module.split("."))).with_suffix(".py").read_text()
        assert "np." not in source and "numpy" not in source, module
    import importlib

    seed = 2026
    for lab_id, name in _hidden_questions():
        spec = get_lab(lab_id)
        if name == "init_stats_hidden":
            continue  # an answer computed on the student's own saved model (its init is graded)
        inputs = hidden_input(spec, name, seed)
        for module_name, fn_name in functions:
            fn = getattr(importlib.import_module(module_name), fn_name)
            if inspect.signature(fn).parameters.get("self"):
                continue
            for value in _call_every_way(fn, inputs):
                answers = tmp_path / f"{lab_id}-{name}-{fn_name}"
                try:
                    save_answer(answers, name, value)
                except (AnswerError, TypeError, ValueError):
                    continue
                verdict = judge(spec.question(name), GradeContext(answers, seed=seed, spec=spec))
                assert not verdict.passed, f"{module_name}.{fn_name} answers {lab_id}:{name}"


# ---------------------------------------------------------------- a submission that steals
STEAL = r"""
import importlib, os, pathlib, sys, json
_LOOT = {"env": {k: v for k, v in os.environ.items() if "SEED" in k or "AUTOGRADER" in k}}
_FOUND = {}
for _name in ("autograder.labs._xor", "autograder.labs.lab18_xor_sigmoid", "autograder.spec", "autograder"):
    try:
        _FOUND[_name] = importlib.import_module(_name)
    except Exception as exc:
        _LOOT[_name] = type(exc).__name__
for _mod in list(sys.modules.values()):
    _root = (getattr(_mod, "__name__", "") or "").split(".")[0]
    if _root in ("labkit", "autograder", "__main__"):
        _FOUND[_mod.__name__] = _mod
# every .py under the work directory, /tmp and the folders of sys.path that are not third-party
for _base in {pathlib.Path.cwd(), pathlib.Path("/tmp"), *map(pathlib.Path, sys.path)}:
    if "site-packages" in str(_base) or not _base.is_dir():
        continue
    for _path in list(_base.rglob("*.py"))[:2000]:
        if "def backward" in _path.read_text(errors="ignore"):
            _LOOT.setdefault("files", []).append(str(_path))
pathlib.Path("loot.json").write_text(json.dumps(_LOOT, default=str))


def _steal(name, *args):
    for module in _FOUND.values():
        fn = getattr(module, name, None)
        if callable(fn) and fn is not globals().get(name):
            return fn(*args)
    raise NotImplementedError(name)
"""

ANSWERS_18 = {
    "grad_f": "def grad_f(w, x, b):\n    return _steal('grad_f', w, x, b)\n",
    "grad_E": "def grad_E(w, x, y):\n    return _steal('grad_E', w, x, y)\n",
    "sigmoid": "def sigmoid(z):\n    return _steal('sigmoid', z)\n",
    "sigmoid_prime": "def sigmoid_prime(z):\n    return _steal('sigmoid_prime', z)\n",
    "forward": "def forward(params, X):\n    return _steal('forward', params, X)\n",
    "bce_loss": "def bce_loss(p, y):\n    return _steal('bce_loss', p, y)\n",
    "backward": "def backward(params, X, Y):\n    return _steal('backward', params, X, Y)\n",
}


def _stealing_submission(path: Path) -> Path:
    nb = nbformat.read(ROOT / "labs" / LAB18 / f"{LAB18}.ipynb", as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if (c.metadata.get("nbgrader") or {}).get("solution"))
    nb.cells.insert(first, nbformat.v4.new_code_cell(STEAL))
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader") or {}
        if meta.get("solution") and cell.cell_type == "code":
            defined = [key for key in ANSWERS_18 if f"def {key}(" in cell.source]
            if defined:
                cell.source = "\n".join(ANSWERS_18[key] for key in defined)
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
@needs_sandbox
def test_a_submission_that_steals_everything_scores_zero_on_hidden_tests(tmp_path):
    submission = _stealing_submission(tmp_path / f"{LAB18}.ipynb")
    result = pipeline.grade_path(submission, pipeline.Options(lab=LAB18))
    lab = result.labs[0]
    hidden = [t for t in lab.tests if t.hidden]
    assert hidden and all(t.score == 0 for t in hidden), [(t.name, t.score, t.output) for t in hidden]
    # The grader was not there to steal from: importing it failed inside the sandbox.
    assert "isolation" in lab.to_dict() and "bubblewrap" in lab.isolation


@pytest.mark.slow
@needs_sandbox
def test_two_gradings_use_different_hidden_inputs_and_both_give_full_marks(tmp_path):
    reference = ROOT / "solutions" / LAB18 / f"{LAB18}.ipynb"
    first = pipeline.grade_path(reference, pipeline.Options(lab=LAB18))
    second = pipeline.grade_path(reference, pipeline.Options(lab=LAB18))
    spec = get_lab(LAB18)
    assert first.hidden_seed != second.hidden_seed
    for result in (first, second):
        assert result.score == spec.max_score, [
            (t.name, t.output) for t in result.labs[0].tests if t.score < t.max_score
        ]
    drawn = [hidden_input(spec, "sigmoid_hidden", r.hidden_seed) for r in (first, second)]
    assert not np.allclose(drawn[0], drawn[1])
    # and a re-grade with the kept seed repeats the first grading's hidden inputs
    again = pipeline.grade_path(reference, pipeline.Options(lab=LAB18, hidden_seed=first.hidden_seed))
    assert again.hidden_seed == first.hidden_seed and again.score == spec.max_score
