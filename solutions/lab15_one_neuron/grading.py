"""Lab 15 — one neuron and its gradient (경사 하강법, gradient descent).

Every expected value is recomputed here, in a fresh process, in float64, from the course's numbers
or from the hidden seed: the squared error E = (w·x − y)² of one neuron, its gradient
2(w·x − y)·x, the forward "nudge" estimate (E(w + h) − E(w)) / h, gradient descent (경사 하강법)
trajectories and the convergence rule |1 − 2λx²| < 1.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs._arrays import as_array
from autograder.spec import GradeContext, LabSpec, Question, Verdict, fail, ok

# =============================================================================================
# Reference math
# =============================================================================================
NEURON = (-2.0, 5.0, 3.0)  # (w, x, y) of the notes: E = (−2·5 − 3)² = 169, ∂E/∂w = −130
NUDGE = 1e-5  # "add 0.00001 to w and watch E change"
# Public points of the gradient / nudge / tape checks: rows (w, x, y)
GRAD_POINTS = np.array([NEURON, (1.0, 2.0, 0.5), (0.3, -4.0, 1.0), (0.6, 5.0, 3.0)])
NUDGE_POINTS = np.array([NEURON, (1.0, 2.0, 0.5), (0.3, -4.0, 1.0)])
TAPE_POINTS = np.array([NEURON, (1.0, 2.0, 0.5), (0.3, -4.0, 1.0), (2.5, -0.5, -1.5)])

# Gradient descent w ← w − λ·∂E/∂w from the notes' start. With one example the error after a step
# is multiplied by ρ = 1 − 2λx², so GD converges exactly when |ρ| < 1, i.e. 0 < λ < 1/x² = 0.04.
GD_START, GD_LR, GD_STEPS = -2.0, 0.01, 30  # ρ = 0.5: the error halves every step
LR_VALUES = np.array([0.005, 0.02, 0.035, 0.045, 0.06])  # ρ = 0.75, 0, −0.75, −1.25, −2
GD_RTOL = 1e-9


def error(w, x, y):
    """E = (w·x − y)² (element-wise)."""
    w, x, y = (np.asarray(v, dtype=float) for v in (w, x, y))
    return (w * x - y) ** 2


def grad_error(w, x, y):
    """∂E/∂w = 2(w·x − y)·x (element-wise)."""
    w, x, y = (np.asarray(v, dtype=float) for v in (w, x, y))
    return 2.0 * (w * x - y) * x


def nudge_estimate(w, x, y, h: float = NUDGE):
    """The notes' forward difference (E(w + h) − E(w)) / h = ∂E/∂w + x²·h exactly (E is quadratic)."""
    return (error(np.asarray(w, float) + h, x, y) - error(w, x, y)) / h


def gd_trajectory(w0: float, x: float, y: float, lr: float, steps: int) -> np.ndarray:
    """[w₀, w₁, …, w_steps] of w ← w − λ·∂E/∂w."""
    ws = [float(w0)]
    for _ in range(int(steps)):
        ws.append(ws[-1] - lr * float(grad_error(ws[-1], x, y)))
    return np.array(ws)


def converges(lrs, x: float) -> np.ndarray:
    """1 where GD on E = (w·x − y)² converges for learning rate λ (|1 − 2λx²| < 1), else 0."""
    rho = 1.0 - 2.0 * np.asarray(lrs, dtype=float) * float(x) ** 2
    return (np.abs(rho) < 1.0).astype(int)


def gradient_cases(rng: np.random.Generator) -> np.ndarray:
    """Rows (w, x, y) of the hidden gradient check."""
    return rng.uniform(-5.0, 5.0, size=(8, 3))


def gd_case(rng: np.random.Generator) -> tuple[float, float, float, float, int]:
    """(w0, x, y, λ, steps) of the hidden GD check: a convergent λ (|ρ| ≤ 0.8)."""
    x = float(rng.uniform(1.0, 4.0) * rng.choice([-1.0, 1.0]))
    w0, y = (float(v) for v in rng.uniform(-3.0, 3.0, size=2))
    rho = float(rng.uniform(-0.8, 0.8))
    return w0, x, y, (1.0 - rho) / (2.0 * x * x), 20


def lr_case(rng: np.random.Generator) -> tuple[float, float, float, np.ndarray]:
    """(w0, x, y, λ values) of the hidden classification: 4 convergent and 4 divergent λ, shuffled.

    ρ = 1 − 2λx² is kept away from ±1 (|ρ| ≤ 0.9 or ρ ≤ −1.1), so 100 steps tell them apart.
    """
    x = float(rng.uniform(1.0, 4.0))
    y = float(rng.uniform(-3.0, 3.0))
    w0 = y / x + float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0))
    rho = np.concatenate([rng.uniform(-0.9, 0.9, size=4), rng.uniform(-1.8, -1.1, size=4)])
    return w0, x, y, rng.permutation((1.0 - rho) / (2.0 * x * x))


def gradient_verdict(received, points: np.ndarray, where: str = "") -> Verdict:
    w, x, y = points.T
    return compare.close(
        received,
        grad_error(w, x, y),
        joined("∂E/∂w", where),
        rtol=1e-9,
        atol=1e-12,
        others={
            N_("(w·x − y)·x: the factor 2 from the square is missing"): (w * x - y) * x,
            N_("2(w·x − y): the inner derivative ∂(w·x − y)/∂w = x is missing"): 2 * (w * x - y),
            N_("E itself, not its derivative"): error(w, x, y),
            N_("2(w·x − y)·w: multiplied by w instead of x"): 2 * (w * x - y) * w,
        },
        hint=N_("E = u² with u = w·x − y, so ∂E/∂w = 2u · ∂u/∂w = 2(w·x − y)·x."),
    )


def nudge_verdict(received, points: np.ndarray = NUDGE_POINTS, h: float = NUDGE) -> Verdict:
    """The estimate must be within ~x²·h of the analytic gradient — and *not* be the analytic one.

    (E(w + h) − E(w)) / h − ∂E/∂w = x²·h exactly for this quadratic E; float64 rounding adds about
    1e-16·E/h ≤ 1e-8. A central difference or the formula itself is exact: that is not the nudge.
    """
    w, x, y = points.T
    analytic = grad_error(w, x, y)
    rec = as_array(received)
    what = N_("the nudge estimate (E(w + {h:g}) − E(w)) / {h:g}").format(h=h)
    if rec is None or rec.shape != analytic.shape:
        return compare.close(received, analytic, what)
    if not np.all(np.isfinite(rec)):
        return fail(
            N_("Expected finite {what}. Received: {values}").format(what=what, values=compare._fmt(rec))
        )
    bound = 2.0 * x * x * h + 1e-6 * np.maximum(1.0, np.abs(analytic))
    if np.all(np.abs(rec - analytic) <= bound):
        gap = rec - analytic
        if np.all(np.abs(gap) < 0.01 * x * x * h):
            return fail(
                N_(
                    "Expected {what}, which differs from the exact gradient by about x²·h "
                    "({size}). Received: exactly the analytic gradient "
                    "{values}. Hint: nudge w *forward* as the notes do — evaluate E at w + h and "
                    "at w, subtract, divide by h — instead of using the formula or a central difference."
                ).format(what=what, size=compare._fmt(x * x * h), values=compare._fmt(rec))
            )
        return ok(
            N_("nudge estimates {values} within x²·h of the exact gradient (largest gap {gap:.2g})").format(
                values=compare._fmt(rec), gap=np.max(np.abs(gap))
            )
        )
    diffs = error(w + h, x, y) - error(w, x, y)
    return compare.close(
        rec,
        analytic,
        what,
        rtol=0.0,
        atol=float(np.max(bound)),
        others={
            N_("E(w + h) − E(w): the change of E, not yet divided by h"): diffs,
            N_("(E(w) − E(w + h)) / h: the subtraction is the wrong way round"): -nudge_estimate(w, x, y, h),
            "E(w + h) / h": error(w + h, x, y) / h,
        },
        hint=N_("the slope is (change of E) / (change of w) = (E(w + h) − E(w)) / h."),
    )


def trajectory_verdict(received, w0, x, y, lr, steps, where: str = "") -> Verdict:
    expected = gd_trajectory(w0, x, y, lr, steps)
    rec = as_array(received)
    what = N_("the GD trajectory [w₀, …, w_{steps}]{where}").format(steps=steps, where=where)
    if rec is not None and rec.ndim == 1 and rec.shape != expected.shape:
        if rec.size == steps and np.allclose(rec, expected[1:], rtol=GD_RTOL, atol=1e-12):
            return fail(
                N_(
                    "Expected {what}: {n} values, the start w₀ first. Received: {got} values — "
                    "the start is missing. Hint: begin the list with w0, then append w after each step."
                ).format(what=what, n=steps + 1, got=rec.size)
            )
        if rec.size == steps and np.allclose(rec, expected[:-1], rtol=GD_RTOL, atol=1e-12):
            return fail(
                N_(
                    "Expected {what}: {n} values. Received: {got} values — the last step's w "
                    "is missing. Hint: record w after every one of the `steps` updates."
                ).format(what=what, n=steps + 1, got=rec.size)
            )
    return compare.close(
        received,
        expected,
        what,
        rtol=GD_RTOL,
        atol=1e-12,
        others={
            N_("gradient *ascent* (w + λ·∂E/∂w): use w − λ·∂E/∂w"): gd_trajectory(w0, x, y, -lr, steps),
            N_("GD without the factor 2 in ∂E/∂w"): gd_trajectory(w0, x, y, lr / 2, steps),
        },
        hint=N_("w ← w − λ·∂E/∂w with ∂E/∂w = 2(w·x − y)·x, starting from w0."),
    )


def classification_verdict(received, lrs, x: float, where: str = "") -> Verdict:
    expected = converges(lrs, x)
    rec = as_array(received)
    what = N_("converged (1) / diverged (0) for λ = {values}{where}").format(
        values=", ".join(f"{v:.4g}" for v in lrs), where=where
    )
    if rec is None or rec.shape != expected.shape:
        return compare.close(received, expected, what)
    if np.array_equal(rec, expected):
        return ok(joined(what, f": {expected.tolist()}"))
    if np.array_equal(rec, 1 - expected):
        return fail(
            N_("Expected {what}: {expected}. Received: {received} — 0 and 1 are swapped.").format(
                what=what, expected=expected.tolist(), received=rec.tolist()
            )
        )
    wrong = [f"λ = {lr:.4g}" for lr, r, e in zip(lrs, rec, expected) if r != e]
    return fail(
        N_(
            "Expected {what}: {expected}. Received: {received} (wrong for "
            "{wrong}). Hint: after each step the distance to the minimum w* = y/x is multiplied "
            "by 1 − 2λx²; run enough steps and compare the error at the end with the error at the start."
        ).format(
            what=what, expected=expected.tolist(), received=rec.astype(int).tolist(), wrong=", ".join(wrong)
        )
    )


# =============================================================================================
# Questions
# =============================================================================================
# -- Step 1: the gradient by hand ------------------------------------------------------------------
def grade_gradient(ctx: GradeContext) -> Verdict:
    points = GRAD_POINTS
    w, x, y = points.T
    return compare.all_of(
        compare.close(
            ctx.answer("gradient", "error"),
            error(w, x, y),
            "E = (w·x − y)²",
            rtol=1e-9,
            atol=1e-12,
            others={N_("w·x − y, not squared"): w * x - y},
        ),
        gradient_verdict(ctx.answer("gradient", "grad"), points),
    )


def grade_gradient_hidden(ctx: GradeContext) -> Verdict:
    points = ctx.hidden_input("gradient_hidden")
    return gradient_verdict(ctx.answer("gradient_hidden"), points, N_(" at the hidden points"))


# -- Step 2: the nudge ------------------------------------------------------------------------------
def grade_nudge(ctx: GradeContext) -> Verdict:
    return nudge_verdict(ctx.answer("nudge"))


# -- Step 3: tf.GradientTape ------------------------------------------------------------------------
def grade_tape(ctx: GradeContext) -> Verdict:
    w, x, y = TAPE_POINTS.T
    return compare.close(
        ctx.answer("tape"),
        grad_error(w, x, y),
        N_("∂E/∂w from tf.GradientTape"),
        rtol=1e-5,
        atol=1e-6,
        others={N_("E itself (tape.gradient was not used?)"): error(w, x, y)},
        hint=N_(
            "make w a tf.Variable, compute E inside `with tf.GradientTape() as tape:`, then tape.gradient(E, w)."
        ),
    )


# -- Step 4: gradient descent -----------------------------------------------------------------------
def grade_gd_trajectory(ctx: GradeContext) -> Verdict:
    w, x, y = NEURON
    return trajectory_verdict(ctx.answer("gd_trajectory"), GD_START, x, y, GD_LR, GD_STEPS)


def grade_gd_hidden(ctx: GradeContext) -> Verdict:
    w0, x, y, lr, steps = ctx.hidden_input("gd_hidden")
    return trajectory_verdict(
        ctx.answer("gd_hidden"),
        w0,
        x,
        y,
        lr,
        steps,
        N_(" (hidden: w0 = {w0:.3g}, x = {x:.3g}, λ = {lr:.3g})").format(w0=w0, x=x, lr=lr),
    )


# -- Step 5: too large a learning rate -------------------------------------------------------------
def grade_learning_rates(ctx: GradeContext) -> Verdict:
    return classification_verdict(ctx.answer("learning_rates"), LR_VALUES, NEURON[1])


def grade_learning_rates_hidden(ctx: GradeContext) -> Verdict:
    w0, x, y, lrs = ctx.hidden_input("learning_rates_hidden")
    return classification_verdict(
        np.asarray(ctx.answer("learning_rates_hidden")), lrs, x, N_(" (hidden: x = {x:.3g})").format(x=x)
    )


LAB = LabSpec(
    lab_id="lab15_one_neuron",
    title="Lab 15 — one neuron and its gradient (gradient descent)",
    hidden_inputs={
        "gradient_hidden": gradient_cases,
        "gd_hidden": gd_case,
        "learning_rates_hidden": lr_case,
    },
    questions=(
        Question("gradient", 1, "E and ∂E/∂w = 2(w·x − y)·x at the course's points", grade_gradient),
        Question("gradient_hidden", 1, "∂E/∂w at hidden points", grade_gradient_hidden, hidden=True),
        Question("nudge", 1, "the numerical nudge (E(w + h) − E(w)) / h ≈ ∂E/∂w", grade_nudge),
        Question("tape", 1, "∂E/∂w by tf.GradientTape", grade_tape),
        Question("gd_trajectory", 2, "the gradient-descent trajectory that converges", grade_gd_trajectory),
        Question("gd_hidden", 1, "a GD trajectory from a hidden start and λ", grade_gd_hidden, hidden=True),
        Question("learning_rates", 1, "converges or diverges, for five λ", grade_learning_rates),
        Question(
            "learning_rates_hidden",
            1,
            "converges or diverges, for hidden λ values",
            grade_learning_rates_hidden,
            hidden=True,
        ),
    ),
    manual={"why_diverges": 2},
    notebook_seconds=60,
)
