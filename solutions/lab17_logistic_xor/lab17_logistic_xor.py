# %% [markdown]
# # Lab 17: Logistic regression, and why XOR needs two layers (로지스틱 회귀와 XOR 문제)
#
# **Goals of this lab**
#
# - Write the logistic hypothesis h = 1/(1 + e^(−z)) with z = w·x + b, and its cost (비용 함수)
#   −y·log h − (1 − y)·log(1 − h), both numerically stable for very large |z|.
# - Derive its gradient, check it with finite differences, and train with gradient descent
#   (경사 하강법) on the AND and OR gates (accuracy 1.0).
# - See that no single neuron — no straight line — separates XOR: at best 3 of the 4 points.
# - Solve XOR with two layers: first the notes' hand-set 2-2-1 network, then a Keras 2-2-1
#   network trained in a second.
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

lab = Lab("lab17_logistic_xor")

# %% [markdown]
# All hyper-parameters live in this one cell. Do not change them: the grader checks the outcome of
# exactly this recipe.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0
LEARNING_RATE = 1.0  # logistic regression: plain gradient descent, full batch
STEPS = 1000
NET_LEARNING_RATE = 5.0  # the Keras 2-2-1 net: plain SGD, full batch …
NET_STEPS = 2000  # … for 2000 steps …
STEPS_PER_EXECUTION = 500  # … run 500 at a time inside one compiled call
INIT_RANGE = 0.5  # initial weights drawn from U(−0.5, 0.5)
MAX_TRIES = 5  # fresh random starts allowed if a 2-2-1 net gets stuck
GRID = np.linspace(-2, 2, 17)  # Step 4: values tried for w1, w2 and b (steps of 0.25: exact floats)

keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

# The four inputs of a two-input logic gate, and the three gates' outputs
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
Y_AND = np.array([0, 0, 0, 1], dtype="float64")
Y_OR = np.array([0, 1, 1, 1], dtype="float64")
Y_XOR = np.array([0, 1, 1, 0], dtype="float64")

# %% [markdown]
# ## Step 1: Hypothesis and cost
#
# One neuron with a sigmoid: z = x·w + b (for the 4 examples at once: `z = X @ w + b`, with w of
# shape (2,)), and
#
# ```
# h = σ(z) = 1 / (1 + e^(−z))        the probability that y = 1
# cost = mean over the examples of  −y·log h − (1 − y)·log(1 − h)       (cross-entropy)
# ```
#
# *Numerically stable:* for z = −1000, `np.exp(-z)` overflows; write σ(z) = e^z / (1 + e^z) when
# z < 0. In the cost, when h rounds to exactly 0 or 1, `log h` or `log(1 − h)` is log 0 = −∞ — even
# where the true cost is a perfectly ordinary number. Avoid computing h at all: since
# −log σ(z) = log(1 + e^(−z)) and −log(1 − σ(z)) = log(1 + e^z),
#
# ```
# cost = mean of  log(1 + e^z) − y·z
# ```
#
# and `np.logaddexp(0, z)` computes log(e⁰ + e^z) = log(1 + e^z) without overflow.


# %% tags=["solution"] grade_id="hypothesis_answer"
def sigmoid(z):
    """σ(z) element-wise, without overflow for large |z|."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def hypothesis(X, w, b):
    """h = σ(X @ w + b), one probability per row of X."""
    ### BEGIN SOLUTION
    return sigmoid(X @ w + b)
    ### END SOLUTION


def cost(X, y, w, b):
    """Mean cross-entropy −y·log h − (1 − y)·log(1 − h), stable for any z."""
    ### BEGIN SOLUTION
    z = X @ w + b
    return float(np.mean(np.logaddexp(0.0, z) - y * z))
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_hypothesis"
_z = np.array([-1000.0, -40.0, -2.0, 0.0, 2.0, 40.0, 1000.0])
with np.errstate(over="raise", invalid="raise"):  # an overflow in exp is a bug here
    lab.check(
        "hypothesis",
        lambda: {"h": hypothesis(X, np.array([1.5, -2.0]), 0.5), "h_extreme": sigmoid(_z)},
    )

# %% [markdown]
# The cost is checked on AND for three (w, b): an ordinary one, one that is confidently *right*
# (|z| ≥ 400: the cost is ≈ 0) and one that is confidently *wrong* (the cost is 600, not ∞).

# %% tags=["tests"] grade_id="test_cost"
_cases = [
    (np.array([1.5, -2.0]), 0.5),
    (np.array([800.0, 800.0]), -1200.0),
    (np.array([-800.0, -800.0]), 1200.0),
]
with np.errstate(over="raise", invalid="raise", divide="raise"):
    lab.check("cost", lambda: [cost(X, Y_AND, w, b) for w, b in _cases])

# %% [markdown]
# ## Step 2: The gradient of the cost
#
# With z = X @ w + b and h = σ(z), the chain rule gives a famously short result (the σ' factor
# cancels against the derivative of the logs): ∂cost/∂z = (h − y)/N for each example, so
#
# ```
# ∂cost/∂w = Xᵀ (h − y) / N        ∂cost/∂b = mean(h − y)
# ```
#
# Write `cost_gradient(X, y, w, b)` returning the pair `(dw, db)`.


# %% tags=["solution"] grade_id="gradient_answer"
def cost_gradient(X, y, w, b):
    """(∂cost/∂w, ∂cost/∂b)."""
    ### BEGIN SOLUTION
    r = hypothesis(X, w, b) - y
    return X.T @ r / len(X), float(np.mean(r))
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_gradient"
def _gradients():
    pairs = [cost_gradient(X, Y_AND, w, b) for w, b in _cases]
    return {"dw": [dw for dw, _ in pairs], "db": [db for _, db in pairs]}


lab.check("gradient", _gradients)

# %% tags=["tests"] grade_id="test_logistic_hidden"
### BEGIN HIDDEN TESTS
lab.check(
    "logistic_hidden",
    lambda cases: {  # (X, y, w, b) twice
        "cost": [cost(x_, y_, w_, b_) for x_, y_, w_, b_ in cases],
        "dw": [cost_gradient(x_, y_, w_, b_)[0] for x_, y_, w_, b_ in cases],
        "db": [cost_gradient(x_, y_, w_, b_)[1] for x_, y_, w_, b_ in cases],
    },
)
### END HIDDEN TESTS

# %% [markdown]
# Your own check with central differences (수치 미분), as in lab 16:


# %%
def numerical_gradient(X, y, w, b, h=1e-6):
    dw = np.array([(cost(X, y, w + h * e, b) - cost(X, y, w - h * e, b)) / (2 * h) for e in np.eye(len(w))])
    return dw, (cost(X, y, w, b + h) - cost(X, y, w, b - h)) / (2 * h)


try:
    w_try, b_try = np.array([1.5, -2.0]), 0.5
    (dw, db), (dw_num, db_num) = (
        cost_gradient(X, Y_AND, w_try, b_try),
        numerical_gradient(X, Y_AND, w_try, b_try),
    )
    print(f"analytic  dw = {dw}, db = {db:.8f}")
    print(f"numerical dw = {dw_num}, db = {db_num:.8f}")
except NotImplementedError:
    print("Implement cost and cost_gradient first.")

# %% [markdown]
# ## Step 3: Gradient descent on AND and OR
#
# Write `train(X, y)`: start from w = (0, 0), b = 0 and do `STEPS` updates
# w ← w − `LEARNING_RATE`·∂cost/∂w, b ← b − `LEARNING_RATE`·∂cost/∂b. Return `(w, b, costs)` where
# `costs` lists the cost before each update. The checks recompute accuracy and cost from your w, b.


# %% tags=["solution"] grade_id="train_answer"
def train(X, y, lr=LEARNING_RATE, steps=STEPS):
    """Gradient descent from w = 0, b = 0; returns (w, b, list of costs)."""
    ### BEGIN SOLUTION
    w, b, costs = np.zeros(X.shape[1]), 0.0, []
    for _ in range(steps):
        costs.append(cost(X, y, w, b))
        dw, db = cost_gradient(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b, costs
    ### END SOLUTION


def accuracy(X, y, w, b):
    """Fraction of the examples classified right (predict 1 where h > 0.5, i.e. z > 0)."""
    return float(np.mean(((X @ w + b) > 0) == (y > 0.5)))


# %%
trained = {}
for gate, y in [("AND", Y_AND), ("OR", Y_OR)]:
    try:
        trained[gate] = train(X, y)
        w_g, b_g, costs_g = trained[gate]
        print(
            f"{gate}: w = {np.round(w_g, 3)}, b = {b_g:.3f}, cost {costs_g[-1]:.4f}, accuracy {accuracy(X, y, w_g, b_g)}"
        )
    except NotImplementedError:
        print("Implement train first.")
        break

# %% tags=["tests"] grade_id="test_train_and"
lab.check("train_and", lambda: dict(zip(("w", "b"), train(X, Y_AND)[:2])))

# %% tags=["tests"] grade_id="test_train_or"
lab.check("train_or", lambda: dict(zip(("w", "b"), train(X, Y_OR)[:2])))

# %% [markdown]
# ## Step 4: XOR — what one neuron cannot do
#
# The neuron predicts 1 on one side of the line w·x + b = 0 and 0 on the other. AND and OR each
# have a line that separates their 1s from their 0s. XOR's 1s, (0, 1) and (1, 0), sit on one
# diagonal and its 0s on the other: *no* line puts both 1s on one side and both 0s on the other.
#
# Two experiments:
#
# 1. Train the same neuron on XOR with `train`. (Look at w and b: by symmetry the gradient at
#    w = 0, b = 0 is exactly zero, and the best the cost can do is ln 2 ≈ 0.693, h = 0.5 everywhere.)
# 2. Search for the best line yourself: try every (w1, w2, b) on the grid `GRID` (−2 to 2 in steps
#    of 0.25) for each of the three, and keep the one with the highest XOR accuracy. Write
#    `best_line(X, y)` returning `(best_w, best_b, best_accuracy)`. The check verifies your line's
#    accuracy from its weights: 0.75 — three points right — is the best any line can do.


# %% tags=["solution"] grade_id="xor_answer"
def best_line(X, y, grid=GRID):
    """The (w, b) on the grid with the highest accuracy, and that accuracy."""
    ### BEGIN SOLUTION
    w1, w2, b = (a.ravel() for a in np.meshgrid(grid, grid, grid, indexing="ij"))
    z = X[:, :1] * w1 + X[:, 1:] * w2 + b  # (4 examples, every line at once)
    acc = np.mean((z > 0) == (y[:, None] > 0.5), axis=0)
    i = int(np.argmax(acc))
    return np.array([w1[i], w2[i]]), float(b[i]), float(acc[i])
    ### END SOLUTION


# %%
try:
    trained["XOR"] = train(X, Y_XOR)
    w_x, b_x, costs_x = trained["XOR"]
    print(
        f"XOR trained: w = {w_x}, b = {b_x}, cost {costs_x[-1]:.4f}, accuracy {accuracy(X, Y_XOR, w_x, b_x)}"
    )
    best_w, best_b, best_acc = best_line(X, Y_XOR)
    print(f"best line on the grid: w = {best_w}, b = {best_b:.2f}, accuracy {best_acc}")
except NotImplementedError:
    print("Implement train and best_line first.")

# %% tags=["tests"] grade_id="test_xor_linear"
lab.check(
    "xor_linear",
    lambda: {
        **dict(zip(("w", "b"), train(X, Y_XOR)[:2])),
        **dict(zip(("best_w", "best_b", "best_accuracy"), best_line(X, Y_XOR))),
    },
)


# %%
def plot_boundary(ax, predict, y, title, line=None):
    """P(y = 1) over the square, the 0.5 contour, the 4 points coloured by their label."""
    grid = np.linspace(-0.25, 1.25, 121)
    gx, gy = np.meshgrid(grid, grid)
    probs = predict(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
    ax.contourf(gx, gy, probs, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
    if probs.min() < 0.5 < probs.max():
        ax.contour(gx, gy, probs, levels=[0.5], colors="k")
    if line is not None:  # a line w·x + b = 0, drawn even where the probabilities are flat
        (w1, w2), b = line
        if abs(w2) > 1e-12:
            ax.plot(grid, -(w1 * grid + b) / w2, "k--")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=120, vmin=0, vmax=1)
    ax.set_xlim(-0.25, 1.25)
    ax.set_ylim(-0.25, 1.25)
    ax.set_title(title, fontsize=10)


if all(k in trained for k in ("AND", "OR", "XOR")):
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    for ax, gate, y in zip(axes, ["AND", "OR", "XOR"], [Y_AND, Y_OR, Y_XOR]):
        w_g, b_g, _ = trained[gate]
        acc = accuracy(X, y, w_g, b_g)
        plot_boundary(
            ax, lambda P, w=w_g, b=b_g: hypothesis(P, w, b), y, f"{gate}, trained: accuracy {acc:.2f}"
        )
    plot_boundary(
        axes[3],
        lambda P: hypothesis(P, best_w, best_b),
        Y_XOR,
        f"XOR, best line: accuracy {best_acc:.2f}",
        line=(best_w, best_b),
    )
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Step 5: Two layers solve XOR
#
# Feed the inputs to *two* neurons first, and their outputs to a third: the hidden layer draws two
# lines, and the output neuron combines the two half-planes. The notes give weights that work
# (Keras layout: a kernel has shape (inputs, units)):
#
# ```
# a1 = σ(X @ W1 + b1)     W1 = [[5, −7], [5, −7]],  b1 = [−8, 3]      hidden layer, (4, 2)
# p  = σ(a1 @ W2 + b2)    W2 = [[−11], [−11]],      b2 = [6]          output, (4, 1)
# ```
#
# The first hidden unit is ≈ AND(x1, x2), the second ≈ NOR(x1, x2) — both separable by a line — and
# the output is ≈ NOR of those two, which is XOR. Write `two_layer_forward(X, W1, b1, W2, b2)`
# returning p of shape (4, 1).

# %% tags=["locked"] grade_id="notes_params"
W1 = np.array([[5.0, -7.0], [5.0, -7.0]])
b1 = np.array([-8.0, 3.0])
W2 = np.array([[-11.0], [-11.0]])
b2 = np.array([6.0])


# %% tags=["solution"] grade_id="two_layer_answer"
def two_layer_forward(X, W1, b1, W2, b2):
    """p = σ(σ(X @ W1 + b1) @ W2 + b2), shape (N, 1)."""
    ### BEGIN SOLUTION
    a1 = sigmoid(X @ W1 + b1)
    return sigmoid(a1 @ W2 + b2)
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_two_layer_forward"
lab.check("two_layer_forward", lambda: two_layer_forward(X, W1, b1, W2, b2))

# %% [markdown]
# Now let Keras find such weights. The recipe: 2 → Dense(2, sigmoid) → Dense(1, sigmoid), initial
# weights from U(−0.5, 0.5), binary cross-entropy, plain `SGD(NET_LEARNING_RATE)` on the full batch
# for `NET_STEPS` steps.
#
# *Fast on purpose:* `model.fit(X, Y, epochs=2000)` would pay Keras' per-epoch overhead 2000 times.
# A `tf.data` dataset that repeats the full batch forever, with `steps_per_execution` steps inside
# one compiled call, does the same 2000 steps in well under a second.
#
# *Local minima (지역 최솟값):* the 2-2-1 network is the smallest that can solve XOR, and some random
# starts end in a local minimum where it gets only 2 or 3 points right: about half of them with
# Keras' default initialization and Adam, a few in a hundred with this recipe's small U(−0.5, 0.5)
# start and plain SGD. The cure is simple: start again from new random weights (at most
# `MAX_TRIES` times).

# %% tags=["locked"] grade_id="xor_dataset"
dataset = tf.data.Dataset.from_tensors((X.astype("float32"), Y_XOR.reshape(-1, 1).astype("float32"))).repeat()


# %% [markdown]
# Write `build_xor_net()` (the model above, starting with `keras.Input(shape=(2,))`, with
# `kernel_initializer=keras.initializers.RandomUniform(-INIT_RANGE, INIT_RANGE)` in both layers) and
# `train_xor_net(model)`: compile with `keras.optimizers.SGD(NET_LEARNING_RATE)`, the loss
# `"binary_crossentropy"` and `steps_per_execution=STEPS_PER_EXECUTION`, then fit on `dataset` with
# `steps_per_epoch=STEPS_PER_EXECUTION`, `epochs=NET_STEPS // STEPS_PER_EXECUTION`, `shuffle=False`
# (the dataset is already a stream) and `verbose=0`. Return the `History` that `fit` returns.


# %% tags=["solution"] grade_id="xor_net_answer"
def build_xor_net():
    """2 → Dense(2, sigmoid) → Dense(1, sigmoid), weights from U(−INIT_RANGE, INIT_RANGE)."""
    ### BEGIN SOLUTION
    init = keras.initializers.RandomUniform(-INIT_RANGE, INIT_RANGE)
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(2, activation="sigmoid", kernel_initializer=init),
            keras.layers.Dense(1, activation="sigmoid", kernel_initializer=init),
        ],
        name="xor_2_2_1",
    )
    ### END SOLUTION


def train_xor_net(model):
    """NET_STEPS full-batch SGD steps on XOR; returns the History."""
    ### BEGIN SOLUTION
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=NET_LEARNING_RATE),
        loss="binary_crossentropy",
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    return model.fit(
        dataset,
        steps_per_epoch=STEPS_PER_EXECUTION,
        epochs=NET_STEPS // STEPS_PER_EXECUTION,
        shuffle=False,  # the dataset is already a stream
        verbose=0,
    )
    ### END SOLUTION


# %%
for attempt in range(1, MAX_TRIES + 1):
    try:
        net = build_xor_net()
        history = train_xor_net(net)
    except NotImplementedError:
        print("Implement build_xor_net and train_xor_net first.")
        break
    p_xor = np.asarray(net(X.astype("float32"))).ravel()
    solved = bool(np.all((p_xor > 0.5) == (Y_XOR > 0.5)))
    print(f"try {attempt}: loss {history.history['loss'][-1]:.4f}, outputs {np.round(p_xor, 3)}")
    if solved:
        break

# %% tags=["tests"] grade_id="test_xor_two_layer"
lab.check("xor_two_layer", lambda: {"outputs": np.asarray(net(X.astype("float32")))}, model=net)

# %%
if "net" in globals():
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for unit in range(2):
        plot_boundary(
            axes[unit],
            lambda P, u=unit: np.asarray(net.layers[0](P.astype("float32")))[:, u],  # the hidden layer alone
            Y_XOR,
            f"hidden unit {unit + 1}: one line each",
        )
    plot_boundary(
        axes[2], lambda P: np.asarray(net(P.astype("float32"))).ravel(), Y_XOR, "output: XOR solved"
    )
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Written answer (graded by hand)
#
# In 3–6 sentences: why can a single logistic neuron not learn XOR, whatever its weights and however
# long it trains? What does the hidden layer of the 2-2-1 network add — describe what each hidden
# unit computes in the plots above — and why would two layers *without* a non-linear activation not
# help?

# %% [markdown] tags=["manual"] grade_id="why_xor"
# A single neuron predicts 1 on one side of the line w·x + b = 0, and XOR's two 1s lie on opposite
# corners of the square, with a 0 between them on either diagonal.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says both:
# 1. (1 pt) One neuron's decision boundary h = 0.5 is the straight line w·x + b = 0 (linear
#    classifier); XOR is not linearly separable — any line that puts (0, 1) and (1, 0) on one side
#    puts at least one of (0, 0), (1, 1) there too — so at most 3 of 4 points are right, for any
#    weights and any training (the logistic cost is even minimised at w = 0, h = 0.5 everywhere).
# 2. (1 pt) The hidden layer maps the inputs to new features (each hidden unit is itself a line /
#    half-plane, e.g. ≈ AND and ≈ NOR or OR and NAND) in which XOR *is* linearly separable, and the
#    output unit draws a line there; without a non-linear activation the two layers compose into
#    one linear map, again a single line.
# Half credit for "XOR is not linearly separable" without the argument, or for point 2 only.
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
