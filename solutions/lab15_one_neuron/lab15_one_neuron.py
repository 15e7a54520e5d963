# %% [markdown]
# # Lab 15: One neuron and its gradient (경사 하강법, gradient descent)
#
# **Goals of this lab**
#
# - Write the error (오차) of one neuron, **E = (w·x − y)²**, and its gradient (기울기) by hand:
#   **∂E/∂w = 2(w·x − y)·x**.
# - Estimate the same gradient with a *nudge*, as the notes do: add 0.00001 to w and watch E
#   change (수치 미분, numerical differentiation).
# - Let TensorFlow compute it for you with `tf.GradientTape` (자동 미분, automatic differentiation).
# - Run gradient descent **w ← w − λ·∂E/∂w** and watch it converge to the best w.
# - See what a learning rate (학습률) λ that is too large does: the updates overshoot and diverge.
#
# Each exercise cell contains `raise NotImplementedError()`: replace it with your code. The cell
# after it runs a check (`lab.check`) that saves your answer and tells you right away whether it
# is correct. Some checks are hidden: they run only when your notebook is graded, on other inputs.

# %% [markdown]
# ## Setup

# %% tags=["locked"] grade_id="setup"
import os

from labkit import quiet_tensorflow_start

quiet_tensorflow_start()  # imports TensorFlow without its C++ start-up lines on stderr

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from labkit import Lab

lab = Lab("lab15_one_neuron")

# %% [markdown]
# All hyper-parameters live in this one cell. Do not change them: the grader checks the outcome of
# exactly these numbers.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0
keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

# One neuron with one input and no activation: its output is w·x, its target y.
W, X, Y = -2.0, 5.0, 3.0  # the notes' example: w·x = −10, far from the target 3
NUDGE = 0.00001  # "add 0.00001 to w and watch E change"
W_START = -2.0  # gradient descent starts here …
LEARNING_RATE = 0.01  # … with this learning rate λ (학습률) …
STEPS = 30  # … for this many steps
LR_VALUES = [0.005, 0.02, 0.035, 0.045, 0.06]  # Step 5: which of these converge?

# %% [markdown]
# ## Step 1: The error and its gradient by hand
#
# The neuron should output y for the input x, and the squared error
#
# ```
# E(w) = (w·x − y)²
# ```
#
# measures how far it is. E is a parabola in w: its lowest point is where w·x = y, at w* = y/x.
# The gradient ∂E/∂w is the slope of that parabola. By the chain rule (연쇄 법칙), with
# u = w·x − y: E = u², ∂E/∂u = 2u, ∂u/∂w = x, so
#
# ```
# ∂E/∂w = 2(w·x − y)·x
# ```
#
# At the notes' point (w, x, y) = (−2, 5, 3): E = (−13)² = 169 and ∂E/∂w = 2·(−13)·5 = −130.
# The slope is negative, so *increasing* w decreases E.
#
# Write both functions with NumPy operations only, so they also work element-wise on arrays.


# %% tags=["solution"] grade_id="gradient_answer"
def error(w, x, y):
    """E = (w·x − y)²."""
    ### BEGIN SOLUTION
    return (w * x - y) ** 2
    ### END SOLUTION


def gradient(w, x, y):
    """∂E/∂w = 2(w·x − y)·x."""
    ### BEGIN SOLUTION
    return 2 * (w * x - y) * x
    ### END SOLUTION


# %%
try:
    print(f"E({W}) = {error(W, X, Y):g}, ∂E/∂w = {gradient(W, X, Y):g}   (expected 169 and -130)")
except NotImplementedError:
    print("Implement error and gradient first.")

# %% tags=["tests"] grade_id="test_gradient"
_points = np.array([[-2.0, 5.0, 3.0], [1.0, 2.0, 0.5], [0.3, -4.0, 1.0], [0.6, 5.0, 3.0]])  # rows (w, x, y)
_w, _x, _y = _points.T
lab.check("gradient", lambda: {"error": error(_w, _x, _y), "grad": gradient(_w, _x, _y)})

# %% tags=["tests"] grade_id="test_gradient_hidden"
### BEGIN HIDDEN TESTS
lab.check("gradient_hidden", lambda rows: [float(gradient(w, x, y)) for w, x, y in rows])  # rows (w, x, y)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2: The gradient by a nudge (수치 미분)
#
# You do not need calculus to measure a slope: move w a tiny step h to the right and see how much
# E changes. The notes do exactly this with h = 0.00001:
#
# ```
# ∂E/∂w ≈ (E(w + h) − E(w)) / h
# ```
#
# Write `nudge_gradient(w, x, y, h)`. It is only an *estimate*: for this E it is off by exactly
# x²·h (E is a parabola), which is 0.00025 at the notes' point — tiny next to −130.


# %% tags=["solution"] grade_id="nudge_answer"
def nudge_gradient(w, x, y, h=NUDGE):
    """(E(w + h) − E(w)) / h."""
    ### BEGIN SOLUTION
    return (error(w + h, x, y) - error(w, x, y)) / h
    ### END SOLUTION


# %%
try:
    print(f"nudge estimate {nudge_gradient(W, X, Y):.6f}  vs  by hand {gradient(W, X, Y):.6f}")
except NotImplementedError:
    print("Implement nudge_gradient first.")

# %% tags=["tests"] grade_id="test_nudge"
_points = np.array([[-2.0, 5.0, 3.0], [1.0, 2.0, 0.5], [0.3, -4.0, 1.0]])  # rows (w, x, y)
lab.check("nudge", lambda: [float(nudge_gradient(w, x, y, NUDGE)) for w, x, y in _points])

# %% [markdown]
# How small should h be? Too large and the parabola's curvature spoils the estimate (the error is
# x²·h); too small and `E(w + h) − E(w)` subtracts two almost equal numbers, losing digits to
# rounding (floats keep only ~16). The plot shows both effects.

# %%
try:
    hs = np.logspace(-14, 0, 57)
    gaps = [abs(nudge_gradient(W, X, Y, h) - gradient(W, X, Y)) for h in hs]
    plt.figure(figsize=(5, 3.5))
    plt.loglog(hs, gaps, ".-", label="|nudge estimate − exact|")
    plt.loglog(hs, X**2 * hs, "--", color="gray", label="x²·h (curvature)")
    plt.axvline(NUDGE, color="k", linestyle=":", label=f"h = {NUDGE:g}")
    plt.xlabel("h")
    plt.ylabel("error of the estimate")
    plt.title("A nudge that is too big or too small")
    plt.legend(fontsize=8)
    plt.show()
except NotImplementedError:
    print("Implement nudge_gradient first.")

# %% [markdown]
# ## Step 3: Let TensorFlow differentiate (`tf.GradientTape`)
#
# Keras trains networks with millions of weights; nobody writes their gradients by hand. TensorFlow
# *records* the operations done on a `tf.Variable` inside a `with tf.GradientTape() as tape:` block
# and then applies the chain rule backwards through them: `tape.gradient(E, w)`.
#
# Write `tape_gradient(w, x, y)`: make w a `tf.Variable` (use `dtype=tf.float64`, as NumPy does),
# compute E inside the tape, and return ∂E/∂w as a Python float.


# %% tags=["solution"] grade_id="tape_answer"
def tape_gradient(w, x, y):
    """∂E/∂w of E = (w·x − y)², by tf.GradientTape."""
    ### BEGIN SOLUTION
    w = tf.Variable(w, dtype=tf.float64)
    with tf.GradientTape() as tape:
        E = (w * x - y) ** 2
    return float(tape.gradient(E, w))
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_tape"
_points = np.array([[-2.0, 5.0, 3.0], [1.0, 2.0, 0.5], [0.3, -4.0, 1.0], [2.5, -0.5, -1.5]])  # rows (w, x, y)
lab.check("tape", lambda: [float(tape_gradient(w, x, y)) for w, x, y in _points])

# %% [markdown]
# ## Step 4: Gradient descent (경사 하강법)
#
# The gradient points uphill, so step the other way:
#
# ```
# w ← w − λ · ∂E/∂w
# ```
#
# Write `gradient_descent(w0, x, y, lr, steps)`: start at `w0`, do `steps` updates with learning
# rate `lr`, and return every w visited as a NumPy array `[w0, w1, …, w_steps]` (steps + 1 values).


# %% tags=["solution"] grade_id="gd_answer"
def gradient_descent(w0, x, y, lr, steps):
    """The trajectory [w0, w1, …, w_steps] of w ← w − lr · ∂E/∂w."""
    ### BEGIN SOLUTION
    ws = [w0]
    for _ in range(steps):
        ws.append(ws[-1] - lr * gradient(ws[-1], x, y))
    return np.array(ws)
    ### END SOLUTION


# %%
try:
    trajectory = gradient_descent(W_START, X, Y, LEARNING_RATE, STEPS)
    print(f"w after {STEPS} steps: {trajectory[-1]:.8f}  (best w* = y/x = {Y / X:g})")
except NotImplementedError:
    print("Implement gradient_descent first.")

# %% tags=["tests"] grade_id="test_gd_trajectory"
lab.check("gd_trajectory", lambda: gradient_descent(W_START, X, Y, LEARNING_RATE, STEPS))

# %% tags=["tests"] grade_id="test_gd_hidden"
### BEGIN HIDDEN TESTS
lab.check("gd_hidden", lambda case: gradient_descent(*case))  # case: (w0, x, y, lr, steps)
### END HIDDEN TESTS

# %% [markdown]
# Each step walks down the parabola. With λ = 0.01 every step halves the distance to w* (you will
# see why in Step 5), so the error shrinks by 4× per step: a straight line on a log scale.

# %%
if "trajectory" in globals():
    grid = np.linspace(-2.5, 3.5, 200)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(grid, error(grid, X, Y), color="gray", label="E(w) = (w·x − y)²")
    left.plot(trajectory, error(trajectory, X, Y), "o-", color="C3", markersize=4, label="gradient descent")
    left.set_xlabel("w")
    left.set_ylabel("E")
    left.set_title(f"λ = {LEARNING_RATE}: downhill to w* = {Y / X:g}")
    left.legend()
    right.semilogy(error(trajectory, X, Y) + 1e-300, "o-", markersize=4)
    right.set_xlabel("step")
    right.set_ylabel("E (log scale)")
    right.set_title("The error shrinks geometrically")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Step 5: A learning rate that is too large
#
# Put one update into the formula: w_new − w* = (1 − 2λx²)·(w − w*). Every step multiplies the
# distance to the minimum by **ρ = 1 − 2λx²**. It shrinks only if |ρ| < 1, that is for
# 0 < λ < 1/x² (= 0.04 here). For larger λ each step jumps over the minimum to a point *higher up*
# the other side: the updates oscillate and grow (발산, divergence).
#
# Write `converges(lrs, w0, x, y, steps=100)`: for every learning rate in `lrs`, run gradient descent
# for `steps` steps and decide by *experiment* whether it converged — is the error at the end
# smaller than the error at the start? Return a NumPy array with 1 (converged) or 0 (diverged) per
# learning rate. (You may check your answers against the rule |1 − 2λx²| < 1.)


# %% tags=["solution"] grade_id="learning_rates_answer"
def converges(lrs, w0, x, y, steps=100):
    """1 where gradient descent with that learning rate converges, 0 where it diverges."""
    ### BEGIN SOLUTION
    result = []
    for lr in lrs:
        ws = gradient_descent(w0, x, y, lr, steps)
        result.append(int(error(ws[-1], x, y) < error(ws[0], x, y)))
    return np.array(result)
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_learning_rates"
lab.check("learning_rates", lambda: converges(LR_VALUES, W_START, X, Y))

# %% tags=["tests"] grade_id="test_learning_rates_hidden"
### BEGIN HIDDEN TESTS
lab.check("learning_rates_hidden", lambda case: converges(case[3], *case[:3]))  # case: (w0, x, y, lrs)
### END HIDDEN TESTS

# %%
try:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for lr, style in zip(LR_VALUES, ["o-", "s-", "x--", "^-", "v-"]):
        ws = gradient_descent(W_START, X, Y, lr, 25)
        rho = 1 - 2 * lr * X**2
        right.semilogy(error(ws, X, Y) + 1e-300, style, markersize=4, label=f"λ = {lr} (ρ = {rho:+.2f})")
        if lr in (0.035, 0.045):
            left.plot(ws[:8], error(ws[:8], X, Y), "o-", markersize=4, label=f"λ = {lr}: first 7 steps")
    grid = np.linspace(-3.5, 4.5, 200)
    left.plot(grid, error(grid, X, Y), color="gray", zorder=0)
    left.set_xlim(-4, 5)
    left.set_ylim(0, 600)
    left.set_xlabel("w")
    left.set_ylabel("E")
    left.set_title("Overshooting: converging vs diverging zig-zag")
    left.legend(fontsize=8)
    right.set_ylim(1e-30, 1e12)
    right.set_xlabel("step")
    right.set_ylabel("E (log scale)")
    right.set_title("Converges when |1 − 2λx²| < 1, i.e. λ < 0.04")
    right.legend(fontsize=8)
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Implement gradient_descent first.")

# %% [markdown]
# λ = 0.02 is a special case: ρ = 0, and a single step lands exactly on w* (the perfect step for a
# parabola). λ = 0.035 overshoots but still converges (ρ = −0.75, a shrinking zig-zag); λ = 0.045
# overshoots by more than it gains (ρ = −1.25) and every step *increases* the error. λ = 0.005 and
# λ = 0.035 share |ρ| = 0.75, so their error curves coincide: one creeps down one side of the
# parabola, the other zig-zags across it.

# %% [markdown]
# ## Written answer (graded by hand)
#
# In 3–5 sentences: why does gradient descent diverge when λ is too large? Use the update
# w ← w − λ·∂E/∂w and this lab's numbers (x = 5). What is the largest λ that still converges here,
# and why does a larger input x force a smaller λ?

# %% [markdown] tags=["manual"] grade_id="why_diverges"
# Each update moves w by λ·∂E/∂w = 2λx²·(w − w*), so the new distance to the minimum is
# (1 − 2λx²) times the old one.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says both:
# 1. (1 pt) The step λ·∂E/∂w is proportional to the distance from the minimum; when λ is too large
#    it jumps *past* w* to a point farther away on the other side (overshooting), so |w − w*| (and E)
#    grows every step: the distance is multiplied by ρ = 1 − 2λx², and |ρ| > 1 diverges.
# 2. (1 pt) Convergence needs |1 − 2λx²| < 1, i.e. λ < 1/x² = 0.04 for x = 5 (0.02 = 1/(2x²) is
#    the one-step λ); a larger x makes the parabola steeper (curvature 2x²), so the same λ
#    overshoots more and λ must shrink like 1/x² (why inputs are normalised in practice).
# Half credit for "the steps are too big / it overshoots" without the factor or the bound.
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
