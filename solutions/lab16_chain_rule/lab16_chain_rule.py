# %% [markdown]
# # Lab 16: Computation graphs and the chain rule (계산 그래프와 연쇄 법칙)
#
# **Goals of this lab**
#
# - Draw a function as a *computation graph* (계산 그래프): one node per elementary operation.
# - Run it forward (순전파), writing down the value of every node.
# - Run it backward (역전파): start with ∂f/∂f = 1 at the output and, node by node, multiply the
#   gradient arriving from above by the node's *local* gradient — the chain rule (연쇄 법칙).
# - Do it for f = w·x + b, then for a whole sigmoid neuron σ(w0·x0 + w1·x1 + w2), and check every
#   number against finite differences and `tf.GradientTape`.
#
# Each exercise cell contains `raise NotImplementedError()`: replace it with your code. The cell
# after it runs a check (`lab.check`) that saves your answer and tells you right away whether it
# is correct. Some checks are hidden: they run only when your notebook is graded, on other inputs.
# Each kind of node is graded on its own: a mistake in one local gradient costs only that node's
# check, because each check multiplies *your* incoming gradient by the right local gradient.

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

lab = Lab("lab16_chain_rule")

# %% [markdown]
# All the numbers of the lab live in this one cell. Do not change them: the grader uses the same.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0
keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

W_LIN, X_LIN, B_LIN = -2.0, 5.0, 3.0  # Step 1: f = w·x + b at w = −2, x = 5, b = 3
W_SIG = (2.0, -3.0, -3.0)  # Step 2: (w0, w1, w2) of the sigmoid neuron
X_SIG = (-1.0, -2.0)  # (x0, x1)
H = 1e-6  # step of the central differences (L(θ + h) − L(θ − h)) / 2h

# %% [markdown]
# ## Step 1: f = w·x + b
#
# Two nodes: a multiply node **q = w·x** and an add node **f = q + b**.
#
# ```
#   w ──┐
#       (×)── q ──┐
#   x ──┘         (+)── f
#   b ────────────┘
# ```
#
# *Forward*: at w = −2, x = 5, b = 3, q = −10 and f = −7.
#
# *Backward*: start at the output with ∂f/∂f = 1. An **add** node passes the gradient unchanged to
# both inputs: ∂f/∂q = 1, ∂f/∂b = 1. A **multiply** node sends each input the gradient times the
# *other* input: ∂f/∂w = ∂f/∂q · x = 5 and ∂f/∂x = ∂f/∂q · w = −2.
#
# Write `linear_forward(w, x, b)` returning `(q, f)` and `linear_backward(w, x, b)` returning
# `(∂f/∂w, ∂f/∂x, ∂f/∂b)`, computed node by node as above.


# %% tags=["solution"] grade_id="linear_answer"
def linear_forward(w, x, b):
    """(q, f) with q = w·x and f = q + b."""
    ### BEGIN SOLUTION
    q = w * x
    f = q + b
    return q, f
    ### END SOLUTION


def linear_backward(w, x, b):
    """(∂f/∂w, ∂f/∂x, ∂f/∂b), node by node from ∂f/∂f = 1."""
    ### BEGIN SOLUTION
    df = 1.0
    dq, db = df * 1.0, df * 1.0  # add node: passes the gradient through
    dw, dx = dq * x, dq * w  # multiply node: each input gets the other one
    return dw, dx, db
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_linear"
lab.check(
    "linear",
    lambda: {"forward": linear_forward(W_LIN, X_LIN, B_LIN), "grads": linear_backward(W_LIN, X_LIN, B_LIN)},
)

# %% tags=["tests"] grade_id="test_linear_hidden"
### BEGIN HIDDEN TESTS
lab.check(
    "linear_hidden",
    lambda cases: {  # rows (w, x, b)
        "forward": [linear_forward(w, x, b) for w, x, b in cases],
        "grads": [linear_backward(w, x, b) for w, x, b in cases],
    },
)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2: A sigmoid neuron as a graph of elementary nodes
#
# f(w, x) = σ(w0·x0 + w1·x1 + w2) = 1 / (1 + e^(−(w0·x0 + w1·x1 + w2))). Broken into operations
# that each have an obvious derivative:
#
# | node | operation | local gradient |
# | --- | --- | --- |
# | `p0` | w0 · x0 (multiply) | ∂p0/∂w0 = x0, ∂p0/∂x0 = w0 |
# | `p1` | w1 · x1 (multiply) | ∂p1/∂w1 = x1, ∂p1/∂x1 = w1 |
# | `s` | p0 + p1 (add) | 1, 1 |
# | `z` | s + w2 (add) | 1, 1 |
# | `n` | −z (negate) | −1 |
# | `e` | exp(n) | exp(n) |
# | `d` | e + 1 (+1) | 1 |
# | `f` | 1 / d (reciprocal) | −1/d² |
#
# Write `sigmoid_forward(w, x)`: the value of every node, as a dict `{"p0": …, "p1": …, "s": …,
# "z": …, "n": …, "e": …, "d": …, "f": …}`. With w = (2, −3, −3) and x = (−1, −2): p0 = −2, p1 = 6,
# s = 4, z = 1, … and f = σ(1) ≈ 0.731.


# %% tags=["solution"] grade_id="forward_answer"
def sigmoid_forward(w, x):
    """Every node's value of f = σ(w0·x0 + w1·x1 + w2), as a dict keyed by node name."""
    ### BEGIN SOLUTION
    v = {}
    v["p0"] = w[0] * x[0]
    v["p1"] = w[1] * x[1]
    v["s"] = v["p0"] + v["p1"]
    v["z"] = v["s"] + w[2]
    v["n"] = -v["z"]
    v["e"] = np.exp(v["n"])
    v["d"] = v["e"] + 1.0
    v["f"] = 1.0 / v["d"]
    return v
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_sigmoid_forward"
lab.check("sigmoid_forward", lambda: sigmoid_forward(W_SIG, X_SIG))

# %% [markdown]
# ## Step 3: The backward pass, node by node
#
# Walk the table from the bottom up. Each node receives **∂f/∂(its output)** from the node above
# and hands **∂f/∂(its input) = ∂f/∂(its output) × local gradient** to each of its inputs:
#
# ```
# ∂f/∂f = 1
# ∂f/∂d = ∂f/∂f · (−1/d²)        reciprocal
# ∂f/∂e = ∂f/∂d · 1              +1
# ∂f/∂n = ∂f/∂e · exp(n)         exp
# ∂f/∂z = ∂f/∂n · (−1)           negate
# ∂f/∂s = ∂f/∂w2 = ∂f/∂z          add
# ∂f/∂p0 = ∂f/∂p1 = ∂f/∂s         add
# ∂f/∂w0 = ∂f/∂p0 · x0, ∂f/∂x0 = ∂f/∂p0 · w0, and the same for p1      multiply
# ```
#
# Write `sigmoid_backward(w, x)`: run the forward pass, then return **every** gradient as a dict
# keyed by node name: `"f", "d", "e", "n", "z", "s", "p0", "p1", "w0", "x0", "w1", "x1", "w2"`
# (`grads["d"]` is ∂f/∂d). Each of the six checks below grades one kind of node: it multiplies the
# gradient *you* computed above that node by the correct local gradient and compares.


# %% tags=["solution"] grade_id="backward_answer"
def sigmoid_backward(w, x):
    """∂f/∂(every node and input) of f = σ(w0·x0 + w1·x1 + w2), computed node by node."""
    v = sigmoid_forward(w, x)
    g = {"f": 1.0}
    ### BEGIN SOLUTION
    g["d"] = g["f"] * (-1.0 / v["d"] ** 2)  # reciprocal
    g["e"] = g["d"] * 1.0  # +1
    g["n"] = g["e"] * np.exp(v["n"])  # exp
    g["z"] = g["n"] * -1.0  # negate
    g["s"] = g["z"]  # add: passes the gradient to both inputs
    g["w2"] = g["z"]
    g["p0"] = g["s"]  # add
    g["p1"] = g["s"]
    g["w0"], g["x0"] = g["p0"] * x[0], g["p0"] * w[0]  # multiply: each input gets the other one
    g["w1"], g["x1"] = g["p1"] * x[1], g["p1"] * w[1]
    ### END SOLUTION
    return g


# %% tags=["tests"] grade_id="test_grad_recip"
lab.check("grad_recip", lambda: sigmoid_backward(W_SIG, X_SIG))  # ∂f/∂d from ∂f/∂f

# %% tags=["tests"] grade_id="test_grad_plus1"
lab.check("grad_plus1", lambda: sigmoid_backward(W_SIG, X_SIG))  # ∂f/∂e from ∂f/∂d

# %% tags=["tests"] grade_id="test_grad_exp"
lab.check("grad_exp", lambda: sigmoid_backward(W_SIG, X_SIG))  # ∂f/∂n from ∂f/∂e

# %% tags=["tests"] grade_id="test_grad_neg"
lab.check("grad_neg", lambda: sigmoid_backward(W_SIG, X_SIG))  # ∂f/∂z from ∂f/∂n

# %% tags=["tests"] grade_id="test_grad_add"
lab.check("grad_add", lambda: sigmoid_backward(W_SIG, X_SIG))  # ∂f/∂s, ∂f/∂w2, ∂f/∂p0, ∂f/∂p1

# %% tags=["tests"] grade_id="test_grad_mul"
lab.check("grad_mul", lambda: sigmoid_backward(W_SIG, X_SIG))  # ∂f/∂w0, ∂f/∂x0, ∂f/∂w1, ∂f/∂x1


# %% tags=["tests"] grade_id="test_sigmoid_hidden"
### BEGIN HIDDEN TESTS
def _hidden_answers(cases):  # rows (w0, w1, w2, x0, x1)
    rows = [(sigmoid_forward(c[:3], c[3:]), sigmoid_backward(c[:3], c[3:])) for c in cases]
    out = {f"fwd_{k}": [float(fwd[k]) for fwd, _ in rows] for k in rows[0][0]}
    out.update({f"grad_{k}": [float(grad[k]) for _, grad in rows] for k in rows[0][1]})
    return out


lab.check("sigmoid_hidden", _hidden_answers)
### END HIDDEN TESTS

# %% [markdown]
# ### Check it two more ways
#
# *Finite differences (수치 미분).* Nudge one input by ±h and watch f: the central difference
# (f(θ + h) − f(θ − h)) / 2h agrees with a correct backward pass to about 1e-10.
#
# *`tf.GradientTape`.* TensorFlow builds the same graph while it computes f, and runs exactly this
# backward pass for you.


# %%
def numerical_gradients(w, x, h=H):
    """Central differences of f with respect to w0, x0, w1, x1, w2."""

    def f(w, x):
        return sigmoid_forward(w, x)["f"]

    out = {}
    for name, vec, i in [("w0", w, 0), ("x0", x, 0), ("w1", w, 1), ("x1", x, 1), ("w2", w, 2)]:
        up, down = list(vec), list(vec)
        up[i] += h
        down[i] -= h
        if vec is w:
            out[name] = (f(up, x) - f(down, x)) / (2 * h)
        else:
            out[name] = (f(w, up) - f(w, down)) / (2 * h)
    return out


try:
    grads = sigmoid_backward(W_SIG, X_SIG)
    numeric = numerical_gradients(W_SIG, X_SIG)
    w_tf, x_tf = tf.Variable(W_SIG, dtype=tf.float64), tf.Variable(X_SIG, dtype=tf.float64)
    with tf.GradientTape() as tape:
        f_tf = tf.sigmoid(w_tf[0] * x_tf[0] + w_tf[1] * x_tf[1] + w_tf[2])
    dw_tf, dx_tf = (g.numpy() for g in tape.gradient(f_tf, [w_tf, x_tf]))
    tape_values = {"w0": dw_tf[0], "w1": dw_tf[1], "w2": dw_tf[2], "x0": dx_tf[0], "x1": dx_tf[1]}
    print(f"{'':4} {'backward':>10} {'numerical':>10} {'GradientTape':>13}")
    for name in ("w0", "x0", "w1", "x1", "w2"):
        print(f"{name:4} {grads[name]:10.6f} {numeric[name]:10.6f} {tape_values[name]:13.6f}")
    # The sigmoid's shortcut: the whole chain from z to f collapses into σ'(z) = f·(1 − f)
    f_val = sigmoid_forward(W_SIG, X_SIG)["f"]
    print(f"∂f/∂z node by node {grads['z']:.6f};  shortcut f(1 − f) = {f_val * (1 - f_val):.6f}")
except NotImplementedError:
    print("Implement sigmoid_forward and sigmoid_backward first.")

# %% [markdown]
# ### The graph with its forward (green) and backward (red) values


# %%
def draw_graph(values, grads):
    """Nodes left to right; the value above each wire in green, ∂f/∂(that value) below in red."""
    pos = {
        "w0": (0, 4),
        "x0": (0, 3),
        "w1": (0, 2),
        "x1": (0, 1),
        "w2": (0, 0),
        "p0": (1, 3.5),
        "p1": (1, 1.5),
        "s": (2, 2.5),
        "z": (3, 1.5),
        "n": (4, 1.5),
        "e": (5, 1.5),
        "d": (6, 1.5),
        "f": (7, 1.5),
    }
    label = {"p0": "×", "p1": "×", "s": "+", "z": "+", "n": "−", "e": "exp", "d": "+1", "f": "1/·"}
    edges = [
        ("w0", "p0"),
        ("x0", "p0"),
        ("w1", "p1"),
        ("x1", "p1"),
        ("p0", "s"),
        ("p1", "s"),
        ("s", "z"),
        ("w2", "z"),
        ("z", "n"),
        ("n", "e"),
        ("e", "d"),
        ("d", "f"),
    ]
    fig, ax = plt.subplots(figsize=(11, 4))
    for a, b in edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", (x1 - 0.18, y1), (x0 + 0.18, y0), arrowprops=dict(arrowstyle="->", color="gray"))
    for node, (x, y) in pos.items():
        ax.text(
            x,
            y,
            label.get(node, node),
            ha="center",
            va="center",
            fontsize=11,
            bbox=dict(boxstyle="circle", fc="white", ec="k" if node in label else "none"),
        )
        ax.text(x + 0.1, y + 0.28, f"{values[node]:.3g}", color="green", fontsize=9)
        ax.text(x + 0.1, y - 0.38, f"{grads[node]:.3g}", color="red", fontsize=9)
    ax.text(7.35, 1.5, "f", fontsize=11, va="center")
    ax.set_xlim(-0.5, 7.8)
    ax.set_ylim(-0.6, 4.6)
    ax.axis("off")
    ax.set_title("σ(w0·x0 + w1·x1 + w2): forward values (green), gradients ∂f/∂· (red)")
    plt.show()


try:
    draw_graph(
        {
            **dict(zip(["w0", "w1", "w2"], W_SIG)),
            **dict(zip(["x0", "x1"], X_SIG)),
            **sigmoid_forward(W_SIG, X_SIG),
        },
        sigmoid_backward(W_SIG, X_SIG),
    )
except (NotImplementedError, KeyError, TypeError):
    print("Implement sigmoid_forward and sigmoid_backward first.")

# %% [markdown]
# ## Written answer (graded by hand)
#
# In 3–5 sentences: the backward pass gave you the gradient with respect to *all five* inputs after
# one forward and one backward sweep. How many evaluations of f would the finite-difference method
# of this lab need for the same five numbers, and for a network with a million weights? Why can the
# backward pass reuse the gradient ∂f/∂z for every input below z?

# %% [markdown] tags=["manual"] grade_id="why_backprop"
# Central differences need two evaluations of f per input (2 × 5 = 10 here), while backprop gets
# every gradient from one forward and one backward pass.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says both:
# 1. (1 pt) Cost: finite differences need 2 evaluations of f per parameter (10 for 5 inputs,
#    2 million for a million weights), while backprop costs about one forward + one backward pass
#    (a small constant times one evaluation) whatever the number of parameters.
# 2. (1 pt) Reuse: by the chain rule ∂f/∂w = ∂f/∂z · ∂z/∂w, and ∂f/∂z is the same for every input
#    below z, so it is computed once and multiplied by each node's local gradient on the way down
#    (dynamic programming over the graph; each node only needs its local derivative).
# Half credit for only one of the two, or for "backprop is faster" without saying why.
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
