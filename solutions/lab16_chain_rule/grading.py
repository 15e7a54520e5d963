"""Lab 16 — computation graphs and the chain rule (연쇄 법칙).

The backward pass of f = σ(w0·x0 + w1·x1 + w2) is graded node by node: each question checks one
kind of node's *local* gradient (∂f/∂input = the student's own ∂f/∂node × the local derivative,
computed here by a float64 central difference of that one operation), so one wrong node costs only
its own question. See ``reference.py`` for the graph and the reference math.
"""

from __future__ import annotations

import numpy as np
from labkit.answers import AnswerError
from labkit.i18n import N_

from autograder.labs.lab16_chain_rule import reference as R
from autograder.spec import GradeContext, LabSpec, Question, Verdict, ok

COURSE_INPUTS = R.inputs_dict(R.SIGMOID_W, R.SIGMOID_X)


# -- Step 1: f = w·x + b ----------------------------------------------------------------------------
def grade_linear(ctx: GradeContext) -> Verdict:
    points = np.array([R.LINEAR_POINT])
    return R.linear_verdict(ctx.answer("linear", "forward"), ctx.answer("linear", "grads"), points)


def grade_linear_hidden(ctx: GradeContext) -> Verdict:
    points = ctx.hidden_input("linear_hidden")
    return R.linear_verdict(
        ctx.answer("linear_hidden", "forward"),
        ctx.answer("linear_hidden", "grads"),
        points,
        N_(" at the hidden points"),
    )


# -- Step 2: the sigmoid neuron, forward ------------------------------------------------------------
def _answers(ctx: GradeContext, name: str, prefix: str = "") -> dict:
    """The saved value of every node and input of answer ``name`` (absent keys are left out)."""
    found = {}
    for node in (*R.INPUTS, *R.NODES):
        try:
            found[node] = ctx.answer(name, prefix + node, models=False)
        except AnswerError:
            pass
    if not found:  # nothing matched: report the keys that were saved
        ctx.answer(name, prefix + "f", models=False)
    return found


def grade_sigmoid_forward(ctx: GradeContext) -> Verdict:
    return R.forward_verdict(_answers(ctx, "sigmoid_forward"), COURSE_INPUTS)


# -- Step 3: the backward pass, one question per kind of node ----------------------------------------
def _gate_grader(question: str):
    nodes = R.GATE_QUESTIONS[question]

    def grade(ctx: GradeContext) -> Verdict:
        return R.backward_verdict(_answers(ctx, question), COURSE_INPUTS, nodes)

    grade.__name__ = f"grade_{question}"
    return grade


# -- Hidden: the whole graph at other weights and inputs --------------------------------------------
def grade_sigmoid_hidden(ctx: GradeContext) -> Verdict:
    cases = ctx.hidden_input("sigmoid_hidden")
    forward = _answers(ctx, "sigmoid_hidden", "fwd_")
    grads = _answers(ctx, "sigmoid_hidden", "grad_")
    for index, (w0, w1, w2, x0, x1) in enumerate(cases):
        inputs = R.inputs_dict((w0, w1, w2), (x0, x1))
        where = N_(
            " at hidden point {n} (w = ({w0:.3g}, {w1:.3g}, {w2:.3g}), x = ({x0:.3g}, {x1:.3g}))"
        ).format(n=index + 1, w0=w0, w1=w1, w2=w2, x0=x0, x1=x1)
        verdict = R.forward_verdict(forward, inputs, where, index)
        if not verdict.passed:
            return verdict
        nodes = [node for q in R.GATE_QUESTIONS.values() for node in q]
        verdict = R.backward_verdict(grads, inputs, nodes, where, index)
        if not verdict.passed:
            return verdict
    return ok(N_("forward values and every local gradient correct at {n} hidden points").format(n=len(cases)))


def _q(name, points, description, grade, hidden=False):
    return Question(name, points, description, grade, hidden=hidden)


LAB = LabSpec(
    lab_id="lab16_chain_rule",
    title="Lab 16 — computation graphs and the chain rule",
    hidden_inputs={
        "linear_hidden": R.linear_cases,
        "sigmoid_hidden": R.sigmoid_cases,
    },
    questions=(
        _q("linear", 1, "f = w·x + b: forward values and ∂f/∂w, ∂f/∂x, ∂f/∂b", grade_linear),
        _q("linear_hidden", 1, "f = w·x + b at hidden points", grade_linear_hidden, True),
        _q(
            "sigmoid_forward",
            1,
            "forward value of every node of σ(w0·x0 + w1·x1 + w2)",
            grade_sigmoid_forward,
        ),
        _q("grad_recip", 1, "backward through f = 1/d", _gate_grader("grad_recip")),
        _q("grad_plus1", 1, "backward through d = e + 1", _gate_grader("grad_plus1")),
        _q("grad_exp", 1, "backward through e = exp(n)", _gate_grader("grad_exp")),
        _q("grad_neg", 1, "backward through n = −z", _gate_grader("grad_neg")),
        _q("grad_add", 1, "backward through the two add nodes", _gate_grader("grad_add")),
        _q("grad_mul", 1, "backward through the two multiply nodes", _gate_grader("grad_mul")),
        _q(
            "sigmoid_hidden",
            2,
            "forward and backward at hidden weights and inputs",
            grade_sigmoid_hidden,
            True,
        ),
    ),
    manual={"why_backprop": 2},
    notebook_seconds=60,
)
