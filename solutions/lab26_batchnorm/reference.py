"""Lab 26's reference math: batch normalization (배치 정규화) against ``keras.layers.BatchNormalization``.

Everything the grader compares against is recomputed here, in a fresh process, from fixed inputs,
from hidden-seed inputs, or from the weights of a saved model: ``keras.layers.BatchNormalization``
run on the same batches (training and inference modes, moving statistics), NumPy variants of the
usual mistakes, and the XOR network with BN (architecture, parameter counts; XOR itself: ``_xor``).

TensorFlow/Keras are imported lazily, so listing the labs does not import them.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined, localize

from autograder.labs import _xor
from autograder.labs._models import input_output_verdict, is_model
from autograder.spec import Verdict, fail, ok

BN_EPSILON = 1e-3  # Keras' default (PyTorch uses 1e-5)
BN_MOMENTUM = 0.99  # Keras' default: moving = moving·0.99 + batch·0.01
BN_SEED = 2026
BN_RTOL = 1e-6  # float64 NumPy against Keras' float64 BatchNormalization layer


def bn_public_case() -> dict[str, np.ndarray]:
    """x (8, 3) with very different scales per feature, γ, β, three training batches and a test batch."""
    rng = np.random.default_rng(BN_SEED)
    loc, scale = np.array([0.0, 5.0, -3.0]), np.array([1.0, 10.0, 0.1])
    return {
        "x": rng.normal(loc, scale, size=(8, 3)),
        "gamma": np.array([1.5, 0.5, 2.0]),
        "beta": np.array([0.1, -1.0, 0.5]),
        "batches": rng.normal(loc, scale, size=(3, 16, 3)),
        "x_test": rng.normal(loc, scale, size=(5, 3)),
    }


def bn_hidden_case(rng: np.random.Generator) -> dict:
    loc, scale = rng.normal(0.0, 3.0, size=4), rng.uniform(0.1, 5.0, size=4)
    return {
        "x": rng.normal(loc, scale, size=(6, 4)),
        "gamma": rng.uniform(0.5, 2.0, size=4),
        "beta": rng.normal(size=4),
        "batches": rng.normal(loc, scale, size=(4, 10, 4)),
        "x_test": rng.normal(loc, scale, size=(3, 4)),
        "momentum": 0.9,
        "epsilon": 1e-2,
    }


def keras_bn(case: dict) -> dict[str, np.ndarray]:
    """What Keras' BatchNormalization does on ``case``: one training call on x (output and the batch
    statistics), then a fresh layer through the training batches (moving statistics after each),
    then inference on x_test."""
    import keras

    momentum, epsilon = case.get("momentum", BN_MOMENTUM), case.get("epsilon", BN_EPSILON)
    channels = case["x"].shape[1]

    def layer():
        bn = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype="float64")
        bn.build((None, channels))
        bn.gamma.assign(np.asarray(case["gamma"], np.float64))
        bn.beta.assign(np.asarray(case["beta"], np.float64))
        return bn

    first = layer()
    y = np.asarray(first(case["x"], training=True), dtype=float)
    second = layer()
    means, variances = [], []
    for batch in case["batches"]:
        second(batch, training=True)
        means.append(np.array(second.moving_mean.numpy(), dtype=float))
        variances.append(np.array(second.moving_variance.numpy(), dtype=float))
    inference = np.asarray(second(case["x_test"], training=False), dtype=float)
    # The layer does not return its batch statistics; with momentum 0 its moving ones become them.
    third = keras.layers.BatchNormalization(momentum=0.0, epsilon=epsilon, dtype="float64")
    third(case["x"], training=True)
    return {
        "y": y,
        "mean": np.array(third.moving_mean.numpy(), dtype=float),
        "var": np.array(third.moving_variance.numpy(), dtype=float),
        "moving_mean": np.array(means),
        "moving_var": np.array(variances),
        "inference": inference,
    }


def bn_numpy(case: dict, ddof: int = 0, epsilon: float | None = None, swap_momentum: bool = False) -> dict:
    """The same computation in NumPy, optionally with a typical mistake (to name it in a message)."""
    momentum = case.get("momentum", BN_MOMENTUM)
    eps = case.get("epsilon", BN_EPSILON) if epsilon is None else epsilon
    g, b = np.asarray(case["gamma"], float), np.asarray(case["beta"], float)
    x = np.asarray(case["x"], float)
    mean, var = x.mean(axis=0), x.var(axis=0, ddof=ddof)
    y = g * (x - mean) / np.sqrt(var + eps) + b
    mm, mv = np.zeros_like(mean), np.ones_like(var)
    means, variances = [], []
    keep = 1 - momentum if swap_momentum else momentum
    for batch in np.asarray(case["batches"], float):
        bm, bv = batch.mean(axis=0), batch.var(axis=0, ddof=ddof)
        mm, mv = keep * mm + (1 - keep) * bm, keep * mv + (1 - keep) * bv
        means.append(mm)
        variances.append(mv)
    xt = np.asarray(case["x_test"], float)
    return {
        "y": y,
        "mean": mean,
        "var": var,
        "moving_mean": np.array(means),
        "moving_var": np.array(variances),
        "inference": g * (xt - mm) / np.sqrt(mv + eps) + b,
        "x_hat": (x - mean) / np.sqrt(var + eps),
        "inference_batch_stats": g * (xt - xt.mean(0)) / np.sqrt(xt.var(0, ddof=ddof) + eps) + b,
    }


BN_WHAT = {
    "y": N_("the training-mode output γ·x̂ + β"),
    "mean": N_("the batch mean E[x]"),
    "var": N_("the batch variance Var[x]"),
    "moving_mean": N_("the moving mean after each training batch"),
    "moving_var": N_("the moving variance after each training batch"),
    "inference": N_("the inference-mode output (moving statistics)"),
}
BN_HINTS = {
    "y": N_("x̂ = (x − E[x]) / √(Var[x] + ε) per feature (axis 0), then γ·x̂ + β; ε = 1e-3 in Keras."),
    "mean": N_("the mean of each feature over the batch: x.mean(axis=0)."),
    "var": N_("the *biased* variance over the batch, x.var(axis=0) (divide by N, as Keras does)."),
    "moving_mean": N_("moving ← moving·momentum + batch·(1 − momentum), starting from mean 0."),
    "moving_var": N_("moving ← moving·momentum + batch·(1 − momentum), starting from variance 1."),
    "inference": N_("in inference mode the layer uses the moving mean and variance, not the batch's."),
}


def bn_verdict(received: dict, case: dict, keys: tuple[str, ...], where: str = "") -> Verdict:
    expected = keras_bn(case)
    eps = case.get("epsilon", BN_EPSILON)
    variants = {
        N_("the unbiased variance (ddof=1): Keras divides by N"): bn_numpy(case, ddof=1),
        N_("ε = 1e-5 (PyTorch's default) instead of ε = {eps:g} (Keras' default is 1e-3)").format(
            eps=eps
        ): bn_numpy(case, epsilon=1e-5),
        N_("the momentum applied the wrong way round (0.01·old + 0.99·batch)"): bn_numpy(
            case, swap_momentum=True
        ),
    }
    plain = bn_numpy(case)
    verdicts = []
    for key in keys:
        if key not in received:
            return fail(
                N_("Expected the answer to hold {keys}. Received: keys {received}").format(
                    keys=list(keys), received=sorted(received)
                )
            )
        others = {name: value[key] for name, value in variants.items()}
        if key == "y":
            others[N_("x̂ without γ and β (the scale and shift are missing)")] = plain["x_hat"]
            others[N_("(x − E[x]) / (√Var[x] + ε): ε must go inside the square root")] = np.asarray(
                case["gamma"]
            ) * (case["x"] - plain["mean"]) / (np.sqrt(plain["var"]) + eps) + np.asarray(case["beta"])
        if key == "var":
            others[N_("the standard deviation, not the variance")] = np.sqrt(plain["var"])
        if key == "inference":
            others[N_("the batch's own statistics: inference must use the moving ones")] = plain[
                "inference_batch_stats"
            ]
        verdicts.append(
            _xor.lookalike_verdict(
                received[key],
                expected[key],
                joined(BN_WHAT[key], where),
                others,
                rtol=BN_RTOL,
                atol=1e-9,
                hint=BN_HINTS[key],
            )
        )
    verdict = compare.all_of(*verdicts)
    return (
        ok(
            N_("{keys} match keras.layers.BatchNormalization{where}").format(
                keys=", ".join(keys), where=where
            )
        )
        if verdict.passed
        else verdict
    )


# -- the deep sigmoid XOR net with BN --------------------------------------------------------------------
XOR_BN_MAX_LOSS = 0.1  # calibrated: 0.004-0.005 in inference mode after 2000 steps (seeds 0-9)


def bn_blocks(model) -> tuple[list, str]:
    """Parse Dense → BatchNormalization → Activation("sigmoid") blocks; returns (hidden units, problem)."""
    import keras

    layers = [la for la in model.layers if not isinstance(la, keras.layers.InputLayer)]
    units, i = [], 0
    while i < len(layers) - 1:
        dense = layers[i]
        if not isinstance(dense, keras.layers.Dense):
            return units, N_("layer {n} is {type}, expected Dense").format(n=i + 1, type=type(dense).__name__)
        if _xor._activation(dense) != "linear":
            return units, N_(
                "Dense layer {n} has activation {activation}: with BN the "
                "activation comes *after* the normalization, so the Dense must be linear"
            ).format(n=len(units) + 1, activation=repr(_xor._activation(dense)))
        if i + 2 >= len(layers) or not isinstance(layers[i + 1], keras.layers.BatchNormalization):
            return units, N_("Dense layer {n} is not followed by BatchNormalization").format(n=len(units) + 1)
        act = layers[i + 2]
        if not isinstance(act, keras.layers.Activation) or _xor._activation(act) != "sigmoid":
            return units, N_("BatchNormalization {n} is not followed by Activation('sigmoid')").format(
                n=len(units) + 1
            )
        units.append(dense.units)
        i += 3
    last = layers[-1] if layers else None
    if not isinstance(last, keras.layers.Dense) or last.units != 1 or _xor._activation(last) != "sigmoid":
        return units, N_("the last layer must be Dense(1, sigmoid)")
    return units, ""


def describe_bn(model) -> str:
    import keras

    parts = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            parts.append(f"Dense({layer.units}, {_xor._activation(layer)})")
        elif isinstance(layer, keras.layers.Activation):
            parts.append(f"Activation({_xor._activation(layer)})")
        elif isinstance(layer, keras.layers.BatchNormalization):
            parts.append("BN")
        elif not isinstance(layer, keras.layers.InputLayer):
            parts.append(type(layer).__name__)
    return " → ".join(parts) or localize(N_("no layers"))


def bn_architecture_verdict(model, what: str = N_("the BN model")) -> Verdict:
    wanted = "[Dense(10) → BatchNormalization → Activation('sigmoid')] × 3 → Dense(1, sigmoid)"
    if not is_model(model):
        return fail(
            N_("Expected {what} to be a keras.Model ({wanted}). Received: {type}").format(
                what=what, wanted=wanted, type=type(model).__name__
            )
        )
    units, problem = bn_blocks(model)
    if problem:
        return fail(
            N_("Expected {what}: {wanted}. Received: {model} — {problem}.").format(
                what=what, wanted=wanted, model=describe_bn(model), problem=problem
            )
        )
    if units != list(_xor.HIDDEN_UNITS):
        return fail(
            N_("Expected hidden units {expected} in {what}. Received: {units}").format(
                expected=list(_xor.HIDDEN_UNITS), what=what, units=units
            )
        )
    return compare.all_of(
        input_output_verdict(model, 2, 1, what),
        ok(N_("{what}: {model}").format(what=what, model=describe_bn(model))),
    )


def bn_param_counts(inputs: int, hidden, use_bias: bool = False) -> dict[str, int]:
    """Trainable / non-trainable parameters of [Dense(h, use_bias) → BN → sigmoid]* → Dense(1)."""
    trainable, frozen, prev = 0, 0, inputs
    for h in hidden:
        trainable += prev * h + (h if use_bias else 0) + 2 * h  # kernel (+ bias), γ and β
        frozen += 2 * h  # moving mean and moving variance
        prev = h
    trainable += prev + 1  # the output unit's kernel and bias
    return {"trainable": trainable, "non_trainable": frozen}
