"""Lab 22 — the same 4-layer ReLU network with a proper initialization (Glorot/Xavier or He).

Questions: the statistics at initialization for the student's Glorot/He model (recomputed by the
grader from the saved initial model, public and hidden batch) and the trained model (re-evaluated on
the test set). The notebook plots them next to the naive initialization of lab 21.
"""

from __future__ import annotations

from labkit.i18n import N_

from autograder.labs import _mnist
from autograder.labs.lab21_mnist_naive_init import COURSE, HIDDEN_LAYERS, grade_init_stats, hidden_indices
from autograder.spec import GradeContext, LabSpec, Question, Verdict

COURSE_ACCURACY = 0.9783
THRESHOLD = 0.975  # the reference reaches 98.06–98.14 % on seeds 0–4 (benchmarks/calibrate_mnist.py)
# Test-set training is flagged (benchmarks/train_on_test.py): honest seeds 0–4: +0.04…+0.32 pt, test ≤ 98.14 %; train+test: +1.82 pt, 99.82 %; test only: +5.20 pt.
PLAUSIBLE = _mnist.Plausibility(max_test_over_held_out=0.010, ceiling=0.990)


def _grade_init_stats(ctx: GradeContext) -> Verdict:
    return grade_init_stats(ctx, "proper")


def _grade_init_stats_hidden(ctx: GradeContext) -> Verdict:
    return grade_init_stats(ctx, "proper", hidden=True, name="init_stats_hidden")


def _grade_model(ctx: GradeContext) -> Verdict:
    return _mnist.grade_trained_model(
        ctx,
        threshold=THRESHOLD,
        plausible=PLAUSIBLE,
        hidden=HIDDEN_LAYERS,
        dropout=False,
        logits=True,
        course=COURSE,
        hint=N_("He initialization, logits with from_logits=True, Adam with the hyper-parameters given."),
    )


LAB = LabSpec(
    lab_id="lab22_mnist_init",
    constants={"THRESHOLD": THRESHOLD},
    title="MNIST, 4 layers, Glorot/He initialization",
    hidden_inputs={
        "init_stats_hidden": hidden_indices,
    },
    questions=(
        Question(
            "init_stats",
            2,
            "activation std and gradient norms at Glorot/He initialization",
            _grade_init_stats,
        ),
        Question(
            "init_stats_hidden",
            1,
            "the same statistics on a hidden batch",
            _grade_init_stats_hidden,
            hidden=True,
        ),
        Question("model", 3, f"trained network, test accuracy ≥ {THRESHOLD:.1%}", _grade_model),
    ),
    notebook_seconds=90,
)
