"""Labs 18 and 19 (XOR, vanishing gradients): the shared reference math and the whole notebooks.

* The float64 reference backprop of ``_xor.py`` — what every student gradient is graded against —
  is itself checked against central finite differences and against ``tf.GradientTape``.
* The instructor notebooks score full marks and the student notebooks score 0 ("not attempted"):
  all four run at once, in subprocesses, from one module-scoped fixture.

The graders' messages on hand-made answers: ``solutions/<lab>/test_<labNN>_grading.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from lab_helpers import edition_notebook, xor_deep_model

from autograder.grading.judge import score_lab
from autograder.grading.workdir import stage
from autograder.labs import _xor, get_lab
from autograder.labs.lab18_xor_sigmoid import reference as backprop

ROOT = Path(__file__).resolve().parent.parent
LAB18, LAB19 = "lab18_xor_sigmoid", "lab19_xor_relu"


def _random_params(seed: int) -> dict:
    return backprop.hidden_params(np.random.default_rng(seed))


# ---------------------------------------------------------------------------------------------
# The reference itself
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params_seed", [None, 1, 2, 3])
def test_reference_backprop_matches_finite_differences(params_seed):
    params = backprop.COURSE_PARAMS if params_seed is None else _random_params(params_seed)
    analytic = backprop.backward(params)
    numeric = backprop.numeric_gradients(params)
    for key in backprop.GRAD_KEYS:
        assert analytic[key].shape == backprop.PARAM_SHAPES[key[1:]]
        assert backprop.scaled_relative_error(numeric[key], analytic[key]) <= 1e-7, key
    if params_seed is None:  # the course's numbers: element-wise too
        for key in backprop.GRAD_KEYS:
            assert _xor.compare.relative_error(numeric[key], analytic[key]) <= 1e-7, key


@pytest.mark.parametrize("params_seed", [None, 1, 2, 3])
def test_reference_backprop_matches_gradient_tape(params_seed):
    tf = pytest.importorskip("tensorflow")
    params = backprop.COURSE_PARAMS if params_seed is None else _random_params(params_seed)
    variables = {k: tf.Variable(v, dtype=tf.float64) for k, v in params.items()}
    x, y = tf.constant(_xor.XOR_X), tf.constant(_xor.XOR_Y)
    with tf.GradientTape() as tape:
        a1 = tf.sigmoid(x @ variables["W1"] + variables["b1"])
        p = tf.sigmoid(a1 @ variables["W2"] + variables["b2"])
        loss = -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
    grads = tape.gradient(loss, variables)
    reference = backprop.backward(params)
    assert abs(float(loss) - reference["loss"]) <= 1e-12
    for key in backprop.GRAD_KEYS:
        assert _xor.compare.relative_error(grads[key[1:]].numpy(), reference[key]) <= 1e-7, key


def test_reference_sigmoid_is_stable_and_its_derivative_is_right():
    z = np.concatenate([_xor.SIGMOID_Z, np.linspace(-30, 30, 61)])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        s, ds = _xor.sigmoid(z), _xor.sigmoid_prime(z)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert np.allclose(s, 1 / (1 + np.exp(-np.clip(z, -700, 700))), rtol=1e-12, atol=1e-300)
    assert np.allclose(ds, s * (1 - s), rtol=1e-9, atol=1e-15)
    numeric = (_xor.sigmoid(z + 1e-6) - _xor.sigmoid(z - 1e-6)) / 2e-6
    assert np.allclose(ds, numeric, atol=1e-9)
    assert ds.max() == 0.25  # the factor behind the vanishing gradient


def test_reference_relu_derivative_convention():
    tf = pytest.importorskip("tensorflow")
    z = tf.constant(_xor.RELU_Z)
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = tf.nn.relu(z)
    assert np.array_equal(_xor.relu(_xor.RELU_Z), out.numpy())
    assert np.array_equal(_xor.relu_prime(_xor.RELU_Z), tape.gradient(out, z).numpy())  # relu'(0) = 0


def test_reference_kernel_norms_match_a_hand_written_tape():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    keras.utils.set_random_seed(0)
    model = xor_deep_model(keras, "sigmoid")
    with tf.GradientTape() as tape:
        p = model(tf.constant(_xor.XOR_X, tf.float32))
        y = tf.constant(_xor.XOR_Y, tf.float32)
        loss = -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
    grads = tape.gradient(loss, [layer.kernel for layer in model.layers])
    mine = np.array([float(tf.norm(g)) for g in grads])
    assert np.allclose(mine, _xor.kernel_grad_norms(model), rtol=1e-4)
    assert mine[-1] / mine[0] >= _xor.VANISHING_FACTOR


# ---------------------------------------------------------------------------------------------
# Whole notebooks: reference → full marks, starter → 0
# ---------------------------------------------------------------------------------------------
_RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=sys.argv[3] == "1",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """All four notebooks (instructor and student of labs 18 and 19, ``lab_helpers.EDITION``)
    executed in parallel, seed 0."""
    base = tmp_path_factory.mktemp("xor-notebooks")
    env = {**os.environ, "LAB_SEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    procs, dirs = {}, {}
    for lab_id in (LAB18, LAB19):
        for kind, allow_errors in (("reference", "0"), ("starter", "1")):
            work = base / f"{lab_id}-{kind}"
            work.mkdir()
            notebook = work / f"{lab_id}.ipynb"
            shutil.copy(edition_notebook(lab_id, kind), notebook)
            stage(get_lab(lab_id), work, seed=0)  # public checks + hidden inputs, as grading lays them out
            procs[lab_id, kind] = subprocess.Popen(
                [sys.executable, "-c", _RUNNER, str(notebook), str(work), allow_errors],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            dirs[lab_id, kind] = work
    failures = []
    for key, proc in procs.items():
        out, _ = proc.communicate(timeout=600)
        if proc.returncode != 0:
            failures.append(f"{key}: {out[-3000:]}")
    assert not failures, "\n".join(failures)
    return dirs


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", [LAB18, LAB19])
def test_reference_notebook_gets_full_marks(executed, lab_id):
    spec = get_lab(lab_id)
    result = score_lab(spec, executed[lab_id, "reference"] / "answers", seed=0)
    assert result.score == result.max_score == spec.max_score, [(t.name, t.output) for t in result.tests]
    assert all(t.status == "passed" for t in result.tests)


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", [LAB18, LAB19])
def test_starter_notebook_scores_zero(executed, lab_id):
    spec = get_lab(lab_id)
    result = score_lab(spec, executed[lab_id, "starter"] / "answers", seed=0)
    assert result.score == 0 and len(result.tests) == len(spec.questions)
    for test in result.tests:
        assert test.status == "failed" and test.output.startswith("not attempted"), (test.name, test.output)
