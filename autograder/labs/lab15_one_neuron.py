"""Lab 15 — one neuron and its gradient (경사 하강법, gradient descent).

Every expected value is recomputed here, in float64, from the course's numbers or from the hidden
seed (see ``_basics.py`` for the reference math).
"""

from __future__ import annotations

import numpy as np

from autograder import compare
from autograder.labs import _basics as B
from autograder.spec import GradeContext, LabSpec, Question, Verdict


# -- Step 1: the gradient by hand ------------------------------------------------------------------
def grade_gradient(ctx: GradeContext) -> Verdict:
    points = B.GRAD_POINTS
    w, x, y = points.T
    return compare.all_of(
        compare.close(
            ctx.answer("gradient", "error"),
            B.error(w, x, y),
            "E = (w·x − y)²",
            rtol=1e-9,
            atol=1e-12,
            others={"w·x − y, not squared": w * x - y},
        ),
        B.gradient_verdict(ctx.answer("gradient", "grad"), points),
    )


def grade_gradient_hidden(ctx: GradeContext) -> Verdict:
    points = B.gradient_cases(ctx.hidden_case("gradient_hidden"))
    return B.gradient_verdict(ctx.answer("gradient_hidden"), points, " at the hidden points")


# -- Step 2: the nudge ------------------------------------------------------------------------------
def grade_nudge(ctx: GradeContext) -> Verdict:
    return B.nudge_verdict(ctx.answer("nudge"))


# -- Step 3: tf.GradientTape ------------------------------------------------------------------------
def grade_tape(ctx: GradeContext) -> Verdict:
    w, x, y = B.TAPE_POINTS.T
    return compare.close(
        ctx.answer("tape"),
        B.grad_error(w, x, y),
        "∂E/∂w from tf.GradientTape",
        rtol=1e-5,
        atol=1e-6,
        others={"E itself (tape.gradient was not used?)": B.error(w, x, y)},
        hint="make w a tf.Variable, compute E inside `with tf.GradientTape() as tape:`, then "
        "tape.gradient(E, w).",
    )


# -- Step 4: gradient descent -----------------------------------------------------------------------
def grade_gd_trajectory(ctx: GradeContext) -> Verdict:
    w, x, y = B.NEURON
    return B.trajectory_verdict(ctx.answer("gd_trajectory"), B.GD_START, x, y, B.GD_LR, B.GD_STEPS)


def grade_gd_hidden(ctx: GradeContext) -> Verdict:
    w0, x, y, lr, steps = B.gd_case(ctx.hidden_case("gd_hidden"))
    return B.trajectory_verdict(
        ctx.answer("gd_hidden"), w0, x, y, lr, steps, f" (hidden: w0 = {w0:.3g}, x = {x:.3g}, λ = {lr:.3g})"
    )


# -- Step 5: too large a learning rate -------------------------------------------------------------
def grade_learning_rates(ctx: GradeContext) -> Verdict:
    return B.classification_verdict(ctx.answer("learning_rates"), B.LR_VALUES, B.NEURON[1])


def grade_learning_rates_hidden(ctx: GradeContext) -> Verdict:
    w0, x, y, lrs = B.lr_case(ctx.hidden_case("learning_rates_hidden"))
    return B.classification_verdict(
        np.asarray(ctx.answer("learning_rates_hidden")), lrs, x, f" (hidden: x = {x:.3g})"
    )


LAB = LabSpec(
    lab_id="lab15_one_neuron",
    title="Lab 15 — one neuron and its gradient (gradient descent)",
    questions=(
        Question("gradient", 1, "E and ∂E/∂w = 2(w·x − y)·x at the course's points", grade_gradient),
        Question("gradient_hidden", 1, "∂E/∂w at hidden points", grade_gradient_hidden, hidden=True),
        Question("nudge", 1, "the numerical nudge (E(w + h) − E(w)) / h ≈ ∂E/∂w", grade_nudge),
        Question("tape", 1, "∂E/∂w by tf.GradientTape", grade_tape),
        Question("gd_trajectory", 2, "the gradient-descent trajectory that converges", grade_gd_trajectory),
        Question("gd_hidden", 1, "a GD trajectory from a hidden start and λ", grade_gd_hidden, hidden=True),
        Question("learning_rates", 1, "converges or diverges, for five λ", grade_learning_rates),
        Question(
            "learning_rates_hidden",
            1,
            "converges or diverges, for hidden λ values",
            grade_learning_rates_hidden,
            hidden=True,
        ),
    ),
    manual={"why_diverges": 2},
    notebook_seconds=60,
)
