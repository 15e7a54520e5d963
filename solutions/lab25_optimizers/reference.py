"""Lab 25's reference math: optimizers (최적화 기법), step by step against ``keras.optimizers``.

Everything the grader compares against is recomputed here, in a fresh process, from fixed inputs,
from hidden-seed inputs, or from the weights of a saved model: the fixed gradient sequences, Keras'
own optimizers run on them (``keras_run``), NumPy variants of the usual mistakes (to name them in a
message), the 2-D race surface f(x, y) = x²/20 + y², a small MNIST subset for mini-batch vs
full-batch.

TensorFlow/Keras are imported lazily, so listing the labs does not import them.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs import _mnist
from autograder.labs._arrays import as_array
from autograder.labs._models import input_output_verdict, is_model
from autograder.spec import Verdict, fail, ok


def mnist_accuracy(model) -> float:
    """Accuracy of ``model`` on the 10,000 official MNIST test images (``_mnist``'s prepared copy)."""
    data = _mnist.mnist()
    return _mnist.accuracy(model, data.x_test, data.y_test)


def per_element_error(received: np.ndarray, expected: np.ndarray, start) -> float:
    """max |r − e| / scale, where each entry's scale is how far it moved from ``start`` over time.

    The arrays have shape (T, *param_shape): a trajectory. Measuring each parameter against its own
    movement keeps parameters with tiny gradients (1e-6) as strict as those with gradients of 1.
    """
    r, e = np.asarray(received, float), np.asarray(expected, float)
    moved = np.max(np.abs(e - np.asarray(start, float)), axis=0)
    scale = np.maximum(moved, 1e-300)
    return float(np.max(np.abs(r - e) / scale))


def trajectory_verdict(
    received,
    expected: np.ndarray,
    start,
    what: str,
    *,
    rtol: float,
    others: dict | None = None,
    hint: str = "",
    first_step: int = 1,
) -> Verdict:
    """A sequence of arrays (one per step) against the grader's, entry by entry (see ``per_element_error``).

    ``others``: name → trajectory of a typical mistake; the message names the first one matched.
    ``first_step``: the step number of row 0 (0 when the trajectory includes the starting point).
    """
    exp = np.asarray(expected, dtype=float)
    rec = as_array(received)
    tail = compare._tail(hint)
    if rec is None:
        return fail(
            N_("Expected {what} as numbers. Received: {type}").format(what=what, type=type(received).__name__)
        )
    if rec.shape != exp.shape:
        return fail(
            joined(
                N_(
                    "Expected {what} with shape {expected} (one array per step). Received: shape {received}."
                ).format(what=what, expected=exp.shape, received=rec.shape),
                tail,
            )
        )
    if not np.all(np.isfinite(rec)):
        return fail(
            joined(
                N_("Expected finite {what}. Received: NaN or inf in {values}.").format(
                    what=what, values=compare._fmt(rec)
                ),
                tail,
            )
        )
    err = per_element_error(rec, exp, start)
    if err <= rtol:
        return ok(
            N_("{what} correct (relative error {error:.1e} ≤ {rtol:g})").format(
                what=what, error=err, rtol=rtol
            )
        )
    moved = np.maximum(np.max(np.abs(exp - np.asarray(start, float)), axis=0), 1e-300)
    bad = np.abs(rec - exp) / moved > rtol
    first = np.unravel_index(int(np.argmax(bad)), exp.shape)  # the first wrong entry, step by step
    entry = f"[{', '.join(str(int(i)) for i in first[1:])}]" if exp.ndim > 1 else ""
    diagnosis = ""
    for name, value in (others or {}).items():
        value = np.asarray(value, dtype=float)
        if value.shape != rec.shape or not np.all(np.isfinite(value)):
            continue
        if per_element_error(value, exp, start) <= rtol:
            continue  # this mistake does not change this quantity: it cannot explain the difference
        if per_element_error(rec, value, start) <= rtol:
            diagnosis = joined(" — ", N_("that looks like {name}").format(name=name))
            break
    message = N_(
        "Expected {what}: entry {entry} after step {step} ≈ {expected:.8g}. Received: "
        "{received:.8g} ({bad} of {total} values off by more than {rtol:g} of their "
        "movement){diagnosis}."
    ).format(
        what=what,
        entry=entry,
        step=int(first[0]) + first_step,
        expected=exp[first],
        received=rec[first],
        bad=int(bad.sum()),
        total=bad.size,
        rtol=rtol,
        diagnosis=diagnosis,
    )
    return fail(joined(message, tail))


OPT_SEED = 2025
OPT_STEPS = 8
OPT_SHAPE = (3, 4)
GRAD_SCALES = (1.0, 1e-3, 1e-6)  # one per row: ε matters only where gradients are tiny
PUBLIC_HYPER = {
    "sgd": {"learning_rate": 0.1},
    "momentum": {"learning_rate": 0.1, "momentum": 0.9},
    "adagrad": {"learning_rate": 0.1, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}
HIDDEN_HYPER = {
    "sgd": {"learning_rate": 0.05},
    "momentum": {"learning_rate": 0.05, "momentum": 0.8},
    "adagrad": {"learning_rate": 0.2, "initial_accumulator_value": 0.5, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-7},
}
STATE_KEYS = {"sgd": (), "momentum": ("V",), "adagrad": ("G",), "adam": ("m", "v")}
# Keras keeps μ, β₁, β₂ and the learning rate in float32 even for float64 weights (a relative
# difference of ~7e-6 per Adam step); 1e-4 leaves a margin of ~15× and still tells apart every
# mistake in ``optimizer_variants`` (each differs by ≥ 1e-2 on the rows they affect).
OPT_RTOL = 1e-4


def public_optimizer_case() -> tuple[np.ndarray, np.ndarray]:
    """(W0, GRADS) of the public checks: GRADS[t] is the gradient of step t + 1."""
    rng = np.random.default_rng(OPT_SEED)
    w0 = rng.normal(size=OPT_SHAPE)
    grads = rng.normal(size=(OPT_STEPS, *OPT_SHAPE)) * np.array(GRAD_SCALES)[:, None]
    return w0, grads


def hidden_optimizer_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    w0 = rng.normal(size=(2, 5))
    grads = rng.normal(size=(6, 2, 5)) * np.array([1.0, 1e-5])[:, None]
    return w0, grads


def make_optimizer(kind: str, **hyper):
    import keras

    if kind == "sgd":
        return keras.optimizers.SGD(learning_rate=hyper["learning_rate"])
    if kind == "momentum":
        return keras.optimizers.SGD(learning_rate=hyper["learning_rate"], momentum=hyper["momentum"])
    if kind == "adagrad":
        return keras.optimizers.Adagrad(**hyper)
    if kind == "adam":
        return keras.optimizers.Adam(**hyper)
    raise KeyError(kind)


def _slot(optimizer, suffix: str):
    found = [v for v in optimizer.variables if v.name.endswith(suffix)]
    return np.array(found[0].numpy(), dtype=float)


def keras_run(kind: str, w0, grads=None, grad_fn=None, steps: int | None = None, **hyper) -> dict:
    """Keras' optimizer ``kind`` applied to a float64 variable starting at ``w0``.

    Either the fixed gradient sequence ``grads`` or ``grad_fn(w)`` for ``steps`` steps. Returns
    {"w": weights after each step, and the state in the course's names: "V" (= −Keras' momentum),
    "G" (Adagrad's accumulator), "m", "v" (Adam's moments)}, each stacked over the steps.
    """
    import keras
    import tensorflow as tf

    optimizer = make_optimizer(kind, **hyper)
    var = keras.Variable(np.array(w0, dtype=np.float64), dtype="float64")
    optimizer.build([var])
    # Keras fills Adagrad's accumulator from a float32 constant (0.1 → 0.10000000149): report G as
    # the float64 initial value plus what was accumulated, or gradients of 1e-6 (∇² = 1e-12) drown.
    g0 = _slot(optimizer, "_accumulator") if kind == "adagrad" else None
    out: dict[str, list] = {"w": [], **{key: [] for key in STATE_KEYS[kind]}}
    n = len(grads) if grads is not None else steps
    for t in range(n):
        g = grads[t] if grads is not None else grad_fn(np.array(var.numpy(), dtype=float))
        optimizer.apply_gradients([(tf.constant(np.asarray(g, np.float64)), var)])
        out["w"].append(np.array(var.numpy(), dtype=float))
        if kind == "momentum":
            out["V"].append(-_slot(optimizer, "_momentum"))
        elif kind == "adagrad":
            accumulated = _slot(optimizer, "_accumulator") - g0
            out["G"].append(accumulated + hyper.get("initial_accumulator_value", 0.1))
        elif kind == "adam":
            out["m"].append(_slot(optimizer, "_momentum"))
            out["v"].append(_slot(optimizer, "_velocity"))
    return {key: np.array(value) for key, value in out.items()}


def numpy_run(kind: str, w0, grads=None, variant: str = "", *, grad_fn=None, steps: int = 0, **hyper) -> dict:
    """The course's formulas in float64 NumPy (the reference solution), or one of its usual mistakes.

    Gradients: the fixed sequence ``grads``, or ``grad_fn(w)`` at the current weights for ``steps``
    steps (the race).
    """
    w = np.array(w0, dtype=float)
    lr = hyper["learning_rate"]
    V = np.zeros_like(w)
    G = np.full_like(w, hyper.get("initial_accumulator_value", 0.1))
    if variant == "zero accumulator":
        G = np.zeros_like(w)
    m, v = np.zeros_like(w), np.zeros_like(w)
    out: dict[str, list] = {"w": [], **{key: [] for key in STATE_KEYS[kind]}}
    n = len(grads) if grads is not None else steps
    for t in range(1, n + 1):
        g = np.asarray(grads[t - 1] if grads is not None else grad_fn(w), dtype=float)
        if kind == "sgd":
            w = w + lr * g if variant == "ascent" else w - (g if variant == "no lr" else lr * g)
        elif kind == "momentum":
            mu = hyper["momentum"]
            V = mu * V + (g if variant == "no lr" else lr * g)
            if variant == "nesterov":
                w = w - (mu * V + lr * g)
            else:
                w = w + V if variant == "ascent" else w - V
            out["V"].append(-V if variant == "keras m" else V)
        elif kind == "adagrad":
            eps = hyper.get("epsilon", 1e-7)
            G = G + g * g
            if variant == "no sqrt":
                w = w - lr * g / (G + eps)
            else:
                w = w - lr * g / np.sqrt(G + eps)
            out["G"].append(G)
        elif kind == "adam":
            b1, b2, eps = hyper["beta_1"], hyper["beta_2"], hyper.get("epsilon", 1e-7)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            if variant == "no bias correction":
                w = w - lr * m / (np.sqrt(v) + eps)
            elif variant == "textbook epsilon":
                w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
            else:
                alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
                w = w - alpha * m / (np.sqrt(v) + eps)
            out["m"].append(m)
            out["v"].append(v)
        out["w"].append(w)
    return {key: np.array(value) for key, value in out.items()}


OPTIMIZER_VARIANTS = {
    "sgd": {
        "ascent": N_("w + λ·∇: a step *up* the gradient (the update must be subtracted)"),
        "no lr": N_("w − ∇: the learning rate λ is missing"),
    },
    "momentum": {
        "ascent": N_("W + V: the course's V is subtracted (W = W − V)"),
        "no lr": N_("V = μV′ + ∇: the learning rate λ is missing"),
        "nesterov": N_("Nesterov momentum (Keras' SGD(nesterov=True)), not the plain momentum of the notes"),
        "keras m": N_("Keras' m = μm − λ∇ (= −V): the course's V = μV′ + λ∇ has the opposite sign"),
    },
    "adagrad": {
        "zero accumulator": N_(
            "an accumulator G starting at 0: Keras starts it at initial_accumulator_value"
        ),
        "no sqrt": N_("w − λ∇/(G + ε): the square root of G is missing"),
    },
    "adam": {
        "no bias correction": N_("Adam without the bias correction 1 − βᵗ"),
        "textbook epsilon": N_("the textbook m̂/(√v̂ + ε): Keras adds ε to √v *before* the bias correction"),
    },
}

OPTIMIZER_HINTS = {
    "sgd": "W ← W − λ∇ (λ = learning_rate).",
    "momentum": N_("V ← μV + λ∇, then W ← W − V, with V starting at 0 (Keras' m is −V)."),
    "adagrad": N_("G starts at initial_accumulator_value; G ← G + ∇², then W ← W − λ∇/√(G + ε)."),
    "adam": N_(
        "m ← β₁m + (1 − β₁)∇; v ← β₂v + (1 − β₂)∇²; α = λ√(1 − β₂ᵗ)/(1 − β₁ᵗ); "
        "W ← W − α·m/(√v + ε), with t = 1 at the first step."
    ),
}


def optimizer_verdict(received: dict, kind: str, w0, grads, hyper: dict, where: str = "") -> Verdict:
    """The student's weights (and state) after each step against Keras' optimizer on the same gradients."""
    expected = keras_run(kind, w0, grads, **hyper)
    name = {"sgd": "SGD", "momentum": "momentum", "adagrad": "Adagrad", "adam": "Adam"}[kind]
    verdicts = []
    for key in ("w", *STATE_KEYS[kind]):
        if key not in received:
            return fail(
                N_(
                    "Expected the {name} trajectory to hold {keys}. Received: keys "
                    "{received}. Hint: return the state dict with the keys the exercise names."
                ).format(name=name, keys=["w", *STATE_KEYS[kind]], received=sorted(received))
            )
        others = {}
        for variant, text in OPTIMIZER_VARIANTS[kind].items():
            value = numpy_run(kind, w0, grads, variant, **hyper)
            if key in value:
                others[text] = value[key]
        start = {"w": w0, "G": hyper.get("initial_accumulator_value", 0.1)}.get(key, 0.0)
        what = {
            "w": N_("the weights"),
            "V": N_("the velocity V"),
            "G": N_("the accumulator G"),
            "m": "m",
            "v": "v",
        }[key]
        verdicts.append(
            trajectory_verdict(
                received[key],
                expected[key],
                np.broadcast_to(np.asarray(start, float), np.shape(w0)),
                N_("{what} of {name}{where}").format(what=what, name=name, where=where),
                rtol=OPT_RTOL,
                others=others,
                hint=OPTIMIZER_HINTS[kind],
            )
        )
    verdict = compare.all_of(*verdicts)
    if verdict.passed:
        err = per_element_error(received["w"], expected["w"], w0)
        return ok(
            N_("{name} matches keras.optimizers step by step{where} (relative error {error:.1e})").format(
                name=name, where=where, error=err
            )
        )
    return verdict


# -- the race on f(x, y) = x²/20 + y² ----------------------------------------------------------------
SURFACE_POINTS = np.array([[-7.0, 2.0], [0.0, 0.0], [3.0, -1.5], [10.0, 0.5], [-0.2, -4.0]])
RACE_START = (-7.0, 2.0)
RACE_STEPS = 30
RACE_HYPER = {
    "sgd": {"learning_rate": 0.95},
    "momentum": {"learning_rate": 0.1, "momentum": 0.9},
    "adagrad": {"learning_rate": 1.5, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}
RACE_RTOL = 1e-4  # 30 steps, Keras (float32 hyper-parameters) vs float64 NumPy: ≤ 5e-6 measured


def surface(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return p[..., 0] ** 2 / 20.0 + p[..., 1] ** 2


def surface_grad(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.stack([p[..., 0] / 10.0, 2.0 * p[..., 1]], axis=-1)


def race_paths() -> dict[str, np.ndarray]:
    """Each optimizer's path from ``RACE_START`` (start included: shape (RACE_STEPS + 1, 2)), by Keras."""
    start = np.array(RACE_START)
    out = {}
    for kind, hyper in RACE_HYPER.items():
        run = keras_run(kind, start, grad_fn=surface_grad, steps=RACE_STEPS, **hyper)
        out[kind] = np.concatenate([start[None], run["w"]])
    return out


# -- mini-batch vs full batch --------------------------------------------------------------------------
MB_TRAIN = 2_000  # the first 2,000 MNIST training images
MB_EPOCHS = 5
MB_BATCH = 32
MB_LR = 0.1
MINI_MIN_ACCURACY = 0.85  # calibrated: 0.873-0.878 (seeds 0-4); full batch 0.41-0.54
MINI_MIN_GAP = 0.10  # mini-batch must beat full batch by this much after the same epochs


def softmax_regression_verdict(model, what: str) -> Verdict:
    """784 → Dense(10, softmax), the model of lab 20 (parsed by ``_mnist.blocks``)."""
    if not is_model(model):
        return fail(
            N_("Expected {what} to be a keras.Model. Received: {type}").format(
                what=what, type=type(model).__name__
            )
        )
    found, odd = _mnist.blocks(model)
    if odd or len(found) != 1 or found[0].units != 10 or found[0].activation != "softmax":
        return fail(
            N_(
                "Expected {what}: one Dense(10, softmax) on the 784 pixels. Received: {model}. "
                "Hint: use build_model() from the locked cell."
            ).format(what=what, model=_mnist.describe(model))
        )
    return input_output_verdict(model, 784, 10, what)


SURFACE_POINTS.setflags(write=False)  # the public cases: a student's in-place edit cannot change them
