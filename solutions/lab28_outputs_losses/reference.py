"""Lab 28's reference math: output layers and losses (출력층과 손실 함수).

MSE, softmax, cross-entropy (exact log-softmax) and its gradient, parameter counts of fully
connected nets, and the two toy data sets (regression and three spiral arms) the saved models are
re-evaluated on.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs import _xor
from autograder.spec import Verdict, fail, ok

LOSS_Y_TRUE = np.array([[1.0], [2.0], [-0.5], [3.0]])
LOSS_Y_PRED = np.array([[1.5], [1.0], [0.0], [3.5]])
LOSS_LOGITS = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
LOSS_LABELS = np.array([0, 1, 0, 2])
NOTES_LAYERS = (25, 16, 16, 9, 9)  # the notes' example: 25·16 + 16·16 + 16·9 + 9·9 = 881 weights


def one_hot(labels, classes: int) -> np.ndarray:
    return np.eye(classes)[np.asarray(labels, dtype=int)]


def loss_cases(rng: np.random.Generator) -> dict[str, np.ndarray]:
    classes = 5
    return {
        "y_true": rng.normal(size=(7, 2)),
        "y_pred": rng.normal(size=(7, 2)),
        "logits": rng.normal(0.0, 5.0, size=(6, classes)),
        "labels": rng.integers(0, classes, size=6),
    }


def param_cases(rng: np.random.Generator) -> list[list[int]]:
    return [list(rng.integers(1, 200, size=rng.integers(2, 7))) for _ in range(6)]


def mse(y_true, y_pred) -> float:
    return float(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2))


def softmax(z) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_from_logits(y_onehot, z) -> float:
    """Mean over the batch of −Σ y·log softmax(z): exact even where softmax rounds to 0."""
    return float(np.mean(-np.sum(np.asarray(y_onehot, float) * log_softmax(z), axis=-1)))


def count_params(layers, biases: bool = True) -> int:
    sizes = [int(s) for s in layers]
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return weights + (sum(sizes[1:]) if biases else 0)


def losses_reference(case: dict) -> dict[str, np.ndarray]:
    z, y = np.asarray(case["logits"], float), one_hot(case["labels"], np.shape(case["logits"])[1])
    return {
        "mse": np.float64(mse(case["y_true"], case["y_pred"])),
        "softmax": softmax(z),
        "cross_entropy": np.float64(cross_entropy_from_logits(y, z)),
        "grad": (softmax(z) - y) / len(z),
    }


def losses_verdict(received: dict, case: dict, where: str = "") -> Verdict:
    ref = losses_reference(case)
    z, y = np.asarray(case["logits"], float), one_hot(case["labels"], np.shape(case["logits"])[1])
    yt, yp = np.asarray(case["y_true"], float), np.asarray(case["y_pred"], float)
    with np.errstate(all="ignore"):
        naive_ce = np.float64(np.mean(-np.sum(y * np.log(np.clip(softmax(z), 1e-7, 1.0)), axis=-1)))
    specs = {
        "mse": (
            "mse(y_true, y_pred)",
            N_("the mean of the squared differences over every entry."),
            {
                N_("the sum of squares, not the mean"): np.sum((yt - yp) ** 2),
                N_("the mean absolute error"): np.mean(np.abs(yt - yp)),
                N_("½·MSE (the ½ of some textbooks)"): 0.5 * ref["mse"],
            },
        ),
        "softmax": (
            "softmax(logits)",
            N_("subtract each row's max before exp (it never overflows), then divide by the row's sum."),
            {N_("the softmax over the batch axis (axis 0)"): softmax(z.T).T},
        ),
        "cross_entropy": (
            N_("cross_entropy(one-hot labels, logits)"),
            N_(
                "mean over the examples of −Σ y·log softmax(z); compute log softmax as z − max − log Σ e^(z − max) "
                "so that a probability that rounds to 0 does not give log 0."
            ),
            {
                N_("the sum over the examples, not the mean"): len(z) * ref["cross_entropy"],
                N_(
                    "Keras' clipped log(max(p, 1e-7)): exact log-softmax is needed for logits like ±1000"
                ): naive_ce,
            },
        ),
        "grad": (
            N_("∂(mean cross-entropy)/∂logits"),
            N_("softmax + cross-entropy: ∂L/∂z = (softmax(z) − y) / N."),
            {
                N_("softmax(z) − y without the 1/N of the mean"): softmax(z) - y,
                N_("y − softmax(z): the sign is flipped"): (y - softmax(z)) / len(z),
            },
        ),
    }
    verdicts = []
    for key, (what, hint, others) in specs.items():
        if key not in received:
            return fail(
                N_("Expected the answer to hold {keys}. Received: keys {received}").format(
                    keys=list(specs), received=sorted(received)
                )
            )
        verdicts.append(
            compare.close(
                received[key], ref[key], joined(what, where), rtol=1e-6, atol=1e-10, hint=hint, others=others
            )
        )
    verdict = compare.all_of(*verdicts)
    if not verdict.passed:
        return verdict
    return ok(N_("MSE, softmax, cross-entropy and its gradient correct{where}").format(where=where))


def param_count_verdict(received: dict, layer_lists: list[list[int]], where: str = "") -> Verdict:
    weights = [count_params(sizes, biases=False) for sizes in layer_lists]
    full = [count_params(sizes, biases=True) for sizes in layer_lists]
    bias_first = [sum(s[:-1]) for s in layer_lists]
    return compare.all_of(
        compare.close(
            received.get("weights"),
            np.array(weights, float),
            joined(N_("the number of weights (no biases)"), where),
            rtol=0,
            atol=0.5,
            hint=N_(
                "Σ n_in·n_out over consecutive layer sizes: [25, 16, 16, 9, 9] → 25·16 + 16·16 + 16·9 + 9·9 = 881."
            ),
            others={N_("the count with biases"): np.array(full, float)},
        ),
        compare.close(
            received.get("with_biases"),
            np.array(full, float),
            joined(N_("the number of weights + biases"), where),
            rtol=0,
            atol=0.5,
            hint=N_("one bias per unit of every layer after the input: add Σ n_out."),
            others={
                N_("the count without biases"): np.array(weights, float),
                N_("one bias per *input* unit (Σ n_in instead of Σ n_out)"): np.array(weights, float)
                + np.array(bias_first, float),
            },
        ),
    )


# -- the two toy data sets ----------------------------------------------------------------------------
REG_TRAIN_SEED, REG_TEST_SEED = 28, 2800
CLS_TRAIN_SEED, CLS_TEST_SEED = 280, 28000
REG_NOISE = 0.1
REG_MAX_MSE = 0.03  # calibrated: test MSE 0.002-0.011 (noise-free targets; the noise floor is 0.01)
CLS_CLASSES = 3
CLS_MIN_ACCURACY = 0.9  # calibrated: 0.951-0.969 (seeds 0-4)


def regression_data(n: int, seed: int, noise: float = REG_NOISE) -> tuple[np.ndarray, np.ndarray]:
    """y = sin(2x) + 0.1x² + noise, x uniform in [−3, 3]; float32 (n, 1) arrays."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, size=(n, 1))
    y = np.sin(2 * x) + 0.1 * x**2 + noise * rng.normal(size=(n, 1))
    return x.astype("float32"), y.astype("float32")


def classification_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three spiral arms in the disk of radius 3: class = which third of a turn θ + r falls in."""
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3.0
    theta = rng.uniform(0.0, 2 * np.pi, n)
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    label = np.floor(((theta + r) % (2 * np.pi)) / (2 * np.pi / 3)).astype("int64")
    return x.astype("float32"), label


def regression_test() -> tuple[np.ndarray, np.ndarray]:
    return regression_data(2000, REG_TEST_SEED, noise=0.0)


def classification_test() -> tuple[np.ndarray, np.ndarray]:
    return classification_data(3000, CLS_TEST_SEED)


def output_layer(model):
    dense = _xor.dense_layers(model)
    return dense[-1] if dense else None


for _array in (LOSS_Y_TRUE, LOSS_Y_PRED, LOSS_LOGITS, LOSS_LABELS):
    _array.setflags(write=False)  # the public cases: a student's in-place edit cannot change them
