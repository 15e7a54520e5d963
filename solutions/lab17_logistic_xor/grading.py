"""Lab 17 — logistic regression (로지스틱 회귀) on AND / OR, and why one neuron cannot learn XOR.

Every expected value is recomputed here, in float64, from the course's numbers, from the hidden seed,
or from the weights the notebook saved (see ``reference.py`` for the reference math).
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs._arrays import as_array
from autograder.labs.lab17_logistic_xor import reference as R
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok

PUBLIC_CASES = [(R.GATE_X, R.Y_AND, w, b) for w, b in R.COST_CASES]


# -- Step 1: hypothesis and cost --------------------------------------------------------------------
def grade_hypothesis(ctx: GradeContext) -> Verdict:
    return compare.all_of(
        R.hypothesis_verdict(ctx.answer("hypothesis", "h"), R.GATE_X @ R.HYPOTHESIS_W + R.HYPOTHESIS_B),
        R.hypothesis_verdict(ctx.answer("hypothesis", "h_extreme"), R.HYPOTHESIS_Z),
    )


def grade_cost(ctx: GradeContext) -> Verdict:
    return R.cost_verdict(ctx.answer("cost"), PUBLIC_CASES)


# -- Step 2: the gradient ---------------------------------------------------------------------------
def grade_gradient(ctx: GradeContext) -> Verdict:
    return R.cost_gradient_verdict(ctx.answer("gradient", "dw"), ctx.answer("gradient", "db"), PUBLIC_CASES)


def grade_logistic_hidden(ctx: GradeContext) -> Verdict:
    cases = ctx.hidden_input("logistic_hidden")
    where = N_(" (hidden data and weights)")
    return compare.all_of(
        R.cost_verdict(ctx.answer("logistic_hidden", "cost"), cases, where),
        R.cost_gradient_verdict(
            ctx.answer("logistic_hidden", "dw"), ctx.answer("logistic_hidden", "db"), cases, where
        ),
    )


# -- Step 3: gradient descent on AND and OR ----------------------------------------------------------
def _trained_grader(gate: str):
    name = f"train_{gate.lower()}"
    y = R.TARGETS[gate]

    def grade(ctx: GradeContext) -> Verdict:
        found = R.weights(
            {"w": ctx.answer(name, "w"), "b": ctx.answer(name, "b")},
            N_("the {gate} neuron").format(gate=gate),
        )
        if isinstance(found, Verdict):
            return found
        w, b = found
        acc, c = R.accuracy(R.GATE_X, y, w, b), R.cost(R.GATE_X, y, w, b)
        return compare.all_of(
            compare.at_least(acc, 1.0, N_("the {gate} accuracy of your w, b (recomputed)").format(gate=gate)),
            compare.at_most(
                c,
                R.TRAINED_MAX_COST,
                N_("the {gate} cost of your w, b (recomputed; ln 2 ≈ 0.693 untrained)").format(gate=gate),
                hint=N_("run all {steps} steps with λ = {lr:g}.").format(
                    steps=R.LOGISTIC_STEPS, lr=R.LOGISTIC_LR
                ),
            ),
            ok(
                N_("{gate} learned: w = {w}, b = {b:.3f}, cost {cost:.4f}").format(
                    gate=gate, w=np.round(w, 3).tolist(), b=b, cost=c
                )
            ),
        )

    grade.__name__ = f"grade_{name}"
    return grade


# -- Step 4: XOR and a single neuron -----------------------------------------------------------------
def grade_xor_linear(ctx: GradeContext) -> Verdict:
    trained = R.weights(
        {"w": ctx.answer("xor_linear", "w"), "b": ctx.answer("xor_linear", "b")},
        N_("the neuron trained on XOR"),
    )
    if isinstance(trained, Verdict):
        return trained
    best = R.weights(
        {"w": ctx.answer("xor_linear", "best_w"), "b": ctx.answer("xor_linear", "best_b")},
        N_("the best line of your search"),
    )
    if isinstance(best, Verdict):
        return best
    reported = as_array(ctx.answer("xor_linear", "best_accuracy"))
    if reported is None or reported.size != 1:
        return fail(
            N_("Expected best_accuracy to be one number. Received: {value}").format(value=repr(reported))
        )
    reported = float(reported.reshape(-1)[0])
    trained_acc = R.accuracy(R.GATE_X, R.Y_XOR, *trained)
    strict, loose = (R.accuracy(R.GATE_X, R.Y_XOR, *best, strict=s) for s in (True, False))
    if not any(np.isclose(reported, a) for a in (strict, loose)):
        return fail(
            N_(
                "Expected best_accuracy to be the XOR accuracy of best_w, best_b. Received: {reported:.4g}, "
                "but the grader measures {strict:.4g} for w = {w}, b = {b:.4g} (predict 1 where w·x + b > 0)."
            ).format(reported=reported, strict=strict, w=np.round(best[0], 4).tolist(), b=best[1])
        )
    checks = [
        compare.at_most(trained_acc, 0.75, N_("the XOR accuracy of the logistic unit trained on XOR")),
        compare.at_most(reported, 0.75, N_("the best XOR accuracy of a line")),
        compare.at_least(
            reported,
            0.75,
            N_("the best XOR accuracy your search found"),
            hint=N_(
                "a line can put 3 of the 4 points on the right side (e.g. w = (1, 1), b = −0.5); "
                "search a wider or finer grid of (w1, w2, b)."
            ),
        ),
    ]
    return compare.all_of(
        *checks,
        ok(
            N_("a line gets at most 3 of 4 XOR points right; trained unit: accuracy {accuracy:.2f}").format(
                accuracy=trained_acc
            )
        ),
    )


# -- Step 5: two layers -----------------------------------------------------------------------------
def grade_two_layer_forward(ctx: GradeContext) -> Verdict:
    expected = R.two_layer_forward(R.NOTES_PARAMS)
    return compare.close(
        ctx.answer("two_layer_forward"),
        expected,
        N_("the 2-2-1 network's output p for the 4 XOR inputs (the notes' weights)"),
        rtol=1e-9,
        atol=1e-12,
        others={
            N_("the hidden layer's output a1, not p"): R.sigmoid(
                R.GATE_X @ R.NOTES_PARAMS["W1"] + R.NOTES_PARAMS["b1"]
            )
        },
        hint=N_("a1 = σ(X @ W1 + b1), p = σ(a1 @ W2 + b2); p has shape (4, 1)."),
    )


def grade_xor_two_layer(ctx: GradeContext) -> Verdict:
    model = ctx.answer("xor_two_layer", "model")
    arch = R.two_layer_architecture_verdict(model)
    if not arch.passed:
        return arch
    p, acc = R.model_accuracy(model)
    verdict = compare.at_least(
        acc,
        1.0,
        N_("the XOR accuracy of the saved 2-2-1 model (recomputed)"),
        hint=N_(
            "a 2-2-1 net sometimes stops in a local minimum (지역 최솟값): train again from new random weights."
        ),
    )
    if not verdict.passed:
        return fail(
            joined(verdict.message, " ", N_("Outputs: {values}").format(values=np.round(p, 3).tolist()))
        )
    return ok(
        N_("{model} solves XOR: outputs {values}").format(model=arch.message, values=np.round(p, 4).tolist())
    )


def _q(name, points, description, grade, hidden=False):
    return Question(name, points, description, grade, hidden=hidden)


LAB = LabSpec(
    lab_id="lab17_logistic_xor",
    title="Lab 17 — logistic regression, and why XOR needs two layers",
    hidden_inputs={
        "logistic_hidden": R.logistic_cases,
    },
    questions=(
        _q("hypothesis", 1, "h = 1/(1 + e^(−z)), stable for large |z|", grade_hypothesis),
        _q("cost", 1, "the cross-entropy cost, numerically stable", grade_cost),
        _q("gradient", 2, "∂cost/∂w and ∂cost/∂b", grade_gradient),
        _q("logistic_hidden", 1, "cost and gradient on hidden data", grade_logistic_hidden, True),
        _q("train_and", 1, "gradient descent learns AND (accuracy 1.0)", _trained_grader("AND")),
        _q("train_or", 1, "gradient descent learns OR (accuracy 1.0)", _trained_grader("OR")),
        _q("xor_linear", 1, "no line separates XOR: best accuracy 0.75", grade_xor_linear),
        _q("two_layer_forward", 1, "forward pass of the notes' 2-2-1 network", grade_two_layer_forward),
        _q("xor_two_layer", 2, "a trained Keras 2-2-1 network solves XOR", grade_xor_two_layer),
    ),
    manual={"why_xor": 2},
    notebook_seconds=90,
)
