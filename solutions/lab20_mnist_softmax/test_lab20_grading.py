"""Lab 20's grader: a stable softmax and cross-entropy (right, wrong and unstable answers, hidden
cases), the parameter count, and a model fitted on the test images (flagged, no accuracy points)."""

from __future__ import annotations

import numpy as np
import pytest
from lab_helpers import grader
from labkit.answers import save_answer

from autograder.grading.judge import judge, score_lab
from autograder.labs import _mnist, get_lab
from autograder.spec import GradeContext, hidden_rng

LAB = "lab20_mnist_softmax"
SEED = 7  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


# ---------------------------------------------------------------------------------------------
# Softmax and cross-entropy in NumPy
# ---------------------------------------------------------------------------------------------
def stable_softmax(z):
    z = np.asarray(z, float)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def stable_cross_entropy(z, y):
    z = np.asarray(z, float)
    s = z - z.max(axis=1, keepdims=True)
    return -(s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[np.arange(len(y)), y]


def naive_softmax(z):
    with np.errstate(all="ignore"):
        e = np.exp(np.asarray(z, float))
        return e / e.sum(axis=1, keepdims=True)


def naive_cross_entropy(z, y):
    with np.errstate(all="ignore"):
        return -np.log(stable_softmax(z)[np.arange(len(y)), y])


def test_public_cases_really_need_stability():
    from autograder.labs.lab20_mnist_softmax import PUBLIC_LABELS, PUBLIC_LOGITS

    assert not np.all(np.isfinite(naive_softmax(PUBLIC_LOGITS)))
    assert not np.all(np.isfinite(naive_cross_entropy(PUBLIC_LOGITS, PUBLIC_LABELS)))
    with pytest.raises(ValueError):  # read-only: a student's in-place edit cannot change the case
        PUBLIC_LOGITS -= 1


def test_softmax_right_wrong_unstable(tmp_path):
    from autograder.labs.lab20_mnist_softmax import PUBLIC_LOGITS

    right = _grade(tmp_path, "softmax", softmax=stable_softmax(PUBLIC_LOGITS))
    assert right.passed, right.message
    unstable = _grade(tmp_path, "softmax", softmax=naive_softmax(PUBLIC_LOGITS))
    assert not unstable.passed and "NaN or inf" in unstable.message and "maximum" in unstable.message
    columns = _grade(tmp_path, "softmax", softmax=stable_softmax(PUBLIC_LOGITS.T).T)
    assert not columns.passed and "wrong axis" in columns.message, columns.message
    unnormalized = np.exp(PUBLIC_LOGITS - PUBLIC_LOGITS.max(axis=1, keepdims=True))
    verdict = _grade(tmp_path, "softmax", softmax=unnormalized)
    assert not verdict.passed and "row sum" in verdict.message
    shape = _grade(tmp_path, "softmax", softmax=stable_softmax(PUBLIC_LOGITS)[:2])
    assert not shape.passed and "shape (4, 4)" in shape.message


def test_cross_entropy_right_wrong_unstable(tmp_path):
    from autograder.labs.lab20_mnist_softmax import PUBLIC_LABELS, PUBLIC_LOGITS

    right = stable_cross_entropy(PUBLIC_LOGITS, PUBLIC_LABELS)
    assert _grade(tmp_path, "cross_entropy", cross_entropy=right).passed
    unstable = _grade(
        tmp_path, "cross_entropy", cross_entropy=naive_cross_entropy(PUBLIC_LOGITS, PUBLIC_LABELS)
    )
    assert not unstable.passed and "log-softmax" in unstable.message, unstable.message
    flipped = _grade(tmp_path, "cross_entropy", cross_entropy=-right)
    assert not flipped.passed and "sign is flipped" in flipped.message
    mean = _grade(tmp_path, "cross_entropy", cross_entropy=np.full(4, right.mean()))
    assert not mean.passed and "mean over the batch" in mean.message


def test_hidden_cases_follow_the_hidden_seed(tmp_path):
    from autograder.labs.lab20_mnist_softmax import hidden_logits

    z, _ = hidden_logits(hidden_rng("softmax_hidden", SEED))
    assert np.abs(z).max() > 1000  # large enough to overflow np.exp
    assert _grade(tmp_path, "softmax_hidden", softmax_hidden=stable_softmax(z)).passed
    z2, y2 = hidden_logits(hidden_rng("cross_entropy_hidden", SEED))
    ok = _grade(tmp_path, "cross_entropy_hidden", cross_entropy_hidden=stable_cross_entropy(z2, y2))
    assert ok.passed, ok.message
    other_seed, _ = hidden_logits(hidden_rng("softmax_hidden", SEED + 1))
    assert not _grade(tmp_path, "softmax_hidden", softmax_hidden=stable_softmax(other_seed)).passed


def test_n_params_lab20(tmp_path):
    assert _grade(tmp_path, "n_params", n_params=7850).passed
    verdict = _grade(tmp_path, "n_params", n_params=7840)
    assert not verdict.passed and "biases are missing" in verdict.message


def test_missing_answer_is_not_attempted(tmp_path):
    verdict = judge(get_lab(LAB).question("model"), GradeContext(tmp_path, seed=SEED, spec=get_lab(LAB)))
    assert not verdict.passed and verdict.message.startswith("not attempted")


# ---------------------------------------------------------------------------------------------
# Test-set training is flagged (calibration: benchmarks/train_on_test.py)
# ---------------------------------------------------------------------------------------------
def _softmax_regression(keras, x, y, epochs):
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)], name="softmax_regression")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, batch_size=512, epochs=epochs, verbose=0)
    return model


@pytest.mark.slow
def test_a_model_fitted_on_the_test_images_gets_no_accuracy_points(tmp_path, keras):
    data = _mnist.mnist()
    (x_fit, y_fit), _ = data.split()
    cheat = _softmax_regression(keras, data.x_test, data.y_test, epochs=8)
    (tmp_path / "cheat").mkdir()
    save_answer(tmp_path / "cheat", "model", cheat)
    result = score_lab(get_lab(LAB), tmp_path / "cheat", seed=0)
    model = next(t for t in result.tests if t.name == "test_model")
    assert model.score == 0 and model.output.startswith("flagged: "), model.output
    assert "held-out training digits" in model.output and "fitted on the test images" in model.output
    assert any(note.startswith("possible training on the test set") for note in result.notes), result.notes

    honest = _softmax_regression(keras, x_fit, y_fit, epochs=3)
    verdict = _grade(tmp_path / "honest", "model", model=honest)
    assert "flagged" not in verdict.message, verdict.message
