"""Lab 27's reference math: activation functions (활성화 함수) and the MNIST comparison table.

Sigmoid, tanh, ReLU, Leaky ReLU, ELU, Maxout and their derivatives in NumPy (with TensorFlow's
conventions at 0; sigmoid and ReLU are ``_xor``'s), and the parsing of a model's hidden
activations for the table.

TensorFlow/Keras are imported lazily, so listing the labs does not import them.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs import _xor
from autograder.labs._models import input_output_verdict, is_model
from autograder.spec import Verdict, fail, ok

LEAKY_SLOPE = 0.1  # the notes' Leaky ReLU: max(0.1x, x)
ELU_ALPHA = 1.0
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
ACT_Z = np.array([-1000.0, -20.0, -3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0, 20.0, 1000.0])
MAXOUT_PIECES = 3
MAXOUT_Z = np.array(
    [
        [0.5, -1.0, 2.0, 1.5, 0.2, -3.0],
        [-2.0, 4.0, 0.1, -0.5, 3.0, 0.3],
        [1.0, 1.1, -1.2, 0.9, -0.8, 2.5],
    ]
)  # (3 examples, 3 pieces × 2 units): columns [piece 1: u1 u2 | piece 2: u1 u2 | piece 3: u1 u2]


def act_cases(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([rng.normal(0.0, 3.0, size=40), rng.uniform(30.0, 800.0, size=4) * [-1, 1, -1, 1]])


def maxout_cases(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    return rng.normal(size=(5, 4 * 4)), 4  # 4 units × 4 pieces


def tanh(z):
    return np.tanh(np.asarray(z, dtype=float))


def tanh_prime(z):
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2


def leaky_relu(z, slope: float = LEAKY_SLOPE):
    z = np.asarray(z, dtype=float)
    return np.maximum(slope * z, z)


def leaky_relu_prime(z, slope: float = LEAKY_SLOPE):
    """1 where z > 0, else the slope (at 0 too, as TensorFlow)."""
    return np.where(np.asarray(z, dtype=float) > 0, 1.0, slope)


def elu(z, alpha: float = ELU_ALPHA):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def elu_prime(z, alpha: float = ELU_ALPHA):
    """1 where z > 0, else α·eᶻ (= 1 at z = 0 for α = 1, as TensorFlow)."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


FUNCTIONS = {
    "sigmoid": (_xor.sigmoid, _xor.sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (_xor.relu, _xor.relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "elu": (elu, elu_prime),
}
ACT_HINTS = {
    "sigmoid": N_("σ(z) = 1/(1 + e^(−z)), stable for large |z|; σ'(z) = σ(z)(1 − σ(z))."),
    "tanh": "np.tanh(z); tanh'(z) = 1 − tanh²(z).",
    "relu": N_("max(z, 0); derivative 1 for z > 0, else 0 (0 at z = 0, as TensorFlow)."),
    "leaky_relu": N_("max(0.1z, z); derivative 1 for z > 0, else 0.1 (0.1 at z = 0)."),
    "elu": N_(
        "z for z > 0, else α(eᶻ − 1) with α = 1 (np.expm1 of min(z, 0) never overflows); "
        "derivative 1 for z > 0, else α·eᶻ."
    ),
}


def maxout(z, pieces: int):
    """max over ``pieces`` linear pieces: column j·units + u is piece j of unit u (Keras' Reshape layout)."""
    z = np.asarray(z, dtype=float)
    return z.reshape(len(z), pieces, -1).max(axis=1)


def maxout_grad(z, pieces: int):
    """∂(Σ maxout(z))/∂z: 1 on the winning piece of each unit, 0 elsewhere (same shape as z)."""
    z = np.asarray(z, dtype=float)
    r = z.reshape(len(z), pieces, -1)
    return (r == r.max(axis=1, keepdims=True)).astype(float).reshape(z.shape)


def activations_verdict(received: dict, z: np.ndarray, where: str = "") -> Verdict:
    verdicts = []
    for name, (f, df) in FUNCTIONS.items():
        for key, ref, other_key, other in (
            (name, f(z), name + "_prime", df(z)),
            (name + "_prime", df(z), name, f(z)),
        ):
            if key not in received:
                return fail(
                    N_("Expected the answer to hold {keys}. Received: keys {received}").format(
                        keys=key, received=sorted(received)
                    )
                )
            others = {
                N_("{name}(z) — the function and its derivative are swapped").format(name=other_key): other
            }
            if name == "leaky_relu":
                slope2 = leaky_relu(z, 0.2) if key == name else leaky_relu_prime(z, 0.2)
                others[N_("Keras' default slope 0.2, not the notes' 0.1")] = slope2
                if key.endswith("_prime"):
                    others[N_("the derivative with slope 1 at z = 0")] = np.where(z >= 0, 1.0, LEAKY_SLOPE)
            if name == "relu" and key.endswith("_prime"):
                others[N_("the derivative with relu'(0) = 1")] = (z >= 0).astype(float)
            if name == "elu" and key.endswith("_prime"):
                others[N_("eᶻ for every z (the derivative for z > 0 is 1)")] = np.exp(np.minimum(z, 700))
            if name == "tanh" and key.endswith("_prime"):
                others[N_("1 − tanh(z) (the square is missing)")] = 1 - np.tanh(z)
            verdicts.append(
                _xor.elementwise_verdict(
                    received[key], ref, joined(f"{key}(z)", where), hint=ACT_HINTS[name], others=others
                )
            )
    verdict = compare.all_of(*verdicts)
    if not verdict.passed:
        return verdict
    return ok(N_("5 activations and their derivatives correct{where}").format(where=where))


def maxout_verdict(received: dict, z: np.ndarray, pieces: int, where: str = "") -> Verdict:
    units = z.shape[1] // pieces
    wrong_layout = z.reshape(len(z), units, pieces).max(axis=2)
    wrong_grad = (lambda r: (r == r.max(axis=2, keepdims=True)).astype(float).reshape(z.shape))(
        z.reshape(len(z), units, pieces)
    )
    hint = N_(
        "reshape z to (batch, pieces, units) and take the max over axis 1; the gradient is 1 on each unit's winning piece."
    )
    return compare.all_of(
        _xor.elementwise_verdict(
            received.get("maxout"),
            maxout(z, pieces),
            joined(f"maxout(z, {pieces})", where),
            hint=hint,
            others={
                N_(
                    "the max over (batch, units, pieces): the pieces of a unit are `units` columns apart"
                ): wrong_layout
            },
        ),
        _xor.elementwise_verdict(
            received.get("maxout_grad"),
            maxout_grad(z, pieces),
            joined(f"maxout_grad(z, {pieces})", where),
            hint=hint,
            others={N_("the mask of the (batch, units, pieces) layout"): wrong_grad},
        ),
    )


# -- the MNIST comparison table ------------------------------------------------------------------------
TABLE_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout")
TABLE_HIDDEN = (64, 64, 64, 64)  # four hidden layers: deep enough for sigmoid to stall with plain SGD
TABLE_PIECES = 2  # maxout: 2 linear pieces per unit
TABLE_EPOCHS = 2
TABLE_BATCH = 32
TABLE_LR = 0.05
NOT_CONVERGED = 0.5  # below this test accuracy the table prints "n/c" (not converged)
TABLE_TOLERANCE = 0.002  # the student's accuracy vs the grader's re-evaluation of the saved model
BEST_MIN_ACCURACY = 0.88  # calibrated: best of the six 0.910-0.928 on seeds 0-4 (maxout every time)


def hidden_blocks(model) -> tuple[list[tuple[int, str]], str]:
    """The hidden layers of a 784 → … → Dense(10, softmax) model as (units, activation) pairs.

    Recognised blocks: Dense(u, act); Dense(u) + Activation(act); Dense(u) + LeakyReLU(slope);
    Dense(u·k) + Reshape((k, u)) + GlobalMaxPooling1D (maxout with k pieces).
    """
    import keras

    layers = [la for la in model.layers if not isinstance(la, keras.layers.InputLayer)]
    blocks, i = [], 0
    while i < len(layers) - 1:
        dense = layers[i]
        if not isinstance(dense, keras.layers.Dense):
            return blocks, N_("layer {n} is {type} where a Dense layer was expected").format(
                n=i + 1, type=type(dense).__name__
            )
        act = _xor._activation(dense)
        nxt = layers[i + 1] if i + 1 < len(layers) - 1 else None
        # the string "leaky_relu" means Keras' default slope, 0.2, not the notes' 0.1
        default_slope = {"leaky_relu": "leaky_relu(0.2)"}
        if act != "linear":
            blocks.append((dense.units, default_slope.get(act, act)))
            i += 1
        elif isinstance(nxt, keras.layers.Activation):
            act = _xor._activation(nxt)
            blocks.append((dense.units, default_slope.get(act, act)))
            i += 2
        elif isinstance(nxt, keras.layers.LeakyReLU):
            slope = float(nxt.get_config().get("negative_slope", nxt.get_config().get("alpha", 0.3)))
            blocks.append(
                (dense.units, "leaky_relu" if abs(slope - LEAKY_SLOPE) < 1e-9 else f"leaky_relu({slope:g})")
            )
            i += 2
        elif (
            isinstance(nxt, keras.layers.Reshape)
            and i + 2 < len(layers) - 1
            and isinstance(layers[i + 2], keras.layers.GlobalMaxPooling1D)
        ):
            pieces, units = tuple(nxt.target_shape)
            if pieces * units != dense.units:
                return blocks, N_("Reshape{shape} does not match Dense({units})").format(
                    shape=tuple(nxt.target_shape), units=dense.units
                )
            blocks.append((units, f"maxout{pieces}"))
            i += 3
        else:
            return blocks, N_("Dense layer {n} is linear and not followed by an activation").format(
                n=len(blocks) + 1
            )
    last = layers[-1] if layers else None
    if not isinstance(last, keras.layers.Dense) or last.units != 10 or _xor._activation(last) != "softmax":
        return blocks, N_("the last layer must be Dense(10, softmax)")
    return blocks, ""


def table_architecture_verdict(model, activation: str) -> Verdict:
    what = N_("the {activation} model").format(activation=repr(activation))
    if not is_model(model):
        return fail(
            N_("Expected {what} to be a keras.Model. Received: {type}").format(
                what=what, type=type(model).__name__
            )
        )
    blocks, problem = hidden_blocks(model)
    if problem:
        return fail(
            N_(
                "Expected {what}: 784 → 4 hidden layers of 64 → Dense(10, softmax). Received: {problem}."
            ).format(what=what, problem=problem)
        )
    want = "maxout" + str(TABLE_PIECES) if activation == "maxout" else activation
    got = [(u, a) for u, a in blocks]
    if got != [(u, want) for u in TABLE_HIDDEN]:
        shown = ", ".join(f"{u} {a}" for u, a in got)
        return fail(
            N_(
                "Expected {what} with hidden layers {hidden}, all {want}. Received: [{shown}]. "
                "Hint: build every model with build_net(activation) (Leaky ReLU: LeakyReLU(negative_slope=0.1); "
                "maxout: Dense(64·2) → Reshape((2, 64)) → GlobalMaxPooling1D())."
            ).format(what=what, hidden=list(TABLE_HIDDEN), want=want, shown=shown)
        )
    return input_output_verdict(model, 784, 10, what)


for _array in (ACT_Z, MAXOUT_Z):
    _array.setflags(write=False)  # the public cases: a student's in-place edit cannot change them
