"""Lab 19 — ReLU hidden layers fix the deep XOR network of lab 18.

Same architecture (2 → 10 → 10 → 10 → 1, sigmoid output), same optimizer (SGD 0.1, 2000 full-batch
steps), ReLU hidden layers. Every expected value is recomputed here from the course's numbers, the
hidden seed, or the weights of the saved models (reference math and thresholds: ``_xor.py``).
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs import _xor
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok


# -- Step 1: ReLU ----------------------------------------------------------------------------------
def _relu_verdict(ctx: GradeContext, name: str, z: np.ndarray, where: str) -> Verdict:
    r, dr = _xor.relu(z), _xor.relu_prime(z)
    return compare.all_of(
        _xor.elementwise_verdict(
            ctx.answer(name, "relu"),
            r,
            joined("relu(z)", where),
            hint=N_("relu(z) = max(z, 0), element-wise (np.maximum, not max)."),
            others={N_("relu'(z) — relu and relu_prime are swapped"): dr, "|z|": np.abs(z)},
        ),
        _xor.elementwise_verdict(
            ctx.answer(name, "relu_prime"),
            dr,
            joined("relu_prime(z)", where),
            hint=N_("relu'(z) = 1 where z > 0 and 0 elsewhere, including z = 0 (as in TensorFlow)."),
            others={N_("relu(z) itself"): r, N_("the derivative with relu'(0) = 1"): (z >= 0).astype(float)},
        ),
    )


def grade_relu(ctx: GradeContext) -> Verdict:
    return _relu_verdict(ctx, "relu", _xor.RELU_Z, "")


def grade_relu_hidden(ctx: GradeContext) -> Verdict:
    return _relu_verdict(ctx, "relu_hidden", ctx.hidden_input("relu_hidden"), N_(" at the hidden inputs"))


# -- Step 2: build the network -----------------------------------------------------------------------
def grade_build_net(ctx: GradeContext) -> Verdict:
    return compare.all_of(
        _xor.architecture_verdict(ctx.answer("build_net", "relu_model"), "relu", 'build_net("relu")'),
        _xor.architecture_verdict(
            ctx.answer("build_net", "sigmoid_model"), "sigmoid", 'build_net("sigmoid")'
        ),
    )


# -- Step 3: gradient norms, sigmoid vs ReLU ---------------------------------------------------------
def _compare_models(ctx: GradeContext):
    """The two saved init models, verified; returns (verdict, sigmoid_norms, relu_norms)."""
    sig = ctx.answer("grad_norms_compare", "sigmoid_model")
    rel = ctx.answer("grad_norms_compare", "relu_model")
    first = compare.all_of(
        _xor.architecture_verdict(sig, "sigmoid", "sigmoid_model"),
        _xor.architecture_verdict(rel, "relu", "relu_model"),
        _xor.at_init_verdict(sig, "sigmoid_model"),
        _xor.at_init_verdict(rel, "relu_model"),
    )
    if not first.passed:
        return first, None, None
    same = all(
        np.array_equal(_xor.to_numpy(a.kernel), _xor.to_numpy(b.kernel))
        for a, b in zip(_xor.dense_layers(sig), _xor.dense_layers(rel))
    )
    if not same:
        return (
            fail(
                N_(
                    "Expected sigmoid_model and relu_model to start from the same kernels (same seed), so "
                    "that only the activation differs. Received: different initial kernels. Hint: call "
                    "keras.utils.set_random_seed(SEED) right before building each of them."
                )
            ),
            None,
            None,
        )
    return ok(N_("same initial weights")), _xor.kernel_grad_norms(sig), _xor.kernel_grad_norms(rel)


def grade_grad_norms_compare(ctx: GradeContext) -> Verdict:
    verdict, sig_norms, relu_norms = _compare_models(ctx)
    if not verdict.passed:
        return verdict
    result = compare.all_of(
        _xor.norms_verdict(
            ctx.answer("grad_norms_compare", "sigmoid"), sig_norms, N_("the sigmoid net's norms at init")
        ),
        _xor.norms_verdict(
            ctx.answer("grad_norms_compare", "relu"), relu_norms, N_("the ReLU net's norms at init")
        ),
    )
    if not result.passed:
        return result
    return ok(joined("sigmoid: ", _xor.ratio_text(sig_norms), "; ReLU: ", _xor.ratio_text(relu_norms)))


def grade_no_vanishing(ctx: GradeContext) -> Verdict:
    verdict, sig_norms, relu_norms = _compare_models(ctx)
    if not verdict.passed:
        return verdict
    sig_ratio = float(sig_norms[-1] / sig_norms[0])
    relu_ratio = float(relu_norms[-1] / relu_norms[0])
    factor = _xor.VANISHING_FACTOR
    return compare.all_of(
        compare.close(
            ctx.answer("no_vanishing", "sigmoid_ratio"),
            sig_ratio,
            N_("sigmoid_ratio = last/first norm of the sigmoid net"),
            rtol=_xor.NORMS_RTOL,
            others={N_("first/last — the ratio upside down"): 1 / sig_ratio},
        ),
        compare.close(
            ctx.answer("no_vanishing", "relu_ratio"),
            relu_ratio,
            N_("relu_ratio = last/first norm of the ReLU net"),
            rtol=_xor.NORMS_RTOL,
            others={N_("first/last — the ratio upside down"): 1 / relu_ratio},
        ),
        compare.at_least(sig_ratio, factor, N_("the sigmoid net's last/first ratio (recomputed)")),
        compare.at_most(
            relu_ratio,
            factor,
            N_("the ReLU net's last/first ratio (recomputed)"),
            hint=N_(
                "with ReLU hidden layers the first layer's gradient should no longer be {factor:g}× smaller."
            ).format(factor=factor),
        ),
        ok(
            N_(
                "the first layer's gradient no longer vanishes: last/first {sigmoid:.3g} (sigmoid) → {relu:.3g} (ReLU)"
            ).format(sigmoid=sig_ratio, relu=relu_ratio)
        ),
    )


# -- Step 4: training solves XOR ----------------------------------------------------------------------
def grade_relu_solves(ctx: GradeContext) -> Verdict:
    model = ctx.answer("relu_solves", "model")
    first = compare.all_of(
        _xor.architecture_verdict(model, "relu", N_("the trained ReLU model")),
        _xor.trained_verdict(model, N_("the trained ReLU model")),
    )
    if not first.passed:
        return first
    history = np.asarray(ctx.answer("relu_solves"), dtype=float).reshape(-1)
    if history.size != _xor.EPOCHS:
        return fail(
            N_(
                "Expected the loss history of {epochs} epochs × {steps} steps "
                "(history.history['loss']). Received: {n} values."
            ).format(epochs=_xor.EPOCHS, steps=_xor.STEPS_PER_EPOCH, n=history.size)
        )
    loss, acc = _xor.evaluate_xor(model)
    if acc < 1.0:
        return fail(
            N_(
                "Expected the trained ReLU net to classify all 4 XOR points correctly (accuracy 1.0). "
                "Received: accuracy {accuracy:.2f} (loss {loss:.4f}). Hint: a ReLU unit that outputs 0 for all "
                "four inputs never recovers (dead ReLU); check the architecture and the seed cell."
            ).format(accuracy=acc, loss=loss)
        )
    return ok(N_("XOR solved: accuracy {accuracy:.2f}, loss {loss:.2g}").format(accuracy=acc, loss=loss))


def _q(name, points, description, grade, hidden=False, needs=()):
    return Question(name, points, description, grade, hidden=hidden, needs=needs)


LAB = LabSpec(
    lab_id="lab19_xor_relu",
    title="Lab 19 — ReLU fixes the deep XOR network",
    hidden_inputs={
        "relu_hidden": _xor.relu_cases,
    },
    questions=(
        _q("relu", 1, "relu and its derivative", grade_relu),
        _q("relu_hidden", 1, "relu and its derivative at hidden inputs", grade_relu_hidden, True),
        _q("build_net", 2, "build_net(activation): 2 → 10 → 10 → 10 → 1", grade_build_net),
        _q(
            "grad_norms_compare",
            2,
            "per-layer gradient norms at init, sigmoid vs ReLU",
            grade_grad_norms_compare,
        ),
        _q(
            "no_vanishing",
            1,
            f"ReLU: the first layer's gradient is no longer {_xor.VANISHING_FACTOR:g}× smaller",
            grade_no_vanishing,
            needs=("grad_norms_compare",),
        ),
        _q("relu_solves", 2, "the trained ReLU net solves XOR (accuracy 1.0)", grade_relu_solves),
    ),
    manual={"dead_relu_width": 2},
    notebook_seconds=120,
)
