"""Labs 15–17 (one neuron, the chain rule, logistic regression and XOR): the reference math against
finite differences, the graders' verdicts and messages on right and wrong answers, and the three
notebooks graded through the pipeline (reference → full marks, starter → 0)."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from autograder.answers import save_answer
from autograder.labs import _basics as B
from autograder.labs import get_lab
from autograder.scoring import judge
from autograder.spec import GradeContext, hidden_rng

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
LAB15, LAB16, LAB17 = "lab15_one_neuron", "lab16_chain_rule", "lab17_logistic_xor"
LABS = (LAB15, LAB16, LAB17)
SEED = 5  # the hidden seed of these unit tests


def _grade(tmp_path, lab_id: str, question: str, **answers):
    """Save ``answers`` (name → value) and judge ``question`` as the grader would."""
    for name, value in answers.items():
        save_answer(tmp_path, name, value)
    return judge(get_lab(lab_id).question(question), GradeContext(tmp_path, seed=SEED))


def _expect_fail(verdict, *fragments):
    assert not verdict.passed, verdict.message
    assert verdict.message.startswith("Expected") and "Received" in verdict.message, verdict.message
    for fragment in fragments:
        assert fragment in verdict.message, (fragment, verdict.message)


# ---------------------------------------------------------------------------------------------
# Reference math against finite differences
# ---------------------------------------------------------------------------------------------
def test_neuron_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    w, x, y = rng.uniform(-5, 5, size=(3, 50))
    h = 1e-6
    numeric = (B.error(w + h, x, y) - B.error(w - h, x, y)) / (2 * h)
    np.testing.assert_allclose(B.grad_error(w, x, y), numeric, rtol=1e-6, atol=1e-6)
    assert B.error(*B.NEURON) == 169 and B.grad_error(*B.NEURON) == -130


def test_nudge_is_off_by_exactly_x_squared_h():
    w, x, y = B.NUDGE_POINTS.T
    gap = B.nudge_estimate(w, x, y) - B.grad_error(w, x, y)
    np.testing.assert_allclose(gap, x * x * B.NUDGE, rtol=1e-3)


def test_convergence_rule_matches_simulation():
    x, y = B.NEURON[1], B.NEURON[2]
    for lr in np.linspace(0.001, 0.07, 60):
        if abs(abs(1 - 2 * lr * x * x) - 1) < 0.02:
            continue  # on the edge the simulation needs more steps than it is worth
        ws = B.gd_trajectory(-2.0, x, y, lr, 300)
        assert bool(B.converges([lr], x)[0]) == bool(B.error(ws[-1], x, y) < B.error(ws[0], x, y)), lr
    assert B.converges(B.LR_VALUES, x).tolist() == [1, 1, 1, 0, 0]
    traj = B.gd_trajectory(B.GD_START, x, y, B.GD_LR, B.GD_STEPS)
    assert abs(traj[-1] - y / x) < 1e-8  # the public trajectory converges to w* = y/x


def test_hidden_cases_are_well_posed():
    for seed in range(20):
        w0, x, y, lr, steps = B.gd_case(hidden_rng("gd_hidden", seed))
        assert abs(1 - 2 * lr * x * x) <= 0.8 + 1e-12
        w0, x, y, lrs = B.lr_case(hidden_rng("learning_rates_hidden", seed))
        assert sorted(B.converges(lrs, x).tolist()) == [0] * 4 + [1] * 4
        ws = [B.gd_trajectory(w0, x, y, lr, 100) for lr in lrs]  # what a student's experiment sees
        by_experiment = [int(B.error(t[-1], x, y) < B.error(t[0], x, y)) for t in ws]
        assert by_experiment == B.converges(lrs, x).tolist()


@pytest.mark.parametrize("point", [0, 1, 2, 3])
def test_graph_backward_matches_central_differences(point):
    if point == 0:
        inputs = B.inputs_dict(B.SIGMOID_W, B.SIGMOID_X)
    else:
        row = B.sigmoid_cases(hidden_rng("sigmoid_hidden", point))[0]
        inputs = B.inputs_dict(row[:3], row[3:])
    backward, numeric = B.graph_backward(inputs), B.graph_numeric_grads(inputs)
    for node in (*B.INPUTS, *B.NODES):
        assert np.isclose(backward[node], numeric[node], rtol=1e-7, atol=1e-10), node
    z = sum(inputs[f"w{i}"] * inputs[f"x{i}"] for i in range(2)) + inputs["w2"]
    f = B.graph_forward(inputs)["f"]
    assert np.isclose(f, B.sigmoid(z)) and np.isclose(backward["z"], f * (1 - f))  # σ' = σ(1 − σ)


def test_course_graph_numbers():
    inputs = B.inputs_dict(B.SIGMOID_W, B.SIGMOID_X)
    g = B.graph_backward(inputs)
    assert np.allclose([g["x0"], g["x1"]], [0.393224, -0.589836], atol=1e-6)
    assert np.allclose([g["w0"], g["w1"], g["w2"]], [-0.196612, -0.393224, 0.196612], atol=1e-6)
    values = B.graph_forward(inputs)
    assert np.isclose(B.local_derivative("f", 0, values), -1 / values["d"] ** 2, rtol=1e-8)
    assert np.isclose(B.local_derivative("e", 0, values), values["e"], rtol=1e-8)
    assert np.isclose(B.local_derivative("p0", 1, values), values["w0"], rtol=1e-8)


def test_logistic_reference_math():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 2)), rng.integers(0, 2, 12).astype(float)
    w, b = rng.normal(size=2), 0.3
    dw, db = B.cost_gradient(X, y, w, b)
    ndw, ndb = B.numeric_cost_gradient(X, y, w, b)
    np.testing.assert_allclose(dw, ndw, rtol=1e-6)
    assert np.isclose(db, ndb, rtol=1e-6)
    h = B.hypothesis(X, w, b)  # moderate z: the naive formula is fine and must agree
    assert np.isclose(B.cost(X, y, w, b), np.mean(-y * np.log(h) - (1 - y) * np.log(1 - h)))
    costs = [B.cost(B.GATE_X, B.Y_AND, w_, b_) for w_, b_ in B.COST_CASES]
    assert np.isfinite(costs).all() and costs[1] < 1e-100 and np.isclose(costs[2], 600.0)


def test_logic_gates_and_xor_facts():
    for gate in ("AND", "OR"):
        w, b = B.train_logistic(B.GATE_X, B.TARGETS[gate])
        assert B.accuracy(B.GATE_X, B.TARGETS[gate], w, b) == 1.0
        assert B.cost(B.GATE_X, B.TARGETS[gate], w, b) < B.TRAINED_MAX_COST
    w, b = B.train_logistic(B.GATE_X, B.Y_XOR)
    assert np.allclose(w, 0) and b == 0  # the gradient vanishes exactly at the start
    grid = np.linspace(-3, 3, 25)
    best = max(
        B.accuracy(B.GATE_X, B.Y_XOR, np.array([a, c]), d, strict)
        for a in grid
        for c in grid
        for d in grid
        for strict in (True, False)
    )
    assert best == 0.75
    p = B.two_layer_forward(B.NOTES_PARAMS).ravel()
    assert np.array_equal(p > 0.5, B.Y_XOR > 0.5)


# ---------------------------------------------------------------------------------------------
# Lab 15: verdicts and messages
# ---------------------------------------------------------------------------------------------
def test_lab15_right_answers_pass(tmp_path):
    w, x, y = B.GRAD_POINTS.T
    assert _grade(
        tmp_path, LAB15, "gradient", gradient={"error": B.error(w, x, y), "grad": B.grad_error(w, x, y)}
    ).passed
    hw, hx, hy = B.gradient_cases(hidden_rng("gradient_hidden", SEED)).T
    assert _grade(tmp_path, LAB15, "gradient_hidden", gradient_hidden=B.grad_error(hw, hx, hy)).passed
    nw, nx, ny = B.NUDGE_POINTS.T
    assert _grade(tmp_path, LAB15, "nudge", nudge=B.nudge_estimate(nw, nx, ny)).passed
    tw, tx, ty = B.TAPE_POINTS.T
    assert _grade(tmp_path, LAB15, "tape", tape=B.grad_error(tw, tx, ty).astype(np.float32)).passed
    traj = B.gd_trajectory(B.GD_START, B.NEURON[1], B.NEURON[2], B.GD_LR, B.GD_STEPS)
    assert _grade(tmp_path, LAB15, "gd_trajectory", gd_trajectory=traj).passed
    w0, hx, hy, lr, steps = B.gd_case(hidden_rng("gd_hidden", SEED))
    assert _grade(tmp_path, LAB15, "gd_hidden", gd_hidden=B.gd_trajectory(w0, hx, hy, lr, steps)).passed
    assert _grade(tmp_path, LAB15, "learning_rates", learning_rates=[1, 1, 1, 0, 0]).passed
    w0, hx, hy, lrs = B.lr_case(hidden_rng("learning_rates_hidden", SEED))
    assert _grade(tmp_path, LAB15, "learning_rates_hidden", learning_rates_hidden=B.converges(lrs, hx)).passed


def test_lab15_wrong_gradients_are_named(tmp_path):
    w, x, y = B.GRAD_POINTS.T
    right = {"error": B.error(w, x, y)}
    cases = {
        "the sign is flipped": -B.grad_error(w, x, y),
        "the factor 2 from the square is missing": (w * x - y) * x,
        "the inner derivative": 2 * (w * x - y),
        "multiplied by w instead of x": 2 * (w * x - y) * w,
    }
    for text, grad in cases.items():
        _expect_fail(_grade(tmp_path, LAB15, "gradient", gradient={**right, "grad": grad}), text)
    _expect_fail(_grade(tmp_path, LAB15, "gradient", gradient={**right, "grad": [-130.0]}), "shape (4,)")


def test_lab15_nudge_must_be_a_nudge(tmp_path):
    w, x, y = B.NUDGE_POINTS.T
    _expect_fail(
        _grade(tmp_path, LAB15, "nudge", nudge=B.grad_error(w, x, y)), "exactly the analytic gradient"
    )
    diffs = B.error(w + B.NUDGE, x, y) - B.error(w, x, y)
    _expect_fail(_grade(tmp_path, LAB15, "nudge", nudge=diffs), "not yet divided by h")
    _expect_fail(_grade(tmp_path, LAB15, "nudge", nudge=-B.nudge_estimate(w, x, y)), "the sign is flipped")


def test_lab15_trajectory_mistakes(tmp_path):
    x, y = B.NEURON[1], B.NEURON[2]
    traj = B.gd_trajectory(B.GD_START, x, y, B.GD_LR, B.GD_STEPS)
    _expect_fail(_grade(tmp_path, LAB15, "gd_trajectory", gd_trajectory=traj[1:]), "the start is missing")
    _expect_fail(
        _grade(tmp_path, LAB15, "gd_trajectory", gd_trajectory=traj[:-1]), "last step's w is missing"
    )
    ascent = B.gd_trajectory(B.GD_START, x, y, -B.GD_LR, B.GD_STEPS)
    _expect_fail(_grade(tmp_path, LAB15, "gd_trajectory", gd_trajectory=ascent), "gradient *ascent*")
    _expect_fail(_grade(tmp_path, LAB15, "learning_rates", learning_rates=[0, 0, 0, 1, 1]), "swapped")
    _expect_fail(_grade(tmp_path, LAB15, "learning_rates", learning_rates=[1, 0, 1, 0, 0]), "λ = 0.02")


# ---------------------------------------------------------------------------------------------
# Lab 16: one wrong local gradient costs exactly its own question
# ---------------------------------------------------------------------------------------------
GATE_QUESTIONS = tuple(B.GATE_QUESTIONS)
COURSE = B.inputs_dict(B.SIGMOID_W, B.SIGMOID_X)


def _student_backward(inputs, wrong: str | None = None):
    """The node-by-node backward pass, with one classic mistake at node ``wrong``."""
    v = B.graph_forward(inputs)
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
    assert _grade(
        tmp_path, LAB16, "linear", linear={"forward": (-10.0, -7.0), "grads": (5.0, -2.0, 1.0)}
    ).passed
    rows = B.linear_cases(hidden_rng("linear_hidden", SEED))
    fwd = [(w * x, w * x + b) for w, x, b in rows]
    grads = [(x, w, 1.0) for w, x, b in rows]
    assert _grade(tmp_path, LAB16, "linear_hidden", linear_hidden={"forward": fwd, "grads": grads}).passed
    values = B.graph_forward(COURSE)
    assert _grade(tmp_path, LAB16, "sigmoid_forward", sigmoid_forward={n: values[n] for n in B.NODES}).passed
    grads = _student_backward(COURSE)
    for question in GATE_QUESTIONS:
        assert _grade(tmp_path, LAB16, question, **{question: grads}).passed, question


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
    verdicts = {q: _grade(tmp_path / q, LAB16, q, **{q: grads}) for q in GATE_QUESTIONS}
    failed = [q for q, v in verdicts.items() if not v.passed]
    assert failed == [question], {q: v.message for q, v in verdicts.items()}
    _expect_fail(verdicts[question], text, "Hint:")


def test_lab16_forward_names_the_first_wrong_node(tmp_path):
    values = B.graph_forward(COURSE)
    wrong = {n: values[n] for n in B.NODES}
    wrong["e"] = np.exp(values["z"])  # exp(z) instead of exp(n)
    _expect_fail(_grade(tmp_path, LAB16, "sigmoid_forward", sigmoid_forward=wrong), "node `e`")
    del wrong["d"]
    verdict = _grade(tmp_path / "b", LAB16, "sigmoid_forward", sigmoid_forward=wrong)
    assert not verdict.passed and "node `e`" in verdict.message
    partial = {n: values[n] for n in B.NODES if n != "d"}
    _expect_fail(
        _grade(tmp_path / "c", LAB16, "sigmoid_forward", sigmoid_forward=partial), "node `d`", "keys"
    )


def test_lab16_linear_mistakes(tmp_path):
    _expect_fail(
        _grade(tmp_path, LAB16, "linear", linear={"forward": (-10.0, -7.0), "grads": (-2.0, 5.0, 1.0)}),
        "swapped",
    )
    _expect_fail(
        _grade(tmp_path, LAB16, "linear", linear={"forward": (-7.0, -10.0), "grads": (5.0, -2.0, 1.0)}),
        "swapped",
    )


def test_lab16_hidden_graph_names_point_and_node(tmp_path):
    rows = B.sigmoid_cases(hidden_rng("sigmoid_hidden", SEED))

    def answer(wrong=None):
        per_point = [
            (
                B.graph_forward(B.inputs_dict(r[:3], r[3:])),
                _student_backward(B.inputs_dict(r[:3], r[3:]), wrong),
            )
            for r in rows
        ]
        out = {f"fwd_{n}": [fwd[n] for fwd, _ in per_point] for n in B.NODES}
        out.update({f"grad_{n}": [g[n] for _, g in per_point] for n in per_point[0][1]})
        return out

    assert _grade(tmp_path, LAB16, "sigmoid_hidden", sigmoid_hidden=answer()).passed
    _expect_fail(
        _grade(tmp_path, LAB16, "sigmoid_hidden", sigmoid_hidden=answer("e")), "hidden point 1", "node `e`"
    )


# ---------------------------------------------------------------------------------------------
# Lab 17: verdicts and messages
# ---------------------------------------------------------------------------------------------
CASES = [(B.GATE_X, B.Y_AND, w, b) for w, b in B.COST_CASES]


def _naive_cost(X, y, w, b):
    with np.errstate(all="ignore"):
        h = 1 / (1 + np.exp(-(X @ w + b)))
        return float(np.mean(-y * np.log(h) - (1 - y) * np.log(1 - h)))


def test_lab17_right_answers_pass(tmp_path):
    h = B.hypothesis(B.GATE_X, B.HYPOTHESIS_W, B.HYPOTHESIS_B)
    assert _grade(
        tmp_path, LAB17, "hypothesis", hypothesis={"h": h, "h_extreme": B.sigmoid(B.HYPOTHESIS_Z)}
    ).passed
    assert _grade(tmp_path, LAB17, "cost", cost=[B.cost(*c) for c in CASES]).passed
    grads = [B.cost_gradient(*c) for c in CASES]
    answer = {"dw": [g[0] for g in grads], "db": [g[1] for g in grads]}
    assert _grade(tmp_path, LAB17, "gradient", gradient=answer).passed
    hidden = B.logistic_cases(hidden_rng("logistic_hidden", SEED))
    hgrads = [B.cost_gradient(*c) for c in hidden]
    answer = {
        "cost": [B.cost(*c) for c in hidden],
        "dw": [g[0] for g in hgrads],
        "db": [g[1] for g in hgrads],
    }
    assert _grade(tmp_path, LAB17, "logistic_hidden", logistic_hidden=answer).passed
    for gate in ("AND", "OR"):
        w, b = B.train_logistic(B.GATE_X, B.TARGETS[gate])
        name = f"train_{gate.lower()}"
        assert _grade(tmp_path, LAB17, name, **{name: {"w": w, "b": b}}).passed
    xor = {"w": [0.0, 0.0], "b": 0.0, "best_w": [1.0, 1.0], "best_b": -0.5, "best_accuracy": 0.75}
    assert _grade(tmp_path, LAB17, "xor_linear", xor_linear=xor).passed
    p = B.two_layer_forward(B.NOTES_PARAMS)
    assert _grade(tmp_path, LAB17, "two_layer_forward", two_layer_forward=p).passed


def test_lab17_cost_and_gradient_mistakes(tmp_path):
    _expect_fail(
        _grade(tmp_path, LAB17, "cost", cost=[_naive_cost(*c) for c in CASES]), "finite", "logaddexp"
    )
    grads = [B.cost_gradient(*c) for c in CASES]
    summed = {"dw": [4 * g[0] for g in grads], "db": [g[1] for g in grads]}
    _expect_fail(_grade(tmp_path, LAB17, "gradient", gradient=summed), "divide by N")
    flipped = {"dw": [-g[0] for g in grads], "db": [g[1] for g in grads]}
    _expect_fail(_grade(tmp_path, LAB17, "gradient", gradient=flipped), "the sign is flipped")
    bad = {
        "h": 1 - B.hypothesis(B.GATE_X, B.HYPOTHESIS_W, B.HYPOTHESIS_B),
        "h_extreme": B.sigmoid(B.HYPOTHESIS_Z),
    }
    _expect_fail(_grade(tmp_path, LAB17, "hypothesis", hypothesis=bad), "sign of z is flipped")


def test_lab17_training_and_xor_mistakes(tmp_path):
    _expect_fail(_grade(tmp_path, LAB17, "train_and", train_and={"w": [0.0, 0.0], "b": 0.0}), "AND accuracy")
    w, b = B.train_logistic(B.GATE_X, B.Y_AND, steps=20)  # right side of the line, but barely trained
    assert B.accuracy(B.GATE_X, B.Y_AND, w, b) == 1.0
    _expect_fail(_grade(tmp_path, LAB17, "train_and", train_and={"w": w, "b": b}), "AND cost")
    _expect_fail(_grade(tmp_path, LAB17, "train_or", train_or={"w": [1.0, 1.0, 1.0], "b": 0.0}), "shape (3,)")
    lying = {"w": [0.0, 0.0], "b": 0.0, "best_w": [1.0, 1.0], "best_b": -0.5, "best_accuracy": 1.0}
    _expect_fail(_grade(tmp_path, LAB17, "xor_linear", xor_linear=lying), "grader measures 0.75")
    weak = {"w": [0.0, 0.0], "b": 0.0, "best_w": [0.0, 0.0], "best_b": -1.0, "best_accuracy": 0.5}
    _expect_fail(_grade(tmp_path, LAB17, "xor_linear", xor_linear=weak), "3 of the 4 points")
    a1 = B.sigmoid(B.GATE_X @ B.NOTES_PARAMS["W1"] + B.NOTES_PARAMS["b1"])
    _expect_fail(_grade(tmp_path, LAB17, "two_layer_forward", two_layer_forward=a1), "shape (4, 1)")


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
    notes.set_weights([B.NOTES_PARAMS[k].astype("float32") for k in ("W1", "b1", "W2", "b2")])
    verdict = _grade(tmp_path / "a", LAB17, "xor_two_layer", xor_two_layer={"outputs": [0.0], "model": notes})
    assert verdict.passed, verdict.message
    verdict = _grade(tmp_path / "b", LAB17, "xor_two_layer", xor_two_layer={"outputs": [0.0], "model": net()})
    _expect_fail(verdict, "XOR accuracy", "local minimum")
    for model, text in (
        (net(4), "2 hidden units"),
        (net(act="linear"), "non-linear"),
        (net(out="relu"), "sigmoid output"),
    ):
        verdict = _grade(
            tmp_path / text, LAB17, "xor_two_layer", xor_two_layer={"outputs": [0.0], "model": model}
        )
        _expect_fail(verdict, text)


# ---------------------------------------------------------------------------------------------
# The three notebooks, through the grading pipeline (sandboxed where bubblewrap exists)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """References and starters of labs 15–17 graded as two submissions (two at a time), seed 0."""
    from autograder import pipeline, sandbox

    options = pipeline.Options(sandbox=sandbox.bwrap_path() is not None)
    base = tmp_path_factory.mktemp("labs15-17")
    folders = {}
    for kind, source in (("reference", "solutions"), ("starter", "labs")):
        folders[kind] = base / kind
        folders[kind].mkdir()
        for lab_id in LABS:
            shutil.copy(ROOT / source / lab_id / f"{lab_id}.ipynb", folders[kind] / f"{lab_id}.ipynb")
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


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LABS)
def test_starter_notebook_scores_zero(graded, lab_id):
    spec = get_lab(lab_id)
    result = graded["starter"][lab_id]
    assert result.score == 0 and len(result.tests) == len(spec.questions)
    for test in result.tests:
        assert test.status == "failed" and test.output.startswith("not attempted"), (test.name, test.output)
