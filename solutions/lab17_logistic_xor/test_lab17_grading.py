"""Lab 17's grader: its reference math (logistic regression, AND / OR / XOR) and its verdicts and
messages on right and wrong answers, the Keras 2-2-1 network included."""

from __future__ import annotations

import numpy as np
import pytest
from lab_helpers import expect_fail, grader

from autograder.labs.lab17_logistic_xor import reference as R
from autograder.spec import hidden_rng

LAB = "lab17_logistic_xor"
SEED = 5  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


# ---------------------------------------------------------------------------------------------
# Reference math
# ---------------------------------------------------------------------------------------------
def test_logistic_reference_math():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 2)), rng.integers(0, 2, 12).astype(float)
    w, b = rng.normal(size=2), 0.3
    dw, db = R.cost_gradient(X, y, w, b)
    ndw, ndb = R.numeric_cost_gradient(X, y, w, b)
    np.testing.assert_allclose(dw, ndw, rtol=1e-6)
    assert np.isclose(db, ndb, rtol=1e-6)
    h = R.hypothesis(X, w, b)  # moderate z: the naive formula is fine and must agree
    assert np.isclose(R.cost(X, y, w, b), np.mean(-y * np.log(h) - (1 - y) * np.log(1 - h)))
    costs = [R.cost(R.GATE_X, R.Y_AND, w_, b_) for w_, b_ in R.COST_CASES]
    assert np.isfinite(costs).all() and costs[1] < 1e-100 and np.isclose(costs[2], 600.0)


def test_logic_gates_and_xor_facts():
    for gate in ("AND", "OR"):
        w, b = R.train_logistic(R.GATE_X, R.TARGETS[gate])
        assert R.accuracy(R.GATE_X, R.TARGETS[gate], w, b) == 1.0
        assert R.cost(R.GATE_X, R.TARGETS[gate], w, b) < R.TRAINED_MAX_COST
    w, b = R.train_logistic(R.GATE_X, R.Y_XOR)
    assert np.allclose(w, 0) and b == 0  # the gradient vanishes exactly at the start
    grid = np.linspace(-3, 3, 25)
    best = max(
        R.accuracy(R.GATE_X, R.Y_XOR, np.array([a, c]), d, strict)
        for a in grid
        for c in grid
        for d in grid
        for strict in (True, False)
    )
    assert best == 0.75
    p = R.two_layer_forward(R.NOTES_PARAMS).ravel()
    assert np.array_equal(p > 0.5, R.Y_XOR > 0.5)


# ---------------------------------------------------------------------------------------------
# Verdicts and messages
# ---------------------------------------------------------------------------------------------
CASES = [(R.GATE_X, R.Y_AND, w, b) for w, b in R.COST_CASES]


def _naive_cost(X, y, w, b):
    with np.errstate(all="ignore"):
        h = 1 / (1 + np.exp(-(X @ w + b)))
        return float(np.mean(-y * np.log(h) - (1 - y) * np.log(1 - h)))


def test_lab17_right_answers_pass(tmp_path):
    h = R.hypothesis(R.GATE_X, R.HYPOTHESIS_W, R.HYPOTHESIS_B)
    assert _grade(tmp_path, "hypothesis", hypothesis={"h": h, "h_extreme": R.sigmoid(R.HYPOTHESIS_Z)}).passed
    assert _grade(tmp_path, "cost", cost=[R.cost(*c) for c in CASES]).passed
    grads = [R.cost_gradient(*c) for c in CASES]
    answer = {"dw": [g[0] for g in grads], "db": [g[1] for g in grads]}
    assert _grade(tmp_path, "gradient", gradient=answer).passed
    hidden = R.logistic_cases(hidden_rng("logistic_hidden", SEED))
    hgrads = [R.cost_gradient(*c) for c in hidden]
    answer = {
        "cost": [R.cost(*c) for c in hidden],
        "dw": [g[0] for g in hgrads],
        "db": [g[1] for g in hgrads],
    }
    assert _grade(tmp_path, "logistic_hidden", logistic_hidden=answer).passed
    for gate in ("AND", "OR"):
        w, b = R.train_logistic(R.GATE_X, R.TARGETS[gate])
        name = f"train_{gate.lower()}"
        assert _grade(tmp_path, name, **{name: {"w": w, "b": b}}).passed
    xor = {"w": [0.0, 0.0], "b": 0.0, "best_w": [1.0, 1.0], "best_b": -0.5, "best_accuracy": 0.75}
    assert _grade(tmp_path, "xor_linear", xor_linear=xor).passed
    p = R.two_layer_forward(R.NOTES_PARAMS)
    assert _grade(tmp_path, "two_layer_forward", two_layer_forward=p).passed


def test_lab17_cost_and_gradient_mistakes(tmp_path):
    expect_fail(_grade(tmp_path, "cost", cost=[_naive_cost(*c) for c in CASES]), "finite", "logaddexp")
    grads = [R.cost_gradient(*c) for c in CASES]
    summed = {"dw": [4 * g[0] for g in grads], "db": [g[1] for g in grads]}
    expect_fail(_grade(tmp_path, "gradient", gradient=summed), "divide by N")
    flipped = {"dw": [-g[0] for g in grads], "db": [g[1] for g in grads]}
    expect_fail(_grade(tmp_path, "gradient", gradient=flipped), "the sign is flipped")
    bad = {
        "h": 1 - R.hypothesis(R.GATE_X, R.HYPOTHESIS_W, R.HYPOTHESIS_B),
        "h_extreme": R.sigmoid(R.HYPOTHESIS_Z),
    }
    expect_fail(_grade(tmp_path, "hypothesis", hypothesis=bad), "sign of z is flipped")


def test_lab17_training_and_xor_mistakes(tmp_path):
    expect_fail(_grade(tmp_path, "train_and", train_and={"w": [0.0, 0.0], "b": 0.0}), "AND accuracy")
    w, b = R.train_logistic(R.GATE_X, R.Y_AND, steps=20)  # right side of the line, but barely trained
    assert R.accuracy(R.GATE_X, R.Y_AND, w, b) == 1.0
    expect_fail(_grade(tmp_path, "train_and", train_and={"w": w, "b": b}), "AND cost")
    expect_fail(_grade(tmp_path, "train_or", train_or={"w": [1.0, 1.0, 1.0], "b": 0.0}), "shape (3,)")
    lying = {"w": [0.0, 0.0], "b": 0.0, "best_w": [1.0, 1.0], "best_b": -0.5, "best_accuracy": 1.0}
    expect_fail(_grade(tmp_path, "xor_linear", xor_linear=lying), "grader measures 0.75")
    weak = {"w": [0.0, 0.0], "b": 0.0, "best_w": [0.0, 0.0], "best_b": -1.0, "best_accuracy": 0.5}
    expect_fail(_grade(tmp_path, "xor_linear", xor_linear=weak), "3 of the 4 points")
    a1 = R.sigmoid(R.GATE_X @ R.NOTES_PARAMS["W1"] + R.NOTES_PARAMS["b1"])
    expect_fail(_grade(tmp_path, "two_layer_forward", two_layer_forward=a1), "shape (4, 1)")


def test_lab17_two_layer_model_checks(tmp_path):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)

    def net(hidden_units=2, act="sigmoid", out="sigmoid"):
        return keras.Sequential(
            [
                keras.Input(shape=(2,)),
                keras.layers.Dense(hidden_units, activation=act),
                keras.layers.Dense(1, activation=out),
            ]
        )

    notes = net()
    notes.set_weights([R.NOTES_PARAMS[k].astype("float32") for k in ("W1", "b1", "W2", "b2")])
    verdict = _grade(tmp_path / "a", "xor_two_layer", xor_two_layer={"outputs": [0.0], "model": notes})
    assert verdict.passed, verdict.message
    verdict = _grade(tmp_path / "b", "xor_two_layer", xor_two_layer={"outputs": [0.0], "model": net()})
    expect_fail(verdict, "XOR accuracy", "local minimum")
    for model, text in (
        (net(4), "2 hidden units"),
        (net(act="linear"), "non-linear"),
        (net(out="relu"), "sigmoid output"),
    ):
        verdict = _grade(tmp_path / text, "xor_two_layer", xor_two_layer={"outputs": [0.0], "model": model})
        expect_fail(verdict, text)
