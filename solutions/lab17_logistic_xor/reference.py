"""Lab 17's reference math: logistic regression (로지스틱 회귀) on AND / OR, and XOR.

Recomputed here, in float64, from the course's numbers, from hidden-seed inputs or from the weights
a notebook saved: stable sigmoid and cross-entropy cost, its gradient, gradient descent on AND/OR,
accuracy of a line on XOR, and a 2-2-1 network (the Keras model's architecture and accuracy).

TensorFlow/Keras are imported lazily, so listing the labs does not import them.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined, localize

from autograder.labs._arrays import as_array
from autograder.spec import Verdict, fail, ok

GATE_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_AND = np.array([0.0, 0.0, 0.0, 1.0])
Y_OR = np.array([0.0, 1.0, 1.0, 1.0])
Y_XOR = np.array([0.0, 1.0, 1.0, 0.0])
TARGETS = {"AND": Y_AND, "OR": Y_OR, "XOR": Y_XOR}

LOGISTIC_LR, LOGISTIC_STEPS = 1.0, 1000  # plain GD from w = 0, b = 0: cost < 0.02 on AND and OR
TRAINED_MAX_COST = 0.1  # untrained (w = 0, b = 0) is ln 2 ≈ 0.693
LOGISTIC_RTOL = 1e-7

# Public cases (w, b) on AND: ordinary, confidently right (naive cost: 0·log 0 = nan) and
# confidently wrong (naive cost: log(1 − 1) = −inf, so cost = inf; the true cost is 600)
COST_CASES = (
    (np.array([1.5, -2.0]), 0.5),
    (np.array([800.0, 800.0]), -1200.0),
    (np.array([-800.0, -800.0]), 1200.0),
)
HYPOTHESIS_W, HYPOTHESIS_B = np.array([1.5, -2.0]), 0.5
HYPOTHESIS_Z = np.array([-1000.0, -40.0, -2.0, 0.0, 2.0, 40.0, 1000.0])

# The notes' 2-2-1 network for XOR (Keras layout: z1 = X @ W1 + b1), sigmoid everywhere
NOTES_PARAMS = {
    "W1": np.array([[5.0, -7.0], [5.0, -7.0]]),
    "b1": np.array([-8.0, 3.0]),
    "W2": np.array([[-11.0], [-11.0]]),
    "b2": np.array([6.0]),
}


def sigmoid(z):
    """σ(z) without overflow: e^(−|z|) ≤ 1."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def hypothesis(X, w, b):
    return sigmoid(np.asarray(X, float) @ np.asarray(w, float) + float(b))


def cost(X, y, w, b) -> float:
    """Mean of −y·log h − (1 − y)·log(1 − h) = log(1 + e^z) − y·z, exactly, for h = σ(z)."""
    z = np.asarray(X, float) @ np.asarray(w, float) + float(b)
    return float(np.mean(np.logaddexp(0.0, z) - np.asarray(y, float) * z))


def cost_gradient(X, y, w, b) -> tuple[np.ndarray, float]:
    """(∂cost/∂w, ∂cost/∂b) = (Xᵀ(h − y) / N, mean(h − y))."""
    X = np.asarray(X, float)
    r = hypothesis(X, w, b) - np.asarray(y, float)
    return X.T @ r / len(X), float(np.mean(r))


def numeric_cost_gradient(X, y, w, b, h: float = 1e-6) -> tuple[np.ndarray, float]:
    """Central differences of ``cost`` (for tests and the notebook's own check)."""
    w = np.asarray(w, float)
    dw = np.zeros_like(w)
    for i in range(w.size):
        e = np.zeros_like(w)
        e[i] = h
        dw[i] = (cost(X, y, w + e, b) - cost(X, y, w - e, b)) / (2 * h)
    return dw, (cost(X, y, w, b + h) - cost(X, y, w, b - h)) / (2 * h)


def train_logistic(X, y, lr: float = LOGISTIC_LR, steps: int = LOGISTIC_STEPS):
    w, b = np.zeros(np.asarray(X).shape[1]), 0.0
    for _ in range(steps):
        dw, db = cost_gradient(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b


def accuracy(X, y, w, b, strict: bool = True) -> float:
    """Fraction of points on the right side of the line: predict 1 where h > 0.5, i.e. z > 0."""
    z = np.asarray(X, float) @ np.asarray(w, float).reshape(-1) + float(np.asarray(b).reshape(-1)[0])
    pred = z > 0 if strict else z >= 0
    return float(np.mean(pred == (np.asarray(y) > 0.5)))


def two_layer_forward(params: dict, X=GATE_X) -> np.ndarray:
    a1 = sigmoid(np.asarray(X, float) @ params["W1"] + params["b1"])
    return sigmoid(a1 @ params["W2"] + params["b2"])


def logistic_cases(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """(X, y, w, b) of the hidden cost/gradient check: an ordinary case and a very confident one."""
    cases = []
    for scale in (1.0, 300.0):
        X = rng.normal(0.0, 2.0, size=(10, 2))
        y = rng.integers(0, 2, size=10).astype(float)
        w = rng.normal(0.0, 2.0, size=2) * scale
        b = float(rng.normal(0.0, 1.0) * scale)
        cases.append((X, y, w, b))
    return cases


def hypothesis_verdict(received, z) -> Verdict:
    s = sigmoid(z)
    return compare.close(
        received,
        s,
        N_("hypothesis h = 1/(1 + e^(−z))"),
        rtol=1e-9,
        atol=1e-300,
        others={N_("1 − h: the sign of z is flipped (e^(+z))"): 1.0 - s},
        hint=N_("for z < 0 compute e^z / (1 + e^z), so e^(−z) never overflows."),
    )


def cost_verdict(received, cases, where: str = "") -> Verdict:
    expected = np.array([cost(X, y, w, b) for X, y, w, b in cases])
    rec = as_array(received)
    hint = N_(
        "with h = σ(z), −log h = log(1 + e^(−z)) and −log(1 − h) = log(1 + e^z): use np.logaddexp(0, ·) "
        "so that no log(0) and no e^1000 ever appear."
    )
    if rec is not None and rec.shape == expected.shape and not np.all(np.isfinite(rec)):
        bad = [i for i in range(rec.size) if not np.isfinite(rec[i])]
        return fail(
            N_(
                "Expected finite costs{where} ≈ {expected}. Received: {received} — "
                "case {n} (a very confident hypothesis, h rounds to 0 or 1) gives log(0). Hint: {hint}"
            ).format(
                where=where,
                expected=compare._fmt(expected),
                received=compare._fmt(rec),
                n=bad[0] + 1,
                hint=hint,
            )
        )
    return compare.close(
        received,
        expected,
        joined(N_("the cost"), where),
        rtol=LOGISTIC_RTOL,
        atol=1e-12,
        others={
            N_("the cost summed over the examples, not the mean"): expected * len(cases[0][0]),
        },
        hint=hint,
    )


def cost_gradient_verdict(dw, db, cases, where: str = "") -> Verdict:
    ref = [cost_gradient(X, y, w, b) for X, y, w, b in cases]
    exp_dw = np.array([g[0] for g in ref])
    exp_db = np.array([g[1] for g in ref])
    n = len(cases[0][0])
    hint = N_("∂cost/∂w = Xᵀ(h − y) / N and ∂cost/∂b = mean(h − y), with h = σ(X @ w + b).")
    return compare.all_of(
        compare.close(
            dw,
            exp_dw,
            joined("∂cost/∂w", where),
            rtol=LOGISTIC_RTOL,
            atol=1e-12,
            hint=hint,
            others={N_("N × ∂cost/∂w: the sum, not the mean — divide by N"): n * exp_dw},
        ),
        compare.close(
            db,
            exp_db,
            joined("∂cost/∂b", where),
            rtol=LOGISTIC_RTOL,
            atol=1e-12,
            hint=hint,
            others={N_("N × ∂cost/∂b: the sum, not the mean — divide by N"): n * exp_db},
        ),
    )


def weights(data: dict, what: str, w_key: str = "w", b_key: str = "b"):
    """(w, b) from an answer, or a Verdict saying what is wrong with them."""
    w, b = as_array(data.get(w_key)), as_array(data.get(b_key))
    if w is None or b is None:
        return fail(
            N_("Expected numbers `{w}` and `{b}` for {what}. Received: keys {keys}").format(
                w=w_key, b=b_key, what=what, keys=sorted(data)
            )
        )
    if w.size != 2 or b.size != 1:
        return fail(
            N_("Expected {what}: w of shape (2,) and one bias b. Received: w shape {w}, b shape {b}").format(
                what=what, w=w.shape, b=b.shape
            )
        )
    if not (np.all(np.isfinite(w)) and np.isfinite(b).all()):
        return fail(
            N_("Expected finite weights for {what}. Received: w = {w}, b = {b}").format(
                what=what, w=w.ravel(), b=b.ravel()
            )
        )
    return w.reshape(2), float(b.reshape(-1)[0])


# -- Keras: the 2-2-1 network -----------------------------------------------------------------------
def _activation(layer) -> str:
    act = layer.get_config().get("activation")
    return act if isinstance(act, str) else str(getattr(layer.activation, "__name__", act))


def describe(model) -> str:
    import keras

    parts = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            parts.append(f"Dense({layer.units}, {_activation(layer)})")
        elif not isinstance(layer, keras.layers.InputLayer):
            parts.append(type(layer).__name__)
    return " → ".join(parts) or localize(N_("no layers"))


def two_layer_architecture_verdict(model, what: str = N_("the XOR network")) -> Verdict:
    """Input (2,) → Dense(2, a non-linear activation) → Dense(1, sigmoid), nothing else."""
    import keras

    wanted = N_("Input(2) → Dense(2, sigmoid or tanh) → Dense(1, sigmoid)")
    if not isinstance(model, keras.Model):
        return fail(
            N_("Expected {what} to be a keras.Model ({wanted}). Received: {type}").format(
                what=what, wanted=wanted, type=type(model).__name__
            )
        )
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    if len(layers) != 2 or len(dense) != 2:
        return fail(
            N_("Expected {what}: {wanted}. Received: {model}").format(
                what=what, wanted=wanted, model=describe(model)
            )
        )
    if [layer.units for layer in dense] != [2, 1]:
        return fail(
            N_("Expected {what} with 2 hidden units and 1 output unit ({wanted}). Received: {model}").format(
                what=what, wanted=wanted, model=describe(model)
            )
        )
    hidden, out = _activation(dense[0]), _activation(dense[1])
    if hidden in ("linear", "None", "none"):
        return fail(
            N_(
                "Expected a non-linear hidden activation in {what} ({wanted}). Received: {model} — "
                "two linear layers are one linear map, which cannot separate XOR either."
            ).format(what=what, wanted=wanted, model=describe(model))
        )
    if out != "sigmoid":
        return fail(
            N_("Expected a sigmoid output unit in {what} ({wanted}). Received: {model}").format(
                what=what, wanted=wanted, model=describe(model)
            )
        )
    try:
        in_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        return fail(
            N_(
                "Expected {what} to know its input shape (2,). Hint: start with keras.Input(shape=(2,))."
            ).format(what=what)
        )
    if in_shape[1:] != (2,):
        return fail(
            N_("Expected {what} to take inputs of shape (2,). Received: {shape}").format(
                what=what, shape=in_shape[1:]
            )
        )
    return ok(N_("{what}: {model}").format(what=what, model=describe(model)))


def model_accuracy(model, X=GATE_X, y=Y_XOR) -> tuple[np.ndarray, float]:
    p = np.asarray(model(np.asarray(X, np.float32), training=False), dtype=np.float64).reshape(-1)
    return p, float(np.mean((p > 0.5) == (np.asarray(y) > 0.5)))
