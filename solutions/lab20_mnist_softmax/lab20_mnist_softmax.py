# %% [markdown]
# # Lab 20 — MNIST with softmax regression (소프트맥스 회귀)
#
# **Description:** classify handwritten digits with a single `Dense(10)` layer, and write the softmax
# and the cross-entropy yourself, in a way that never overflows.
#
# ## Goals
#
# 1. Prepare MNIST for a fully connected network: flatten 28×28 → 784, scale to [0, 1].
# 2. Implement **softmax** and **cross-entropy** (교차 엔트로피) in NumPy, numerically stable
#    (수치적 안정성): they must work for logits like 1000 or −1000.
# 3. Build, compile and train softmax regression in Keras and count its parameters.
# 4. Read the results: learning curves, the digits it gets wrong, the confusion matrix.
#
# The course's version (TF1, 15 epochs) reached **90.23 %** test accuracy. Cells marked *graded* are
# re-checked by the grader in a fresh process: it re-evaluates your saved model on the 10,000 test
# images, so the accuracy it sees is the one your model really has.

# %% [markdown]
# ## Hyper-parameters
#
# Everything you may want to change is in this cell. The values below are the reference's: a larger
# batch than the course's 100 runs faster on a CPU, and a learning rate that decays along a cosine
# (코사인 감쇠) lets us start high and still finish precisely.

# %%
LEARNING_RATE = 1e-2  # Adam's initial step size; decays to 0 along a cosine
BATCH_SIZE = 512  # examples per gradient step
EPOCHS = 5  # passes over the 55,000 training images

# %% tags=["locked"] grade_id="setup"
import os

from labkit import quiet_tensorflow_start

quiet_tensorflow_start()  # imports TensorFlow without its C++ start-up lines on stderr
import time

import keras
import numpy as np

from labkit import Lab
from labkit.mnist import mnist
from labkit.plots import (
    plot_confusion_matrix,
    plot_history,
    plot_misclassified,
    record_metric,
    training_report,
)

LAB_ID = "lab20_mnist_softmax"
SEED = int(os.environ.get("LAB_SEED", "0"))
keras.utils.set_random_seed(SEED)  # same seed → same initial weights and the same batch order
lab = Lab(LAB_ID)
PUBLIC_LABELS, PUBLIC_LOGITS, THRESHOLD = lab.constants("PUBLIC_LABELS", "PUBLIC_LOGITS", "THRESHOLD")
print(f"Keras {keras.__version__}, seed {SEED}. Pass mark: test accuracy ≥ {THRESHOLD:.1%}")

# %% [markdown]
# ## Step 1: the data
#
# `mnist()` loads the verified MNIST file once and prepares it the way every lab of this series
# uses it:
#
# ```python
# x = images.reshape(len(images), 784).astype("float32") / 255   # (N, 28, 28) uint8 → (N, 784) in [0, 1]
# ```
#
# Why: a `Dense` layer takes a flat vector, and inputs in [0, 1] keep the first weighted sums small.
# We train on the first 55,000 training images and keep the last 5,000 as a validation set
# (검증 세트), as the course did; the 10,000 test images are only used at the very end.

# %%
data = mnist()
(x_fit, y_fit), (x_val, y_val) = data.split()
x_test, y_test = data.x_test, data.y_test
print(f"training   {x_fit.shape} {x_fit.dtype}, values {x_fit.min():.0f}…{x_fit.max():.0f}")
print(f"validation {x_val.shape}, test {x_test.shape}; labels {y_fit[:10]} …")

# %% [markdown]
# ## Step 2: softmax and cross-entropy in NumPy
#
# For logits $z \in \mathbb{R}^K$ the softmax is $p_k = e^{z_k} / \sum_j e^{z_j}$, and the
# cross-entropy of the true class $y$ is $-\log p_y$.
#
# Written literally, both break: `np.exp(1000)` is `inf` (overflow), `np.exp(-1000)` is `0`
# (underflow), and then you get `inf / inf = nan` or `log(0) = -inf`. Two facts fix it:
#
# * softmax does not change when you subtract a constant from every logit, so subtract each row's
#   maximum: the largest exponent becomes $e^0 = 1$, nothing overflows;
# * take the log *before* exponentiating: $\log p_y = (z_y - m) - \log \sum_j e^{z_j - m}$ with
#   $m = \max_j z_j$ (the *log-sum-exp* trick). The sum is ≥ 1, so the log is always finite.
#
# Implement `softmax(logits)` (row-wise, for an `(N, K)` array) and `cross_entropy(logits, labels)`
# (one loss per row, labels are class indices). Do not modify `logits` in place.


# %% tags=["solution"] grade_id="softmax_answer"
def softmax(logits):
    """Row-wise softmax of an (N, K) array; stable for any finite logits."""
    logits = np.asarray(logits, dtype=np.float64)
    ### BEGIN SOLUTION
    shifted = logits - logits.max(axis=-1, keepdims=True)  # largest entry becomes 0: no overflow
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
    ### END SOLUTION


def cross_entropy(logits, labels):
    """−log softmax(logits)[label] for each row: an array of shape (N,)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    ### BEGIN SOLUTION
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # log-softmax
    return -log_probs[np.arange(len(labels)), labels]
    ### END SOLUTION


# %% [markdown]
# The public checks use these logits (row 2 would overflow `np.exp`, row 3 would underflow it):

# %%
print(PUBLIC_LOGITS)
print("labels:", PUBLIC_LABELS)

# %% tags=["tests"] grade_id="test_softmax"
lab.check("softmax", lambda: softmax(PUBLIC_LOGITS.copy()))

# %% tags=["tests"] grade_id="test_softmax_hidden"
### BEGIN HIDDEN TESTS
lab.check("softmax_hidden", lambda case: softmax(case[0].copy()))  # case: (logits, labels)
### END HIDDEN TESTS

# %% tags=["tests"] grade_id="test_cross_entropy"
lab.check("cross_entropy", lambda: cross_entropy(PUBLIC_LOGITS.copy(), PUBLIC_LABELS.copy()))

# %% tags=["tests"] grade_id="test_cross_entropy_hidden"
### BEGIN HIDDEN TESTS
lab.check("cross_entropy_hidden", lambda case: cross_entropy(case[0].copy(), case[1].copy()))
### END HIDDEN TESTS

# %% [markdown]
# Keras computes the same thing: `keras.ops.softmax` and the loss with `from_logits=True`, which
# applies the log-sum-exp trick internally. That is why, from lab 21 on, the last layer outputs
# **logits** and the loss does the softmax.

# %%
print(
    "max |yours − Keras| softmax:",
    np.abs(softmax(PUBLIC_LOGITS) - np.asarray(keras.ops.softmax(PUBLIC_LOGITS))).max(),
)
keras_ce = keras.losses.sparse_categorical_crossentropy(PUBLIC_LABELS, PUBLIC_LOGITS, from_logits=True)
print("cross-entropy, yours :", cross_entropy(PUBLIC_LOGITS, PUBLIC_LABELS))
print("cross-entropy, Keras :", np.asarray(keras_ce))

# %% [markdown]
# ## Step 3: build the model
#
# Softmax regression is one `Dense` layer from the 784 pixels to 10 class scores: $z = xW + b$.
# Let it output the logits $z$ (no activation); the loss will apply the softmax.
#
# Then count its parameters (파라미터 수) by hand: how many weights does $W$ have, how many biases $b$?


# %% tags=["solution"] grade_id="build_answer"
def build_model():
    """784 → Dense(10): logits for the 10 digits."""
    ### BEGIN SOLUTION
    return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)], name="softmax_regression")
    ### END SOLUTION


model = build_model()
model.summary()

# %% tags=["solution"] grade_id="n_params_answer"
### BEGIN SOLUTION
n_params = 784 * 10 + 10  # one weight per (pixel, class) + one bias per class
### END SOLUTION
print(f"your count: {n_params:,}; Keras counts {model.count_params():,}")

# %% tags=["tests"] grade_id="test_n_params"
lab.check("n_params", lambda: n_params)

# %% [markdown]
# ## Step 4: compile and train
#
# * optimizer: Adam with `LEARNING_RATE`, decayed along a cosine to 0 over all training steps
#   (`keras.optimizers.schedules.CosineDecay`);
# * loss: `SparseCategoricalCrossentropy(from_logits=True)` — labels are class indices, outputs are logits;
# * metric: accuracy, on the validation set after every epoch (`validation_data=(x_val, y_val)`).
#
# Keep the history that `fit` returns (`history`) and the training time in seconds (`train_seconds`).

# %% tags=["solution"] grade_id="train_answer"
### BEGIN SOLUTION
steps = EPOCHS * int(np.ceil(len(x_fit) / BATCH_SIZE))
model.compile(
    optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps)),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
start = time.perf_counter()
history = model.fit(
    x_fit, y_fit, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_data=(x_val, y_val), verbose=2
)
train_seconds = time.perf_counter() - start
### END SOLUTION
report = training_report(LAB_ID, model, history, train_seconds)

# %% [markdown]
# ## Step 5: evaluate
#
# The grader saves your model and evaluates it on the 10,000 test images, in a fresh process.

# %% tags=["tests"] grade_id="test_model"
lab.check("model", lambda: model)

# %%
test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=10_000, verbose=0)
record_metric(LAB_ID, test_accuracy=test_acc)
print(f"test accuracy {test_acc:.2%} (course: 90.23 %)")
plot_history(history, "Softmax regression")

# %% [markdown]
# Each column of $W$ is a 28×28 *template*: the score of a digit is how well the image matches it
# (red: pixels that vote for the class, blue: against).

# %%
import matplotlib.pyplot as plt

kernel = model.layers[-1].kernel.numpy()
fig, axes = plt.subplots(1, 10, figsize=(11, 1.6))
for digit, ax in enumerate(axes):
    limit = np.abs(kernel[:, digit]).max()
    ax.imshow(kernel[:, digit].reshape(28, 28), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(str(digit))
    ax.axis("off")
plt.show()

# %% [markdown]
# Which digits does a linear model confuse? Look for the largest off-diagonal entries.

# %%
plot_misclassified(model, x_test, y_test)
confusion = plot_confusion_matrix(model, x_test, y_test)

# %% [markdown]
# ## What we learned
#
# * Softmax and cross-entropy must be computed with the max-subtraction / log-sum-exp trick; Keras
#   does it for you when the model outputs logits and the loss has `from_logits=True`.
# * One linear layer (7,850 parameters) already gets about 92 % — and then stops: a linear model
#   cannot draw curved boundaries between digits. Lab 21 adds hidden layers (은닉층).

# %%
lab.summary()  # one line: what passes so far
