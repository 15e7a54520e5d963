# %% [markdown]
# # Lab 26: Batch normalization (배치 정규화)
#
# **Goals of this lab**
#
# - Write the batch-normalization transform in NumPy: standardize each feature with the batch's
#   mean and variance, x̂ = (x − E[x]) / √(Var[x] + ε), then scale and shift, γ·x̂ + β.
# - Keep the *moving* mean and variance (이동 평균) the way Keras does, and use them at inference.
# - Check every number against `keras.layers.BatchNormalization`, in training and inference modes.
# - Revisit lab 18: the deep 2 → 10 → 10 → 10 → 1 sigmoid network that could not learn XOR with
#   plain SGD learns it once every hidden layer is batch-normalized.
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

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from labkit import Lab

lab = Lab("lab26_batchnorm")

# %% [markdown]
# All hyper-parameters live in this one cell. Do not change them: the grader checks the outcome of
# exactly this recipe.

# %% tags=["locked"] grade_id="hyperparameters"
SEED = int(os.environ.get("LAB_SEED", "0"))  # the calibration script varies it; you keep 0
BN_EPSILON = 1e-3  # Keras' default ε (PyTorch's is 1e-5)
BN_MOMENTUM = 0.99  # Keras' default: moving ← 0.99·moving + 0.01·batch

# Step 3: lab 18's network and recipe, unchanged
HIDDEN_UNITS = 10
LEARNING_RATE = 0.1  # plain SGD, no momentum
STEPS_PER_EPOCH = 100
EPOCHS = 20  # 20 × 100 = 2000 full-batch steps

keras.utils.set_random_seed(SEED)  # seeds Python, NumPy and TensorFlow at once

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")  # XOR
Y = np.array([[0], [1], [1], [0]], dtype="float32")

# %% [markdown]
# ## Step 1: The transform, in training mode
#
# A batch-normalization layer looks at a batch of N examples with C features, `x` of shape
# (N, C), and for **each feature** (each column) separately:
#
# ```
# μ_B  = mean of the column over the batch                 E[x]
# σ²_B = mean of (x − μ_B)² over the batch                 Var[x]: divide by N, not N − 1
# x̂    = (x − μ_B) / √(σ²_B + ε)                           mean 0, variance ≈ 1
# y    = γ·x̂ + β                                           γ, β: one trainable number per feature
# ```
#
# ε keeps the division safe when a feature is constant over the batch; Keras uses ε = 1e-3. γ and
# β let the network undo the standardization where it helps (γ = √(σ²_B + ε), β = μ_B restores x),
# so normalizing never makes a layer less expressive.
#
# The test batch has 8 examples of 3 features on wildly different scales (means 0, 5, −3 and
# standard deviations 1, 10, 0.1).

# %% tags=["locked"] grade_id="bn_data"
_rng = np.random.default_rng(2026)
_loc, _scale = np.array([0.0, 5.0, -3.0]), np.array([1.0, 10.0, 0.1])
X_BN = _rng.normal(_loc, _scale, size=(8, 3))
GAMMA = np.array([1.5, 0.5, 2.0])
BETA = np.array([0.1, -1.0, 0.5])
BATCHES = _rng.normal(_loc, _scale, size=(3, 16, 3))  # Step 2: three training batches of 16
X_TEST = _rng.normal(_loc, _scale, size=(5, 3))  # Step 2: a batch seen at inference


# %% tags=["solution"] grade_id="batchnorm_train_answer"
def batchnorm_train(x, gamma, beta, epsilon=BN_EPSILON):
    """Training-mode BN of x (N, C): returns (y, batch mean (C,), batch variance (C,))."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype="float64")
    mean = x.mean(axis=0)
    var = x.var(axis=0)  # biased: divides by N
    x_hat = (x - mean) / np.sqrt(var + epsilon)
    return gamma * x_hat + beta, mean, var
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_bn_train"
lab.check("bn_train", lambda: dict(zip(("y", "mean", "var"), batchnorm_train(X_BN, GAMMA, BETA))))

# %% [markdown]
# See for yourself: Keras' layer, given the same γ and β, computes the same output. (`dtype="float64"`
# makes the layer compute in double precision, like NumPy.)

# %%
keras_bn = keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, dtype="float64")
keras_bn.build((None, 3))
keras_bn.gamma.assign(GAMMA)
keras_bn.beta.assign(BETA)
keras_out = np.asarray(keras_bn(X_BN, training=True))
try:
    mine, _, _ = batchnorm_train(X_BN, GAMMA, BETA)
    print("largest difference from Keras:", np.max(np.abs(mine - keras_out)))
    print("per-feature mean / std of y:", mine.mean(axis=0).round(3), mine.std(axis=0).round(3))
except NotImplementedError:
    print("Write batchnorm_train first.")

# %% [markdown]
# ## Step 2: Moving statistics and inference mode
#
# At inference (추론) there may be a single example, so there is no batch to average over. During
# training the layer therefore keeps a running estimate of the mean and variance of each feature,
# and uses those at inference instead. Keras updates them after every training batch as
#
# ```
# moving_mean ← moving_mean·momentum + μ_B·(1 − momentum)        starts at 0
# moving_var  ← moving_var·momentum  + σ²_B·(1 − momentum)       starts at 1
# ```
#
# with momentum = 0.99: each batch moves the estimate 1 % of the way. (Careful when reading other
# code: PyTorch's `momentum=0.1` is the weight of the *new* batch, the opposite convention.)
# Keras uses the same biased σ²_B here. At inference:
#
# ```
# y = γ·(x − moving_mean) / √(moving_var + ε) + β
# ```
#
# Write `update_moving` and `batchnorm_infer`. `run_bn` (locked) puts everything together: one
# training-mode call, then three training batches from fresh moving statistics, then inference.


# %% tags=["solution"] grade_id="moving_answer"
def update_moving(moving_mean, moving_var, mean, var, momentum=BN_MOMENTUM):
    """One update of the moving statistics; returns (new moving_mean, new moving_var)."""
    ### BEGIN SOLUTION
    return (
        moving_mean * momentum + mean * (1 - momentum),
        moving_var * momentum + var * (1 - momentum),
    )
    ### END SOLUTION


def batchnorm_infer(x, moving_mean, moving_var, gamma, beta, epsilon=BN_EPSILON):
    """Inference-mode BN: normalize x with the moving statistics."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype="float64")
    return gamma * (x - moving_mean) / np.sqrt(moving_var + epsilon) + beta
    ### END SOLUTION


# %% tags=["locked"] grade_id="run_bn"
def run_bn(x, gamma, beta, batches, x_test, momentum=BN_MOMENTUM, epsilon=BN_EPSILON):
    """Training call on x; moving statistics after each of `batches`; inference on x_test."""
    y, mean, var = batchnorm_train(x, gamma, beta, epsilon)
    moving_mean, moving_var = np.zeros(x.shape[1]), np.ones(x.shape[1])
    means, variances = [], []
    for batch in batches:
        _, batch_mean, batch_var = batchnorm_train(batch, gamma, beta, epsilon)
        moving_mean, moving_var = update_moving(moving_mean, moving_var, batch_mean, batch_var, momentum)
        means.append(moving_mean)
        variances.append(moving_var)
    return {
        "y": y,
        "mean": mean,
        "var": var,
        "moving_mean": np.array(means),
        "moving_var": np.array(variances),
        "inference": batchnorm_infer(x_test, moving_mean, moving_var, gamma, beta, epsilon),
    }


# %% tags=["tests"] grade_id="test_bn_moving"
lab.check(
    "bn_moving",
    lambda: {
        key: value
        for key, value in run_bn(X_BN, GAMMA, BETA, BATCHES, X_TEST).items()
        if key in ("moving_mean", "moving_var", "inference")
    },
)

# %% tags=["tests"] grade_id="test_bn_hidden"
### BEGIN HIDDEN TESTS
lab.check(
    "bn_hidden",
    lambda h: run_bn(h["x"], h["gamma"], h["beta"], h["batches"], h["x_test"], momentum=0.9, epsilon=1e-2),
)
### END HIDDEN TESTS

# %% [markdown]
# How fast do the moving statistics find the truth? Feed 600 batches of 16 from a feature with
# mean 5 and variance 4: with momentum 0.99 the estimate needs a few hundred batches (its memory
# is about 1/(1 − 0.99) = 100 batches) but ends up smooth; with 0.9 it is there after ~30 batches
# but jitters with every batch. Right after a short training run, the moving statistics can still
# be far from the data's: a classic source of "works in training, fails in inference".

# %%
try:
    stream = np.random.default_rng(SEED).normal(5.0, 2.0, size=(600, 16, 1))
    plt.figure(figsize=(9, 3.2))
    for panel, (key, truth) in enumerate((("mean", 5.0), ("variance", 4.0))):
        plt.subplot(1, 2, panel + 1)
        for momentum in (0.9, 0.99):
            moving_mean, moving_var, trace = np.zeros(1), np.ones(1), []
            for batch in stream:
                moving_mean, moving_var = update_moving(
                    moving_mean, moving_var, batch.mean(axis=0), batch.var(axis=0), momentum
                )
                trace.append((moving_mean if key == "mean" else moving_var)[0])
            plt.plot(trace, label=f"momentum {momentum}")
        plt.axhline(truth, color="k", linestyle="--", linewidth=1)
        plt.xlabel("training batch")
        plt.title(f"moving {key}")
        plt.legend()
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write update_moving first.")

# %% [markdown]
# ## Step 3: Lab 18 again — a deep sigmoid network, now with BN
#
# In lab 18 this network, trained with plain SGD (λ = 0.1, 2000 full-batch steps), never left the
# plateau at loss ln 2 ≈ 0.693: its first layer's gradient was ~100× smaller than its last.
# Put a BatchNormalization layer between every hidden Dense layer and its sigmoid:
#
# ```
# Dense(10, no bias) → BatchNormalization → Activation("sigmoid")     × 3
# Dense(1, sigmoid)
# ```
#
# The Dense layers need no bias: BN subtracts the mean anyway, and β plays the bias's role.
# `build_plain_net` and `train_xor` are lab 18's, locked. Write `build_bn_net`.


# %% tags=["locked"] grade_id="plain_net"
def build_plain_net():
    """Lab 18's 2 → 10 → 10 → 10 → 1 network, sigmoid everywhere."""
    return keras.Sequential(
        [keras.Input(shape=(2,))]
        + [keras.layers.Dense(HIDDEN_UNITS, activation="sigmoid") for _ in range(3)]
        + [keras.layers.Dense(1, activation="sigmoid")],
        name="plain_sigmoid",
    )


dataset = tf.data.Dataset.from_tensors((X, Y)).repeat()  # the full batch, forever


def train_xor(model):
    """Lab 18's recipe: plain SGD + binary cross-entropy, EPOCHS × STEPS_PER_EPOCH full-batch steps."""
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EPOCH,  # 100 steps per compiled call: 2000 steps in ~1 s
    )
    return model.fit(dataset, steps_per_epoch=STEPS_PER_EPOCH, epochs=EPOCHS, shuffle=False, verbose=0)


# %% tags=["solution"] grade_id="bn_net_answer"
def build_bn_net():
    """2 → [Dense(10, no bias) → BN → sigmoid] × 3 → Dense(1, sigmoid)."""
    ### BEGIN SOLUTION
    layers = [keras.Input(shape=(2,))]
    for _ in range(3):
        layers += [
            keras.layers.Dense(HIDDEN_UNITS, use_bias=False),
            keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON),
            keras.layers.Activation("sigmoid"),
        ]
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    return keras.Sequential(layers, name="bn_sigmoid")
    ### END SOLUTION


# %% [markdown]
# Before training, compare the gradient of each layer's kernel (as in lab 18; the forward pass
# runs in training mode, so BN uses the batch statistics).


# %%
def kernel_grad_norms(model):
    """‖∂L/∂kernel‖ of every Dense layer, first → last (mean BCE on XOR, training mode)."""
    kernels = [layer.kernel for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy()(Y, model(X, training=True))
    return np.array([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])


keras.utils.set_random_seed(SEED)
plain_model = build_plain_net()
plain_norms = kernel_grad_norms(plain_model)
print("plain:", ", ".join(f"{n:.1e}" for n in plain_norms))
try:
    keras.utils.set_random_seed(SEED)
    bn_model = build_bn_net()
    bn_norms = kernel_grad_norms(bn_model)
    print("BN:   ", ", ".join(f"{n:.1e}" for n in bn_norms))
    layers = np.arange(1, 5)
    plt.figure(figsize=(5, 3.5))
    plt.semilogy(layers, plain_norms, "o-", label="plain sigmoid (lab 18)")
    plt.semilogy(layers, bn_norms, "s-", label="with batch normalization")
    plt.xticks(layers, [f"Dense {i}" for i in layers])
    plt.ylabel("‖∂L/∂W‖ at initialization")
    plt.legend()
    plt.grid(True, which="both", alpha=0.3)
    plt.show()
except NotImplementedError:
    print("Write build_bn_net first.")

# %% [markdown]
# Now train both with exactly the same recipe.

# %%
plain_history = train_xor(plain_model)
bn_history = train_xor(bn_model)
for name, history in (("plain", plain_history), ("BN", bn_history)):
    print(
        f"{name:>5}: final loss {history.history['loss'][-1]:.4f}, accuracy {history.history['accuracy'][-1]:.2f}"
    )

# %% [markdown]
# Graded on the saved model, re-evaluated in **inference mode** (moving statistics, not the
# batch's): the BN network classifies all 4 XOR points correctly with loss ≤ 0.1.

# %% tags=["tests"] grade_id="test_bn_xor"
lab.check("bn_xor", lambda: {"loss": bn_history.history["loss"], "model": bn_model})

# %%
steps = STEPS_PER_EPOCH * np.arange(1, EPOCHS + 1)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].plot(steps, plain_history.history["loss"], label="plain sigmoid (lab 18)")
axes[0].plot(steps, bn_history.history["loss"], label="with batch normalization")
axes[0].axhline(np.log(2), color="gray", linestyle="--", label="ln 2")
axes[0].set_xlabel("SGD step")
axes[0].set_ylabel("binary cross-entropy")
axes[0].legend()
grid = np.linspace(0, 1, 101)
gx, gy = np.meshgrid(grid, grid)
points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype("float32")
probs = np.asarray(bn_model(points, training=False)).reshape(gx.shape)
contour = axes[1].contourf(gx, gy, probs, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
fig.colorbar(contour, ax=axes[1], label="P(y = 1)")
axes[1].scatter(X[:, 0], X[:, 1], c=Y[:, 0], cmap="RdBu_r", edgecolors="k", s=120, vmin=0, vmax=1)
axes[1].set_title("BN network, inference mode")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Step 4: What BN adds to the parameter count
#
# Each BN layer of C units holds 4·C numbers: γ and β are **trainable** (learned by gradient
# descent), the moving mean and variance are **non-trainable** (updated by the formula of Step 2,
# not by gradients). Write `count_bn_params(n_inputs, hidden_units)` for the network of
# `build_bn_net` (no bias in the hidden Dense layers; the output Dense has one), by the formula;
# the check compares it with what Keras counts on your model.


# %% tags=["solution"] grade_id="bn_params_answer"
def count_bn_params(n_inputs, hidden_units):
    """{"trainable": …, "non_trainable": …} of [Dense(h, no bias) → BN → sigmoid]* → Dense(1)."""
    ### BEGIN SOLUTION
    trainable, non_trainable, previous = 0, 0, n_inputs
    for units in hidden_units:
        trainable += previous * units + 2 * units  # kernel, γ, β
        non_trainable += 2 * units  # moving mean, moving variance
        previous = units
    trainable += previous + 1  # output kernel and bias
    return {"trainable": trainable, "non_trainable": non_trainable}
    ### END SOLUTION


# %% tags=["tests"] grade_id="test_bn_params"
lab.check("bn_params", lambda: count_bn_params(2, [HIDDEN_UNITS] * 3))

# %%
print(
    "Keras counts:",
    bn_model.count_params(),
    "in all;",
    sum(int(np.prod(w.shape)) for w in bn_model.trainable_weights),
    "trainable",
)

# %% [markdown]
# ## Written answer (graded by hand)
#
# In 3–6 sentences: why does the same deep sigmoid network, with the same optimizer and learning
# rate, learn XOR once its hidden layers are batch-normalized? Use what you measured (the
# gradient norms per layer) and what BN does to each sigmoid's input. Then: why must the graded
# model be evaluated with the *moving* statistics, and what could go wrong if training were short?

# %% [markdown] tags=["manual"] grade_id="why_bn_helps"
# Without BN the sigmoid inputs drift and the gradient shrinks by σ' ≤ 1/4 and a small weight
# matrix at every layer; with BN each layer's input is re-standardized.
#
# === BEGIN MARK SCHEME ===
# Full marks (2) when the answer says both:
# 1. (1 pt) BN keeps every sigmoid's pre-activation at mean β and standard deviation γ (≈ 0 and 1
#    at the start), in the sigmoid's sensitive range, and the backward pass through BN divides by
#    the batch's standard deviation, which cancels the shrinking scale of the layers below: the
#    per-layer gradient norms are of similar size (the plot), so the first layers learn too and
#    the network leaves the ln 2 plateau.
# 2. (1 pt) At inference there is no batch (or it is not representative), so BN uses the moving
#    mean/variance accumulated during training; after short training (momentum 0.99 ≈ a memory of
#    100 batches) they may still be far from the real statistics, so the inference-mode output
#    differs from the training-mode one (accuracy can drop).
# Half credit for "BN normalizes the inputs of each layer" without the gradient argument.
# === END MARK SCHEME ===

# %%
lab.summary()  # one line: what passes so far
