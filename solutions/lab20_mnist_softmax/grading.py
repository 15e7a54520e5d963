"""Lab 20 — MNIST with softmax regression (소프트맥스 회귀): 784 → 10.

Questions: a numerically stable softmax and cross-entropy in NumPy (public and hidden inputs, checked
against Keras), the number of parameters (7,850), and the trained model (re-evaluated on the test
set by the grader).
"""

from __future__ import annotations

import numpy as np
from labkit.compare import close
from labkit.i18n import N_, joined

from autograder.labs import _mnist
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok

COURSE_ACCURACY = 0.9023  # the course's result (TF1, 15 epochs)
THRESHOLD = 0.92  # the reference reaches 92.51–92.59 % on seeds 0–4: 0.5 point of margin
# Test-set training is flagged (benchmarks/train_on_test.py): honest seeds 0–4: test − held-out −0.14…+0.01 pt, test ≤ 92.59 %; fitted on train+test: +0.63 pt, 93.19 %; on test only: +2.28 pt.
PLAUSIBLE = _mnist.Plausibility(max_test_over_held_out=0.0045, ceiling=0.930)
N_PARAMS = 784 * 10 + 10

# The public cases, printed in the notebook: an ordinary row, a row with huge logits (exp(1000)
# overflows even float64), a row of very negative logits and a constant row.
PUBLIC_LOGITS = np.array(
    [
        [2.0, 1.0, 0.1, -1.0],
        [1000.0, 0.0, -1000.0, 999.0],
        [-800.0, -801.0, -802.0, -1200.0],
        [3.0, 3.0, 3.0, 3.0],
    ]
)
PUBLIC_LABELS = np.array([0, 2, 2, 1])  # row 2: p = exp(-2000) underflows to 0, log(0) = -inf
PUBLIC_LOGITS.setflags(write=False)  # shared with the notebook: an in-place edit must fail loudly
PUBLIC_LABELS.setflags(write=False)


def hidden_logits(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A hidden case: 7 rows of 10 logits at scales from 0.1 to 5000, plus labels."""
    scales = np.array([0.1, 1.0, 10.0, 100.0, 700.0, 2000.0, 5000.0])[:, None]
    logits = rng.normal(size=(7, 10)) * scales + rng.uniform(-500, 500, size=(7, 1))
    labels = rng.integers(0, 10, size=7)
    return logits, labels


def keras_softmax(logits: np.ndarray) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.softmax(np.asarray(logits, np.float64), axis=-1), dtype=np.float64)


def keras_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    import keras

    return np.asarray(
        keras.losses.sparse_categorical_crossentropy(
            np.asarray(labels), np.asarray(logits, np.float64), from_logits=True
        ),
        dtype=np.float64,
    )


_STABLE = N_("subtract each row's maximum before np.exp (softmax(z) = softmax(z − max z)).")


def _softmax_verdict(received, logits: np.ndarray) -> Verdict:
    expected = keras_softmax(logits)
    rec = np.asarray(received, dtype=float)
    if rec.shape == expected.shape and not np.all(np.isfinite(rec)):
        return fail(
            N_(
                "Expected finite probabilities. Received: NaN or inf — np.exp overflowed on large logits. "
                "Hint: {stable}"
            ).format(stable=_STABLE)
        )
    return close(
        received,
        expected,
        N_("softmax(logits) (checked against keras.ops.softmax)"),
        rtol=1e-5,
        atol=1e-7,
        hint=N_("normalize along the last axis (each row sums to 1); {stable}").format(stable=_STABLE),
        others={
            N_("a softmax over the wrong axis (columns)"): _column_softmax(logits),
            N_("exp(z − max z) without dividing by the row sum"): np.exp(
                logits - logits.max(1, keepdims=True)
            ),
        },
    )


def _column_softmax(logits: np.ndarray) -> np.ndarray:
    return keras_softmax(np.asarray(logits).T).T


def _cross_entropy_verdict(received, logits: np.ndarray, labels: np.ndarray) -> Verdict:
    expected = keras_cross_entropy(logits, labels)
    rec = np.asarray(received, dtype=float)
    if rec.shape == expected.shape and not np.all(np.isfinite(rec)):
        return fail(
            N_(
                "Expected finite losses. Received: NaN or inf — log(0) after the softmax underflowed. "
                "Hint: use log-softmax: z − max z − log(Σ exp(z − max z)), then pick the label's entry."
            )
        )
    return close(
        received,
        expected,
        N_("cross-entropy per example (checked against keras.losses.sparse_categorical_crossentropy)"),
        rtol=1e-5,
        atol=1e-6,
        hint=N_("one loss per row: −log softmax(z)[label], computed as a log-softmax."),
        others={
            N_("the mean over the batch (return one loss per example)"): np.full(
                len(expected), expected.mean()
            )
        },
    )


def _grade_softmax(ctx: GradeContext) -> Verdict:
    return _softmax_verdict(ctx.answer("softmax"), PUBLIC_LOGITS)


def _grade_softmax_hidden(ctx: GradeContext) -> Verdict:
    logits, _ = ctx.hidden_input("softmax_hidden")
    return _softmax_verdict(ctx.answer("softmax_hidden"), logits)


def _grade_cross_entropy(ctx: GradeContext) -> Verdict:
    return _cross_entropy_verdict(ctx.answer("cross_entropy"), PUBLIC_LOGITS, PUBLIC_LABELS)


def _grade_cross_entropy_hidden(ctx: GradeContext) -> Verdict:
    logits, labels = ctx.hidden_input("cross_entropy_hidden")
    return _cross_entropy_verdict(ctx.answer("cross_entropy_hidden"), logits, labels)


def _grade_n_params(ctx: GradeContext) -> Verdict:
    got = np.asarray(ctx.answer("n_params"), dtype=float)
    if got.shape != ():
        return fail(N_("Expected one number. Received: shape {shape}").format(shape=got.shape))
    if got == N_PARAMS:
        return ok(N_("{n:,} parameters = 784×10 weights + 10 biases").format(n=N_PARAMS))
    diagnosis = {
        784 * 10: joined(" — ", N_("the 10 biases are missing")),
        784: joined(" — ", N_("that is the input size only")),
    }
    return fail(
        N_(
            "Expected {n:,} parameters. Received: {got:,.0f}{diagnosis}. "
            "Hint: one weight per (pixel, class) pair plus one bias per class."
        ).format(n=N_PARAMS, got=got, diagnosis=diagnosis.get(float(got), ""))
    )


def _grade_model(ctx: GradeContext) -> Verdict:
    return _mnist.grade_trained_model(
        ctx,
        threshold=THRESHOLD,
        plausible=PLAUSIBLE,
        hidden=0,
        dropout=False,
        course=N_("softmax regression: one Dense(10) layer"),
        hint=N_("train for a few epochs with Adam and the loss from logits; see the hyper-parameters cell."),
    )


LAB = LabSpec(
    lab_id="lab20_mnist_softmax",
    constants={"THRESHOLD": THRESHOLD, "PUBLIC_LOGITS": PUBLIC_LOGITS, "PUBLIC_LABELS": PUBLIC_LABELS},
    title="MNIST with softmax regression",
    hidden_inputs={
        "softmax_hidden": hidden_logits,
        "cross_entropy_hidden": hidden_logits,
    },
    questions=(
        Question("softmax", 1, "numerically stable softmax (public logits)", _grade_softmax),
        Question("softmax_hidden", 1, "softmax on hidden logits", _grade_softmax_hidden, hidden=True),
        Question("cross_entropy", 1, "stable cross-entropy per example (public)", _grade_cross_entropy),
        Question(
            "cross_entropy_hidden",
            1,
            "cross-entropy on hidden logits",
            _grade_cross_entropy_hidden,
            hidden=True,
        ),
        Question("n_params", 1, "number of parameters of 784→10", _grade_n_params),
        Question("model", 3, f"trained softmax regression, test accuracy ≥ {THRESHOLD:.1%}", _grade_model),
    ),
    notebook_seconds=60,
)
