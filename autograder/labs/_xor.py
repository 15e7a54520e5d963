"""Reference math shared by lab 18 (deep sigmoid fails on XOR) and lab 19 (ReLU fixes it).

Lab 18's own 2-2-1 backprop network lives with that lab: ``solutions/lab18_xor_sigmoid/reference.py``.

Labs 26–28 use it too: the XOR network with batch normalization, sigmoid and ReLU, the Keras layer
helpers (``dense_layers``, ``describe``, ``lookalike_verdict``).

Everything the grader compares against is recomputed here, in a fresh process, from fixed inputs,
from hidden-seed inputs, or from the weights of a saved model:

* the XOR data set and the course's numbers (chain-rule example, sigmoid inputs, 2-2-1 parameters);
* sigmoid and ReLU with their derivatives, written to be exact for very large |z|;
* per-layer kernel-gradient norms of a Keras model (``tf.GradientTape`` on the mean BCE), its
  loss/accuracy on XOR, and architecture checks with messages a student can act on.

TensorFlow/Keras are imported lazily, so listing the labs does not import them.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, localize

from autograder.labs._arrays import as_array
from autograder.spec import Verdict, fail, ok

# ---------------------------------------------------------------------------------------------
# Data and course constants (the notebooks hold the same numbers in their locked cells)
# ---------------------------------------------------------------------------------------------
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])

HIDDEN_UNITS = (10, 10, 10)  # three hidden layers of 10 units, then one sigmoid output unit
EPOCHS = 20  # 20 "epochs" × 100 steps = 2000 full-batch SGD steps
STEPS_PER_EPOCH = 100

# Calibrated with `benchmarks/calibrate_xor.py --seeds 0-29` (Keras default Glorot init): the
# last/first kernel-gradient-norm ratio at initialization is 15-380 for the sigmoid net (median
# ~140; three sigmoid layers each multiply the backward signal by σ' ≤ 1/4, so ~4³ = 64 is the
# expected order) and 0.14-1.5 for the ReLU net. A factor of 10 separates the two with a margin
# of ≥ 1.5× on the sigmoid side and ≥ 6× on the ReLU side.
VANISHING_FACTOR = 10.0
# After 2000 SGD steps the sigmoid net sits on the plateau: loss 0.6929-0.6933, accuracy ≤ 0.5
# on seeds 0-29. "Not solving XOR" = accuracy ≤ 0.75 (at most 3 of 4 points) and loss > 0.6.
FAIL_MAX_ACCURACY = 0.75
FAIL_MIN_LOSS = 0.6

NORMS_RTOL = 1e-3  # float32 gradients: loss formulas that differ by rounding still agree to 1e-5

# Sigmoid / ReLU inputs of the public checks: very large |z| on purpose (overflow of exp)
SIGMOID_Z = np.array([-1000.0, -40.0, -5.0, -1.0, 0.0, 1.0, 5.0, 40.0, 1000.0])
RELU_Z = np.array([-1000.0, -3.0, -0.5, -1e-9, 0.0, 1e-9, 0.5, 3.0, 1000.0])


# ---------------------------------------------------------------------------------------------
# Hidden cases: the notebook's hidden test cells draw exactly these numbers from the same rng
# ---------------------------------------------------------------------------------------------
def relu_cases(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([rng.normal(0.0, 3.0, size=40), [0.0, -0.0]])


# ---------------------------------------------------------------------------------------------
# Reference math (float64 NumPy)
# ---------------------------------------------------------------------------------------------
def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)) without overflow: e^(−|z|) never exceeds 1."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z):
    """σ'(z) = σ(z)(1 − σ(z)) = e^(−|z|) / (1 + e^(−|z|))², accurate even where σ(z) rounds to 1."""
    e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    return e / (1.0 + e) ** 2


def relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def relu_prime(z):
    """1 where z > 0, else 0 (the convention of TensorFlow: relu'(0) = 0)."""
    return (np.asarray(z, dtype=float) > 0).astype(float)


# ---------------------------------------------------------------------------------------------
# Verdicts on arrays
# ---------------------------------------------------------------------------------------------
def lookalike_verdict(received, expected, what: str, others: dict, rtol: float, atol: float, hint: str = ""):
    """``compare.close``, plus the "looks like …" diagnosis when the shapes differ but the values match.

    ``compare.close`` diagnoses another quantity only when its shape is the same; a gradient of the
    wrong layer usually has another shape (dW1 is (2, 2), dW2 is (2, 1)), so check sizes first.
    """
    rec, exp = as_array(received), np.asarray(expected, dtype=float)
    if rec is not None and rec.shape != exp.shape:
        for name, value in others.items():
            value = np.asarray(value, dtype=float)
            if value.size == rec.size and value.size and np.allclose(rec.ravel(), value.ravel(), rtol, atol):
                text = N_(
                    "Expected {what} with shape {shape}. Received: {received} — that looks like {name}."
                )
                text = text.format(what=what, shape=exp.shape, received=compare._fmt(rec), name=name)
                return fail(localize(text) + compare._tail(hint))
    return compare.close(received, expected, what, rtol=rtol, atol=atol, hint=hint, others=others)


def elementwise_verdict(received, expected, what: str, hint: str = "", others: dict | None = None) -> Verdict:
    return compare.close(received, expected, what, rtol=1e-6, atol=1e-12, hint=hint, others=others or {})


# ---------------------------------------------------------------------------------------------
# Keras models: architecture, state, gradient norms, evaluation
# ---------------------------------------------------------------------------------------------
def _activation(layer) -> str:
    act = layer.get_config().get("activation")
    return act if isinstance(act, str) else str(getattr(layer.activation, "__name__", act))


def dense_layers(model) -> list:
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def describe(model) -> str:
    """ "Dense(10, relu) → Dense(1, sigmoid)"-style summary of a model's layers."""
    import keras

    parts = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Dense):
            parts.append(f"Dense({layer.units}, {_activation(layer)})")
        else:
            parts.append(type(layer).__name__)
    return " → ".join(parts) or localize(N_("no layers"))


def architecture_verdict(model, hidden_activation: str, what: str = N_("the model")) -> Verdict:
    """2 → 10 → 10 → 10 → 1: three hidden Dense layers with ``hidden_activation``, a sigmoid output."""
    import keras

    units = [*HIDDEN_UNITS, 1]
    acts = [hidden_activation] * len(HIDDEN_UNITS) + ["sigmoid"]
    wanted = " → ".join(f"Dense({u}, {a})" for u, a in zip(units, acts))
    if not isinstance(model, keras.Model):
        return fail(
            N_("Expected {what} to be a keras.Model ({wanted}). Received: {type}").format(
                what=what, wanted=wanted, type=type(model).__name__
            )
        )
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    extra = [type(layer).__name__ for layer in layers if not isinstance(layer, keras.layers.Dense)]
    if extra:
        return fail(
            N_(
                "Expected {what} to have only Dense layers: {wanted}. Received: {model}. "
                "Hint: give each Dense its activation (Dense(10, activation=...)) instead of separate "
                "{extra} layers."
            ).format(what=what, wanted=wanted, model=describe(model), extra=", ".join(sorted(set(extra))))
        )
    dense = dense_layers(model)
    got_units = [layer.units for layer in dense]
    if len(dense) != len(units):
        return fail(
            N_(
                "Expected {what} to have {n} Dense layers: {wanted}. Received: {got} Dense layers: {model}"
            ).format(what=what, n=len(units), wanted=wanted, got=len(dense), model=describe(model))
        )
    if got_units != units:
        return fail(
            N_("Expected units {units} ({wanted}). Received: units {got} in {what}: {model}").format(
                units=units, wanted=wanted, got=got_units, what=what, model=describe(model)
            )
        )
    got_acts = [_activation(layer) for layer in dense]
    if got_acts != acts:
        bad = next(i for i, (g, a) in enumerate(zip(got_acts, acts)) if g != a)
        return fail(
            N_(
                "Expected activation {expected} in Dense layer {n} of {what} ({wanted}). Received: {got} ({model})"
            ).format(
                expected=repr(acts[bad]),
                n=bad + 1,
                what=what,
                wanted=wanted,
                got=repr(got_acts[bad]),
                model=describe(model),
            )
        )
    try:
        in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError):
        return fail(
            N_(
                "Expected {what} to know its input shape (2,). Received: a model that was never built. "
                "Hint: start the Sequential with keras.Input(shape=(2,))."
            ).format(what=what)
        )
    if in_shape[1:] != (2,):
        return fail(
            N_("Expected {what} to take inputs of shape (2,). Received: input shape {shape}").format(
                what=what, shape=in_shape[1:]
            )
        )
    if out_shape[1:] != (1,):
        return fail(
            N_("Expected {what} to output shape (1,). Received: output shape {shape}").format(
                what=what, shape=out_shape[1:]
            )
        )
    return ok(N_("{what}: {model}").format(what=what, model=describe(model)))


def to_numpy(value) -> np.ndarray:
    """A Keras variable or tensor as a NumPy array (``np.asarray`` on a variable is deprecated)."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value))


def biases(model) -> list[np.ndarray]:
    return [to_numpy(layer.bias) for layer in dense_layers(model) if layer.bias is not None]


def at_init_verdict(model, what: str = N_("the model")) -> Verdict:
    """Keras initializes every bias to 0: a model with a nonzero bias has been trained already."""
    if any(np.any(b != 0) for b in biases(model)):
        return fail(
            N_(
                "Expected {what} at initialization (Keras starts every bias at 0). Received: nonzero biases "
                "— it was saved after training. Hint: compute the norms and run this check before model.fit."
            ).format(what=what)
        )
    return ok(N_("{what} is at initialization").format(what=what))


def trained_verdict(model, what: str = N_("the model")) -> Verdict:
    if all(np.all(b == 0) for b in biases(model)):
        return fail(
            N_(
                "Expected {what} after training. Received: every bias is still 0, so model.fit never "
                "updated it. Hint: train it first (train_xor)."
            ).format(what=what)
        )
    return ok(N_("{what} was trained").format(what=what))


def kernel_grad_norms(model, X: np.ndarray = XOR_X, Y: np.ndarray = XOR_Y) -> np.ndarray:
    """‖∂L/∂kernel‖ of each Dense layer (first → last), L = mean BCE on (X, Y), by ``tf.GradientTape``."""
    import keras
    import tensorflow as tf

    dense = dense_layers(model)
    x, y = tf.constant(X, tf.float32), tf.constant(Y, tf.float32)
    with tf.GradientTape() as tape:
        p = model(x, training=False)
        value = tf.reduce_mean(keras.losses.binary_crossentropy(y, p))
    grads = tape.gradient(value, [layer.kernel for layer in dense])
    return np.array([np.linalg.norm(to_numpy(g).astype(np.float64)) for g in grads])


def evaluate_xor(model, X: np.ndarray = XOR_X, Y: np.ndarray = XOR_Y) -> tuple[float, float]:
    """(mean BCE, accuracy) of a saved model on XOR; probabilities clipped as Keras does (1e-7)."""
    p = to_numpy(model(np.asarray(X, np.float32), training=False)).astype(np.float64).reshape(Y.shape)
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    bce = float(-np.mean(Y * np.log(pc) + (1 - Y) * np.log(1 - pc)))
    return bce, float(np.mean((p > 0.5) == (Y > 0.5)))


def norms_verdict(received, expected: np.ndarray, what: str) -> Verdict:
    """Student's per-layer norms against the grader's recomputation on the saved weights."""
    expected = np.asarray(expected, dtype=float)
    rec = as_array(received)
    hint = N_(
        "one norm per Dense layer (first hidden layer → output layer), of the gradient of the mean "
        "binary cross-entropy on the 4 XOR points with respect to the layer's kernel."
    )
    if rec is not None and rec.shape == (2 * expected.size,):
        if np.allclose(rec[::2], expected, rtol=NORMS_RTOL, atol=1e-9):
            return fail(
                N_(
                    "Expected {what}: {n} kernel-gradient norms. Received: {got} values — "
                    "it includes the bias gradients. Hint: keep only each layer's kernel (layer.kernel)."
                ).format(what=what, n=expected.size, got=rec.size)
            )
    others = {
        N_("the norms in reverse order (output layer first)"): expected[::-1],
        N_("the squared norms — take the square root (tf.norm)"): expected**2,
        N_("the norms of the summed loss (not the mean over the 4 points)"): 4 * expected,
    }
    return compare.close(
        rec if rec is not None else received,
        expected,
        what,
        rtol=NORMS_RTOL,
        atol=1e-9,
        hint=hint,
        others=others,
    )


def ratio_text(norms: np.ndarray) -> str:
    return N_("last/first = {ratio:.3g} (norms {norms})").format(
        ratio=norms[-1] / norms[0], norms=", ".join(f"{n:.3g}" for n in norms)
    )
