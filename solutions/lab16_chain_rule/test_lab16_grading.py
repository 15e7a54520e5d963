"""Lab 16's grader: the reference graph against central differences, and one wrong local gradient
costs exactly its own question."""

from __future__ import annotations

import numpy as np
import pytest
from lab_helpers import expect_fail, grader

from autograder.labs.lab16_chain_rule import reference as R
from autograder.spec import hidden_rng

LAB = "lab16_chain_rule"
SEED = 5  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


# ---------------------------------------------------------------------------------------------
# Reference math against finite differences
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("point", [0, 1, 2, 3])
def test_graph_backward_matches_central_differences(point):
    if point == 0:
        inputs = R.inputs_dict(R.SIGMOID_W, R.SIGMOID_X)
    else:
        row = R.sigmoid_cases(hidden_rng("sigmoid_hidden", point))[0]
        inputs = R.inputs_dict(row[:3], row[3:])
    backward, numeric = R.graph_backward(inputs), R.graph_numeric_grads(inputs)
    for node in (*R.INPUTS, *R.NODES):
        assert np.isclose(backward[node], numeric[node], rtol=1e-7, atol=1e-10), node
    z = sum(inputs[f"w{i}"] * inputs[f"x{i}"] for i in range(2)) + inputs["w2"]
    f = R.graph_forward(inputs)["f"]
    assert np.isclose(f, 1 / (1 + np.exp(-z))) and np.isclose(backward["z"], f * (1 - f))  # σ' = σ(1 − σ)


def test_course_graph_numbers():
    inputs = R.inputs_dict(R.SIGMOID_W, R.SIGMOID_X)
    g = R.graph_backward(inputs)
    assert np.allclose([g["x0"], g["x1"]], [0.393224, -0.589836], atol=1e-6)
    assert np.allclose([g["w0"], g["w1"], g["w2"]], [-0.196612, -0.393224, 0.196612], atol=1e-6)
    values = R.graph_forward(inputs)
    assert np.isclose(R.local_derivative("f", 0, values), -1 / values["d"] ** 2, rtol=1e-8)
    assert np.isclose(R.local_derivative("e", 0, values), values["e"], rtol=1e-8)
    assert np.isclose(R.local_derivative("p0", 1, values), values["w0"], rtol=1e-8)


# ---------------------------------------------------------------------------------------------
# Verdicts: one wrong local gradient costs exactly its own question
# ---------------------------------------------------------------------------------------------
GATE_QUESTIONS = tuple(R.GATE_QUESTIONS)


COURSE = R.inputs_dict(R.SIGMOID_W, R.SIGMOID_X)


def _student_backward(inputs, wrong: str | None = None):
    """The node-by-node backward pass, with one classic mistake at node ``wrong``."""
    v = R.graph_forward(inputs)
    g = {"f": 1.0}
    g["d"] = g["f"] * (1.0 / v["d"] ** 2 if wrong == "f" else -1.0 / v["d"] ** 2)
    g["e"] = g["d"] * (v["e"] if wrong == "d" else 1.0)
    g["n"] = g["e"] * (np.exp(-v["n"]) if wrong == "e" else np.exp(v["n"]))
    g["z"] = g["n"] * (1.0 if wrong == "n" else -1.0)
    g["s"] = g["w2"] = g["z"] * (2.0 if wrong == "z" else 1.0)
    g["p0"] = g["p1"] = g["s"]
    g["w0"], g["x0"] = g["p0"] * v["x0"], g["p0"] * v["w0"]
    g["w1"], g["x1"] = g["p1"] * v["x1"], g["p1"] * (v["x1"] if wrong == "p1" else v["w1"])
    return g


def test_lab16_right_answers_pass(tmp_path):
    assert _grade(tmp_path, "linear", linear={"forward": (-10.0, -7.0), "grads": (5.0, -2.0, 1.0)}).passed
    rows = R.linear_cases(hidden_rng("linear_hidden", SEED))
    fwd = [(w * x, w * x + b) for w, x, b in rows]
    grads = [(x, w, 1.0) for w, x, b in rows]
    assert _grade(tmp_path, "linear_hidden", linear_hidden={"forward": fwd, "grads": grads}).passed
    values = R.graph_forward(COURSE)
    assert _grade(tmp_path, "sigmoid_forward", sigmoid_forward={n: values[n] for n in R.NODES}).passed
    grads = _student_backward(COURSE)
    for question in GATE_QUESTIONS:
        assert _grade(tmp_path, question, **{question: grads}).passed, question


@pytest.mark.parametrize(
    "node, question, text",
    [
        ("f", "grad_recip", "node `f`"),
        ("d", "grad_plus1", "node `d`"),
        ("e", "grad_exp", "node `e`"),
        ("n", "grad_neg", "the sign is flipped"),
        ("z", "grad_add", "node `z`"),
        ("p1", "grad_mul", "∂f/∂x1"),
    ],
)
def test_lab16_one_wrong_local_gradient_fails_only_its_question(tmp_path, node, question, text):
    grads = _student_backward(COURSE, wrong=node)
    verdicts = {q: _grade(tmp_path / q, q, **{q: grads}) for q in GATE_QUESTIONS}
    failed = [q for q, v in verdicts.items() if not v.passed]
    assert failed == [question], {q: v.message for q, v in verdicts.items()}
    expect_fail(verdicts[question], text, "Hint:")


def test_lab16_forward_names_the_first_wrong_node(tmp_path):
    values = R.graph_forward(COURSE)
    wrong = {n: values[n] for n in R.NODES}
    wrong["e"] = np.exp(values["z"])  # exp(z) instead of exp(n)
    expect_fail(_grade(tmp_path, "sigmoid_forward", sigmoid_forward=wrong), "node `e`")
    del wrong["d"]
    verdict = _grade(tmp_path / "b", "sigmoid_forward", sigmoid_forward=wrong)
    assert not verdict.passed and "node `e`" in verdict.message
    partial = {n: values[n] for n in R.NODES if n != "d"}
    expect_fail(_grade(tmp_path / "c", "sigmoid_forward", sigmoid_forward=partial), "node `d`", "keys")


def test_lab16_linear_mistakes(tmp_path):
    expect_fail(
        _grade(tmp_path, "linear", linear={"forward": (-10.0, -7.0), "grads": (-2.0, 5.0, 1.0)}),
        "swapped",
    )
    expect_fail(
        _grade(tmp_path, "linear", linear={"forward": (-7.0, -10.0), "grads": (5.0, -2.0, 1.0)}),
        "swapped",
    )


def test_lab16_hidden_graph_names_point_and_node(tmp_path):
    rows = R.sigmoid_cases(hidden_rng("sigmoid_hidden", SEED))

    def answer(wrong=None):
        per_point = [
            (
                R.graph_forward(R.inputs_dict(r[:3], r[3:])),
                _student_backward(R.inputs_dict(r[:3], r[3:]), wrong),
            )
            for r in rows
        ]
        out = {f"fwd_{n}": [fwd[n] for fwd, _ in per_point] for n in R.NODES}
        out.update({f"grad_{n}": [g[n] for _, g in per_point] for n in per_point[0][1]})
        return out

    assert _grade(tmp_path, "sigmoid_hidden", sigmoid_hidden=answer()).passed
    expect_fail(_grade(tmp_path, "sigmoid_hidden", sigmoid_hidden=answer("e")), "hidden point 1", "node `e`")
