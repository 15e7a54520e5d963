"""Lab 18's own reference math: the chain-rule example and the 2-2-1 sigmoid network of Step 3.

A float64 NumPy 2-2-1 sigmoid network: forward pass, mean binary cross-entropy (이진 교차 엔트로피),
hand-written backpropagation (역전파) and central finite differences to check it, plus the hidden
cases of this lab's hidden tests and the verdict on a gradient. What lab 19 shares (XOR, sigmoid,
the Keras checks) is in ``autograder/labs/_xor.py``.
"""

from __future__ import annotations

import numpy as np
from labkit.i18n import N_, joined

from autograder.labs._xor import XOR_X, XOR_Y, elementwise_verdict, lookalike_verdict, sigmoid  # noqa: F401
from autograder.spec import Verdict, ok

BACKPROP_RTOL = 1e-7  # relative error allowed on the hand-written float64 gradients

# Chain rule (연쇄 법칙): f = w·x + b at (w, x, b) = (−2, 5, 3); E = (w·x − y)² at (w, x, y) = (−2, 5, 3)
CHAIN_POINT = (-2.0, 5.0, 3.0, 3.0)  # (w, x, b, y)


# The 2-2-1 network of Step 3 (Keras layout: z1 = X @ W1 + b1, W1 has shape (inputs, units))
COURSE_PARAMS = {
    "W1": np.array([[0.5, -0.4], [0.3, 0.8]]),
    "b1": np.array([0.1, -0.2]),
    "W2": np.array([[0.7], [-0.6]]),
    "b2": np.array([0.05]),
}
PARAM_SHAPES = {"W1": (2, 2), "b1": (2,), "W2": (2, 1), "b2": (1,)}
GRAD_KEYS = ("dW1", "db1", "dW2", "db2")


# -- hidden cases ------------------------------------------------------------------------------
def chain_rule_cases(rng: np.random.Generator) -> np.ndarray:
    """Rows (w, x, b, y) of the hidden chain-rule check."""
    return rng.uniform(-5.0, 5.0, size=(6, 4))


def sigmoid_cases(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate(
        [rng.normal(0.0, 10.0, size=40), rng.uniform(50.0, 900.0, size=5) * np.array([-1, 1, -1, 1, -1])]
    )


def hidden_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Parameters of the hidden backprop check, drawn in the order W1, b1, W2, b2."""
    return {key: rng.normal(0.0, 1.0, size=shape) for key, shape in PARAM_SHAPES.items()}


# -- the 2-2-1 network (float64 NumPy) ---------------------------------------------------------
def forward(params: dict, X: np.ndarray) -> dict[str, np.ndarray]:
    z1 = X @ params["W1"] + params["b1"]
    a1 = sigmoid(z1)
    z2 = a1 @ params["W2"] + params["b2"]
    return {"z1": z1, "a1": a1, "z2": z2, "p": sigmoid(z2)}


def bce_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    """Mean BCE of p = σ(z): −[y log p + (1 − y) log(1 − p)] = log(1 + e^z) − y·z, exactly."""
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def loss(params: dict, X: np.ndarray = XOR_X, Y: np.ndarray = XOR_Y) -> float:
    return bce_from_logits(forward(params, X)["z2"], Y)


def backward(params: dict, X: np.ndarray = XOR_X, Y: np.ndarray = XOR_Y) -> dict[str, np.ndarray]:
    """Loss and gradients of the mean BCE of the 2-2-1 sigmoid net, by the chain rule."""
    cache = forward(params, X)
    n = X.shape[0]
    dz2 = (cache["p"] - Y) / n  # ∂L/∂z2 for sigmoid + BCE: (p − y)/N
    da1 = dz2 @ params["W2"].T
    dz1 = da1 * cache["a1"] * (1.0 - cache["a1"])  # σ'(z1) = a1(1 − a1)
    return {
        "loss": np.float64(bce_from_logits(cache["z2"], Y)),
        "dW1": X.T @ dz1,
        "db1": dz1.sum(axis=0),
        "dW2": cache["a1"].T @ dz2,
        "db2": dz2.sum(axis=0),
    }


def numeric_gradients(params: dict, X=XOR_X, Y=XOR_Y, h: float = 1e-5) -> dict[str, np.ndarray]:
    """Central finite differences (L(θ + h) − L(θ − h)) / 2h of every parameter."""
    out = {}
    for key in PARAM_SHAPES:
        grad = np.zeros_like(params[key], dtype=float)
        for index in np.ndindex(grad.shape):
            shifted = {k: np.array(v, dtype=float) for k, v in params.items()}
            shifted[key][index] += h
            up = loss(shifted, X, Y)
            shifted[key][index] -= 2 * h
            grad[index] = (up - loss(shifted, X, Y)) / (2 * h)
        out["d" + key] = grad
    return out


def scaled_relative_error(received, expected) -> float:
    """max |r − e| / max |e|: relative to the array's scale, so entries near 0 do not blow it up."""
    r, e = np.asarray(received, float), np.asarray(expected, float)
    return float(np.max(np.abs(r - e)) / max(float(np.max(np.abs(e))), 1e-300))


def gradient_verdict(received, reference: dict, key: str, params: dict, where: str = "") -> Verdict:
    """``received`` against ``reference[key]`` (float64) with relative error ≤ ``BACKPROP_RTOL``.

    The diagnosis names the quantity it equals instead: another gradient, the parameter itself,
    4 × the answer (a sum over the batch instead of the mean), or the answer with its sign flipped.
    """
    expected = np.asarray(reference[key], dtype=float)
    what = joined(key, where)
    others = {name: reference[name] for name in ("loss", *GRAD_KEYS) if name != key}
    if key != "loss":
        others[N_("the parameter {name} itself, not its gradient").format(name=key[1:])] = params[key[1:]]
    others[N_("4 × {key}: the sum over the 4 examples, not the mean — divide by N").format(key=key)] = (
        4 * expected
    )
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    verdict = lookalike_verdict(
        received,
        expected,
        what,
        others,
        rtol=0.0,
        atol=BACKPROP_RTOL * scale,
        hint=N_(
            "{key} is compared with the grader's float64 backprop (relative error ≤ {rtol:g}); "
            "compute it in NumPy float64, not in float32."
        ).format(key=key, rtol=BACKPROP_RTOL),
    )
    if verdict.passed:
        err = scaled_relative_error(received, expected)
        return ok(
            N_("{what} correct (relative error {error:.1e} ≤ {rtol:g})").format(
                what=what, error=err, rtol=BACKPROP_RTOL
            )
        )
    return verdict
