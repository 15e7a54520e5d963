"""Lab 24 — the 6-layer network with dropout (드롭아웃).

Questions: the trained model (4 hidden ReLU layers with Dropout; test accuracy re-evaluated by the
grader), dropout's two modes (``training=True`` outputs change from call to call, ``training=False``
outputs are deterministic and equal to the grader's own evaluation of the saved model), and the
train-vs-test gap, remeasured on the saved model and compared with lab 23's.
"""

from __future__ import annotations

import numpy as np
from labkit.compare import close
from labkit.i18n import N_

from autograder.labs import _mnist
from autograder.labs.lab23_mnist_deep import COURSE, HIDDEN_LAYERS, REFERENCE_GAP
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok

COURSE_ACCURACY = 0.9813
THRESHOLD = 0.978  # the reference reaches 98.31–98.50 % on seeds 0–4 (benchmarks/calibrate_mnist.py)
# Test-set training is flagged (benchmarks/train_on_test.py): honest seeds 0–4: test − held-out
# +0.12…+0.41 pt, test ≤ 98.50 %; train+test: +1.57 pt, 99.75 %; test only: +4.06 pt.
PLAUSIBLE = _mnist.Plausibility(max_test_over_held_out=0.009, ceiling=0.990)
N_MODES = 8  # dropout_modes uses the first 8 test images
_KEYS = ("train_1", "train_2", "infer_1", "infer_2")


def _grade_model(ctx: GradeContext) -> Verdict:
    return _mnist.grade_trained_model(
        ctx,
        threshold=THRESHOLD,
        plausible=PLAUSIBLE,
        hidden=HIDDEN_LAYERS,
        dropout=True,
        course=N_("{course} with Dropout").format(course=COURSE),
        hint=N_("Dropout after each hidden layer, logits with from_logits=True, the hyper-parameters given."),
    )


def _grade_dropout_modes(ctx: GradeContext) -> Verdict:
    model = _mnist.saved_model(ctx)
    if model is None:
        return fail(N_("Expected a keras.Model in the `model` answer. Received: something else"))
    x = _mnist.mnist().x_test[:N_MODES]
    got = {key: np.asarray(ctx.answer("dropout_modes", key), dtype=float) for key in _KEYS}
    expected = _mnist.outputs(model, x)
    for key in ("infer_1", "infer_2"):
        verdict = close(
            got[key],
            expected,
            N_("{key}: model(x, training=False) on the first {n} test images").format(key=key, n=N_MODES),
            rtol=1e-4,
            atol=1e-4,
            hint=N_("inference mode: dropout is off, so the output is the grader's own evaluation."),
        )
        if not verdict.passed:
            return verdict
    for key in ("train_1", "train_2"):
        if got[key].shape != expected.shape:
            return fail(
                N_("Expected {key} with shape {expected}. Received: shape {received}").format(
                    key=key, expected=expected.shape, received=got[key].shape
                )
            )
    if np.allclose(got["train_1"], got["train_2"], rtol=0, atol=1e-7):
        return fail(
            N_(
                "Expected model(x, training=True) to change from one call to the next (dropout draws new "
                "masks). Received: identical outputs. Hint: pass training=True."
            )
        )
    if np.allclose(got["train_1"], expected, rtol=0, atol=1e-7):
        return fail(
            N_(
                "Expected training=True outputs to differ from inference outputs. Received: the same values. "
                "Hint: pass training=True."
            )
        )
    # The grader's own evidence: the saved model's dropout really is active in training mode.
    a, b = (_mnist.outputs(model, x, training=True) for _ in range(2))
    if np.allclose(a, b, rtol=0, atol=1e-7):
        return fail(
            N_(
                "Expected the saved model to be random in training mode (active Dropout). Received: deterministic"
            )
        )
    spread = float(np.mean(np.abs(got["train_1"] - got["train_2"])))
    return ok(
        N_("training=True varies (mean |Δ| = {spread:.3g}); training=False is deterministic").format(
            spread=spread
        )
    )


def _grade_gap(ctx: GradeContext) -> Verdict:
    verdict = _mnist.grade_gap(ctx, "gap")
    if not verdict.passed:
        return verdict
    gap = _mnist.train_accuracy(ctx) - _mnist.test_accuracy(ctx)
    if gap < REFERENCE_GAP:
        message = N_("{result}; smaller than lab 23's typical gap {reference:+.2%}")
    else:
        message = N_("{result}; not smaller than lab 23's typical gap {reference:+.2%}")
    return ok(message.format(result=verdict.message, reference=REFERENCE_GAP))


LAB = LabSpec(
    lab_id="lab24_mnist_dropout",
    constants={"THRESHOLD": THRESHOLD, "N_MODES": N_MODES, "REFERENCE_GAP": REFERENCE_GAP},
    title="MNIST, 6 layers with dropout",
    questions=(
        Question("model", 3, f"trained network with dropout, test accuracy ≥ {THRESHOLD:.1%}", _grade_model),
        Question(
            "dropout_modes",
            2,
            "dropout in training vs inference mode",
            _grade_dropout_modes,
            needs=("model",),
        ),
        Question("gap", 1, "train vs test accuracy gap (remeasured)", _grade_gap, needs=("model",)),
    ),
    notebook_seconds=90,
)
