# %% [markdown]
# # Lab 21 — MNIST with a 4-layer ReLU network, naive initialization
#
# **Description:** add two hidden layers (은닉층) to softmax regression, initialize every weight and
# bias from N(0, 1) as the course's first try did, and measure what that initialization does to the
# signal (활성값) and to the gradients (기울기) before any training.
#
# ## Goals
#
# 1. Build the course's "4 layers": input (784) → 256 ReLU → 256 ReLU → 10 logits, with weights
#    **and** biases drawn from N(0, 1).
# 2. Measure, at initialization, the standard deviation of each layer's output and the norm of the
#    gradient of each layer's weights.
# 3. See why a softmax output layer with this initialization hardly learns (saturation, 포화), and
#    why logits + `from_logits=True` still do.
# 4. Train it; plot learning curves, misclassified digits and the confusion matrix.
#
# The course reached **94.55 %** with this network.

# %% [markdown]
# ## Hyper-parameters
#
# Weights of scale 1 need a larger learning rate than Keras' usual 1e-3: Adam changes each weight by
# about the learning rate per step, so 1e-3 would barely move weights of size 1.

# %%
HIDDEN_UNITS = 256  # width of both hidden layers (the course's)
LEARNING_RATE = 1.5e-2  # Adam's initial step size; decays to 0 along a cosine
BATCH_SIZE = 256
EPOCHS = 8

# %% tags=["locked"] grade_id="setup"
import os

from labkit import quiet_tensorflow_start

quiet_tensorflow_start()  # imports TensorFlow without its C++ start-up lines on stderr
import time

import keras
import numpy as np
import tensorflow as tf

from labkit import Lab
from labkit.mnist import mnist
from labkit.plots import (
    plot_confusion_matrix,
    plot_history,
    plot_init_statistics,
    plot_misclassified,
    record_metric,
    training_report,
)

LAB_ID = "lab21_mnist_naive_init"
SEED = int(os.environ.get("LAB_SEED", "0"))
keras.utils.set_random_seed(SEED)  # same seed → same initial weights and the same batch order
lab = Lab(LAB_ID)
THRESHOLD = lab.constant("THRESHOLD")
print(f"Keras {keras.__version__}, seed {SEED}. Pass mark: test accuracy ≥ {THRESHOLD:.1%}")

# %% [markdown]
# ## Step 1: the data
#
# As in lab 20: flattened float32 images in [0, 1]; 55,000 for training, 5,000 for validation.
# The statistics at initialization use a fixed batch: the first 512 test images.

# %%
data = mnist()
(x_fit, y_fit), (x_val, y_val) = data.split()
x_test, y_test = data.x_test, data.y_test
x_stats, y_stats = data.stats_batch()
print(f"training {x_fit.shape}, validation {x_val.shape}, test {x_test.shape}, stats batch {x_stats.shape}")

# %% [markdown]
# ## Step 2: the network with naive initialization
#
# `build_model()` returns a `keras.Sequential`: `Input(784)` → `Dense(HIDDEN_UNITS, relu)` twice →
# `Dense(10)` with **no activation** (logits). Every `Dense` gets
# `kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1.0)` and the same
# `bias_initializer` — the course's `tf.random_normal` for W and b.


# %% tags=["solution"] grade_id="build_answer"
def build_model():
    """784 → 256 ReLU → 256 ReLU → 10 logits, all weights and biases from N(0, 1)."""

    ### BEGIN SOLUTION
    def naive():
        return keras.initializers.RandomNormal(mean=0.0, stddev=1.0)

    def dense(units, activation=None):
        return keras.layers.Dense(
            units, activation=activation, kernel_initializer=naive(), bias_initializer=naive()
        )

    return keras.Sequential(
        [keras.Input(shape=(784,)), dense(HIDDEN_UNITS, "relu"), dense(HIDDEN_UNITS, "relu"), dense(10)],
        name="naive_init",
    )
    ### END SOLUTION


model = build_model()
model.summary()

# %% [markdown]
# ## Step 3: statistics at initialization
#
# Before training, push the stats batch through the network and record, for each `Dense` layer $i$:
#
# * `act_std[i]`: `np.std` of the layer's output after its activation (after ReLU for the hidden
#   layers; the logits for the last one), in inference mode;
# * `grad_norm[i]`: the norm $\lVert \partial L / \partial W_i \rVert$ of the gradient of the **mean**
#   cross-entropy (from logits) with respect to the layer's kernel $W_i$.
#
# Return `{"act_std": [...], "grad_norm": [...]}`. Hint: call the layers one by one
# (`h = layer(h)` over `model.layers`) for the first, and use `tf.GradientTape` with
# `keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)` for the second.


# %% tags=["solution"] grade_id="init_stats_answer"
def init_statistics(model, x, y):
    """Per Dense layer: std of its output and norm of the loss gradient w.r.t. its kernel."""
    ### BEGIN SOLUTION
    act_std, h = [], tf.convert_to_tensor(x)
    for layer in model.layers:
        h = layer(h, training=False)
        if isinstance(layer, keras.layers.Dense):
            act_std.append(float(np.std(h.numpy())))
    kernels = [layer.kernel for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    with tf.GradientTape() as tape:
        logits = model(x, training=False)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
    grad_norm = [float(tf.norm(g)) for g in tape.gradient(loss, kernels)]
    return {"act_std": act_std, "grad_norm": grad_norm}
    ### END SOLUTION


stats = init_statistics(model, x_stats, y_stats)
for i, (s, g) in enumerate(zip(stats["act_std"], stats["grad_norm"]), start=1):
    print(f"Dense layer {i}: activation std {s:10.4g}   gradient norm {g:10.4g}")

# %% tags=["tests"] grade_id="test_init_stats"
lab.check("init_stats", lambda: init_statistics(model, x_stats, y_stats), model=model)

# %% tags=["tests"] grade_id="test_init_stats_hidden"
### BEGIN HIDDEN TESTS
lab.check("init_stats_hidden", lambda idx: init_statistics(model, x_test[idx], y_test[idx]), model=model)
### END HIDDEN TESTS

# %% [markdown]
# Each ReLU layer multiplies the scale of the signal by about $\sqrt{n_{in}/2}$ — about 11 for
# 256 inputs — because every one of its $n_{in}$ inputs adds a weight of variance 1. The logits end up
# in the thousands:

# %%
plot_init_statistics({"naive N(0, 1)": stats})

# %% [markdown]
# ## Step 4: why not a softmax output layer?
#
# With logits in the thousands, the softmax gives one class a probability of exactly 1.0 in float32
# and the others exactly 0. The *probability* form of the cross-entropy (a softmax layer +
# `SparseCategoricalCrossentropy()` without `from_logits`) clips probabilities to
# [1e-7, 1 − 1e-7] before the log, and a clipped value has **zero gradient**: a saturated example
# teaches the network nothing. With that setup this network reached only 45–62 % in our tests.
#
# Compute `saturation`: the fraction of the 512 stats examples whose largest softmax probability
# (float32, from the initial model's logits) is ≥ 1 − 1e-7.

# %% tags=["solution"] grade_id="saturation_answer"
### BEGIN SOLUTION
probs = keras.ops.softmax(model(x_stats, training=False), axis=-1).numpy()
saturation = float(np.mean(probs.max(axis=1) >= np.float32(1 - 1e-7)))
### END SOLUTION
print(f"{saturation:.1%} of the examples are saturated at initialization")

# %% tags=["tests"] grade_id="test_saturation"
lab.check("saturation", lambda: saturation)

# %% [markdown]
# The two losses side by side, on the same initial network: the gradient that reaches the first
# layer through clipped probabilities, and through the logits. The logits form
# (log-sum-exp, lab 20) never saturates: its gradient is softmax − one-hot, which stays ±1 for
# every misclassified example.

# %%
first_kernel = model.layers[0].kernel
with tf.GradientTape(persistent=True) as tape:
    logits = model(x_stats, training=False)
    p_true = tf.gather(tf.nn.softmax(logits), y_stats, batch_dims=1)
    loss_probs = -tf.reduce_mean(tf.math.log(tf.clip_by_value(p_true, 1e-7, 1 - 1e-7)))
    loss_logits = tf.reduce_mean(
        keras.losses.sparse_categorical_crossentropy(y_stats, logits, from_logits=True)
    )
print(
    f"probability loss {float(loss_probs):8.3f}: first-layer gradient norm {float(tf.norm(tape.gradient(loss_probs, first_kernel))):.3g}"
)
print(
    f"logits loss      {float(loss_logits):8.1f}: first-layer gradient norm {float(tf.norm(tape.gradient(loss_logits, first_kernel))):.3g}"
)
del tape

# %% [markdown]
# ## Step 5: compile and train
#
# Compile `model` (the network measured above) with Adam (`LEARNING_RATE`, cosine decay to 0 over all
# steps), `SparseCategoricalCrossentropy(from_logits=True)` and the accuracy metric; train it with
# `validation_data=(x_val, y_val)`. Keep `history` and `train_seconds`.

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
# ## Step 6: evaluate

# %% tags=["tests"] grade_id="test_model"
lab.check("model", lambda: model)

# %%
test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=10_000, verbose=0)
record_metric(LAB_ID, test_accuracy=test_acc)
print(f"test accuracy {test_acc:.2%} (course: 94.55 %)")
plot_history(history, "4 layers, naive N(0, 1) initialization")

# %%
plot_misclassified(model, x_test, y_test)
confusion = plot_confusion_matrix(model, x_test, y_test)

# %% [markdown]
# ## What we learned
#
# * Two hidden ReLU layers lift accuracy from ~92 % to ~95 %: the network can now bend its decision
#   boundaries.
# * N(0, 1) initialization multiplies the signal's scale at every layer: logits in the thousands, a
#   saturated softmax, and a training that only works because the loss takes logits. Lab 22 chooses
#   the weights' scale on purpose (Xavier/Glorot, He) and gains another 2–3 points.

# %%
lab.summary()  # one line: what passes so far
