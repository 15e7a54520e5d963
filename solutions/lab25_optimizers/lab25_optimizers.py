# %% [markdown]
# # Lab 25: Optimizers — SGD, momentum, Adagrad and Adam (최적화 기법)
#
# **Goals of this lab**
#
# - Write four optimizers in NumPy, one update step at a time: plain SGD (확률적 경사 하강법),
#   momentum (모멘텀), Adagrad and Adam.
# - Check every step against Keras' own `keras.optimizers`: the grader runs Keras on the same
#   weights and gradients and compares the weights (and the optimizer's memory) after each step.
# - Learn the small print that makes two "Adam"s disagree: sign conventions, the initial value of
#   Adagrad's accumulator, Adam's bias correction (편향 보정) and where ε goes.
# - Race the four on an elongated 2-D bowl (손실 곡면) and plot their paths.
# - Compare mini-batch (미니배치) and full-batch (전체 배치) training on MNIST.
#
# Each exercise cell contains `raise NotImplementedError()`: replace it with your code. The cell
# after it runs a check (`lab.check`) that saves your answer and tells you right away whether it
# is correct. One check is hidden: it runs only when your notebook is graded, on other inputs and
# other hyper-parameters.

# %% [markdown]
# ## Setup

# %% tags=["locked"] grade_id="setup"
import os

from labkit import quiet_tensorflow_start

quiet_tensorflow_start()  # imports TensorFlow without its C++ start-up lines on stderr

import keras
import matplotlib.pyplot as plt
import numpy as np

from labkit import Lab
from labkit.mnist import mnist

lab = Lab("lab25_optimizers")

# %% [markdown]
# All hyper-parameters live in this one cell. Do not change them: the grader runs Keras with
# exactly these values. The names are Keras' own (`learning_rate` is the course's λ, `momentum`
# its μ), so that each dict can be passed straight to a `keras.optimizers` class.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0

# Steps 1-4: the hyper-parameters of the step-by-step checks
SGD_HYPER = dict(learning_rate=0.1)
MOMENTUM_HYPER = dict(learning_rate=0.1, momentum=0.9)
ADAGRAD_HYPER = dict(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=1e-7)  # Keras' defaults
ADAM_HYPER = dict(learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7)  # Keras' defaults but λ

# Step 5: the race on f(x, y) = x²/20 + y², each optimizer with the learning rate that suits it
RACE = {
    "sgd": dict(learning_rate=0.95),
    "momentum": dict(learning_rate=0.1, momentum=0.9),
    "adagrad": dict(learning_rate=1.5, initial_accumulator_value=0.1, epsilon=1e-7),
    "adam": dict(learning_rate=0.3, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
}
RACE_START = (-7.0, 2.0)
RACE_STEPS = 30

# Step 6: mini-batch vs full batch on MNIST
MB_TRAIN = 2000  # the first 2,000 training images: enough to see the difference, fast on a CPU
MB_EPOCHS = 5
MB_BATCH = 32
MB_LR = 0.1

keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

# %% [markdown]
# ## The test bench: weights, gradients, and one step at a time
#
# An optimizer turns a gradient into a change of the weights. To compare yours with Keras', both
# get the same starting weights `W0` (a 3 × 4 matrix) and the same 8 gradients `GRADS[0]`, …,
# `GRADS[7]` — fixed numbers, not computed from a loss, so that only the update rule is tested.
#
# The three rows of the gradients have very different sizes: about 1, 1e-3 and 1e-6. The last row
# is where the small print (ε) shows: with gradients that small, adaptive optimizers divide tiny
# numbers by tiny numbers.
#
# Every optimizer is two functions:
#
# - `init(w, **hyper)` returns the optimizer's memory (its *state*) as a dict of arrays;
# - `step(w, grad, state, **hyper)` returns `(new_w, new_state)`.
#
# `run_steps` (locked) applies one step per gradient and records the weights and the state after
# every step. (The `**_` in a signature swallows hyper-parameters that function does not use.)

# %% tags=["locked"] grade_id="bench"
_rng = np.random.default_rng(2025)
W0 = _rng.normal(size=(3, 4))
GRADS = _rng.normal(size=(8, 3, 4)) * np.array([1.0, 1e-3, 1e-6])[:, None]  # row scales 1, 1e-3, 1e-6


def run_steps(init, step, w0, grads, **hyper):
    """Apply `step` once per gradient; returns {"w": (T, …), and each state key: (T, …)}."""
    w = np.array(w0, dtype="float64")
    state = init(w, **hyper)
    trace = {"w": []}
    for grad in grads:
        w, state = step(w, grad, state, **hyper)
        trace["w"].append(np.array(w, dtype="float64"))  # a copy: safe even if step updates in place
        for key, value in state.items():
            trace.setdefault(key, []).append(np.array(value, dtype="float64"))
    return {key: np.array(values) for key, values in trace.items()}


print("W0 =\n", W0.round(3))
print("gradient sizes per row:", np.abs(GRADS).mean(axis=(0, 2)))

# %% [markdown]
# ## Step 1: Plain SGD (확률적 경사 하강법)
#
# The update of the course: **W ← W − λ∇**, with λ the learning rate (학습률). SGD has no memory,
# so its state is an empty dict (`sgd_init` is given). Write `sgd_step`.


# %% tags=["solution"] grade_id="sgd_answer"
def sgd_init(w, **_):
    return {}


def sgd_step(w, grad, state, learning_rate, **_):
    """One SGD step: returns (new_w, state)."""
    ### BEGIN SOLUTION
    return w - learning_rate * grad, state
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_sgd"
lab.check("sgd", lambda: run_steps(sgd_init, sgd_step, W0, GRADS, **SGD_HYPER))

# %% [markdown]
# ## Step 2: Momentum (모멘텀)
#
# Plain SGD forgets the past; momentum keeps a *velocity* V, a running sum of past gradients,
# so that steps in a consistent direction build up speed and zig-zags cancel out. The notes write
#
# ```
# V ← μ·V′ + λ·∇        (V′: the previous V, starting at 0; μ = momentum, e.g. 0.9)
# W ← W − V
# ```
#
# **Keras writes the same thing with the opposite sign.** `keras.optimizers.SGD(momentum=μ)` keeps
# m = μ·m − λ·∇ and then W ← W + m, so Keras' m is exactly **−V**. The weights are identical; only
# the stored state differs. This lab uses the notes' V (the grader negates Keras' m to compare).
#
# Write `momentum_init` (V = 0, same shape as w) and `momentum_step`; the state is `{"V": V}`.


# %% tags=["solution"] grade_id="momentum_answer"
def momentum_init(w, **_):
    ### BEGIN SOLUTION
    return {"V": np.zeros_like(w)}
    ### END SOLUTION


def momentum_step(w, grad, state, learning_rate, momentum, **_):
    """V ← μV′ + λ∇, W ← W − V; returns (new_w, {"V": V})."""
    ### BEGIN SOLUTION
    V = momentum * state["V"] + learning_rate * grad
    return w - V, {"V": V}
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_momentum"
lab.check("momentum", lambda: run_steps(momentum_init, momentum_step, W0, GRADS, **MOMENTUM_HYPER))

# %% [markdown]
# ## Step 3: Adagrad — a learning rate per weight (적응적 학습률)
#
# Adagrad divides each weight's step by the square root of the sum of that weight's squared
# gradients so far: weights with large gradients take smaller steps, rarely-updated ones larger.
# Keras' exact recipe (`keras.optimizers.Adagrad`):
#
# ```
# G starts at initial_accumulator_value (0.1 in Keras — not 0!)
# G ← G + ∇²                       element-wise square
# W ← W − λ·∇ / √(G + ε)           ε = 1e-7, *inside* the square root
# ```
#
# Why start at 0.1? With G = 0 the first step would be λ·∇/√(∇²) = λ·sign(∇): every weight moves
# by exactly λ, however small its gradient. The 0.1 keeps the first steps of tiny gradients tiny.
# (Many textbooks start at 0 and write ε outside the root; with G ≥ 0.1 where ε goes no longer
# matters, but the starting value does — the grader's last row, gradients ~1e-6, shows it.)
#
# The state is `{"G": G}`.


# %% tags=["solution"] grade_id="adagrad_answer"
def adagrad_init(w, initial_accumulator_value, **_):
    ### BEGIN SOLUTION
    return {"G": np.full_like(w, initial_accumulator_value)}
    ### END SOLUTION


def adagrad_step(w, grad, state, learning_rate, epsilon, **_):
    """G ← G + ∇², W ← W − λ∇/√(G + ε); returns (new_w, {"G": G})."""
    ### BEGIN SOLUTION
    G = state["G"] + grad**2
    return w - learning_rate * grad / np.sqrt(G + epsilon), {"G": G}
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_adagrad"
lab.check("adagrad", lambda: run_steps(adagrad_init, adagrad_step, W0, GRADS, **ADAGRAD_HYPER))

# %% [markdown]
# ## Step 4: Adam = momentum + an adaptive step size
#
# Adam keeps two running averages: m of the gradients (momentum's role) and v of the squared
# gradients (Adagrad's role, but forgetting the distant past). Both start at 0, so in the first
# steps they are too small; dividing by 1 − βᵗ corrects that bias (편향 보정). Keras folds the
# correction into the step size, with t = 1 at the first step:
#
# ```
# m ← β₁·m + (1 − β₁)·∇
# v ← β₂·v + (1 − β₂)·∇²
# α = λ·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
# W ← W − α·m / (√v + ε)
# ```
#
# The textbook form, m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), W ← W − λ·m̂/(√v̂ + ε), is the same
# **except for ε**: Keras adds ε to √v *before* the bias correction, which makes ε about
# 1/√(1 − β₂ᵗ) times larger in the first steps (≈ 32× at t = 1). For ordinary gradients the two
# agree to 7 digits; for gradients of 1e-6 (the last row) they disagree in the first digit.
#
# The state is `{"m": m, "v": v, "t": t}` (t: the number of steps taken so far).


# %% tags=["solution"] grade_id="adam_answer"
def adam_init(w, **_):
    ### BEGIN SOLUTION
    return {"m": np.zeros_like(w), "v": np.zeros_like(w), "t": 0}
    ### END SOLUTION


def adam_step(w, grad, state, learning_rate, beta_1, beta_2, epsilon, **_):
    """Keras' Adam step; returns (new_w, {"m": m, "v": v, "t": t})."""
    ### BEGIN SOLUTION
    t = state["t"] + 1
    m = beta_1 * state["m"] + (1 - beta_1) * grad
    v = beta_2 * state["v"] + (1 - beta_2) * grad**2
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), {"m": m, "v": v, "t": t}
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_adam"
lab.check("adam", lambda: run_steps(adam_init, adam_step, W0, GRADS, **ADAM_HYPER))

# %% tags=["tests"] grade_id="test_optimizers_hidden"
### BEGIN HIDDEN TESTS
_hidden = {
    "sgd": (sgd_init, sgd_step, dict(learning_rate=0.05)),
    "momentum": (momentum_init, momentum_step, dict(learning_rate=0.05, momentum=0.8)),
    "adagrad": (
        adagrad_init,
        adagrad_step,
        dict(learning_rate=0.2, initial_accumulator_value=0.5, epsilon=1e-7),
    ),
    "adam": (adam_init, adam_step, dict(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-7)),
}
lab.check(
    "optimizers_hidden",
    lambda case: {  # case: (w0, grads)
        f"{kind}_{key}": value
        for kind, (init, step, hyper) in _hidden.items()
        for key, value in run_steps(init, step, *case, **hyper).items()
    },
)
### END HIDDEN TESTS

# %% [markdown]
# ### See it: the last row
#
# The weights of the tiny-gradient row (gradients ~1e-6) move very differently under each rule:
# SGD and momentum barely move them, Adagrad moves them a little, and Adam, which divides by √v
# (itself ~1e-6), moves them almost as far as the weights with gradients of 1 — until ε takes over.

# %%
try:
    runs = {
        "SGD": run_steps(sgd_init, sgd_step, W0, GRADS, **SGD_HYPER),
        "momentum": run_steps(momentum_init, momentum_step, W0, GRADS, **MOMENTUM_HYPER),
        "Adagrad": run_steps(adagrad_init, adagrad_step, W0, GRADS, **ADAGRAD_HYPER),
        "Adam": run_steps(adam_init, adam_step, W0, GRADS, **ADAM_HYPER),
    }
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharex=True)
    for row, ax in enumerate(axes):
        for name, run in runs.items():
            ax.plot(range(1, len(GRADS) + 1), np.abs(run["w"][:, row, 0] - W0[row, 0]), "o-", label=name)
        ax.set_yscale("log")
        ax.set_title(f"row {row} (gradients ~{[1, 1e-3, 1e-6][row]:g})")
        ax.set_xlabel("step")
    axes[0].set_ylabel("|w − w₀| of one weight")
    axes[0].legend()
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write the four optimizers first.")

# %% [markdown]
# ## Step 5: A race on an elongated bowl
#
# f(x, y) = x²/20 + y² is a bowl 20 times steeper along y than along x — the shape that makes
# plain gradient descent zig-zag: a learning rate small enough for the steep direction crawls
# along the flat one. Write `surface(p)` and `surface_grad(p)` for points `p` of shape (…, 2)
# (the last axis holds x and y), vectorised.


# %% tags=["solution"] grade_id="surface_answer"
def surface(p):
    """f(x, y) = x²/20 + y² for points p of shape (…, 2)."""
    ### BEGIN SOLUTION
    p = np.asarray(p, dtype="float64")
    return p[..., 0] ** 2 / 20.0 + p[..., 1] ** 2
    ### END SOLUTION


def surface_grad(p):
    """∇f = (x/10, 2y), same shape as p."""
    ### BEGIN SOLUTION
    p = np.asarray(p, dtype="float64")
    return np.stack([p[..., 0] / 10.0, 2.0 * p[..., 1]], axis=-1)
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_surface"
_points = np.array([[-7.0, 2.0], [0.0, 0.0], [3.0, -1.5], [10.0, 0.5], [-0.2, -4.0]])
lab.check("surface", lambda: {"f": surface(_points), "grad": surface_grad(_points)})


# %% [markdown]
# `race` (locked) starts an optimizer at (−7, 2) and lets it take 30 steps downhill, the gradient
# now coming from `surface_grad` at the current point. The grader reruns the race with Keras'
# optimizers and compares the four paths.


# %% tags=["locked"] grade_id="race"
def race(init, step, hyper, start=RACE_START, steps=RACE_STEPS):
    """The path (steps + 1, 2) of one optimizer on f, start included."""
    w = np.array(start, dtype="float64")
    state = init(w, **hyper)
    path = [w.copy()]
    for _ in range(steps):
        w, state = step(w, surface_grad(w), state, **hyper)
        path.append(np.array(w, dtype="float64"))
    return np.array(path)


OPTIMIZERS = {
    "sgd": (sgd_init, sgd_step),
    "momentum": (momentum_init, momentum_step),
    "adagrad": (adagrad_init, adagrad_step),
    "adam": (adam_init, adam_step),
}

# %% tags=["tests"] grade_id="test_race"
lab.check("race", lambda: {kind: race(init, step, RACE[kind]) for kind, (init, step) in OPTIMIZERS.items()})

# %%
try:
    paths = {kind: race(init, step, RACE[kind]) for kind, (init, step) in OPTIMIZERS.items()}
    gx, gy = np.meshgrid(np.linspace(-10, 10, 201), np.linspace(-5, 5, 201))
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True, sharey=True)
    for ax, (kind, path) in zip(axes.ravel(), paths.items()):
        ax.contour(gx, gy, surface(np.stack([gx, gy], axis=-1)), levels=20, cmap="Greys", alpha=0.6)
        ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3)
        ax.plot(0, 0, "+", color="k", markersize=12)
        ax.set_title(f"{kind} {RACE[kind]}", fontsize=9)
    plt.tight_layout()
    plt.show()

    plt.figure(figsize=(5, 3.5))
    for kind, path in paths.items():
        plt.semilogy(surface(path), label=kind)
    plt.xlabel("step")
    plt.ylabel("f(x, y) (log scale)")
    plt.title("The race: loss per step")
    plt.legend()
    plt.show()
except NotImplementedError:
    print("Write the optimizers and surface_grad first.")

# %% [markdown]
# What to look for: SGD with λ = 0.95 overshoots along y at every step (y flips sign: the
# zig-zag), while along x it moves only 0.095·x per step. Momentum overshoots and swings back
# like a ball in a bowl. Adagrad and Adam scale each coordinate by its own gradient history, so
# they head almost straight for the minimum at first; Adagrad's steps keep shrinking because G
# only grows.

# %% [markdown]
# ## Step 6: Mini-batch vs full batch (미니배치)
#
# One *epoch* (에폭) is one pass over the training set. Full-batch gradient descent computes the
# exact gradient of the whole set and takes **one** step per epoch; mini-batch SGD estimates the
# gradient from 32 examples and takes **63** steps per epoch on 2,000 images. The estimate is
# noisy, but 63 noisy steps get much further than one exact one.
#
# The model is lab 20's softmax regression (one Dense(10, softmax) layer on the 784 pixels).

# %% tags=["locked"] grade_id="mnist"
data = mnist()  # verified MNIST, images flattened to 784 floats in [0, 1] (as in labs 20-24)
x_small, y_small = data.x_train[:MB_TRAIN], data.y_train[:MB_TRAIN]


def build_model():
    return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])


# %% [markdown]
# Write `train(batch_size)`: seed with `keras.utils.set_random_seed(SEED)` (both models then start
# from the same weights), build the model with `build_model()`, compile it with
# `keras.optimizers.SGD(MB_LR)`, the loss `"sparse_categorical_crossentropy"` and the metric
# `"accuracy"`, and fit it on `(x_small, y_small)` for `MB_EPOCHS` epochs with the given
# `batch_size` (`verbose=0`). Return `(model, history)`.


# %% tags=["solution"] grade_id="train_answer"
def train(batch_size):
    """Softmax regression on the 2,000 images, trained with SGD(MB_LR) for MB_EPOCHS epochs."""
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(SEED)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.SGD(MB_LR), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x_small, y_small, batch_size=batch_size, epochs=MB_EPOCHS, verbose=0)
    return model, history
    ### END SOLUTION


# %%
full_model, full_history = train(batch_size=MB_TRAIN)  # one step per epoch
mini_model, mini_history = train(batch_size=MB_BATCH)  # 63 steps per epoch
for name, model in (("full batch", full_model), ("mini-batch", mini_model)):
    _, accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
    print(f"{name:>10}: test accuracy {accuracy:.4f}")

# %% [markdown]
# Graded on the saved models, re-evaluated on the 10,000 test images: the mini-batch model
# reaches ≥ 85 % and beats the full-batch one by at least 10 points.

# %% tags=["tests"] grade_id="test_minibatch"
lab.check(
    "minibatch",
    lambda: {
        "mini_loss": mini_history.history["loss"],
        "full_loss": full_history.history["loss"],
        "mini": mini_model,
        "full": full_model,
    },
)

# %%
steps_per_epoch = int(np.ceil(MB_TRAIN / MB_BATCH))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
epochs = np.arange(1, MB_EPOCHS + 1)
axes[0].plot(epochs, full_history.history["loss"], "o-", label="full batch (1 step / epoch)")
axes[0].plot(
    epochs, mini_history.history["loss"], "s-", label=f"batch {MB_BATCH} ({steps_per_epoch} steps / epoch)"
)
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("training loss")
axes[0].set_title("Same number of epochs")
axes[0].legend()
axes[1].plot(epochs, full_history.history["loss"], "o-", label="full batch")
axes[1].plot(epochs * steps_per_epoch, mini_history.history["loss"], "s-", label="mini-batch")
axes[1].set_xscale("log")
axes[1].set_xlabel("parameter updates (log scale)")
axes[1].set_title("Per update: full batch is better per step, far fewer steps")
axes[1].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Written answer (graded by hand)
#
# In 3–6 sentences: on the elongated bowl of Step 5, why does plain SGD need a learning rate that
# makes it zig-zag, and how do momentum and Adam each get around that? Then: why does Adam take a
# sizable step even for a weight whose gradients are all ~1e-6, and what role does ε play there?

# %% [markdown] tags=["manual"] grade_id="why_adaptive"
# One learning rate serves both directions: along y the curvature is 20× larger than along x, so a
# λ large enough to move along x overshoots along y.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says:
# 1. (1 pt) SGD uses one λ for every direction: stable along the steep y axis requires λ < 2/2 = 1
#    (curvature 2), while the flat x axis (curvature 1/10) then moves by only λ·x/10 per step; so
#    SGD either zig-zags along y or crawls along x. Momentum averages the gradients: the
#    alternating y components cancel and the consistent x components add up (speed builds up).
# 2. (1 pt) Adam divides each weight's step by √v, the root-mean-square of its own recent
#    gradients, so the step size is about λ whatever the gradient's scale (scale invariance);
#    for gradients of ~1e-6, √v ~ 1e-6 is comparable to ε = 1e-7, so ε sets a floor on the
#    denominator and shrinks those steps (in Keras ε is added before the bias correction, making
#    it weigh even more in the first steps).
# Half credit for "Adam adapts the learning rate per parameter" without the scale argument.
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
