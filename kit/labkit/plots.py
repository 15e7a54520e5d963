"""The MNIST labs' notebook helpers: the training report, statistics at initialization, the plots.

The grader uses ``init_statistics`` too (its definition of the numbers lab 21 and lab 22 ask about),
so that the plot a student sees and the number the grader recomputes cannot drift apart.
TensorFlow and matplotlib are imported lazily: importing this module stays cheap.
"""

from __future__ import annotations

import json
import os

import numpy as np

from labkit import fonts
from labkit.i18n import _
from labkit.mnist import CLASSES, N_TRAIN, outputs

METRICS_ENV = "MNIST_LABS_METRICS"  # benchmarks: a file that collects training reports (JSON lines)
ACTIVATION_LAYERS = {"Activation", "ReLU", "Softmax"}  # layers that apply an activation on their own


def init_statistics(model, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The lesson's numbers at initialization, as the grader defines them.

    ``act_std[i]``: std of the output of Dense layer ``i`` after its activation (ReLU for hidden
    layers; logits for the output layer), inference mode, on the batch ``x``.
    ``grad_norm[i]``: Frobenius norm of d(mean cross-entropy from logits)/d(kernel of Dense layer i).
    """
    import keras
    import tensorflow as tf

    stds, h = [], tf.convert_to_tensor(x, tf.float32)
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        h = layer(h, training=False)
        if type(layer).__name__ == "Dense":
            stds.append(float(np.std(np.asarray(h, dtype=np.float64))))
        elif type(layer).__name__ in ACTIVATION_LAYERS and stds:
            stds[-1] = float(np.std(np.asarray(h, dtype=np.float64)))
    kernels = [d.kernel for d in [layer for layer in model.layers if type(layer).__name__ == "Dense"]]
    with tf.GradientTape() as tape:
        logits = model(x, training=False)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
    grads = tape.gradient(loss, kernels)
    norms = [float(np.linalg.norm(np.asarray(g, dtype=np.float64))) for g in grads]
    return {"act_std": np.array(stds), "grad_norm": np.array(norms)}


def training_report(lab_id: str, model, history, seconds: float, n_examples: int | None = None) -> dict:
    """Print (and, for the benchmarks, record) how long training took and how fast it ran."""
    epochs = len(history.history.get("loss", [])) or 1
    n_examples = n_examples or N_TRAIN
    seen = epochs * n_examples
    params = int(model.count_params())
    gflops = 6.0 * params * seen / max(seconds, 1e-9) / 1e9  # 2·params per example, ×3 for fwd+bwd
    report = {
        "lab": lab_id,
        "seed": int(os.environ.get("LAB_SEED", "0")),
        "seconds": round(float(seconds), 3),
        "epochs": epochs,
        "examples": seen,
        "params": params,
        "examples_per_s": round(seen / max(seconds, 1e-9), 1),
        "gflops": round(gflops, 2),
    }
    print(
        _(
            "Trained {epochs} epochs in {seconds:.1f} s: {speed:,.0f} examples/s, "
            "{gflops:.0f} GFLOP/s ({params:,} parameters)"
        ).format(epochs=epochs, seconds=seconds, speed=report["examples_per_s"], gflops=gflops, params=params)
    )
    path = os.environ.get(METRICS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(report) + "\n")
    return report


def record_metric(lab_id: str, **values) -> None:
    """Add values (e.g. the test accuracy) to the benchmarks' metrics file, when one is set."""
    path = os.environ.get(METRICS_ENV)
    if path:
        record = {"lab": lab_id, "seed": int(os.environ.get("LAB_SEED", "0")), **values}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def plot_history(history, title: str = ""):
    """Training and validation curves: loss and accuracy per epoch."""
    import matplotlib.pyplot as plt

    language = fonts.prepare()  # a Korean edition: a font with Hangul (labkit.fonts)

    hist = history.history
    epochs = np.arange(1, len(hist["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, key in zip(axes, ("loss", "accuracy")):
        if key in hist:
            ax.plot(epochs, hist[key], "o-", label=_("training", language))
        if f"val_{key}" in hist:
            ax.plot(epochs, hist[f"val_{key}"], "s--", label=_("validation", language))
        ax.set_xlabel(_("epoch", language))
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title or _("Learning curves", language))
    fig.tight_layout()
    plt.show()


def plot_misclassified(model, x: np.ndarray, y: np.ndarray, n: int = 24, cols: int = 8):
    """A grid of test digits the model gets wrong: 'label→prediction' above each."""
    import matplotlib.pyplot as plt

    language = fonts.prepare()

    pred = np.argmax(outputs(model, x), axis=1)
    wrong = np.flatnonzero(pred != y)[:n]
    rows = max(1, int(np.ceil(len(wrong) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, i in zip(np.ravel(axes), wrong):
        ax.imshow(x[i].reshape(28, 28), cmap="gray_r")
        ax.set_title(f"{y[i]}→{pred[i]}", fontsize=9, color="crimson")
    fig.suptitle(
        _("Misclassified test digits (true→predicted): {wrong} of {total}", language).format(
            wrong=int(np.sum(pred != y)), total=len(y)
        )
    )
    fig.tight_layout()
    plt.show()


def confusion_matrix(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``cm[true, predicted]`` counts over ``(x, y)``."""
    pred = np.argmax(outputs(model, x), axis=1)
    return np.bincount(np.asarray(y) * CLASSES + pred, minlength=CLASSES * CLASSES).reshape(CLASSES, CLASSES)


def plot_confusion_matrix(model, x: np.ndarray, y: np.ndarray):
    """The confusion matrix (혼동 행렬) with counts; the diagonal holds the correct answers."""
    import matplotlib.pyplot as plt

    language = fonts.prepare()

    cm = confusion_matrix(model, x, y)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.imshow(np.log1p(cm), cmap="Blues")
    for (i, j), count in np.ndenumerate(cm):
        if count:
            ax.text(
                j, i, str(count), ha="center", va="center", fontsize=7, color="white" if i == j else "black"
            )
    ax.set_xticks(range(CLASSES))
    ax.set_yticks(range(CLASSES))
    ax.set_xlabel(_("predicted", language))
    ax.set_ylabel(_("true", language))
    ax.set_title(
        _("Confusion matrix (accuracy {accuracy:.2%})", language).format(accuracy=np.trace(cm) / cm.sum())
    )
    fig.tight_layout()
    plt.show()
    return cm


def plot_init_statistics(stats: dict[str, dict[str, np.ndarray]]):
    """Activation std and gradient norm per layer, one line per initialization (log scale)."""
    import matplotlib.pyplot as plt

    language = fonts.prepare()

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for label, values in stats.items():
        layers = np.arange(1, len(values["act_std"]) + 1)
        axes[0].semilogy(layers, values["act_std"], "o-", label=label)
        axes[1].semilogy(layers, values["grad_norm"], "o-", label=label)
    for ax, what in zip(axes, (_("activation std", language), _("gradient norm (kernel)", language))):
        ax.set_xlabel(_("Dense layer", language))
        ax.set_ylabel(what)
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    fig.suptitle(_("At initialization, on the first 512 test images", language))
    fig.tight_layout()
    plt.show()
