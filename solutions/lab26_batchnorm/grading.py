"""Lab 26 — batch normalization in NumPy, checked against ``keras.layers.BatchNormalization`` (배치 정규화).

The grader runs a float64 Keras BatchNormalization layer on the same inputs (training mode, the
moving statistics after each batch, inference mode) and re-evaluates the saved BN network on XOR in
inference mode. Reference math and thresholds: ``reference.py`` (and ``_xor.py`` for XOR).
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_

from autograder.labs import _xor
from autograder.labs.lab26_batchnorm import reference as R
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok

TRAIN_KEYS = ("y", "mean", "var")
MOVING_KEYS = ("moving_mean", "moving_var", "inference")


def _answers(ctx: GradeContext, name: str, keys: tuple[str, ...]) -> dict:
    out = {keys[0]: ctx.answer(name, keys[0])}  # NotAttempted when the answer was never written
    for key in keys[1:]:
        try:
            out[key] = ctx.answer(name, key)
        except ValueError:  # AnswerError: bn_verdict names the missing key
            pass
    return out


def grade_bn_train(ctx: GradeContext) -> Verdict:
    return R.bn_verdict(_answers(ctx, "bn_train", TRAIN_KEYS), R.bn_public_case(), TRAIN_KEYS)


def grade_bn_moving(ctx: GradeContext) -> Verdict:
    return R.bn_verdict(_answers(ctx, "bn_moving", MOVING_KEYS), R.bn_public_case(), MOVING_KEYS)


def grade_bn_hidden(ctx: GradeContext) -> Verdict:
    case = ctx.hidden_input("bn_hidden")
    keys = TRAIN_KEYS + MOVING_KEYS
    return R.bn_verdict(
        _answers(ctx, "bn_hidden", keys), case, keys, N_(" (hidden case: momentum 0.9, ε = 0.01)")
    )


def _trained_bn_model(ctx: GradeContext):
    model = ctx.answer("bn_xor", "model")
    return model, R.bn_architecture_verdict(model, N_("the BN network"))


def grade_bn_xor(ctx: GradeContext) -> Verdict:
    model, arch = _trained_bn_model(ctx)
    if not arch.passed:
        return arch
    history = np.asarray(ctx.answer("bn_xor", "loss"), dtype=float).reshape(-1)
    if history.size != _xor.EPOCHS:
        return fail(
            N_(
                "Expected the loss history of {epochs} epochs × {steps} steps "
                "(history.history['loss']). Received: {n} values"
            ).format(epochs=_xor.EPOCHS, steps=_xor.STEPS_PER_EPOCH, n=history.size)
        )
    moving = [np.asarray(layer.moving_mean) for layer in model.layers if hasattr(layer, "moving_mean")]
    if all(np.all(m == 0) for m in moving):
        return fail(
            N_(
                "Expected a trained BN network. Received: every moving mean is still 0, so the model was "
                "never trained (or trained with the BN layers frozen)."
            )
        )
    loss, acc = _xor.evaluate_xor(model)
    ctx.accuracy = acc
    return compare.all_of(
        compare.at_least(
            acc,
            1.0,
            N_("the XOR accuracy of the BN network in inference mode (re-evaluated)"),
            hint=N_("the BN layers use their moving statistics at inference: train the full 2000 steps."),
        ),
        compare.at_most(loss, R.XOR_BN_MAX_LOSS, N_("the XOR loss of the BN network in inference mode")),
        ok(
            N_("the deep sigmoid net with BN solves XOR: loss {loss:.4f}, accuracy {accuracy:.2f}").format(
                loss=loss, accuracy=acc
            )
        ),
    )


def grade_bn_params(ctx: GradeContext) -> Verdict:
    received = {key: ctx.answer("bn_params", key) for key in ("trainable", "non_trainable")}
    model, arch = _trained_bn_model(ctx)
    if not arch.passed:
        return fail(
            N_(
                "Expected the BN network of Step 4 (the counts are checked on it). Received: {problem}"
            ).format(problem=arch.message)
        )
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    frozen = int(sum(np.prod(w.shape) for w in model.non_trainable_weights))
    with_bias = R.bn_param_counts(2, _xor.HIDDEN_UNITS, use_bias=True)["trainable"]
    return compare.all_of(
        compare.close(
            received["trainable"],
            trainable,
            N_("the trainable parameters of the BN network"),
            rtol=0,
            atol=0.5,
            hint=N_(
                "kernels (+ biases if the Dense layers have them) + γ and β (2 per unit of every BN layer) "
                "+ the output unit's kernel and bias."
            ),
            others={
                N_("the total (trainable + non-trainable)"): trainable + frozen,
                N_("the count with a bias in every hidden Dense layer"): with_bias,
            },
        ),
        compare.close(
            received["non_trainable"],
            frozen,
            N_("the non-trainable parameters (moving mean and variance)"),
            rtol=0,
            atol=0.5,
            hint=N_("2 per unit of every BN layer: its moving mean and moving variance."),
            others={
                N_("one per unit (each BN layer keeps a moving mean *and* a moving variance)"): frozen / 2
            },
        ),
    )


LAB = LabSpec(
    lab_id="lab26_batchnorm",
    title="Lab 26 — batch normalization: the transform, its moving statistics, and a deep sigmoid net",
    hidden_inputs={
        "bn_hidden": R.bn_hidden_case,
    },
    questions=(
        Question(
            "bn_train", 2, "training-mode batch normalization (output, batch mean, variance)", grade_bn_train
        ),
        Question("bn_moving", 2, "moving mean/variance updates and inference mode", grade_bn_moving),
        Question(
            "bn_hidden", 2, "everything again on hidden inputs, momentum and ε", grade_bn_hidden, hidden=True
        ),
        Question("bn_xor", 2, "the 2→10→10→10→1 sigmoid net with BN solves XOR", grade_bn_xor),
        Question(
            "bn_params",
            1,
            "trainable and non-trainable parameters of the BN net",
            grade_bn_params,
            needs=("bn_xor",),
        ),
    ),
    manual={"why_bn_helps": 2},
    notebook_seconds=120,
)
