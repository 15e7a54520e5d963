"""Lab 28 — output layers and losses: MSE for regression, softmax + cross-entropy for classes.

The losses are compared with the grader's NumPy references (exact log-softmax), parameter counts
with the formula on the course's and hidden layer lists, and the two saved models are
re-evaluated on test sets the grader draws itself. Reference math and thresholds: ``reference.py``.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_

from autograder.labs import _xor
from autograder.labs._models import input_output_verdict, is_model
from autograder.labs.lab28_outputs_losses import reference as R
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok

LOSS_KEYS = ("mse", "softmax", "cross_entropy", "grad")
PUBLIC_LAYER_LISTS = [list(R.NOTES_LAYERS), [784, 256, 256, 10], [2, 10, 10, 10, 1]]


def _answers(ctx: GradeContext, name: str, keys: tuple[str, ...]) -> dict:
    out = {keys[0]: ctx.answer(name, keys[0])}  # NotAttempted when the answer was never written
    for key in keys[1:]:
        try:
            out[key] = ctx.answer(name, key)
        except ValueError:  # AnswerError: the verdict names the missing key
            pass
    return out


def public_loss_case() -> dict:
    return {
        "y_true": R.LOSS_Y_TRUE,
        "y_pred": R.LOSS_Y_PRED,
        "logits": R.LOSS_LOGITS,
        "labels": R.LOSS_LABELS,
    }


def grade_losses(ctx: GradeContext) -> Verdict:
    return R.losses_verdict(_answers(ctx, "losses", LOSS_KEYS), public_loss_case())


def grade_losses_hidden(ctx: GradeContext) -> Verdict:
    case = ctx.hidden_input("losses_hidden")
    return R.losses_verdict(_answers(ctx, "losses_hidden", LOSS_KEYS), case, N_(" (hidden case)"))


def grade_param_count(ctx: GradeContext) -> Verdict:
    verdict = R.param_count_verdict(
        _answers(ctx, "param_count", ("weights", "with_biases")), PUBLIC_LAYER_LISTS
    )
    return (
        ok(N_("881 weights in the notes' network, 931 with biases; the other two correct"))
        if verdict.passed
        else verdict
    )


def grade_param_count_hidden(ctx: GradeContext) -> Verdict:
    lists = ctx.hidden_input("param_count_hidden")
    received = _answers(ctx, "param_count_hidden", ("weights", "with_biases"))
    return R.param_count_verdict(received, lists, N_(" (hidden layer lists)"))


def _output_verdict(model, n_in: int, n_out: int, activation: str, what: str, hint: str) -> Verdict:
    if not is_model(model):
        return fail(
            N_("Expected {what} to be a keras.Model. Received: {type}").format(
                what=what, type=type(model).__name__
            )
        )
    shape = input_output_verdict(model, n_in, n_out, what)
    if not shape.passed:
        return shape
    last = R.output_layer(model)
    got = _xor._activation(last) if last is not None else "none"
    if last is not model.layers[-1] or got != activation:
        return fail(
            N_(
                "Expected the output layer of {what} to be Dense({n_out}, {activation}). Received: {model}. Hint: {hint}"
            ).format(what=what, n_out=n_out, activation=activation, model=_xor.describe(model), hint=hint)
        )
    return ok(N_("{what}: {model}").format(what=what, model=_xor.describe(model)))


def grade_regression(ctx: GradeContext) -> Verdict:
    model = ctx.answer("regression", "model")
    arch = _output_verdict(
        model,
        1,
        1,
        "linear",
        N_("the regression model"),
        N_(
            "a regression output must be able to take any real value: no activation on the last layer "
            "(a sigmoid could never output y < 0 or y > 1)."
        ),
    )
    if not arch.passed:
        return arch
    x, y = R.regression_test()
    pred = np.asarray(model(x, training=False), dtype=float)
    error = R.mse(y, pred)
    return compare.all_of(
        compare.at_most(
            error,
            R.REG_MAX_MSE,
            N_("the test MSE of the regression model (re-evaluated on 2,000 noise-free points)"),
            hint=N_(
                "train with loss='mse' for the full recipe; the noise of the training targets alone is 0.01."
            ),
        ),
        ok(N_("test MSE {error:.4f} ≤ {limit:g}").format(error=error, limit=R.REG_MAX_MSE)),
    )


def grade_classifier(ctx: GradeContext) -> Verdict:
    model = ctx.answer("classifier", "model")
    arch = _output_verdict(
        model,
        2,
        R.CLS_CLASSES,
        "softmax",
        N_("the classifier"),
        N_("one unit per class and a softmax, so that the outputs are probabilities that sum to 1."),
    )
    if not arch.passed:
        return arch
    x, y = R.classification_test()
    probs = np.asarray(model(x, training=False), dtype=float)
    acc = float(np.mean(np.argmax(probs, axis=1) == y))
    ctx.accuracy = acc
    return compare.all_of(
        compare.at_least(
            acc, R.CLS_MIN_ACCURACY, N_("the test accuracy of the classifier (re-evaluated on 3,000 points)")
        ),
        ok(N_("test accuracy {accuracy:.2%}").format(accuracy=acc)),
    )


LAB = LabSpec(
    lab_id="lab28_outputs_losses",
    title="Lab 28 — output layers and losses: MSE regression, softmax + cross-entropy classification",
    hidden_inputs={
        "losses_hidden": R.loss_cases,
        "param_count_hidden": R.param_cases,
    },
    questions=(
        Question("losses", 2, "MSE, softmax, cross-entropy and its gradient", grade_losses),
        Question("losses_hidden", 2, "the same on hidden inputs", grade_losses_hidden, hidden=True),
        Question("param_count", 1, "parameters of fully connected nets (the notes' 881)", grade_param_count),
        Question(
            "param_count_hidden",
            1,
            "parameter counts of hidden layer lists",
            grade_param_count_hidden,
            hidden=True,
        ),
        Question("regression", 2, f"a regression net with test MSE ≤ {R.REG_MAX_MSE:g}", grade_regression),
        Question(
            "classifier",
            2,
            f"a softmax classifier with test accuracy ≥ {R.CLS_MIN_ACCURACY:.0%}",
            grade_classifier,
        ),
    ),
    manual={"why_cross_entropy": 2},
    notebook_seconds=120,
)
