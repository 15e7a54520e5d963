# %% [markdown]
# # Lab 19: ReLU brings the deep XOR network back to life
#
# In lab 18 a 2 → 10 → 10 → 10 → 1 sigmoid network, trained with plain SGD, never left the
# plateau at loss ln 2: its first layer's gradient was about 100× smaller than its last layer's
# (기울기 소실, vanishing gradient). Here we change one thing, the activation of the hidden layers,
# and keep everything else: same architecture, same initial weights, same optimizer, same 2000 steps.
#
# **Goals of this lab**
#
# - Write ReLU and its derivative in NumPy.
# - Build the network for any hidden activation with the Keras `Sequential` API.
# - Compare the per-layer gradient norms of the sigmoid and the ReLU network *from the same
#   initial weights, on the same input*, and see why the ReLU network's first layer can learn.
# - Train the ReLU network with lab 18's recipe and watch it solve XOR.
# - Understand dead ReLUs (죽은 ReLU) and why width helps.
#
# As in lab 18: replace each `raise NotImplementedError()` with your code; the check after it
# tells you right away whether it is correct, and hidden checks run at grading.

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

lab = Lab("lab19_xor_relu")

# %% [markdown]
# The hyper-parameters are lab 18's, unchanged: only the activation differs.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0
HIDDEN_UNITS = 10  # units in each of the three hidden layers
LEARNING_RATE = 0.1  # plain SGD (확률적 경사 하강법), no momentum
STEPS_PER_EPOCH = 100  # SGD steps per Keras "epoch" (and per compiled call)
EPOCHS = 20  # 20 × 100 = 2000 full-batch steps

keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
Y = np.array([[0], [1], [1], [0]], dtype="float64")
# One tf.data stream repeating the full batch: 100 steps per compiled call (see lab 18, Step 5).
dataset = tf.data.Dataset.from_tensors((X.astype("float32"), Y.astype("float32"))).repeat()

# %% [markdown]
# ## Step 1: ReLU and its derivative
#
# relu(z) = max(z, 0). Its derivative is **1 for z > 0** and **0 for z < 0**; at z = 0 it is not
# defined, and we use 0 there, as TensorFlow does. Write both for NumPy arrays (element-wise:
# `np.maximum`, not Python's `max`).
#
# Compare with the sigmoid: σ'(z) ≤ 1/4 everywhere, while relu'(z) is exactly 1 for every active
# unit. Backprop multiplies these factors layer after layer.


# %% tags=["solution"] grade_id="relu_answer"
def relu(z):
    """max(z, 0) element-wise."""
    ### BEGIN SOLUTION
    return np.maximum(np.asarray(z, dtype="float64"), 0.0)
    ### END SOLUTION


def relu_prime(z):
    """1.0 where z > 0, else 0.0 (also at z = 0)."""
    ### BEGIN SOLUTION
    return (np.asarray(z, dtype="float64") > 0).astype("float64")
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_relu"
_z = np.array([-1000.0, -3.0, -0.5, -1e-9, 0.0, 1e-9, 0.5, 3.0, 1000.0])
lab.check("relu", lambda: {"relu": relu(_z), "relu_prime": relu_prime(_z)})

# %% tags=["tests"] grade_id="test_relu_hidden"
### BEGIN HIDDEN TESTS
lab.check("relu_hidden", lambda z: {"relu": relu(z), "relu_prime": relu_prime(z)})
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2: Build the network
#
# Write `build_net(hidden_activation)`: a `keras.Sequential` model that starts with
# `keras.Input(shape=(2,))`, then three `Dense(HIDDEN_UNITS, activation=hidden_activation)` layers
# and a `Dense(1, activation="sigmoid")` output (a probability for binary cross-entropy, whatever
# the hidden activation). Keep Keras' default initializers. `build_net("sigmoid")` is lab 18's
# network; `build_net("relu")` is this lab's.


# %% tags=["solution"] grade_id="build_net_answer"
def build_net(hidden_activation):
    """2 → 10 → 10 → 10 → 1 with the given hidden activation and a sigmoid output."""
    ### BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(HIDDEN_UNITS, activation=hidden_activation),
            keras.layers.Dense(HIDDEN_UNITS, activation=hidden_activation),
            keras.layers.Dense(HIDDEN_UNITS, activation=hidden_activation),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name=f"deep_{hidden_activation}",
    )
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_build_net"
lab.check("build_net", lambda: {"relu_model": build_net("relu"), "sigmoid_model": build_net("sigmoid")})

# %% [markdown]
# ## Step 3: Gradient norms, sigmoid vs ReLU
#
# A fair comparison changes one thing only. Re-seeding right before building each network gives
# both the **same initial kernels** (the activation has no weights of its own), and both see the
# same 4 XOR points, so any difference in their gradients comes from the activation.
#
# First bring back `gradient_norms(model, X, Y)` from lab 18: ‖∂L/∂kernel‖ of each Dense layer,
# first → last, for L = the mean binary cross-entropy on (X, Y), with `tf.GradientTape`.


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
keras.utils.set_random_seed(SEED)
sigmoid_model = build_net("sigmoid")
keras.utils.set_random_seed(SEED)  # same seed → same initial kernels
relu_model = build_net("relu")

norms_sigmoid = gradient_norms(sigmoid_model, X, Y)
norms_relu = gradient_norms(relu_model, X, Y)
for i, (s, r) in enumerate(zip(norms_sigmoid, norms_relu), start=1):
    print(f"Dense {i}: sigmoid {s:.2e}   ReLU {r:.2e}")

# %% [markdown]
# The check saves both models as they are now (untrained); the grader verifies that they share
# their initial kernels and recomputes all eight norms.

# %% tags=["tests"] grade_id="test_grad_norms_compare"
lab.check(
    "grad_norms_compare",
    lambda: {
        "sigmoid": gradient_norms(sigmoid_model, X, Y),
        "relu": gradient_norms(relu_model, X, Y),
        "sigmoid_model": sigmoid_model,
        "relu_model": relu_model,
    },
)

# %% [markdown]
# Graded: the sigmoid net's last/first ratio is still ≥ 10 (lab 18's vanishing gradient), and the
# ReLU net's is below 10: its first layer's gradient no longer shrinks by lab 18's factor.

# %% tags=["tests"] grade_id="test_no_vanishing"
lab.check(
    "no_vanishing",
    lambda: {
        "sigmoid_ratio": norms_sigmoid[-1] / norms_sigmoid[0],
        "relu_ratio": norms_relu[-1] / norms_relu[0],
    },
)

# %%
layer_ids = np.arange(1, 5)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True, layout="constrained")
for ax, norms, name in ((axes[0], norms_sigmoid, "sigmoid"), (axes[1], norms_relu, "ReLU")):
    ax.semilogy(layer_ids, norms, "o-")
    ax.set_xticks(layer_ids, [f"Dense {i}" for i in layer_ids])
    ax.set_title(f"{name} hidden layers: last/first = {norms[-1] / norms[0]:.2g}")
    ax.grid(True, which="both", alpha=0.3)
axes[0].set_ylabel("‖∂L/∂W‖ at init (log scale)")
fig.suptitle("Gradient norm per layer, same initial kernels")
plt.show()

# %% [markdown]
# ## Step 4: Train with lab 18's recipe
#
# Plain SGD with learning rate 0.1, binary cross-entropy, 2000 full-batch steps: exactly the
# recipe that left the sigmoid network stuck.


# %% tags=["locked"] grade_id="train"
def train_xor(model, dataset):
    """Lab 18's recipe: SGD(LEARNING_RATE) + BCE, EPOCHS × STEPS_PER_EPOCH full-batch steps."""
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EPOCH,
    )
    return model.fit(dataset, steps_per_epoch=STEPS_PER_EPOCH, epochs=EPOCHS, shuffle=False, verbose=0)


# %%
history = train_xor(relu_model, dataset)
print(f"final loss {history.history['loss'][-1]:.4f}, accuracy {history.history['accuracy'][-1]:.2f}")

steps = STEPS_PER_EPOCH * np.arange(1, len(history.history["loss"]) + 1)
plt.figure(figsize=(5, 3.5))
plt.plot(steps, history.history["loss"], label="ReLU hidden layers")
plt.axhline(np.log(2), color="gray", linestyle="--", label="ln 2: lab 18's plateau")
plt.ylim(0.0, 0.8)
plt.xlabel("SGD step")
plt.ylabel("binary cross-entropy")
plt.title("Deep ReLU net on XOR")
plt.legend()
plt.show()

# %% [markdown]
# Graded on the saved model: the trained ReLU network classifies all four points correctly
# (accuracy 1.0).

# %% tags=["tests"] grade_id="test_relu_solves"
lab.check("relu_solves", lambda: {"value": history.history["loss"], "model": relu_model})


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
plot_decision_boundary(relu_model, "Deep ReLU net after training")

# %% [markdown]
# ## Step 5: Dead ReLUs (죽은 ReLU) and width
#
# A ReLU unit whose pre-activation is negative for *every* input outputs 0 and has derivative 0
# everywhere: no gradient reaches its incoming weights, so it never changes again. It is *dead*.
# The cell below counts, in each hidden layer of the trained network, the units that output 0 on
# all four XOR points.

# %%
activations = X.astype("float32")
for i, layer in enumerate(relu_model.layers[:-1], start=1):
    activations = np.asarray(layer(activations))
    dead = np.all(activations == 0, axis=0)
    print(f"hidden layer {i}: {dead.sum()} of {dead.size} units dead on XOR")

# %% [markdown]
# Ten units per layer leave plenty of live ones. Why width matters shows up already at
# initialization, in a quick NumPy experiment (no training): 2000 random networks per width, with
# Keras' defaults (Glorot-uniform kernels, zero biases), fed the four XOR points. A unit is dead when
# it outputs 0 on all four; a layer whose units are *all* dead blocks every signal and every
# gradient, and then nothing below it can ever learn.


# %%
def dead_at_init(width, draws=2000, seed=SEED):
    """(fraction of dead hidden units, fraction of networks with a whole dead layer) at init."""
    rng = np.random.default_rng(seed)
    a = np.broadcast_to(X, (draws, 4, 2))
    fan_in, dead_units, blocked = 2, 0, np.zeros(draws, dtype=bool)
    for _ in range(3):
        limit = np.sqrt(6 / (fan_in + width))  # Glorot uniform
        a = np.maximum(a @ rng.uniform(-limit, limit, size=(draws, fan_in, width)), 0.0)
        dead = np.all(a == 0, axis=1)  # (draws, width): 0 on all four inputs
        dead_units += dead.sum()
        blocked |= dead.all(axis=1)  # the whole layer is dead
        fan_in = width
    return dead_units / (draws * 3 * width), blocked.mean()


for width in (2, 3, 5, HIDDEN_UNITS):
    dead_fraction, blocked = dead_at_init(width)
    print(
        f"width {width:2d}: {dead_fraction:4.0%} of hidden units dead, a whole dead layer in {blocked:5.1%} of networks"
    )

# %% [markdown]
# About a third of the units start dead at every width, but a whole layer dies only if *all* its
# units do, which gets exponentially rarer as the layer gets wider. Training can kill more units
# (a large step can push a unit's pre-activation below 0 for every input), and again a wide layer
# can afford to lose some.

# %% [markdown]
# ## Written answer (graded by hand)
#
# In 3–6 sentences: what is a dead ReLU, and why can't it recover during training? Why does a
# wider network (more units per layer) make dead ReLUs less harmful? Refer to what you saw above.

# %% [markdown] tags=["manual"] grade_id="dead_relu_width"
# A ReLU unit is dead when its pre-activation w·x + b is negative for every input of the data
# set: it then outputs 0 everywhere and its derivative relu'(z) is 0 everywhere, so by the chain
# rule the gradient of its incoming weights and bias is exactly 0 and SGD never moves them again
# (a large step or a large negative bias can push a unit there). A dead unit is a unit the layer has
# lost, and if a whole layer dies no signal and no gradient passes through at all. With 10 units
# per layer, a few dead ones still leave several live units, enough to represent XOR and to carry
# the gradient down; with 2 units, one dead unit halves the layer, and in the experiment above 40 %
# of random 2-unit networks started with a whole layer dead (none of the 10-unit ones). Width gives
# redundancy: the chance that all units of a layer die shrinks exponentially with the width.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says both:
# 1. (1 pt) Dead ReLU: pre-activation ≤ 0 for all inputs → output 0 and gradient 0 for all inputs,
#    so its weights get zero gradient and never change (it cannot come back by gradient descent).
# 2. (1 pt) Width: more units per layer = redundancy; losing a few units still leaves enough live
#    paths for the signal/gradient and the representation (with 2 units one dead unit is fatal),
#    ideally pointing to the dead-unit counts or the width experiment above.
# Half credit for each part stated without the mechanism (e.g. "units stop learning" without
# "because the gradient is 0").
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
