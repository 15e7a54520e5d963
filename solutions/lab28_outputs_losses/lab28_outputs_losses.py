# %% [markdown]
# # Lab 28: Output layers and losses — regression vs classification (출력층과 손실 함수)
#
# **Goals of this lab**
#
# - Match the output layer and the loss to the task: a linear output with the mean squared error
#   (평균 제곱 오차, MSE) for regression (회귀); a softmax output with the cross-entropy
#   (교차 엔트로피) for classification (분류).
# - Write MSE, softmax, cross-entropy and its gradient in NumPy, numerically stable.
# - Count the parameters of a fully connected network by hand — the notes' example,
#   25·16 + 16·16 + 16·9 + 9·9 = 881 weights — with and without biases.
# - Train a tiny regression network and a tiny classifier; the grader re-evaluates both.
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

lab = Lab("lab28_outputs_losses")

# %% [markdown]
# All hyper-parameters live in this one cell. Do not change them: the grader checks the outcome of
# exactly this recipe.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0
HIDDEN = 32  # units in each of the two hidden layers of both models
LEARNING_RATE = 0.01  # Adam
BATCH_SIZE = 32
STEPS_PER_EPOCH = 100
EPOCHS = 10  # 10 × 100 = 1000 mini-batch steps per model
N_TRAIN_REG = 400
N_TRAIN_CLS = 600
CLASSES = 3

keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

# %% [markdown]
# ## Step 1: Two tasks, two output layers, two losses
#
# | task | output layer | loss | example |
# | --- | --- | --- | --- |
# | regression: predict a number | `Dense(1)`, no activation (linear) | MSE = mean of (y − ŷ)² | a price, a temperature |
# | classification into K classes | `Dense(K, activation="softmax")` | cross-entropy = −Σ y·log p | a digit, a species |
#
# **Softmax** turns K scores (logits, z) into probabilities: pᵢ = e^(zᵢ) / Σⱼ e^(zⱼ). Adding the
# same constant to every zᵢ does not change p, so subtract the row's maximum first: then every
# exponent is ≤ 0 and `exp` cannot overflow, even for z = 1000.
#
# **Cross-entropy** with a one-hot label y (1 for the true class, 0 elsewhere) is −log p_true,
# averaged over the batch. Compute it from the logits with the *log-softmax*,
# log pᵢ = (zᵢ − max z) − log Σⱼ e^(zⱼ − max z): computing p first and then log p fails when p
# rounds to 0 (log 0 = −∞, and 0·(−∞) = NaN).
#
# **Its gradient** is the reason this pair is used everywhere: for the mean cross-entropy of N
# examples, ∂L/∂z = (softmax(z) − y) / N. No σ' factor that could vanish: the gradient is simply
# "predicted minus true".
#
# Write the four functions below (y_true, y_pred of any shape for `mse`; logits of shape (N, K)
# and one-hot labels of the same shape for the others; softmax along the last axis).


# %% tags=["solution"] grade_id="losses_answer"
def mse(y_true, y_pred):
    """Mean squared error over every entry."""
    ### BEGIN SOLUTION
    return float(np.mean((np.asarray(y_true, dtype="float64") - np.asarray(y_pred, dtype="float64")) ** 2))
    ### END SOLUTION


def softmax(z):
    """Softmax along the last axis, without overflow."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype="float64")
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


def cross_entropy(y_onehot, logits):
    """Mean over the examples of −Σ y·log softmax(logits), via the log-softmax."""
    ### BEGIN SOLUTION
    z = np.asarray(logits, dtype="float64")
    shifted = z - z.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(np.mean(-np.sum(y_onehot * log_p, axis=-1)))
    ### END SOLUTION


def cross_entropy_grad(y_onehot, logits):
    """∂(mean cross-entropy)/∂logits = (softmax(logits) − y) / N."""
    ### BEGIN SOLUTION
    return (softmax(logits) - y_onehot) / len(logits)
    ### END SOLUTION


# %% tags=["locked"] grade_id="loss_helper"
def one_hot(labels, classes):
    return np.eye(classes)[np.asarray(labels, dtype=int)]


def all_losses(y_true, y_pred, logits, labels):
    y = one_hot(labels, logits.shape[1])
    return {
        "mse": mse(y_true, y_pred),
        "softmax": softmax(logits),
        "cross_entropy": cross_entropy(y, logits),
        "grad": cross_entropy_grad(y, logits),
    }


# %% tags=["tests"] grade_id="test_losses"
_y_true = np.array([[1.0], [2.0], [-0.5], [3.0]])
_y_pred = np.array([[1.5], [1.0], [0.0], [3.5]])
_logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
_labels = np.array([0, 1, 0, 2])
with np.errstate(over="raise", invalid="raise", divide="raise"):  # overflow / log 0 are bugs here
    lab.check("losses", lambda: all_losses(_y_true, _y_pred, _logits, _labels))

# %% tags=["tests"] grade_id="test_losses_hidden"
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise", divide="raise"):
    lab.check("losses_hidden", lambda h: all_losses(h["y_true"], h["y_pred"], h["logits"], h["labels"]))
### END HIDDEN TESTS

# %% [markdown]
# Keras computes the same numbers (`from_logits=True` tells the loss that it gets logits, so it
# applies the log-softmax itself — the stable way):

# %%
try:
    y = one_hot(_labels, 3)
    print("MSE:          ", mse(_y_true, _y_pred), float(keras.losses.MeanSquaredError()(_y_true, _y_pred)))
    keras_ce = keras.losses.CategoricalCrossentropy(from_logits=True)(y, _logits)
    print("cross-entropy:", cross_entropy(y, _logits), float(keras_ce))
    z = tf.constant(_logits)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = keras.losses.CategoricalCrossentropy(from_logits=True)(y, z)
    print(
        "gradient max difference:",
        np.max(np.abs(tape.gradient(loss, z).numpy() - cross_entropy_grad(y, _logits))),
    )
except NotImplementedError:
    print("Write the losses first.")

# %% [markdown]
# ## Step 2: Counting parameters (파라미터 수)
#
# A Dense layer from n_in units to n_out units has an n_in × n_out weight matrix and n_out biases.
# The notes count the weights of a 25 → 16 → 16 → 9 → 9 network:
#
# 25·16 + 16·16 + 16·9 + 9·9 = 400 + 256 + 144 + 81 = **881** weights, and with one bias per
# unit of every layer after the input, 881 + (16 + 16 + 9 + 9) = **931** parameters.
#
# Write `count_params(layer_sizes, biases=True)` for any list of layer sizes (input first).


# %% tags=["solution"] grade_id="count_params_answer"
def count_params(layer_sizes, biases=True):
    """Parameters of a fully connected net with these layer sizes (input first)."""
    ### BEGIN SOLUTION
    sizes = [int(s) for s in layer_sizes]
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return weights + (sum(sizes[1:]) if biases else 0)
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_param_count"
_lists = [[25, 16, 16, 9, 9], [784, 256, 256, 10], [2, 10, 10, 10, 1]]
lab.check(
    "param_count",
    lambda: {
        "weights": [count_params(s, biases=False) for s in _lists],
        "with_biases": [count_params(s) for s in _lists],
    },
)

# %% tags=["tests"] grade_id="test_param_count_hidden"
### BEGIN HIDDEN TESTS
lab.check(
    "param_count_hidden",
    lambda lists: {  # six lists of layer widths
        "weights": [count_params(s, biases=False) for s in lists],
        "with_biases": [count_params(s) for s in lists],
    },
)
### END HIDDEN TESTS

# %% [markdown]
# Keras agrees (`count_params` of a model counts weights and biases):

# %%
notes_net = keras.Sequential(
    [keras.Input(shape=(25,))] + [keras.layers.Dense(n) for n in (16, 16, 9, 9)], name="notes_example"
)
notes_net.summary()
try:
    print("count_params:", count_params([25, 16, 16, 9, 9]), "— Keras:", notes_net.count_params())
except NotImplementedError:
    print("Write count_params first.")

# %% [markdown]
# ## Step 3: A tiny regression network
#
# The data: y = sin(2x) + 0.1x² plus a little noise (standard deviation 0.1), for x in [−3, 3].
# The grader measures the MSE of your saved model on 2,000 fresh points *without* noise.
#
# Write `build_regressor()`: 1 input → Dense(HIDDEN, tanh) → Dense(HIDDEN, tanh) → **Dense(1)**
# (no activation: the output must be able to take any real value). `fit_model` (locked) compiles
# with Adam and the loss you give it, and trains for 1000 mini-batch steps.


# %% tags=["locked"] grade_id="data"
def regression_data(n, seed, noise=0.1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, size=(n, 1))
    y = np.sin(2 * x) + 0.1 * x**2 + noise * rng.normal(size=(n, 1))
    return x.astype("float32"), y.astype("float32")


def classification_data(n, seed):
    """Three spiral arms in a disk: the class is which third of a turn θ + r falls in."""
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3.0
    theta = rng.uniform(0.0, 2 * np.pi, n)
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return x.astype("float32"), np.floor(((theta + r) % (2 * np.pi)) / (2 * np.pi / 3)).astype("int64")


x_reg, y_reg = regression_data(N_TRAIN_REG, seed=28)
x_cls, labels_cls = classification_data(N_TRAIN_CLS, seed=280)


def fit_model(model, x, y, loss):
    """Adam(LEARNING_RATE) on shuffled mini-batches; EPOCHS × STEPS_PER_EPOCH steps."""
    keras.utils.set_random_seed(SEED)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=SEED).batch(BATCH_SIZE).repeat()
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=loss, steps_per_execution=STEPS_PER_EPOCH
    )
    return model.fit(dataset, steps_per_epoch=STEPS_PER_EPOCH, epochs=EPOCHS, shuffle=False, verbose=0)


# %% tags=["solution"] grade_id="regressor_answer"
def build_regressor():
    """1 → Dense(HIDDEN, tanh) → Dense(HIDDEN, tanh) → Dense(1) (linear)."""
    ### BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=(1,)),
            keras.layers.Dense(HIDDEN, activation="tanh"),
            keras.layers.Dense(HIDDEN, activation="tanh"),
            keras.layers.Dense(1),
        ],
        name="regressor",
    )
    ### END SOLUTION


# %%
keras.utils.set_random_seed(SEED)
regressor = build_regressor()
reg_history = fit_model(regressor, x_reg, y_reg, loss="mse")
print(f"final training MSE {reg_history.history['loss'][-1]:.4f} (the noise alone gives 0.01)")

# %% tags=["tests"] grade_id="test_regression"
lab.check("regression", lambda: {"loss": reg_history.history["loss"], "model": regressor})

# %%
grid = np.linspace(-3, 3, 301, dtype="float32")[:, None]
plt.figure(figsize=(6, 3.5))
plt.scatter(x_reg, y_reg, s=8, alpha=0.5, label="training data")
plt.plot(grid, np.sin(2 * grid) + 0.1 * grid**2, "k--", label="true function")
plt.plot(grid, regressor(grid, training=False), "tab:red", label="network")
plt.legend()
plt.title("Regression: linear output, MSE loss")
plt.show()

# %% [markdown]
# ## Step 4: A tiny classifier
#
# Three classes of points in the plane, arranged as interleaved spiral arms (a linear classifier
# cannot separate them). Write `build_classifier()`: 2 inputs → Dense(HIDDEN, relu) →
# Dense(HIDDEN, relu) → **Dense(CLASSES, softmax)**. It is trained with the cross-entropy on
# one-hot labels, `"categorical_crossentropy"`. The grader measures its accuracy on 3,000 fresh
# points.


# %% tags=["solution"] grade_id="classifier_answer"
def build_classifier():
    """2 → Dense(HIDDEN, relu) → Dense(HIDDEN, relu) → Dense(CLASSES, softmax)."""
    ### BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ],
        name="classifier",
    )
    ### END SOLUTION


# %%
keras.utils.set_random_seed(SEED)
classifier = build_classifier()
cls_history = fit_model(
    classifier, x_cls, one_hot(labels_cls, CLASSES).astype("float32"), "categorical_crossentropy"
)
train_acc = np.mean(np.argmax(classifier(x_cls, training=False), axis=1) == labels_cls)
print(f"final training loss {cls_history.history['loss'][-1]:.3f}, training accuracy {train_acc:.2%}")

# %% tags=["tests"] grade_id="test_classifier"
lab.check("classifier", lambda: {"loss": cls_history.history["loss"], "model": classifier})

# %%
gx, gy = np.meshgrid(np.linspace(-3.2, 3.2, 161), np.linspace(-3.2, 3.2, 161))
probs = np.asarray(classifier(np.stack([gx.ravel(), gy.ravel()], axis=1).astype("float32"), training=False))
plt.figure(figsize=(4.8, 4.5))
plt.contourf(
    gx, gy, probs.argmax(axis=1).reshape(gx.shape), levels=[-0.5, 0.5, 1.5, 2.5], cmap="Pastel1", alpha=0.8
)
plt.scatter(x_cls[:, 0], x_cls[:, 1], c=labels_cls, cmap="Set1", s=10, vmin=0, vmax=8)
plt.title("Classification: softmax output, cross-entropy")
plt.show()

# %% [markdown]
# ## Written answer (graded by hand)
#
# In 3–6 sentences: why is a classifier trained with softmax + cross-entropy rather than with
# sigmoid/softmax outputs + MSE? Use the gradients with respect to the logits: what is ∂L/∂z for
# cross-entropy, and what extra factor appears with MSE when the output saturates? And why does a
# regression network need a linear output?

# %% [markdown] tags=["manual"] grade_id="why_cross_entropy"
# With softmax + cross-entropy, ∂L/∂z = p − y: it stays large when the prediction is confidently
# wrong.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says both:
# 1. (1 pt) Cross-entropy's gradient w.r.t. the logits is (p − y)/N: proportional to the error,
#    no activation derivative. With MSE on a sigmoid/softmax output, the gradient carries the
#    output's derivative, e.g. (p − y)·σ'(z) = (p − y)·p(1 − p), which is ≈ 0 when the output
#    saturates — also when it is confidently *wrong* — so learning stalls; cross-entropy also
#    matches the probabilistic reading (maximum likelihood, −log p of the true class).
# 2. (1 pt) A regression target can be any real number; sigmoid/tanh/softmax outputs are bounded
#    (and ReLU cannot go negative), so the last layer must be linear, and MSE is the natural loss
#    (Gaussian noise / maximum likelihood).
# Half credit for "cross-entropy works better for probabilities" without the gradient argument.
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
