"""Lab 25 — optimizers in NumPy, checked step by step against ``keras.optimizers`` (최적화 기법).

The grader runs Keras' own SGD, SGD(momentum), Adagrad and Adam on the same starting weights and
gradients (float64 variables) and compares every step; the race on f(x, y) = x²/20 + y² is rerun
the same way; the mini-batch and full-batch models are re-evaluated on the MNIST test set.
Reference math and thresholds: ``reference.py``.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.answers import AnswerError
from labkit.i18n import N_

from autograder.labs._arrays import as_array
from autograder.labs.lab25_optimizers import reference as R
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok


def _received(ctx: GradeContext, name: str, kind: str, prefix: str = "") -> dict:
    """The saved trajectory ``w`` (NotAttempted when never written) and whichever state keys exist."""
    out = {"w": ctx.answer(name, prefix + "w")}
    for key in R.STATE_KEYS[kind]:
        try:
            out[key] = ctx.answer(name, prefix + key)
        except AnswerError:
            pass  # optimizer_verdict names the missing key
    return out


def _optimizer_grader(kind: str):
    def grade(ctx: GradeContext) -> Verdict:
        w0, grads = R.public_optimizer_case()
        return R.optimizer_verdict(_received(ctx, kind, kind), kind, w0, grads, R.PUBLIC_HYPER[kind])

    grade.__name__ = f"grade_{kind}"
    return grade


def grade_optimizers_hidden(ctx: GradeContext) -> Verdict:
    w0, grads = ctx.hidden_input("optimizers_hidden")
    verdicts = []
    for kind, hyper in R.HIDDEN_HYPER.items():
        received = _received(ctx, "optimizers_hidden", kind, prefix=f"{kind}_")
        verdicts.append(
            R.optimizer_verdict(
                received, kind, w0, grads, hyper, N_(" (hidden case: other hyper-parameters)")
            )
        )
    verdict = compare.all_of(*verdicts)
    return ok(N_("all four optimizers match Keras on the hidden case")) if verdict.passed else verdict


def grade_surface(ctx: GradeContext) -> Verdict:
    p = R.SURFACE_POINTS
    return compare.all_of(
        compare.close(
            ctx.answer("surface", "f"),
            R.surface(p),
            N_("f(x, y) = x²/20 + y² at the test points"),
            rtol=1e-9,
            others={"x²/10 + y²": p[:, 0] ** 2 / 10 + p[:, 1] ** 2, "x² + y²": (p**2).sum(axis=1)},
        ),
        compare.close(
            ctx.answer("surface", "grad"),
            R.surface_grad(p),
            N_("∇f = (x/10, 2y) at the test points"),
            rtol=1e-9,
            hint=N_("∂f/∂x = 2x/20 = x/10 and ∂f/∂y = 2y; return shape (…, 2) like the input."),
            others={N_("(x/20, y): the factor 2 of the squares is missing"): p * [1 / 20, 1.0]},
        ),
    )


def grade_race(ctx: GradeContext) -> Verdict:
    expected = R.race_paths()
    verdicts = []
    for kind, path in expected.items():
        received = ctx.answer("race", kind)
        rec = as_array(received)
        if rec is not None and rec.shape == path.shape and not np.allclose(rec[0], R.RACE_START):
            return fail(
                N_("Expected the {kind} path to start at {start}. Received: {received}").format(
                    kind=kind, start=R.RACE_START, received=tuple(rec[0])
                )
            )
        verdicts.append(
            R.trajectory_verdict(
                received,
                path,
                np.broadcast_to(np.array(R.RACE_START), path.shape[1:]),
                N_("the {kind} path on f = x²/20 + y² (start included)").format(kind=kind),
                rtol=R.RACE_RTOL,
                first_step=0,
                hint=N_(
                    "race({kind}_init, {kind}_step, …) with the hyper-parameters of RACE; "
                    "the optimizer steps and surface_grad must pass their own checks first."
                ).format(kind=kind),
            )
        )
    verdict = compare.all_of(*verdicts)
    if not verdict.passed:
        return verdict
    final = ", ".join(f"{k} {R.surface(v[-1]):.2g}" for k, v in expected.items())
    return ok(N_("all four paths match Keras' optimizers (final f: {final})").format(final=final))


def grade_minibatch(ctx: GradeContext) -> Verdict:
    mini, full = ctx.answer("minibatch", "mini"), ctx.answer("minibatch", "full")
    first = compare.all_of(
        R.softmax_regression_verdict(mini, N_("the mini-batch model")),
        R.softmax_regression_verdict(full, N_("the full-batch model")),
    )
    if not first.passed:
        return first
    for key in ("mini_loss", "full_loss"):
        history = np.asarray(ctx.answer("minibatch", key), dtype=float).reshape(-1)
        if history.size != R.MB_EPOCHS:
            return fail(
                N_(
                    "Expected `{key}` to hold the training loss of each of the {epochs} epochs "
                    "(history.history['loss']). Received: {n} values"
                ).format(key=key, epochs=R.MB_EPOCHS, n=history.size)
            )
    if np.array_equal(np.asarray(mini.layers[-1].kernel), np.asarray(full.layers[-1].kernel)):
        return fail(N_("Expected two separately trained models. Received: the same weights twice."))
    acc_mini, acc_full = R.mnist_accuracy(mini), R.mnist_accuracy(full)
    ctx.accuracy = acc_mini
    return compare.all_of(
        compare.at_least(
            acc_mini,
            R.MINI_MIN_ACCURACY,
            N_("the MNIST test accuracy of the mini-batch model (re-evaluated)"),
            hint=N_("batch_size={batch}, {epochs} epochs, SGD({lr}).").format(
                batch=R.MB_BATCH, epochs=R.MB_EPOCHS, lr=R.MB_LR
            ),
        ),
        compare.at_least(
            acc_mini - acc_full,
            R.MINI_MIN_GAP,
            N_("mini-batch − full-batch accuracy (full batch: {full:.3f})").format(full=acc_full),
            hint=N_("the full-batch model must be trained with batch_size equal to the whole training set."),
        ),
        ok(
            N_("mini-batch {mini:.4f} vs full batch {full:.4f} after {epochs} epochs").format(
                mini=acc_mini, full=acc_full, epochs=R.MB_EPOCHS
            )
        ),
    )


LAB = LabSpec(
    lab_id="lab25_optimizers",
    title="Lab 25 — SGD, momentum, Adagrad and Adam, step by step against keras.optimizers",
    hidden_inputs={
        "optimizers_hidden": R.hidden_optimizer_case,
    },
    questions=(
        Question("sgd", 1, "plain SGD, step by step", _optimizer_grader("sgd")),
        Question(
            "momentum",
            2,
            "momentum V = μV′ + λ∇, W = W − V, against SGD(momentum)",
            _optimizer_grader("momentum"),
        ),
        Question("adagrad", 2, "Adagrad with Keras' initial accumulator and ε", _optimizer_grader("adagrad")),
        Question("adam", 2, "Adam with Keras' bias correction and ε placement", _optimizer_grader("adam")),
        Question(
            "optimizers_hidden",
            2,
            "all four on hidden weights, gradients and hyper-parameters",
            grade_optimizers_hidden,
            hidden=True,
        ),
        Question("surface", 1, "f(x, y) = x²/20 + y² and its gradient", grade_surface),
        Question("race", 2, "the four paths of the race on the elongated bowl", grade_race),
        Question(
            "minibatch", 2, "mini-batch beats full batch after the same epochs (MNIST)", grade_minibatch
        ),
    ),
    manual={"why_adaptive": 2},
    notebook_seconds=120,
)
