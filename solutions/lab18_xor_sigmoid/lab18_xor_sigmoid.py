# %% [markdown]
# # Lab 18: A deep sigmoid network cannot learn XOR (기울기 소실, vanishing gradient)
#
# **Goals of this lab**
#
# - Apply the chain rule (연쇄 법칙) by hand to small expressions.
# - Write the sigmoid and its derivative in NumPy, numerically stable for large |z|.
# - Backpropagate (역전파) by hand through a 2 → 2 → 1 sigmoid network on XOR, and check the
#   result with finite differences (수치 미분).
# - Measure the gradient of every layer of a *deep* sigmoid network (2 → 10 → 10 → 10 → 1) with
#   `tf.GradientTape`, and see the first layer's gradient vanish.
# - Train that deep network with plain SGD and watch it stay stuck at loss ln 2 ≈ 0.693.
#
# Each exercise cell contains `raise NotImplementedError()`: replace it with your code. The cell
# after it runs a check (`lab.check`) that saves your answer and tells you right away whether it
# is correct. Some checks are hidden: they run only when your notebook is graded, on other inputs.
# Lab 19 repairs this network with ReLU.

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

lab = Lab("lab18_xor_sigmoid")

# %% [markdown]
# All hyper-parameters live in this one cell. Do not change them: the grader checks the outcome of
# exactly this recipe.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0
HIDDEN_UNITS = 10  # units in each of the three hidden layers
LEARNING_RATE = 0.1  # plain SGD (확률적 경사 하강법), no momentum
STEPS_PER_EPOCH = 100  # SGD steps per Keras "epoch" (and per compiled call)
EPOCHS = 20  # 20 × 100 = 2000 full-batch steps

keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

# XOR: the output is 1 when exactly one input is 1. No straight line separates the two classes,
# so the network needs a hidden layer.
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
Y = np.array([[0], [1], [1], [0]], dtype="float64")

# %% [markdown]
# ## Step 1: The chain rule by hand (연쇄 법칙)
#
# Backpropagation is the chain rule applied from the loss back to every weight. Start small:
#
# - `grad_f(w, x, b)` returns the tuple `(∂f/∂w, ∂f/∂x, ∂f/∂b)` of **f = w·x + b**. At
#   w = −2, x = 5, b = 3 it is `(5, −2, 1)`.
# - `grad_E(w, x, y)` returns **∂E/∂w** of the squared error **E = (w·x − y)²**. Write
#   u = w·x − y; then E = u², ∂E/∂u = 2u and ∂u/∂w = x.


# %% tags=["solution"] grade_id="chain_rule_answer"
def grad_f(w, x, b):
    """(∂f/∂w, ∂f/∂x, ∂f/∂b) of f = w·x + b."""
    ### BEGIN SOLUTION
    return (x, w, 1.0)
    ### END SOLUTION


def grad_E(w, x, y):
    """∂E/∂w of E = (w·x − y)²."""
    ### BEGIN SOLUTION
    return 2 * (w * x - y) * x
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_chain_rule"
lab.check("chain_rule", lambda: {"grad_f": grad_f(-2.0, 5.0, 3.0), "grad_E": grad_E(-2.0, 5.0, 3.0)})

# %% tags=["tests"] grade_id="test_chain_rule_hidden"
### BEGIN HIDDEN TESTS
lab.check(
    "chain_rule_hidden",
    lambda cases: {  # rows (w, x, b, y)
        "grad_f": [grad_f(w, x, b) for w, x, b, _ in cases],
        "grad_E": [grad_E(w, x, y) for w, x, _, y in cases],
    },
)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2: The sigmoid and its derivative
#
# σ(z) = 1 / (1 + e^(−z)) squashes any number into (0, 1), and its derivative is
# **σ'(z) = σ(z)(1 − σ(z))**. Write both for NumPy arrays (vectorised: no Python loops).
#
# *Numerically stable:* `np.exp(-z)` overflows for z = −1000 (e^1000 is larger than any float).
# Use e^(−|z|), which is always ≤ 1: for z ≥ 0, σ(z) = 1 / (1 + e^(−z)); for z < 0,
# σ(z) = e^z / (1 + e^z). The check below turns every overflow into an error.
#
# Notice the largest value of σ'(z): **1/4**, at z = 0. Keep that number in mind.


# %% tags=["solution"] grade_id="sigmoid_answer"
def sigmoid(z):
    """σ(z) element-wise, without overflow for large |z|."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def sigmoid_prime(z):
    """σ'(z) = σ(z)(1 − σ(z)) element-wise."""
    ### BEGIN SOLUTION
    s = sigmoid(z)
    return s * (1.0 - s)
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_sigmoid"
_z = np.array([-1000.0, -40.0, -5.0, -1.0, 0.0, 1.0, 5.0, 40.0, 1000.0])
with np.errstate(over="raise", invalid="raise"):  # an overflow in exp is a bug here
    lab.check("sigmoid", lambda: {"sigmoid": sigmoid(_z), "sigmoid_prime": sigmoid_prime(_z)})

# %% tags=["tests"] grade_id="test_sigmoid_hidden"
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise"):  # z: 45 values, a few far out in the tails
    lab.check("sigmoid_hidden", lambda z: {"sigmoid": sigmoid(z), "sigmoid_prime": sigmoid_prime(z)})
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3: Backpropagation by hand on a 2 → 2 → 1 network (역전파)
#
# The smallest network that can solve XOR: two inputs, two sigmoid hidden units, one sigmoid
# output. With the 4 examples as the rows of `X` (shape (4, 2)), and the weights laid out as Keras
# lays them out (a kernel has shape (inputs, units)):
#
# ```
# z1 = X @ W1 + b1      a1 = σ(z1)       (4, 2)
# z2 = a1 @ W2 + b2     p  = σ(z2)       (4, 1)
# L  = mean over the 4 examples of −[y·log p + (1 − y)·log(1 − p)]     binary cross-entropy
# ```
#
# Going backwards, one chain-rule factor at a time (N = 4):
#
# ```
# ∂L/∂z2 = (p − y) / N            sigmoid + cross-entropy: the σ' factor cancels
# ∂L/∂W2 = a1ᵀ @ ∂L/∂z2           ∂L/∂b2 = sum of ∂L/∂z2 over the examples
# ∂L/∂a1 = ∂L/∂z2 @ W2ᵀ
# ∂L/∂z1 = ∂L/∂a1 * σ'(z1)        here σ'(z1) = a1(1 − a1) ≤ 1/4
# ∂L/∂W1 = Xᵀ @ ∂L/∂z1            ∂L/∂b1 = sum of ∂L/∂z1 over the examples
# ```
#
# Implement `forward`, `bce_loss` and `backward` in float64 NumPy. Each gradient is graded
# separately against the grader's own float64 backprop (relative error ≤ 1e-7).

# %% tags=["locked"] grade_id="backprop_params"
PARAMS = {
    "W1": np.array([[0.5, -0.4], [0.3, 0.8]]),  # (2 inputs, 2 hidden units)
    "b1": np.array([0.1, -0.2]),
    "W2": np.array([[0.7], [-0.6]]),  # (2 hidden units, 1 output)
    "b2": np.array([0.05]),
}


# %% tags=["solution"] grade_id="backprop_answer"
def forward(params, X):
    """Forward pass; returns the intermediate values {"z1", "a1", "z2", "p"} backward needs."""
    ### BEGIN SOLUTION
    z1 = X @ params["W1"] + params["b1"]
    a1 = sigmoid(z1)
    z2 = a1 @ params["W2"] + params["b2"]
    return {"z1": z1, "a1": a1, "z2": z2, "p": sigmoid(z2)}
    ### END SOLUTION


def bce_loss(p, y):
    """Mean binary cross-entropy of the predicted probabilities p for the labels y."""
    ### BEGIN SOLUTION
    return float(np.mean(-(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))))
    ### END SOLUTION


def backward(params, X, Y):
    """Gradients {"dW1", "db1", "dW2", "db2"} of bce_loss with respect to each parameter."""
    ### BEGIN SOLUTION
    cache = forward(params, X)
    n = X.shape[0]
    dz2 = (cache["p"] - Y) / n
    dW2 = cache["a1"].T @ dz2
    db2 = dz2.sum(axis=0)
    da1 = dz2 @ params["W2"].T
    dz1 = da1 * cache["a1"] * (1.0 - cache["a1"])
    dW1 = X.T @ dz1
    db1 = dz1.sum(axis=0)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_backprop_loss"
lab.check("backprop_loss", lambda: bce_loss(forward(PARAMS, X)["p"], Y))

# %% tags=["tests"] grade_id="test_backprop_dW1"
lab.check("backprop_dW1", lambda: backward(PARAMS, X, Y)["dW1"])

# %% tags=["tests"] grade_id="test_backprop_db1"
lab.check("backprop_db1", lambda: backward(PARAMS, X, Y)["db1"])

# %% tags=["tests"] grade_id="test_backprop_dW2"
lab.check("backprop_dW2", lambda: backward(PARAMS, X, Y)["dW2"])

# %% tags=["tests"] grade_id="test_backprop_db2"
lab.check("backprop_db2", lambda: backward(PARAMS, X, Y)["db2"])

# %% tags=["tests"] grade_id="test_backprop_hidden"
### BEGIN HIDDEN TESTS
lab.check(
    "backprop_hidden",
    lambda params: {  # W1, b1, W2, b2 of the 2-2-1 net
        "loss": bce_loss(forward(params, X)["p"], Y),
        **{k: backward(params, X, Y)[k] for k in ("dW1", "db1", "dW2", "db2")},
    },
)
### END HIDDEN TESTS

# %% [markdown]
# ### Check it with finite differences (수치 미분)
#
# A gradient can be approximated without any calculus: nudge one parameter by ±h and watch the
# loss, ∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h. This *central difference* is accurate to about h², so
# with h = 1e-5 in float64 it agrees with a correct backprop to ~1e-9. It costs two forward passes
# per parameter, which is why real networks use backprop and keep finite differences for tests.


# %%
def numerical_gradients(params, X, Y, h=1e-5):
    """Central differences of bce_loss, one parameter entry at a time."""
    grads = {}
    for key, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[key][index] += h
            minus[key][index] -= h
            loss_plus = bce_loss(forward(plus, X)["p"], Y)
            loss_minus = bce_loss(forward(minus, X)["p"], Y)
            grad[index] = (loss_plus - loss_minus) / (2 * h)
        grads["d" + key] = grad
    return grads


try:
    numeric, analytic = numerical_gradients(PARAMS, X, Y), backward(PARAMS, X, Y)
    for key in ("dW1", "db1", "dW2", "db2"):
        error = np.max(np.abs(numeric[key] - analytic[key])) / np.max(np.abs(numeric[key]))
        print(f"{key}: backprop {analytic[key].ravel().round(6)}  relative error {error:.1e}")
except NotImplementedError:
    print("Implement forward, bce_loss and backward first.")

# %% [markdown]
# ## Step 4: A deep sigmoid network and its gradients, layer by layer
#
# Now the network of this lab: three hidden layers of 10 sigmoid units and a sigmoid output,
# with Keras' default initialization (Glorot uniform kernels, zero biases).


# %% tags=["locked"] grade_id="deep_model"
def build_deep_sigmoid_net():
    """2 → 10 → 10 → 10 → 1, sigmoid everywhere."""
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(HIDDEN_UNITS, activation="sigmoid"),
            keras.layers.Dense(HIDDEN_UNITS, activation="sigmoid"),
            keras.layers.Dense(HIDDEN_UNITS, activation="sigmoid"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="deep_sigmoid",
    )


keras.utils.set_random_seed(SEED)  # the same initial weights on every run (lab 19 reuses them)
model = build_deep_sigmoid_net()
model.summary()

# %% [markdown]
# Write `gradient_norms(model, X, Y)`: the mean binary cross-entropy of `model` on the 4 XOR
# points, its gradient with respect to each Dense layer's **kernel** (weight matrix, not the bias)
# computed with `tf.GradientTape`, and the norm ‖∂L/∂W‖ of each, from the first hidden layer to the
# output layer, as a NumPy array of 4 numbers.
#
# Hints: `keras.losses.BinaryCrossentropy()`; `layer.kernel`; `tape.gradient(loss, list_of_kernels)`;
# `tf.norm`.


# %% tags=["solution"] grade_id="gradient_norms_answer"
def gradient_norms(model, X, Y):
    """‖∂L/∂kernel‖ of each Dense layer, first → last, for L = mean BCE on (X, Y)."""
    ### BEGIN SOLUTION
    loss_fn = keras.losses.BinaryCrossentropy()
    kernels = [layer.kernel for layer in model.layers]
    with tf.GradientTape() as tape:
        loss = loss_fn(Y, model(X))
    grads = tape.gradient(loss, kernels)
    return np.array([float(tf.norm(g)) for g in grads])
    ### END SOLUTION


# %%
norms_init = gradient_norms(model, X, Y)
for i, norm in enumerate(norms_init, start=1):
    print(f"layer {i}: ‖∂L/∂W{i}‖ = {norm:.2e}")
print(f"last / first = {norms_init[-1] / norms_init[0]:.0f}")

# %% [markdown]
# The check saves the model *as it is now* (untrained): the grader recomputes the norms on its
# weights.

# %% tags=["tests"] grade_id="test_grad_norms_init"
lab.check("grad_norms_init", lambda: gradient_norms(model, X, Y), model=model)

# %% [markdown]
# How much smaller is the first layer's gradient than the last layer's? Graded: at least 10×.

# %% tags=["tests"] grade_id="test_vanishing"
lab.check("vanishing", lambda: norms_init[-1] / norms_init[0])

# %%
layer_ids = np.arange(1, len(norms_init) + 1)
plt.figure(figsize=(5, 3.5))
plt.semilogy(layer_ids, norms_init, "o-", label="at initialization")
plt.xticks(layer_ids, [f"Dense {i}" for i in layer_ids])
plt.ylabel("‖∂L/∂W‖ (log scale)")
plt.title("Gradient norm per layer: deep sigmoid net")
plt.legend()
plt.grid(True, which="both", alpha=0.3)
plt.show()

# %% [markdown]
# ## Step 5: Train it (and watch it fail)
#
# The recipe: binary cross-entropy, plain `SGD(learning_rate=LEARNING_RATE)`, full batch (all 4
# points in every step), 2000 steps.
#
# *Why a `tf.data` pipeline?* `model.fit(X, Y, epochs=2000)` pays Keras' per-epoch overhead (about
# 30 ms) 2000 times. Instead, one dataset that repeats the full batch forever,
# `Dataset.from_tensors((X, Y)).repeat()`, fed as `EPOCHS` "epochs" of `STEPS_PER_EPOCH` steps, with
# `steps_per_execution=STEPS_PER_EPOCH` in `compile` so 100 steps run in one compiled call: the
# same 2000 SGD steps in under a second.

# %% tags=["locked"] grade_id="dataset"
dataset = tf.data.Dataset.from_tensors((X.astype("float32"), Y.astype("float32"))).repeat()


# %% [markdown]
# Write `train_xor(model, dataset)`: compile `model` with `keras.optimizers.SGD(LEARNING_RATE)`,
# the loss `"binary_crossentropy"`, the metric `"accuracy"` and `steps_per_execution=STEPS_PER_EPOCH`;
# then fit it on `dataset` with `steps_per_epoch=STEPS_PER_EPOCH`, `epochs=EPOCHS`, `shuffle=False`
# (the dataset is already a stream) and `verbose=0`. Return the `History` that `fit` returns.


# %% tags=["solution"] grade_id="train_answer"
def train_xor(model, dataset):
    """Compile with plain SGD + BCE and run EPOCHS × STEPS_PER_EPOCH full-batch steps."""
    ### BEGIN SOLUTION
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EPOCH,
    )
    return model.fit(dataset, steps_per_epoch=STEPS_PER_EPOCH, epochs=EPOCHS, shuffle=False, verbose=0)
    ### END SOLUTION


# %%
history = train_xor(model, dataset)
print(f"final loss {history.history['loss'][-1]:.4f}, accuracy {history.history['accuracy'][-1]:.2f}")

# %%
steps = STEPS_PER_EPOCH * np.arange(1, len(history.history["loss"]) + 1)
plt.figure(figsize=(5, 3.5))
plt.plot(steps, history.history["loss"], label="training loss")
plt.axhline(np.log(2), color="gray", linestyle="--", label="ln 2: always answering 0.5")
plt.ylim(0.0, 0.8)  # the full scale: a change in the 4th decimal is not learning
plt.xlabel("SGD step")
plt.ylabel("binary cross-entropy")
plt.title("Deep sigmoid net on XOR")
plt.legend()
plt.show()

# %% [markdown]
# Graded on the saved model: after 2000 steps the network does **not** solve XOR (accuracy ≤ 0.75
# and loss > 0.6). The loss sits at ln 2 ≈ 0.693, the loss of a network that answers 0.5 for
# every input.

# %% tags=["tests"] grade_id="test_deep_sigmoid_fails"
lab.check("deep_sigmoid_fails", lambda: history.history["loss"], model=model)

# %% [markdown]
# The gradients after training: every layer's is now tiny, even the last one's. The network
# answers ≈ 0.5 everywhere, and on this flat plateau there is hardly any slope left to follow.

# %%
norms_trained = gradient_norms(model, X, Y)
print("after training:", ", ".join(f"{n:.2e}" for n in norms_trained))

# %% tags=["tests"] grade_id="test_grad_norms_trained"
lab.check("grad_norms_trained", lambda: gradient_norms(model, X, Y), model=model)


# %%
def plot_decision_boundary(model, title):
    """The model's P(y = 1) over the unit square (plus a margin), its 0.5 contour, the 4 XOR points."""
    grid = np.linspace(-0.1, 1.1, 121)
    gx, gy = np.meshgrid(grid, grid)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype("float32")
    probs = np.asarray(model(points)).reshape(gx.shape)
    plt.figure(figsize=(4.5, 4))
    plt.contourf(gx, gy, probs, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
    plt.colorbar(label="P(y = 1)")
    if probs.min() < 0.5 < probs.max():
        plt.contour(gx, gy, probs, levels=[0.5], colors="k")
    plt.scatter(X[:, 0], X[:, 1], c=Y[:, 0], cmap="RdBu_r", edgecolors="k", s=120, vmin=0, vmax=1)
    plt.xlabel("x₁")
    plt.ylabel("x₂")
    plt.title(title)
    plt.show()


# %%
plt.figure(figsize=(5, 3.5))
plt.semilogy(layer_ids, norms_init, "o-", label="at initialization")
plt.semilogy(layer_ids, norms_trained, "s--", label="after 2000 SGD steps")
plt.xticks(layer_ids, [f"Dense {i}" for i in layer_ids])
plt.ylabel("‖∂L/∂W‖ (log scale)")
plt.title("Gradient norm per layer")
plt.legend()
plt.grid(True, which="both", alpha=0.3)
plt.show()

# %%
plot_decision_boundary(model, "Deep sigmoid net after training")

# %% [markdown]
# ## Step 6: Why this recipe fails
#
# Backprop multiplies one factor per layer on the way down. Each sigmoid layer contributes
# σ'(z) ≤ 1/4 (and less when its units saturate) times a Glorot-sized weight matrix, whose entries
# are at most ±0.55 for 10 → 10 units. Three hidden layers shrink the signal by roughly (1/4)³ ≈ 1/64
# before it reaches the first layer, which is what the plot of Step 4 shows (a factor of 75–280 on
# seeds 0–4).
#
# The first layers barely move, so the network keeps its nearly random hidden features. What
# does move, mostly the output layer, learns the easy part first: answering the average label, 0.5,
# which gives the loss ln 2 ≈ 0.693 the curve sticks at (a *plateau*, 평탄 구간). Around that
# point every gradient is tiny (after training they are ~1e-4 in every layer, Step 5), so with a
# learning rate of 0.1, 2000 plain SGD steps move the weights far too little to leave it.
#
# This is the recipe, not sigmoid networks as such, failing. Drawing the kernels from N(0, 1)
# instead (`kernel_initializer=keras.initializers.RandomNormal(stddev=1.0)`) makes the units more
# different from each other and the gradients larger, and it usually escapes the plateau within the
# same 2000 steps (accuracy 1.0 on 4 of the 5 seeds we tried). `keras.optimizers.Adam(0.01)`, which
# rescales each weight's step by the size of its own recent gradients, so that a tiny gradient still
# gives a normal-sized step, solves XOR on all 5. Lab 19 takes a third road: ReLU units, whose
# derivative is exactly 1 wherever they are active.

# %% [markdown]
# ## Written answer (graded by hand)
#
# Explain in 3–6 sentences why the first layer's gradient is so much smaller than the last
# layer's. Use the chain rule: which factors multiply together between the loss and W1, and how
# large can each one be? What does that predict for a network with 10 sigmoid layers?

# %% [markdown] tags=["manual"] grade_id="why_first_layer_small"
# By the chain rule, ∂L/∂W1 is a product of one factor per layer between the loss and W1: for
# every sigmoid layer above it, the derivative σ'(z) of its activation times its weight matrix.
# The sigmoid's derivative σ(z)(1 − σ(z)) is at most 1/4 (at z = 0) and much smaller where a unit
# saturates, and Glorot-initialized weights are small (|w| < 0.55 here), so every layer's factor
# is well below 1. Multiplying three of them shrinks the gradient by roughly 4³ ≈ 64 — we measured
# about 100 — while the last layer's gradient has no such factor. With 10 sigmoid layers the
# product would be about (1/4)¹⁰ ≈ 1e-6: the first layers would practically not learn at all.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says both:
# 1. (1 pt) ∂L/∂W1 is a *product* of per-layer factors (chain rule / backprop multiplies through
#    each layer above W1: a weight matrix and a σ'(z) term per hidden layer).
# 2. (1 pt) σ'(z) = σ(z)(1 − σ(z)) ≤ 1/4 (smaller still when units saturate), and with small
#    (Glorot) weights each layer's factor is < 1, so the product shrinks geometrically with depth:
#    about (1/4)³ for three sigmoid layers, about (1/4)¹⁰ ≈ 1e-6 for ten — the first layers
#    barely learn (vanishing gradient, 기울기 소실).
# Half credit for "the sigmoid derivative is small" without the product/depth argument.
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
