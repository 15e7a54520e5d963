"""Lab 23 — a deeper network: 6 layers (input, 4 hidden ReLU layers, output), no dropout yet.

Questions: the number of parameters of the student's network (compared with the saved model's), the
trained model (architecture + test accuracy, re-evaluated by the grader) and the train-vs-test
accuracy gap, which the grader remeasures on the saved model.
"""

from __future__ import annotations

import numpy as np
from labkit.i18n import N_, joined

from autograder.labs import _mnist
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok

COURSE_ACCURACY = 0.9723
THRESHOLD = 0.975  # the reference reaches 98.04–98.19 % on seeds 0–4 (benchmarks/calibrate_mnist.py)
# Test-set training is flagged (benchmarks/train_on_test.py): honest seeds 0–4: +0.04…+0.38 pt, test ≤ 98.19 %; train+test: +1.93 pt, 99.89 %; test only: +5.09 pt.
PLAUSIBLE = _mnist.Plausibility(max_test_over_held_out=0.010, ceiling=0.990)
HIDDEN_LAYERS = 4
COURSE = N_("the course's '6 layers': input → 4 hidden → output")
REFERENCE_GAP = 0.016  # median train−test gap of the reference, seeds 0–4 (1.60–1.78 %); lab 24 prints it


def _grade_n_params(ctx: GradeContext) -> Verdict:
    model = _mnist.saved_model(ctx, "n_params", "model")
    if model is None:
        return fail(
            N_("Expected your keras.Model stored with the count (model=model). Received: something else")
        )
    got = np.asarray(ctx.answer("n_params"), dtype=float)
    if got.shape != ():
        return fail(N_("Expected one number. Received: shape {shape}").format(shape=got.shape))
    want = int(model.count_params())
    weights = sum(int(np.prod(d.kernel.shape)) for d in model.layers if type(d).__name__ == "Dense")
    if got == want:
        return ok(N_("{n:,} parameters in {model}").format(n=want, model=_mnist.describe(model)))
    diagnosis = joined(" — ", N_("the biases are missing")) if got == weights else ""
    return fail(
        N_(
            "Expected {n:,} parameters (model.count_params() of the model saved with it). Received: {got:,.0f}{diagnosis}. "
            "Hint: a Dense layer n_in → n_out has n_in·n_out weights + n_out biases."
        ).format(n=want, got=got, diagnosis=diagnosis)
    )


def _grade_model(ctx: GradeContext) -> Verdict:
    return _mnist.grade_trained_model(
        ctx,
        threshold=THRESHOLD,
        plausible=PLAUSIBLE,
        hidden=HIDDEN_LAYERS,
        dropout=False,
        course=COURSE,
        hint=N_("He initialization, logits with from_logits=True, Adam with the hyper-parameters given."),
    )


def _grade_gap(ctx: GradeContext) -> Verdict:
    return _mnist.grade_gap(ctx, "gap")


LAB = LabSpec(
    lab_id="lab23_mnist_deep",
    constants={"THRESHOLD": THRESHOLD, "REFERENCE_GAP": REFERENCE_GAP},
    title="MNIST, 6 layers (4 hidden)",
    questions=(
        Question("n_params", 1, "number of parameters of your network", _grade_n_params),
        Question("model", 3, f"trained deep network, test accuracy ≥ {THRESHOLD:.1%}", _grade_model),
        Question("gap", 2, "train vs test accuracy gap (remeasured)", _grade_gap, needs=("model",)),
    ),
    notebook_seconds=90,
)
