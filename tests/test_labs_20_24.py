"""Labs 20–24 (MNIST): the shared architecture, initialization and plausibility checks (``_mnist``),
the graders of two labs at once, and the whole notebooks (reference → full marks, starter → 0).
One lab's grader alone: ``solutions/<lab>/test_<labNN>_grading.py``."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from lab_helpers import edition_notebook, grade, mlp
from labkit.answers import save_answer

from autograder.grading.judge import score_lab
from autograder.grading.workdir import stage
from autograder.labs import _mnist, get_lab

ROOT = Path(__file__).resolve().parent.parent
LAB20, LAB21, LAB22, LAB23, LAB24 = (
    "lab20_mnist_softmax",
    "lab21_mnist_naive_init",
    "lab22_mnist_init",
    "lab23_mnist_deep",
    "lab24_mnist_dropout",
)
LABS = (LAB20, LAB21, LAB22, LAB23, LAB24)
SEED = 7  # the hidden seed of these unit tests
_grade = partial(grade, seed=SEED)


# ---------------------------------------------------------------------------------------------
# Architecture checks, initialization checks
# ---------------------------------------------------------------------------------------------
def test_architecture_messages(keras):
    check = _mnist.check_architecture
    assert check(mlp(keras, [32] * 4, dropout=0.2), hidden=4, dropout=True).passed
    missing = check(mlp(keras, [32] * 4), hidden=4, dropout=True)
    assert (
        not missing.passed
        and "Expected Dropout" in missing.message
        and "Received: no Dropout" in missing.message
    )
    output = check(mlp(keras, [32] * 2, out=1), hidden=2, dropout=False)
    assert not output.passed and "10 units" in output.message and "Received: 1 units" in output.message
    count = check(mlp(keras, [32] * 3), hidden=4, dropout=False, course="input → 4 hidden → output")
    assert not count.passed and "Expected 4 hidden Dense layers" in count.message
    assert "Received: 4 Dense layers" in count.message and "784 → Dense(32, relu)" in count.message
    shape = check(mlp(keras, [32] * 2, inputs=28), hidden=2, dropout=False)
    assert not shape.passed and "(None, 784)" in shape.message and "(None, 28)" in shape.message
    logits = check(mlp(keras, [32] * 2, out_activation="softmax"), hidden=2, dropout=False, logits=True)
    assert not logits.passed and "logits" in logits.message and "softmax" in logits.message
    assert check(mlp(keras, [32] * 2, out_activation="softmax"), hidden=2, dropout=False).passed
    extra = check(mlp(keras, [32] * 2, extra=[keras.layers.BatchNormalization()]), hidden=2, dropout=False)
    assert not extra.passed and "BatchNormalization" in extra.message
    early = check(mlp(keras, [32] * 4, dropout=0.2), hidden=4, dropout=False)
    assert not early.passed and "no Dropout" in early.message
    sigmoid = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(8, activation="sigmoid"), keras.layers.Dense(10)]
    )
    verdict = check(sigmoid, hidden=1, dropout=False)
    assert not verdict.passed and "ReLU" in verdict.message and "sigmoid" in verdict.message


def test_init_checks(keras):
    naive = keras.initializers.RandomNormal(0.0, 1.0)
    naive_model = keras.Sequential(
        [keras.Input((784,))]
        + [keras.layers.Dense(64, "relu", kernel_initializer=naive, bias_initializer=naive) for _ in range(2)]
        + [keras.layers.Dense(10, kernel_initializer=naive, bias_initializer=naive)]
    )
    assert _mnist.check_init(naive_model, "naive").passed
    he = mlp(keras, [64, 64])
    assert _mnist.check_init(he, "proper").passed
    verdict = _mnist.check_init(he, "naive")
    assert not verdict.passed and "N(0, 1)" in verdict.message
    verdict = _mnist.check_init(naive_model, "proper")
    assert not verdict.passed and "Glorot" in verdict.message and "He" in verdict.message
    no_bias = keras.Sequential(
        [keras.Input((784,))]
        + [keras.layers.Dense(64, "relu", kernel_initializer=naive) for _ in range(2)]
        + [keras.layers.Dense(10, kernel_initializer=naive)]
    )
    verdict = _mnist.check_init(no_bias, "naive")
    assert not verdict.passed and "biases too" in verdict.message


def test_init_stats_recomputed_from_the_saved_model(tmp_path, keras):
    model = mlp(keras, [256, 256])
    x, y = _mnist.mnist().stats_batch()
    stats = _mnist.init_statistics(model, x, y)
    assert stats["act_std"].shape == stats["grad_norm"].shape == (3,)
    assert np.all(stats["act_std"] > 0.1) and np.all(stats["act_std"] < 10)  # He keeps the scale
    right = _grade(tmp_path, LAB22, "init_stats", init_stats={**stats, "model": model})
    assert right.passed, right.message
    summed = {"act_std": stats["act_std"], "grad_norm": stats["grad_norm"] * len(x), "model": model}
    verdict = _grade(tmp_path, LAB22, "init_stats", init_stats=summed)
    assert not verdict.passed and "summed" in verdict.message
    wrong = {"act_std": stats["act_std"] * 1.1, "grad_norm": stats["grad_norm"], "model": model}
    verdict = _grade(tmp_path, LAB22, "init_stats", init_stats=wrong)
    assert not verdict.passed and "activation std" in verdict.message
    naive_claim = _grade(tmp_path, LAB21, "init_stats", init_stats={**stats, "model": model})
    assert not naive_claim.passed and "N(0, 1)" in naive_claim.message


def test_dropout_modes_and_gap(tmp_path, keras):
    model = mlp(keras, [32] * 4, dropout=0.3)
    save_answer(tmp_path, "model", model)
    x = _mnist.mnist().x_test[:8]
    infer = np.asarray(model(x, training=False))
    modes = {
        "train_1": np.asarray(model(x, training=True)),
        "train_2": np.asarray(model(x, training=True)),
        "infer_1": infer,
        "infer_2": infer,
    }
    assert _grade(tmp_path, LAB24, "dropout_modes", dropout_modes=modes).passed
    same = {**modes, "train_2": modes["train_1"]}
    verdict = _grade(tmp_path, LAB24, "dropout_modes", dropout_modes=same)
    assert not verdict.passed and "training=True" in verdict.message
    off = {**modes, "train_1": infer, "train_2": infer + 1e-3}
    verdict = _grade(tmp_path, LAB24, "dropout_modes", dropout_modes=off)
    assert not verdict.passed

    data = _mnist.mnist()
    train = _mnist.accuracy(model, *data.train_eval())
    test = _mnist.accuracy(model, data.x_test, data.y_test)
    gap = {"train_accuracy": train, "test_accuracy": test, "gap": train - test}
    assert _grade(tmp_path, LAB23, "gap", gap=gap).passed
    percent = {"train_accuracy": train * 100, "test_accuracy": test, "gap": train - test}
    verdict = _grade(tmp_path, LAB23, "gap", gap=percent)
    assert not verdict.passed and "percentage" in verdict.message


def test_thresholds_are_printed_in_the_questions():
    for lab_id in LABS:
        module = importlib.import_module(f"autograder.labs.{lab_id}")
        assert 0.9 < module.THRESHOLD < module.COURSE_ACCURACY + 0.02
        assert f"{module.THRESHOLD:.1%}" in get_lab(lab_id).question("model").description


# ---------------------------------------------------------------------------------------------
# Whole notebooks: reference (seed 0) → full marks, starter → 0 with "not attempted"
# ---------------------------------------------------------------------------------------------
_RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=sys.argv[3] == "1",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(nb, sys.argv[1])
"""


def _execute(base: Path, lab_id: str, kind: str) -> tuple[tuple[str, str], Path, str]:
    allow_errors = {"reference": "0", "starter": "1"}[kind]
    work = base / f"{lab_id}-{kind}"
    work.mkdir()
    notebook = work / f"{lab_id}.ipynb"
    shutil.copy(edition_notebook(lab_id, kind), notebook)  # lab_helpers.EDITION
    stage(get_lab(lab_id), work, seed=0)  # public checks + hidden inputs, as grading lays them out
    env = {**os.environ, "LAB_SEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.pop("MNIST_LABS_METRICS", None)
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(notebook), str(work), allow_errors],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    problem = "" if proc.returncode == 0 else (proc.stdout + proc.stderr)[-3000:]
    return (lab_id, kind), work, problem


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The five reference notebooks and the five starters, executed (two at a time), seed 0."""
    base = tmp_path_factory.mktemp("mnist-notebooks")
    jobs = [(lab_id, "reference") for lab_id in LABS] + [(lab_id, "starter") for lab_id in LABS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: _execute(base, *job), jobs))
    failures = [f"{key}: {problem}" for key, _, problem in results if problem]
    assert not failures, "\n".join(failures)
    return {key: work for key, work, _ in results}


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LABS)
def test_reference_notebook_gets_full_marks(executed, lab_id):
    spec = get_lab(lab_id)
    result = score_lab(spec, executed[lab_id, "reference"] / "answers", seed=0)
    assert result.score == result.max_score == spec.max_score, [(t.name, t.output) for t in result.tests]
    assert all(t.status == "passed" for t in result.tests)
    threshold = importlib.import_module(f"autograder.labs.{lab_id}").THRESHOLD
    assert result.accuracy is not None and result.accuracy >= threshold


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LABS)
def test_starter_notebook_scores_zero(executed, lab_id):
    spec = get_lab(lab_id)
    result = score_lab(spec, executed[lab_id, "starter"] / "answers", seed=0)
    assert result.score == 0 and len(result.tests) == len(spec.questions)
    for test in result.tests:
        assert test.status == "failed" and test.output.startswith("not attempted"), (test.name, test.output)


# ---------------------------------------------------------------------------------------------
# Test-set training is flagged (calibration: benchmarks/train_on_test.py)
# ---------------------------------------------------------------------------------------------
def test_plausibility_limits_say_why():
    limits = _mnist.Plausibility(max_test_over_held_out=0.01, ceiling=0.99)
    assert limits.problem(0.981, 0.978) is None
    assert "2.00 points above its accuracy on 5,000 held-out" in limits.problem(0.99, 0.97)
    assert "above what this recipe reaches (99.00%)" in limits.problem(0.995, 0.99)
