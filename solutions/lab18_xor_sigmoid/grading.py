"""Lab 18 — a deep sigmoid network fails on XOR (기울기 소실, vanishing gradient).

Every expected value is recomputed here from the course's numbers, from the hidden seed, or from the
weights of the models the notebook saved (see ``_xor.py`` for the reference math and thresholds).
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs import _xor
from autograder.labs.lab18_xor_sigmoid import reference as backprop
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok


# -- Step 1: chain rule --------------------------------------------------------------------------
def _chain_rule_verdict(grad_f_rows, grad_e_values, points: np.ndarray, where: str) -> Verdict:
    """``points``: rows (w, x, b, y). One row is compared as a 3-tuple and a number, not as arrays."""
    w, x, b, y = (points[:, i] for i in range(4))
    single = (lambda a: a[0]) if len(points) == 1 else (lambda a: a)
    expected_f = np.stack([x, w, np.ones_like(w)], axis=1)
    verdict_f = compare.close(
        grad_f_rows,
        single(expected_f),
        joined("grad_f", where, " = (∂f/∂w, ∂f/∂x, ∂f/∂b)"),
        others={
            N_("(∂f/∂x, ∂f/∂w, ∂f/∂b): ∂f/∂w and ∂f/∂x are swapped"): single(expected_f[:, [1, 0, 2]]),
            N_("(w, x, b): the inputs, not the derivatives"): single(np.stack([w, x, b], axis=1)),
        },
        hint=N_("for f = w·x + b, ∂f/∂w = x, ∂f/∂x = w and ∂f/∂b = 1."),
    )
    verdict_e = compare.close(
        grad_e_values,
        single(2 * (w * x - y) * x),
        joined("grad_E", where, " = ∂E/∂w"),
        others={
            N_("(w·x − y)·x: the factor 2 from the square is missing"): single((w * x - y) * x),
            N_("2(w·x − y): the inner derivative ∂(w·x − y)/∂w = x is missing"): single(2 * (w * x - y)),
            N_("E itself, not its derivative"): single((w * x - y) ** 2),
        },
        hint=N_("chain rule: E = u², u = w·x − y, so ∂E/∂w = 2u · ∂u/∂w."),
    )
    return compare.all_of(verdict_f, verdict_e)


def grade_chain_rule(ctx: GradeContext) -> Verdict:
    # grad_f at (w, x, b) = (−2, 5, 3) and grad_E at (w, x, y) = (−2, 5, 3)
    points = np.array([backprop.CHAIN_POINT])
    return _chain_rule_verdict(
        ctx.answer("chain_rule", "grad_f"), ctx.answer("chain_rule", "grad_E"), points, ""
    )


def grade_chain_rule_hidden(ctx: GradeContext) -> Verdict:
    points = ctx.hidden_input("chain_rule_hidden")
    return _chain_rule_verdict(
        ctx.answer("chain_rule_hidden", "grad_f"),
        ctx.answer("chain_rule_hidden", "grad_E"),
        points,
        N_(" at the hidden points"),
    )


# -- Step 2: sigmoid -----------------------------------------------------------------------------
def _sigmoid_verdict(ctx: GradeContext, name: str, z: np.ndarray, where: str) -> Verdict:
    s, ds = _xor.sigmoid(z), _xor.sigmoid_prime(z)
    hint = N_("σ(z) = 1/(1 + e^(−z)); for z < 0 write it as e^z/(1 + e^z) so exp never overflows.")
    return compare.all_of(
        _xor.elementwise_verdict(
            ctx.answer(name, "sigmoid"),
            s,
            joined("sigmoid(z)", where),
            hint=hint,
            others={N_("σ'(z) — sigmoid and sigmoid_prime are swapped"): ds},
        ),
        _xor.elementwise_verdict(
            ctx.answer(name, "sigmoid_prime"),
            ds,
            joined("sigmoid_prime(z)", where),
            hint="σ'(z) = σ(z)(1 − σ(z)).",
            others={N_("σ(z) itself"): s, "σ(z)(1 + σ(z))": s * (1 + s), "1 − σ(z)": 1 - s},
        ),
    )


def grade_sigmoid(ctx: GradeContext) -> Verdict:
    return _sigmoid_verdict(ctx, "sigmoid", _xor.SIGMOID_Z, "")


def grade_sigmoid_hidden(ctx: GradeContext) -> Verdict:
    z = ctx.hidden_input("sigmoid_hidden")
    return _sigmoid_verdict(ctx, "sigmoid_hidden", z, N_(" at the hidden inputs"))


# -- Step 3: backprop by hand on the 2-2-1 sigmoid net -------------------------------------------
def _backprop_grader(key: str):
    def grade(ctx: GradeContext) -> Verdict:
        reference = backprop.backward(backprop.COURSE_PARAMS)
        return backprop.gradient_verdict(
            ctx.answer(f"backprop_{key}"), reference, key, backprop.COURSE_PARAMS
        )

    grade.__name__ = f"grade_backprop_{key}"
    return grade


def grade_backprop_hidden(ctx: GradeContext) -> Verdict:
    params = ctx.hidden_input("backprop_hidden")
    reference = backprop.backward(params)
    return compare.all_of(
        *(
            backprop.gradient_verdict(
                ctx.answer("backprop_hidden", key), reference, key, params, N_(" (hidden parameters)")
            )
            for key in ("loss", *backprop.GRAD_KEYS)
        )
    )


# -- Step 4: gradient norms of the deep Keras net ------------------------------------------------
def grade_grad_norms_init(ctx: GradeContext) -> Verdict:
    model = ctx.answer("grad_norms_init", "model")
    first = compare.all_of(
        _xor.architecture_verdict(model, "sigmoid", N_("the deep sigmoid model")),
        _xor.at_init_verdict(model, N_("the deep sigmoid model")),
    )
    if not first.passed:
        return first
    expected = _xor.kernel_grad_norms(model)
    verdict = _xor.norms_verdict(
        ctx.answer("grad_norms_init"), expected, N_("the per-layer gradient norms at init")
    )
    if not verdict.passed:
        return verdict
    return ok(N_("norms at init correct: {ratio}").format(ratio=_xor.ratio_text(expected)))


def grade_vanishing(ctx: GradeContext) -> Verdict:
    model = ctx.answer("grad_norms_init", "model")
    arch = _xor.architecture_verdict(model, "sigmoid", N_("the deep sigmoid model"))
    if not arch.passed:
        return arch
    norms = _xor.kernel_grad_norms(model)
    ratio = float(norms[-1] / norms[0])
    received = ctx.answer("vanishing")
    verdict = compare.close(
        received,
        ratio,
        N_("the ratio ‖∂L/∂W4‖ / ‖∂L/∂W1‖ (last layer / first layer)"),
        rtol=_xor.NORMS_RTOL,
        others={N_("first / last — the ratio upside down"): 1 / ratio},
    )
    if not verdict.passed:
        return verdict
    return compare.at_least(
        ratio,
        _xor.VANISHING_FACTOR,
        N_("the last/first gradient-norm ratio of the sigmoid net at init (recomputed on the saved model)"),
        hint=N_("with Keras' default Glorot init, three sigmoid layers shrink the gradient ~4× each."),
    )


# -- Step 5: training fails ----------------------------------------------------------------------
def grade_deep_sigmoid_fails(ctx: GradeContext) -> Verdict:
    model = ctx.answer("deep_sigmoid_fails", "model")
    first = compare.all_of(
        _xor.architecture_verdict(model, "sigmoid", N_("the trained sigmoid model")),
        _xor.trained_verdict(model, N_("the trained sigmoid model")),
    )
    if not first.passed:
        return first
    history = np.asarray(ctx.answer("deep_sigmoid_fails"), dtype=float).reshape(-1)
    if history.size != _xor.EPOCHS:
        return fail(
            N_(
                "Expected the loss history of {epochs} epochs × {steps} steps "
                "(history.history['loss']). Received: {n} values. Hint: fit with "
                "steps_per_epoch=STEPS_PER_EPOCH, epochs=EPOCHS."
            ).format(epochs=_xor.EPOCHS, steps=_xor.STEPS_PER_EPOCH, n=history.size)
        )
    loss, acc = _xor.evaluate_xor(model)
    return compare.all_of(
        compare.at_most(acc, _xor.FAIL_MAX_ACCURACY, N_("the XOR accuracy of the trained sigmoid net")),
        compare.at_least(loss, _xor.FAIL_MIN_LOSS, N_("the XOR loss of the trained sigmoid net")),
        ok(
            N_("stuck on the plateau: loss {loss:.4f} (ln 2 = 0.6931), accuracy {accuracy:.2f}").format(
                loss=loss, accuracy=acc
            )
        ),
    )


def grade_grad_norms_trained(ctx: GradeContext) -> Verdict:
    model = ctx.answer("grad_norms_trained", "model")
    first = compare.all_of(
        _xor.architecture_verdict(model, "sigmoid", N_("the trained sigmoid model")),
        _xor.trained_verdict(model, N_("the trained sigmoid model")),
    )
    if not first.passed:
        return first
    expected = _xor.kernel_grad_norms(model)
    verdict = _xor.norms_verdict(
        ctx.answer("grad_norms_trained"), expected, N_("the per-layer gradient norms after training")
    )
    if not verdict.passed:
        return verdict
    return ok(N_("norms after training correct: {ratio}").format(ratio=_xor.ratio_text(expected)))


def _q(name, points, description, grade, hidden=False, needs=()):
    return Question(name, points, description, grade, hidden=hidden, needs=needs)


LAB = LabSpec(
    lab_id="lab18_xor_sigmoid",
    title="Lab 18 — a deep sigmoid network fails on XOR (vanishing gradient)",
    hidden_inputs={
        "chain_rule_hidden": backprop.chain_rule_cases,
        "sigmoid_hidden": backprop.sigmoid_cases,
        "backprop_hidden": backprop.hidden_params,
    },
    questions=(
        _q("chain_rule", 1, "grad_f and grad_E at the course's values", grade_chain_rule),
        _q(
            "chain_rule_hidden", 1, "grad_f and grad_E at hidden random points", grade_chain_rule_hidden, True
        ),
        _q("sigmoid", 1, "sigmoid and its derivative, stable for large |z|", grade_sigmoid),
        _q("sigmoid_hidden", 1, "sigmoid and its derivative at hidden inputs", grade_sigmoid_hidden, True),
        _q("backprop_loss", 1, "mean BCE of the 2-2-1 net on XOR", _backprop_grader("loss")),
        _q("backprop_dW1", 2, "∂L/∂W1 by backprop", _backprop_grader("dW1")),
        _q("backprop_db1", 1, "∂L/∂b1 by backprop", _backprop_grader("db1")),
        _q("backprop_dW2", 1, "∂L/∂W2 by backprop", _backprop_grader("dW2")),
        _q("backprop_db2", 1, "∂L/∂b2 by backprop", _backprop_grader("db2")),
        _q("backprop_hidden", 2, "loss and all gradients at hidden parameters", grade_backprop_hidden, True),
        _q("grad_norms_init", 2, "per-layer kernel-gradient norms at initialization", grade_grad_norms_init),
        _q(
            "vanishing",
            1,
            f"first-layer gradient ≥ {_xor.VANISHING_FACTOR:g}× smaller than the last at init",
            grade_vanishing,
            needs=("grad_norms_init",),
        ),
        _q(
            "deep_sigmoid_fails",
            1,
            "the trained deep sigmoid net does not solve XOR",
            grade_deep_sigmoid_fails,
        ),
        _q(
            "grad_norms_trained",
            1,
            "per-layer kernel-gradient norms after training",
            grade_grad_norms_trained,
        ),
    ),
    manual={"why_first_layer_small": 2},
    notebook_seconds=120,
)
