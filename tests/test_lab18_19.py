"""Labs 18 and 19 (XOR, vanishing gradients): reference math, grading messages, whole notebooks.

* The float64 reference backprop of ``_xor.py`` — what every student gradient is graded against —
  is itself checked against central finite differences and against ``tf.GradientTape``.
* Grading: a wrong sign costs exactly that gradient's question; a gradient of the wrong layer is
  named ("looks like dW1"); Keras answers get architecture/state messages.
* The instructor notebooks score full marks and the student notebooks score 0 ("not attempted"):
  all four run at once, in subprocesses, from one module-scoped fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.answers import save_answer
from autograder.labs import _xor, get_lab
from autograder.scoring import score_lab
from autograder.spec import GradeContext, hidden_rng

ROOT = Path(__file__).resolve().parent.parent
LAB18, LAB19 = "lab18_xor_sigmoid", "lab19_xor_relu"
BACKPROP = ("loss", "dW1", "db1", "dW2", "db2")


def _random_params(seed: int) -> dict:
    return _xor.hidden_params(np.random.default_rng(seed))


# ---------------------------------------------------------------------------------------------
# The reference itself
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params_seed", [None, 1, 2, 3])
def test_reference_backprop_matches_finite_differences(params_seed):
    params = _xor.COURSE_PARAMS if params_seed is None else _random_params(params_seed)
    analytic = _xor.backward(params)
    numeric = _xor.numeric_gradients(params)
    for key in _xor.GRAD_KEYS:
        assert analytic[key].shape == _xor.PARAM_SHAPES[key[1:]]
        assert _xor.scaled_relative_error(numeric[key], analytic[key]) <= 1e-7, key
    if params_seed is None:  # the course's numbers: element-wise too
        for key in _xor.GRAD_KEYS:
            assert _xor.compare.relative_error(numeric[key], analytic[key]) <= 1e-7, key


@pytest.mark.parametrize("params_seed", [None, 1, 2, 3])
def test_reference_backprop_matches_gradient_tape(params_seed):
    tf = pytest.importorskip("tensorflow")
    params = _xor.COURSE_PARAMS if params_seed is None else _random_params(params_seed)
    variables = {k: tf.Variable(v, dtype=tf.float64) for k, v in params.items()}
    x, y = tf.constant(_xor.XOR_X), tf.constant(_xor.XOR_Y)
    with tf.GradientTape() as tape:
        a1 = tf.sigmoid(x @ variables["W1"] + variables["b1"])
        p = tf.sigmoid(a1 @ variables["W2"] + variables["b2"])
        loss = -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
    grads = tape.gradient(loss, variables)
    reference = _xor.backward(params)
    assert abs(float(loss) - reference["loss"]) <= 1e-12
    for key in _xor.GRAD_KEYS:
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
    model = _deep_model(keras, "sigmoid")
    with tf.GradientTape() as tape:
        p = model(tf.constant(_xor.XOR_X, tf.float32))
        y = tf.constant(_xor.XOR_Y, tf.float32)
        loss = -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
    grads = tape.gradient(loss, [layer.kernel for layer in model.layers])
    mine = np.array([float(tf.norm(g)) for g in grads])
    assert np.allclose(mine, _xor.kernel_grad_norms(model), rtol=1e-4)
    assert mine[-1] / mine[0] >= _xor.VANISHING_FACTOR


# ---------------------------------------------------------------------------------------------
# Grading messages, on hand-made answer folders
# ---------------------------------------------------------------------------------------------
def _write_backprop_answers(answers: Path, overrides: dict | None = None) -> None:
    reference = _xor.backward(_xor.COURSE_PARAMS)
    for key in BACKPROP:
        save_answer(answers, f"backprop_{key}", reference[key])
    hidden = _xor.backward(_xor.hidden_params(hidden_rng("backprop_hidden", 7)))
    save_answer(answers, "backprop_hidden", {k: hidden[k] for k in BACKPROP})
    for name, value in (overrides or {}).items():
        save_answer(answers, name, value)


def _by_name(result):
    return {t.name: t for t in result.tests}


def test_wrong_sign_dW2_loses_exactly_its_points(tmp_path):
    spec = get_lab(LAB18)
    _write_backprop_answers(tmp_path / "good")
    dW2 = _xor.backward(_xor.COURSE_PARAMS)["dW2"]
    _write_backprop_answers(tmp_path / "bad", {"backprop_dW2": -dW2})
    good, bad = (
        _by_name(score_lab(spec, tmp_path / "good", seed=7)),
        _by_name(score_lab(spec, tmp_path / "bad", seed=7)),
    )
    for key in BACKPROP:
        assert good[f"test_backprop_{key}"].status == "passed", good[f"test_backprop_{key}"].output
    assert good["test_backprop_hidden"].status == "passed"
    changed = {
        name for name in good if (good[name].score, good[name].status) != (bad[name].score, bad[name].status)
    }
    assert changed == {"test_backprop_dW2"}
    lost = bad["test_backprop_dW2"]
    assert lost.score == 0 and good["test_backprop_dW2"].score == spec.question("backprop_dW2").points
    assert "dW2" in lost.output and "sign is flipped" in lost.output


def test_gradient_of_the_wrong_layer_is_named(tmp_path):
    spec = get_lab(LAB18)
    reference = _xor.backward(_xor.COURSE_PARAMS)
    _write_backprop_answers(tmp_path, {"backprop_dW2": reference["dW1"], "backprop_db1": reference["dW2"]})
    tests = _by_name(score_lab(spec, tmp_path, seed=7))
    assert tests["test_backprop_dW2"].status == "failed"
    assert "looks like dW1" in tests["test_backprop_dW2"].output
    assert "looks like dW2" in tests["test_backprop_db1"].output  # (2, 1) given for (2,)
    assert tests["test_backprop_dW1"].status == "passed"


def test_backprop_other_diagnoses_and_float32_hint(tmp_path):
    spec = get_lab(LAB18)
    reference = _xor.backward(_xor.COURSE_PARAMS)
    _write_backprop_answers(
        tmp_path,
        {
            "backprop_db2": 4 * reference["db2"],
            "backprop_dW1": reference["dW1"].T,
            "backprop_db1": reference["db1"].astype(np.float32) * (1 + 1e-6),
        },
    )
    tests = _by_name(score_lab(spec, tmp_path, seed=7))
    assert "sum over the 4 examples" in tests["test_backprop_db2"].output
    assert "transpose" in tests["test_backprop_dW1"].output
    assert "float64" in tests["test_backprop_db1"].output


def test_chain_rule_and_sigmoid_messages(tmp_path):
    spec = get_lab(LAB18)
    save_answer(tmp_path, "chain_rule", {"grad_f": (-2.0, 5.0, 1.0), "grad_E": -65.0})
    save_answer(
        tmp_path,
        "sigmoid",
        {"sigmoid": _xor.sigmoid(_xor.SIGMOID_Z), "sigmoid_prime": _xor.sigmoid(_xor.SIGMOID_Z)},
    )
    ctx = GradeContext(tmp_path, seed=7)
    chain = spec.question("chain_rule").grade(ctx)
    assert not chain.passed and "swapped" in chain.message
    save_answer(tmp_path, "chain_rule", {"grad_f": (5.0, -2.0, 1.0), "grad_E": -65.0})
    chain = spec.question("chain_rule").grade(GradeContext(tmp_path, seed=7))
    assert not chain.passed and "factor 2" in chain.message
    sig = spec.question("sigmoid").grade(ctx)
    assert not sig.passed and "σ(z) itself" in sig.message


def _deep_model(keras, activation, depth=3, units=10):
    return keras.Sequential(
        [keras.Input(shape=(2,))]
        + [keras.layers.Dense(units, activation=activation) for _ in range(depth)]
        + [keras.layers.Dense(1, activation="sigmoid")]
    )


def test_keras_answers_architecture_and_state_messages(tmp_path):
    keras = pytest.importorskip("keras")
    spec = get_lab(LAB18)
    keras.utils.set_random_seed(0)
    model = _deep_model(keras, "sigmoid")
    norms = _xor.kernel_grad_norms(model)

    def grade(name, value, **extra):
        save_answer(tmp_path, name, {"value": value, **extra})
        return spec.question(name).grade(GradeContext(tmp_path, seed=7))

    assert grade("grad_norms_init", norms, model=model).passed
    assert "reverse order" in grade("grad_norms_init", norms[::-1], model=model).message
    assert (
        "4 Dense layers"
        in grade("grad_norms_init", norms[:3], model=_deep_model(keras, "sigmoid", depth=2)).message
    )
    wrong_act = grade("grad_norms_init", norms, model=_deep_model(keras, "tanh")).message
    assert "activation 'sigmoid'" in wrong_act and "'tanh'" in wrong_act
    assert (
        "units [10, 10, 10, 1]"
        in grade("grad_norms_init", norms, model=_deep_model(keras, "sigmoid", units=8)).message
    )
    save_answer(tmp_path, "grad_norms_init", {"value": norms, "model": model})
    save_answer(tmp_path, "vanishing", norms[0] / norms[-1])
    assert "upside down" in spec.question("vanishing").grade(GradeContext(tmp_path, seed=7)).message
    # an untrained model offered as "trained", and a trained one offered as "at init"
    untrained = grade("deep_sigmoid_fails", np.full(_xor.EPOCHS, 0.69), model=model)
    assert not untrained.passed and "every bias is still 0" in untrained.message
    model.layers[0].bias.assign(np.full(10, 0.1, dtype="float32"))
    assert "at initialization" in grade("grad_norms_init", _xor.kernel_grad_norms(model), model=model).message


def test_lab19_rejects_models_with_different_initial_kernels(tmp_path):
    keras = pytest.importorskip("keras")
    spec = get_lab(LAB19)
    keras.utils.set_random_seed(0)
    sigmoid_model = _deep_model(keras, "sigmoid")
    relu_model = _deep_model(keras, "relu")  # not re-seeded: other kernels
    save_answer(
        tmp_path,
        "grad_norms_compare",
        {
            "sigmoid": _xor.kernel_grad_norms(sigmoid_model),
            "relu": _xor.kernel_grad_norms(relu_model),
            "sigmoid_model": sigmoid_model,
            "relu_model": relu_model,
        },
    )
    verdict = spec.question("grad_norms_compare").grade(GradeContext(tmp_path, seed=7))
    assert not verdict.passed and "same kernels" in verdict.message


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
    """All four notebooks (instructor and student, labs 18 and 19) executed in parallel, seed 0."""
    base = tmp_path_factory.mktemp("xor-notebooks")
    env = {**os.environ, "LAB_SEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    procs, dirs = {}, {}
    for lab_id in (LAB18, LAB19):
        for kind, folder, allow_errors in (("reference", "solutions", "0"), ("starter", "labs", "1")):
            work = base / f"{lab_id}-{kind}"
            work.mkdir()
            notebook = work / f"{lab_id}.ipynb"
            shutil.copy(ROOT / folder / lab_id / f"{lab_id}.ipynb", notebook)
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
    result = score_lab(spec, executed[lab_id, "reference"] / "answers")
    assert result.score == result.max_score == spec.max_score, [(t.name, t.output) for t in result.tests]
    assert all(t.status == "passed" for t in result.tests)


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", [LAB18, LAB19])
def test_starter_notebook_scores_zero(executed, lab_id):
    spec = get_lab(lab_id)
    result = score_lab(spec, executed[lab_id, "starter"] / "answers")
    assert result.score == 0 and len(result.tests) == len(spec.questions)
    for test in result.tests:
        assert test.status == "failed" and test.output.startswith("not attempted"), (test.name, test.output)
