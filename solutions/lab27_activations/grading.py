"""Lab 27 — activation functions and their derivatives, then an MNIST comparison table (활성화 함수).

The formulas are compared with the grader's NumPy references (which follow TensorFlow's conventions
at z = 0); the table's six saved models are checked for their architecture and re-evaluated on the
MNIST test set, and the best one must reach the threshold. Reference math: ``reference.py``.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs import _mnist
from autograder.labs._arrays import as_array
from autograder.labs.lab27_activations import reference as R
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok

FUNCTION_KEYS = tuple(k for name in R.ACTIVATIONS for k in (name, name + "_prime"))


def _answers(ctx: GradeContext, name: str, keys: tuple[str, ...]) -> dict:
    out = {keys[0]: ctx.answer(name, keys[0])}  # NotAttempted when the answer was never written
    for key in keys[1:]:
        try:
            out[key] = ctx.answer(name, key)
        except ValueError:  # AnswerError: the verdict names the missing key
            pass
    return out


def grade_activations(ctx: GradeContext) -> Verdict:
    return R.activations_verdict(_answers(ctx, "activations", FUNCTION_KEYS), R.ACT_Z)


def grade_maxout(ctx: GradeContext) -> Verdict:
    received = _answers(ctx, "maxout", ("maxout", "maxout_grad"))
    return R.maxout_verdict(received, R.MAXOUT_Z, R.MAXOUT_PIECES)


def activations_hidden_inputs(rng) -> dict:
    """The hidden inputs: 44 values of z (a few far out in the tails) and a maxout case."""
    return {"z": R.act_cases(rng), "maxout": R.maxout_cases(rng)}


def grade_activations_hidden(ctx: GradeContext) -> Verdict:
    inputs = ctx.hidden_input("activations_hidden")
    z, (zm, pieces) = inputs["z"], inputs["maxout"]
    received = _answers(ctx, "activations_hidden", FUNCTION_KEYS + ("maxout", "maxout_grad"))
    verdict = compare.all_of(
        R.activations_verdict(received, z, N_(" at the hidden inputs")),
        R.maxout_verdict(received, zm, pieces, N_(" at the hidden inputs")),
    )
    return (
        ok(N_("every activation, derivative and maxout correct at the hidden inputs"))
        if verdict.passed
        else verdict
    )


def _measured(ctx: GradeContext, name: str, model) -> float:
    """The test accuracy of the saved ``name`` model, computed once per grading."""
    data = _mnist.mnist()
    return _mnist._memo(ctx, ("table", name), lambda: _mnist.accuracy(model, data.x_test, data.y_test))


def _table(ctx: GradeContext) -> tuple[Verdict, np.ndarray | None, np.ndarray | None]:
    """(verdict, the student's accuracies, the grader's re-evaluated accuracies)."""
    received = as_array(ctx.answer("table", "accuracy"))
    n = len(R.TABLE_ACTIVATIONS)
    if received is None or received.shape != (n,):
        shape = None if received is None else received.shape
        return (
            fail(
                N_(
                    "Expected `accuracy`: {n} test accuracies, one per activation in the order "
                    "{order}. Received: shape {shape}"
                ).format(n=n, order=list(R.TABLE_ACTIVATIONS), shape=shape)
            ),
            None,
            None,
        )
    if not np.all(np.isfinite(received)) or np.any(received < 0) or np.any(received > 1):
        hint = joined(" ", N_("(percentages? use fractions)")) if np.nanmax(received) > 1 else ""
        return (
            fail(
                N_("Expected accuracies in [0, 1]. Received: {values}{hint}").format(
                    values=np.round(received, 4).tolist(), hint=hint
                )
            ),
            None,
            None,
        )
    models = {}
    for name in R.TABLE_ACTIVATIONS:
        try:
            models[name] = ctx.answer("table", name)
        except ValueError:
            return (
                fail(
                    N_("Expected the {name} model in the table answer. Received: no such model").format(
                        name=repr(name)
                    )
                ),
                None,
                None,
            )
        arch = R.table_architecture_verdict(models[name], name)
        if not arch.passed:
            return arch, None, None
    measured = np.array([_measured(ctx, name, models[name]) for name in R.TABLE_ACTIVATIONS])
    return ok(N_("table structure")), received, measured


def grade_table(ctx: GradeContext) -> Verdict:
    verdict, received, measured = _table(ctx)
    if not verdict.passed:
        return verdict
    for name, got, want in zip(R.TABLE_ACTIVATIONS, received, measured):
        if abs(got - want) > R.TABLE_TOLERANCE:
            return fail(
                N_(
                    "Expected the {name} row to be the test accuracy of its saved model, {want:.4f} "
                    "(re-evaluated on the 10,000 test images). Received: {got:.4f}. Hint: evaluate each "
                    "model right after training it, with accuracy(model, data.x_test, data.y_test)."
                ).format(name=repr(name), want=want, got=got)
            )
    rows = ", ".join(
        f"{n} {'n/c' if a < R.NOT_CONVERGED else f'{a:.3f}'}" for n, a in zip(R.TABLE_ACTIVATIONS, measured)
    )
    return ok(N_("six models, six accuracies, all re-evaluated: {rows}").format(rows=rows))


def grade_best_model(ctx: GradeContext) -> Verdict:
    """The chosen row must be the table's best, and its saved model must reach the threshold.

    Only the chosen model is re-evaluated here; that the table's rows are the models' accuracies
    is the ``table`` question's business.
    """
    index = as_array(ctx.answer("best_model"))
    table = as_array(ctx.answer("table", "accuracy"))
    n = len(R.TABLE_ACTIVATIONS)
    if table is None or table.shape != (n,):
        return fail(
            N_("Expected the table of the previous check first ({n} accuracies). Received: {table}").format(
                n=n, table=table
            )
        )
    if index is None or index.shape != () or not 0 <= index < n or index != int(index):
        return fail(
            N_("Expected the index (0-{last}) of the best activation in {order}. Received: {index}").format(
                last=n - 1, order=list(R.TABLE_ACTIVATIONS), index=index if index is None else index.tolist()
            )
        )
    chosen, best = int(index), int(np.argmax(table))
    name = R.TABLE_ACTIVATIONS[chosen]
    if table[chosen] < table[best] - R.TABLE_TOLERANCE:
        return fail(
            N_(
                "Expected the best activation of your table, {best} ({best_accuracy:.4f}). "
                "Received: {name} ({accuracy:.4f}). Hint: the name with the highest accuracy."
            ).format(
                best=repr(R.TABLE_ACTIVATIONS[best]),
                best_accuracy=table[best],
                name=repr(name),
                accuracy=table[chosen],
            )
        )
    model = ctx.answer("table", name)
    arch = R.table_architecture_verdict(model, name)
    if not arch.passed:
        return arch
    acc = _measured(ctx, name, model)
    ctx.accuracy = acc
    return compare.all_of(
        compare.at_least(
            acc,
            R.BEST_MIN_ACCURACY,
            N_("the test accuracy of the best model ({name}, re-evaluated)").format(name=name),
        ),
        ok(N_("best: {name} with {accuracy:.2%}").format(name=name, accuracy=acc)),
    )


LAB = LabSpec(
    lab_id="lab27_activations",
    title="Lab 27 — sigmoid, tanh, ReLU, Leaky ReLU, ELU and Maxout, and an MNIST comparison",
    hidden_inputs={
        "activations_hidden": activations_hidden_inputs,
    },
    questions=(
        Question("activations", 2, "five activations and their derivatives", grade_activations),
        Question("maxout", 1, "maxout and its gradient", grade_maxout),
        Question(
            "activations_hidden", 2, "all of them at hidden inputs", grade_activations_hidden, hidden=True
        ),
        Question("table", 2, "the comparison table: six models, re-evaluated", grade_table),
        Question(
            "best_model",
            2,
            f"the best activation's model reaches ≥ {R.BEST_MIN_ACCURACY:.0%}",
            grade_best_model,
            needs=("table",),
        ),
    ),
    manual={"why_relu_family": 2},
    notebook_seconds=180,
)
