# %% [markdown]
# # Lab 27: Activation functions — sigmoid, tanh, ReLU, Leaky ReLU, ELU, Maxout (활성화 함수)
#
# **Goals of this lab**
#
# - Write six activation functions and their derivatives (도함수) in NumPy, vectorised and
#   numerically safe for very large |z|, with the same conventions as TensorFlow at z = 0.
# - Understand Maxout: a unit that takes the maximum of several linear pieces, and how to build it
#   from standard Keras layers.
# - Reproduce the kind of comparison table the lecture notes show: the same deep network on MNIST
#   with each activation, where a deep sigmoid network may not converge at all ("n/c").
#
# Each exercise cell contains `raise NotImplementedError()`: replace it with your code. The cell
# after it runs a check (`lab.check`) that saves your answer and tells you right away whether it
# is correct. One check is hidden: it runs only when your notebook is graded, on other inputs.

# %% [markdown]
# ## Setup

# %% tags=["locked"] grade_id="setup"
import os

from labkit import quiet_tensorflow_start

quiet_tensorflow_start()  # imports TensorFlow without its C++ start-up lines on stderr

import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from labkit import Lab
from labkit.mnist import accuracy, mnist

lab = Lab("lab27_activations")

# %% [markdown]
# All hyper-parameters live in this one cell. Do not change them: the grader checks the outcome of
# exactly this recipe.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0
LEAKY_SLOPE = 0.1  # the notes' Leaky ReLU: max(0.1z, z) (Keras' default slope is 0.2!)
ELU_ALPHA = 1.0

# Step 3: the comparison on MNIST, kept small so that six networks train in seconds on a CPU
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout"]
TRAIN_IMAGES = 10_000  # the first 10,000 training images
HIDDEN = [64, 64, 64, 64]  # four hidden layers: deep enough for sigmoid's gradients to vanish
PIECES = 2  # maxout: linear pieces per unit
EPOCHS = 2
BATCH_SIZE = 32
LEARNING_RATE = 0.05  # plain SGD for every activation
NOT_CONVERGED = 0.5  # test accuracy below this is printed "n/c" (not converged)

keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

# %% [markdown]
# ## Step 1: Five activations and their derivatives
#
# | name | f(z) | f'(z) |
# | --- | --- | --- |
# | sigmoid | 1 / (1 + e^(−z)) | σ(z)(1 − σ(z)) ≤ 1/4 |
# | tanh | (e^z − e^(−z)) / (e^z + e^(−z)) | 1 − tanh²(z) ≤ 1 |
# | ReLU | max(0, z) | 1 if z > 0, else 0 |
# | Leaky ReLU | max(0.1z, z) | 1 if z > 0, else 0.1 |
# | ELU (α = 1) | z if z > 0, else α(e^z − 1) | 1 if z > 0, else α·e^z |
#
# tanh is a rescaled sigmoid, tanh(z) = 2σ(2z) − 1: zero-centred, with a derivative 4× larger at
# 0. ReLU does not saturate for z > 0 but passes no gradient at all for z < 0 (a unit that is
# negative for every input is "dead"); Leaky ReLU and ELU keep a small gradient there. ELU is also
# smooth and its outputs average closer to 0.
#
# **Conventions at z = 0** (where ReLU-like functions have a kink): use the left-hand value, as
# TensorFlow does — relu'(0) = 0, leaky_relu'(0) = 0.1; elu'(0) = 1 from both sides.
#
# **No overflow:** the checks turn every floating-point overflow into an error, and they use
# z = ±1000. `np.exp(1000)` overflows even inside `np.where(z > 0, z, np.exp(z) − 1)`, because
# `np.where` evaluates both branches: exponentiate `np.minimum(z, 0)` instead (and `np.expm1(u)`
# computes e^u − 1 accurately for small u). For the sigmoid, use lab 18's stable form.


# %% tags=["solution"] grade_id="activations_answer"
def sigmoid(z):
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    e = np.exp(-np.abs(z))  # ≤ 1: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def sigmoid_prime(z):
    ### BEGIN SOLUTION
    s = sigmoid(z)
    return s * (1.0 - s)
    ### END SOLUTION


def tanh(z):
    ### BEGIN SOLUTION
    return np.tanh(np.asarray(z, dtype="float64"))
    ### END SOLUTION


def tanh_prime(z):
    ### BEGIN SOLUTION
    return 1.0 - tanh(z) ** 2
    ### END SOLUTION


def relu(z):
    ### BEGIN SOLUTION
    return np.maximum(np.asarray(z, dtype="float64"), 0.0)
    ### END SOLUTION


def relu_prime(z):
    ### BEGIN SOLUTION
    return (np.asarray(z, dtype="float64") > 0).astype("float64")
    ### END SOLUTION


def leaky_relu(z):
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    return np.maximum(LEAKY_SLOPE * z, z)
    ### END SOLUTION


def leaky_relu_prime(z):
    ### BEGIN SOLUTION
    return np.where(np.asarray(z, dtype="float64") > 0, 1.0, LEAKY_SLOPE)
    ### END SOLUTION


def elu(z):
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    return np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0)))
    ### END SOLUTION


def elu_prime(z):
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    return np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0)))
    ### END SOLUTION


# %% tags=["locked"] grade_id="functions"
FUNCTIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "elu": (elu, elu_prime),
}


def all_functions(z):
    """{name: f(z), name_prime: f'(z)} for the five activations."""
    out = {}
    for name, (f, f_prime) in FUNCTIONS.items():
        out[name], out[name + "_prime"] = f(z), f_prime(z)
    return out


# %% tags=["tests"] grade_id="test_activations"
_z = np.array([-1000.0, -20.0, -3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0, 20.0, 1000.0])
with np.errstate(over="raise", invalid="raise"):  # an overflow is a bug here
    lab.check("activations", lambda: all_functions(_z))

# %%
try:
    z = np.linspace(-4, 4, 401)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, (f, f_prime) in FUNCTIONS.items():
        axes[0].plot(z, f(z), label=name)
        axes[1].plot(z, f_prime(z), label=name)
    axes[0].set_title("f(z)")
    axes[1].set_title("f'(z): how much gradient passes through")
    axes[1].axhline(0.25, color="gray", linestyle=":", linewidth=1)
    for ax in axes:
        ax.axhline(0, color="k", linewidth=0.5)
        ax.set_xlabel("z")
        ax.legend()
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write the activations first.")

# %% [markdown]
# ## Step 2: Maxout
#
# A maxout unit does not apply a fixed function to one weighted sum: it computes k weighted sums
# (k *pieces*) of its inputs and outputs the largest, h = max(w₁ᵀx + b₁, …, w_kᵀx + b_k). With
# k = 2 it can learn ReLU (w₂ = 0, b₂ = 0), Leaky ReLU, |z|, or any convex piecewise-linear curve;
# the price is k times the parameters.
#
# A layer of `units` maxout units is one Dense layer with `units · k` outputs, followed by the max
# over each unit's pieces. In this lab the Dense outputs are laid out **piece by piece**: columns
# 0 … units−1 are piece 1 of every unit, the next `units` columns piece 2, and so on — exactly
# what `keras.layers.Reshape((k, units))` produces. So: reshape z (batch, k·units) to
# (batch, k, units) and take the max over axis 1.
#
# The derivative of the max is 1 for the winning piece and 0 for the others, like ReLU's (which
# is max(z, 0)). Write `maxout(z, pieces)` and `maxout_grad(z, pieces)`, the gradient of
# Σ maxout(z) with respect to z: an array like z of 1s on the winners and 0s elsewhere.


# %% tags=["solution"] grade_id="maxout_answer"
def maxout(z, pieces):
    """(batch, pieces·units) → (batch, units): the max over each unit's pieces."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    return z.reshape(len(z), pieces, -1).max(axis=1)
    ### END SOLUTION


def maxout_grad(z, pieces):
    """∂(Σ maxout(z))/∂z: 1 where a piece wins its unit, 0 elsewhere; same shape as z."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    r = z.reshape(len(z), pieces, -1)
    return (r == r.max(axis=1, keepdims=True)).astype("float64").reshape(z.shape)
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_maxout"
_zm = np.array(
    [
        [0.5, -1.0, 2.0, 1.5, 0.2, -3.0],
        [-2.0, 4.0, 0.1, -0.5, 3.0, 0.3],
        [1.0, 1.1, -1.2, 0.9, -0.8, 2.5],
    ]
)  # 3 examples; 3 pieces × 2 units
lab.check("maxout", lambda: {"maxout": maxout(_zm, 3), "maxout_grad": maxout_grad(_zm, 3)})

# %% tags=["tests"] grade_id="test_activations_hidden"
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise"):
    lab.check(
        "activations_hidden",
        lambda h: {  # h["maxout"]: (z, pieces)
            **all_functions(h["z"]),
            "maxout": maxout(*h["maxout"]),
            "maxout_grad": maxout_grad(*h["maxout"]),
        },
    )
### END HIDDEN TESTS

# %% [markdown]
# Keras has no Maxout layer, but three standard layers make one — and a model built from them
# can be saved and reloaded safely (no custom code). Check that it computes your `maxout`:


# %%
def maxout_layers(units, pieces=PIECES):
    """Dense(units·pieces) → Reshape((pieces, units)) → GlobalMaxPooling1D: `units` maxout units."""
    return [
        keras.layers.Dense(units * pieces),
        keras.layers.Reshape((pieces, units)),
        keras.layers.GlobalMaxPooling1D(),  # the max over axis 1: over the pieces
    ]


demo = keras.Sequential([keras.Input(shape=(5,)), *maxout_layers(3)])
x_demo = np.random.default_rng(SEED).normal(size=(4, 5)).astype("float32")
dense_out = np.asarray(demo.layers[0](x_demo))
try:
    print("Keras block vs maxout():", np.max(np.abs(np.asarray(demo(x_demo)) - maxout(dense_out, PIECES))))
except NotImplementedError:
    print("Write maxout first.")

# %% [markdown]
# ## Step 3: The same network, six activations, on MNIST
#
# The network: 784 → 4 hidden layers of 64 units → Dense(10, softmax), Keras' default (Glorot)
# initialization, plain SGD (λ = 0.05), 2 epochs on the first 10,000 training images, then the
# test accuracy on the 10,000 test images. Only the hidden activation changes.
#
# Write `build_net(activation)`, one hidden layer at a time:
#
# - `"sigmoid"`, `"tanh"`, `"relu"`, `"elu"`: `keras.layers.Dense(64, activation=activation)`;
# - `"leaky_relu"`: `Dense(64)` then `keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE)` (the
#   string `"leaky_relu"` would use Keras' default slope, 0.2);
# - `"maxout"`: `maxout_layers(64)` from the cell above.

# %% tags=["locked"] grade_id="data"
data = mnist()  # verified MNIST, images flattened to 784 floats in [0, 1] (as in labs 20-24)
x_train, y_train = data.x_train[:TRAIN_IMAGES], data.y_train[:TRAIN_IMAGES]


# %% tags=["solution"] grade_id="build_net_answer"
def build_net(activation):
    """784 → [64 units of `activation`] × 4 → Dense(10, softmax)."""
    ### BEGIN SOLUTION
    layers = [keras.Input(shape=(784,))]
    for units in HIDDEN:
        if activation == "maxout":
            layers += maxout_layers(units)
        elif activation == "leaky_relu":
            layers += [keras.layers.Dense(units), keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE)]
        else:
            layers.append(keras.layers.Dense(units, activation=activation))
    layers.append(keras.layers.Dense(10, activation="softmax"))
    return keras.Sequential(layers, name=activation)
    ### END SOLUTION


# %% [markdown]
# `train_and_evaluate` (locked) trains one network with the recipe above and measures its test
# accuracy with the same function the grader uses. The loop fills the table (about 1–2 s per
# network on a laptop CPU).


# %% tags=["locked"] grade_id="train"
def train_and_evaluate(activation):
    keras.utils.set_random_seed(SEED)  # the same batches (and Glorot draws) for every activation
    model = build_net(activation)
    model.compile(
        optimizer=keras.optimizers.SGD(LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=32,  # 32 SGD steps per compiled call: less Python overhead per step
    )
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0)
    return model, accuracy(model, data.x_test, data.y_test)


models, accuracies = {}, {}
for activation in ACTIVATIONS:
    start = time.perf_counter()
    models[activation], accuracies[activation] = train_and_evaluate(activation)
    shown = "n/c" if accuracies[activation] < NOT_CONVERGED else f"{accuracies[activation]:.2%}"
    print(f"{activation:>11}: {shown:>7}   ({time.perf_counter() - start:.1f} s)")

# %% [markdown]
# Graded: the six saved models are re-evaluated on the test set; each row must match its model.

# %% tags=["tests"] grade_id="test_table"
lab.check("table", lambda: {"accuracy": [accuracies[a] for a in ACTIVATIONS], **models})

# %% [markdown]
# Which activation won? Set `best_activation` to its name (from `accuracies`).

# %% tags=["solution"] grade_id="best_answer"
### BEGIN SOLUTION
best_activation = max(accuracies, key=accuracies.get)
### END SOLUTION
print(f"best: {best_activation} ({accuracies[best_activation]:.2%})")

# %% [markdown]
# Graded: the best model, re-evaluated, reaches at least 88 % test accuracy.

# %% tags=["tests"] grade_id="test_best_model"
lab.check("best_model", lambda: ACTIVATIONS.index(best_activation))

# %%
values = [accuracies.get(a, np.nan) for a in ACTIVATIONS]
colors = ["lightgray" if v < NOT_CONVERGED else "tab:blue" for v in values]
plt.figure(figsize=(7, 3.5))
bars = plt.bar(ACTIVATIONS, values, color=colors)
for bar, v in zip(bars, values):
    label = "n/c" if v < NOT_CONVERGED else f"{v:.1%}"
    plt.text(bar.get_x() + bar.get_width() / 2, v + 0.01, label, ha="center")
plt.ylim(0, 1.08)
plt.ylabel("test accuracy")
plt.title("784 → 64×4 → 10, SGD 0.05, 2 epochs on 10k images")
plt.show()

# %% [markdown]
# Typical results: the sigmoid network is stuck near 11 % (it predicts almost one class: "n/c"),
# tanh and the ReLU family reach about 90 %, and maxout is often best. With more epochs, Adam or
# batch normalization (lab 26), the sigmoid network also converges; the table compares
# activations under one fixed, simple recipe.

# %% [markdown]
# ## Written answer (graded by hand)
#
# In 3–6 sentences: why does the sigmoid network not converge here while tanh and the ReLU family
# do, with the same layers, initialization and optimizer? And what problem of ReLU do Leaky ReLU,
# ELU and Maxout address, and at what cost (one each)?

# %% [markdown] tags=["manual"] grade_id="why_relu_family"
# The sigmoid's derivative is at most 1/4, so in a four-layer sigmoid network the gradient shrinks
# by ≤ (1/4)⁴ on the way to the first layer.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says both:
# 1. (1 pt) Vanishing gradients: σ' ≤ 1/4 (and the outputs are not zero-centred, always positive),
#    so backprop multiplies ≤ 1/4 per layer and the first layers barely learn within 2 epochs;
#    tanh' ≤ 1 (4× larger, zero-centred) and ReLU' = 1 for active units pass the gradient on.
# 2. (1 pt) ReLU passes no gradient for z < 0: units that are negative for every input stop
#    learning ("dying ReLU"). Leaky ReLU keeps a slope 0.1 (cost: a hyper-parameter, not
#    zero-centred either), ELU a smooth e^z (cost: an exp per unit, slower), Maxout a max of
#    pieces that never saturates or dies (cost: k× the parameters of the layer).
# Half credit for naming vanishing gradients without the derivative bound, or for one of the
# three costs.
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
