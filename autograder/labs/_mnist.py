"""Shared code of the MNIST labs 20–24: data, evaluation, architecture checks, init statistics.

The grader's side only: re-evaluation of a saved model, architecture and initialization checks,
the plausibility (train-on-test) flag. Data, evaluation and the notebook helpers are the student
kit's (``labkit.mnist``, ``labkit.plots``) and are imported from there, defined once. The
grader never trusts a number from the student's kernel: every expected value below is recomputed
from the saved ``.keras`` files and the official test set.

Conventions (the notebooks print them where they matter):

* images are float32 in [0, 1], flattened to 784 values; labels are int32 class indices;
* training uses the first 55,000 training images, validation the last 5,000 (the course's split);
* "train accuracy" is measured on the first 10,000 training images (a fixed, cheap subset);
* statistics at initialization use the first 512 test images and their labels;
* TensorFlow is imported lazily, so that importing a lab module stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from labkit.compare import close
from labkit.i18n import N_, joined, lazy_ngettext
from labkit.mnist import CLASSES, N_STATS, N_TRAIN, N_TRAIN_EVAL, PIXELS, Mnist, accuracy, mnist, outputs  # noqa: F401
from labkit.plots import ACTIVATION_LAYERS as _ACTIVATION_LAYERS
from labkit.plots import init_statistics  # noqa: F401 - the grader's definition of the statistics

from autograder.spec import GradeContext, Verdict, fail, ok


# --------------------------------------------------------------------------------------------------
# Re-evaluating a saved model (memoized per submission)
# --------------------------------------------------------------------------------------------------
def _memo(ctx: GradeContext, key, compute):
    store = ctx.__dict__.setdefault("_mnist_memo", {})
    if key not in store:
        store[key] = compute()
    return store[key]


def saved_model(ctx: GradeContext, name: str = "model", key: str = "value"):
    """The Keras model saved by ``lab.check(name, …)`` (``NotAttempted`` when missing)."""
    model = ctx.answer(name, key)
    if not hasattr(model, "layers"):
        return None
    return model


def test_accuracy(ctx: GradeContext, name: str = "model") -> float:
    """Accuracy of the saved model on the 10,000 official test images (computed once per grading)."""
    data = mnist()
    return _memo(ctx, ("test", name), lambda: accuracy(saved_model(ctx, name), data.x_test, data.y_test))


def held_out_accuracy(ctx: GradeContext, name: str = "model") -> float:
    """Accuracy on the last 5,000 training images: the recipe validates on them, never fits them."""
    _, (x, y) = mnist().split()
    return _memo(ctx, ("held_out", name), lambda: accuracy(saved_model(ctx, name), x, y))


def train_accuracy(ctx: GradeContext, name: str = "model") -> float:
    """Accuracy of the saved model on the first 10,000 training images."""
    x, y = mnist().train_eval()
    return _memo(ctx, ("train", name), lambda: accuracy(saved_model(ctx, name), x, y))


# --------------------------------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------------------------------


@dataclass
class Block:
    """One Dense layer, the activation applied to its output, and the dropout rate after it."""

    name: str
    units: int
    activation: str
    dropout: float = 0.0

    def describe(self) -> str:
        text = f"Dense({self.units}, {self.activation})"
        return text + (f" → Dropout({self.dropout:g})" if self.dropout else "")


def _activation_name(layer) -> str:
    kind = type(layer).__name__
    if kind == "ReLU":
        return "relu"
    if kind == "Softmax":
        return "softmax"
    fn = getattr(layer, "activation", None)
    return getattr(fn, "__name__", str(fn)) if fn is not None else "linear"


def input_dropout(model) -> float:
    """The rate of a Dropout applied to the pixels, before the first Dense layer (0 if none)."""
    rate = 0.0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            break
        if kind == "Dropout":
            rate = max(rate, float(layer.rate))
    return rate


def blocks(model) -> tuple[list[Block], list[str]]:
    """The model as Dense blocks, plus the names of layers no MNIST lab allows.

    A Dropout before the first Dense layer (input dropout) is not a block: see ``input_dropout``.
    """
    found: list[Block] = []
    odd: list[str] = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer" or (kind == "Dropout" and not found):
            continue
        if kind == "Dense":
            found.append(Block(layer.name, int(layer.units), _activation_name(layer)))
        elif kind in _ACTIVATION_LAYERS and found and found[-1].activation == "linear":
            found[-1].activation = _activation_name(layer)
        elif kind == "Dropout" and found:
            found[-1].dropout = float(layer.rate)
        else:
            odd.append(f"{kind} '{layer.name}'")
    return found, odd


def describe(model) -> str:
    """``784 → Dense(256, relu) → Dense(10, linear)``: the architecture in one line."""
    found, odd = blocks(model)
    shape = getattr(model, "input_shape", None)
    head = str(shape[-1]) if isinstance(shape, tuple) and len(shape) == 2 else str(shape)
    first = [f"Dropout({input_dropout(model):g})"] if input_dropout(model) else []
    text = " → ".join([head] + first + [b.describe() for b in found])
    return text + (f" (+ {', '.join(odd)})" if odd else "")


def check_architecture(
    model,
    *,
    hidden: int,
    dropout: bool,
    logits: bool = False,
    course: str = "",
) -> Verdict:
    """A fully connected MNIST classifier: input (784,), ``hidden`` ReLU layers, 10 outputs.

    ``dropout``: True requires Dropout after the hidden layers, False forbids it.
    ``logits``: require a linear last layer (the loss then uses ``from_logits=True``).
    ``course``: how the course names the architecture, quoted in messages.
    """
    if model is None or not hasattr(model, "layers"):
        return fail(N_("Expected a keras.Model. Received: {type}").format(type=type(model).__name__))
    arch = describe(model)
    found, odd = blocks(model)
    want = lazy_ngettext(
        "{n} hidden Dense layer + 1 output Dense layer",
        "{n} hidden Dense layers + 1 output Dense layer",
        hidden,
    )
    if course:
        want = joined(want, " (", course, ")")
    shape = getattr(model, "input_shape", None)
    if shape != (None, PIXELS):
        return fail(
            N_(
                "Expected inputs of shape (None, {pixels}) (flattened 28×28 images). Received: {shape}. "
                "Hint: start the model with keras.Input(shape=(784,))."
            ).format(pixels=PIXELS, shape=shape)
        )
    if odd:
        if dropout:
            message = N_("Expected only Dense and Dropout layers in this lab. Received: {odd} in {arch}.")
        else:
            message = N_("Expected only Dense layers in this lab. Received: {odd} in {arch}.")
        return fail(message.format(odd=", ".join(odd), arch=arch))
    if len(found) != hidden + 1:
        return fail(
            N_("Expected {want}. Received: {n} Dense layers: {arch}.").format(
                want=want, n=len(found), arch=arch
            )
        )
    *hidden_blocks, last = found
    for block in hidden_blocks:
        if block.activation != "relu":
            return fail(
                N_(
                    "Expected ReLU in every hidden layer. Received: '{name}' uses {activation} in {arch}."
                ).format(name=block.name, activation=block.activation, arch=arch)
            )
    if last.units != CLASSES:
        return fail(
            N_(
                "Expected an output layer with {classes} units (one per digit). Received: {units} units in {arch}."
            ).format(classes=CLASSES, units=last.units, arch=arch)
        )
    if logits and last.activation != "linear":
        return fail(
            N_(
                "Expected the output layer to give logits (activation=None) and the loss "
                "from_logits=True. Received: activation={activation} in {arch}. Hint: with large "
                "weights the softmax saturates to exactly 0 or 1 and the gradient vanishes."
            ).format(activation=last.activation, arch=arch)
        )
    if not logits and last.activation not in ("linear", "softmax"):
        return fail(
            N_(
                "Expected the output layer to give logits (activation=None) or softmax probabilities. "
                "Received: activation={activation} in {arch}."
            ).format(activation=last.activation, arch=arch)
        )
    rates = [b.dropout for b in hidden_blocks]
    if dropout and not any(r > 0 for r in rates):
        return fail(
            N_(
                "Expected Dropout after the hidden layers (the lesson of this lab). Received: no Dropout "
                "in {arch}. Hint: keras.layers.Dropout(rate) after each hidden Dense layer."
            ).format(arch=arch)
        )
    if dropout and any(r >= 0.8 for r in rates + [input_dropout(model)]):
        return fail(N_("Expected dropout rates below 0.8. Received: {arch}.").format(arch=arch))
    if last.dropout:
        return fail(N_("Expected no Dropout after the output layer. Received: {arch}.").format(arch=arch))
    if not dropout and (any(rates) or input_dropout(model)):
        return fail(
            N_(
                "Expected no Dropout in this lab (it is the next lab's topic). Received: Dropout in {arch}."
            ).format(arch=arch)
        )
    return ok(N_("architecture {arch}").format(arch=arch))


# --------------------------------------------------------------------------------------------------
# Initialization
# --------------------------------------------------------------------------------------------------
def _numpy(variable) -> np.ndarray:
    return variable.numpy() if hasattr(variable, "numpy") else np.asarray(variable)


def _dense_layers(model):
    return [layer for layer in model.layers if type(layer).__name__ == "Dense"]


def check_init(model, kind: str) -> Verdict:
    """Do the initial weights look like ``kind``: ``"naive"`` (N(0, 1) weights and biases) or
    ``"proper"`` (Glorot or He weights, zero biases)?"""
    dense = _dense_layers(model)
    if not dense:
        return fail(N_("Expected Dense layers in the initial model. Received: none"))
    if kind == "naive":
        kernels = [_numpy(d.kernel) for d in dense]
        biases = np.concatenate([_numpy(d.bias).ravel() for d in dense if d.use_bias] or [np.zeros(0)])
        for layer, w in zip(dense, kernels):
            std, mean = float(w.std()), float(w.mean())
            if not (0.9 <= std <= 1.1 and abs(mean) < 0.1):
                return fail(
                    N_(
                        "Expected naive N(0, 1) weights (mean 0, std 1) in '{name}'. Received: mean "
                        "{mean:.3g}, std {std:.3g}. Hint: kernel_initializer=keras.initializers."
                        "RandomNormal(mean=0.0, stddev=1.0)."
                    ).format(name=layer.name, mean=mean, std=std)
                )
        std = float(biases.std()) if biases.size else 0.0
        if not 0.8 <= std <= 1.2:
            return fail(
                N_(
                    "Expected naive N(0, 1) biases too (the course's first try initializes them like the "
                    "weights). Received: bias std {std:.3g}. Hint: bias_initializer=keras.initializers."
                    "RandomNormal(mean=0.0, stddev=1.0)."
                ).format(std=std)
            )
        return ok(N_("naive N(0, 1) initialization"))
    names = []
    for layer in dense:
        w = _numpy(layer.kernel)
        fan_in, fan_out = w.shape
        std = float(w.std())
        he, glorot = np.sqrt(2.0 / fan_in), np.sqrt(2.0 / (fan_in + fan_out))
        if 0.85 <= std / he <= 1.15:
            names.append("He")
        elif 0.85 <= std / glorot <= 1.15:
            names.append("Glorot")
        else:
            return fail(
                N_(
                    "Expected Glorot (std {glorot:.3g}) or He (std {he:.3g}) weights in '{name}' "
                    "({fan_in}→{fan_out}). Received: std {std:.3g}. Hint: kernel_initializer='he_normal'."
                ).format(glorot=glorot, he=he, name=layer.name, fan_in=fan_in, fan_out=fan_out, std=std)
            )
        if layer.use_bias and float(np.max(np.abs(_numpy(layer.bias)))) > 0.1:
            return fail(
                N_(
                    "Expected biases near 0 at initialization in '{name}' (Keras' default 'zeros'). "
                    "Received: max |b| = {max:.3g}."
                ).format(name=layer.name, max=float(np.max(np.abs(_numpy(layer.bias)))))
            )
    return ok(N_("{names} initialization").format(names="/".join(dict.fromkeys(names))))


def saturated_fraction(model, x: np.ndarray) -> float:
    """Fraction of examples whose float32 softmax puts ≥ 1 − 1e-7 on one class (the clip of the
    probability cross-entropy: those examples give no gradient at all)."""
    import keras

    probs = np.asarray(keras.ops.softmax(outputs(model, x), axis=-1), dtype=np.float32)
    return float(np.mean(probs.max(axis=1) >= np.float32(1 - 1e-7)))


def grade_init_stats(ctx: GradeContext, name: str, kind: str, hidden: int, x, y) -> Verdict:
    """Recompute the statistics of the saved initial model on ``(x, y)`` and compare."""
    model = saved_model(ctx, name, "model")
    arch = check_architecture(model, hidden=hidden, dropout=False, logits=True)
    if not arch.passed:
        return arch
    init = check_init(model, kind)
    if not init.passed:
        return init
    expected = init_statistics(model, x, y)
    act = close(
        ctx.answer(name, "act_std"),
        expected["act_std"],
        N_("activation std per Dense layer"),
        rtol=2e-3,
        atol=1e-6,
        hint=N_("np.std of each Dense layer's output (after ReLU; logits for the last layer)."),
    )
    if not act.passed:
        return act
    grad = close(
        ctx.answer(name, "grad_norm"),
        expected["grad_norm"],
        N_("gradient norm per Dense kernel"),
        rtol=2e-3,
        atol=1e-6,
        hint=N_("the norm of d(mean cross-entropy)/d(kernel), one per Dense layer, loss from logits."),
        others={
            N_("the norms of the summed (not mean) loss"): expected["grad_norm"] * len(x),
        },
    )
    if not grad.passed:
        return grad
    stds = ", ".join(f"{v:.3g}" for v in expected["act_std"])
    norms = ", ".join(f"{v:.3g}" for v in expected["grad_norm"])
    return ok(
        N_("{init}; activation std [{stds}]; gradient norms [{norms}]").format(
            init=init.message, stds=stds, norms=norms
        )
    )


# --------------------------------------------------------------------------------------------------
# Grading the trained model
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plausibility:
    """What an honest run of a lab's locked recipe can reach (``benchmarks/train_on_test.py``).

    A model fitted on the test images does better on them than on digits it has never seen. The
    5,000 held-out training digits are such digits for every honest run (the recipe only validates
    on them), and they are as hard as the test set, so an honest model scores about the same on
    both. A model far above that on the test set, or above every honest run, was very likely
    fitted on it.
    """

    max_test_over_held_out: float  # test accuracy − held-out accuracy, as a fraction
    ceiling: float  # test accuracy no honest run comes near

    def problem(self, test: float, held_out: float) -> str | None:
        if test - held_out > self.max_test_over_held_out:
            return N_(
                "its test accuracy {test:.2%} is {points:.2f} points above its "
                "accuracy on 5,000 held-out training digits ({held_out:.2%}); honest runs of this "
                "recipe stay within {limit:.2f} points"
            ).format(
                test=test,
                points=(test - held_out) * 100,
                held_out=held_out,
                limit=self.max_test_over_held_out * 100,
            )
        if test > self.ceiling:
            return N_(
                "its test accuracy {test:.2%} is above what this recipe reaches ({ceiling:.2%})"
            ).format(test=test, ceiling=self.ceiling)
        return None


def flag_for_instructor(ctx: GradeContext, note: str) -> None:
    """A note for the instructor's report, carried into ``LabResult.notes`` by ``score_lab``."""
    ctx.__dict__.setdefault("instructor_notes", []).append(note)


def grade_trained_model(
    ctx: GradeContext,
    *,
    threshold: float,
    hidden: int,
    dropout: bool,
    logits: bool = False,
    course: str = "",
    hint: str = "",
    name: str = "model",
    plausible: Plausibility | None = None,
) -> Verdict:
    """Architecture check, one evaluation on the 10,000 test images (sets ``ctx.accuracy``), and
    ``plausible``: a model whose test accuracy an honest run cannot reach gets no points."""
    model = saved_model(ctx, name)
    arch = check_architecture(model, hidden=hidden, dropout=dropout, logits=logits, course=course)
    if not arch.passed:
        return arch
    acc = test_accuracy(ctx, name)
    ctx.accuracy = acc
    if plausible is not None and np.isfinite(acc):
        problem = plausible.problem(acc, held_out_accuracy(ctx, name))
        if problem:
            flag_for_instructor(
                ctx,
                N_(
                    "possible training on the test set: `{name}` — {problem}. No accuracy points given."
                ).format(name=name, problem=problem),
            )
            return fail(
                N_(
                    "flagged: Expected a test accuracy an honest run of this lab's recipe can reach. "
                    "Received: {problem}. Was the model fitted on the test images? It must train on "
                    "x_fit only; the instructor has been notified and can review it."
                ).format(problem=problem)
            )
    if np.isfinite(acc) and acc >= threshold:
        return ok(
            N_("{architecture}; test accuracy {accuracy:.2%} ≥ {threshold:.2%}").format(
                architecture=arch.message, accuracy=acc, threshold=threshold
            )
        )
    message = N_(
        "Expected test accuracy ≥ {threshold:.2%} (re-evaluated on the 10,000 test images). "
        "Received: {accuracy:.2%} for {model}."
    ).format(threshold=threshold, accuracy=acc, model=describe(model))
    return fail(joined(message, " ", N_("Hint: {hint}").format(hint=hint)) if hint else message)


def grade_gap(ctx: GradeContext, name: str, model_name: str = "model", atol: float = 1.5e-3) -> Verdict:
    """The student's train accuracy, test accuracy and their gap, remeasured on the saved model."""
    if saved_model(ctx, model_name) is None:
        return fail(N_("Expected a keras.Model in the `model` answer. Received: something else"))
    train, test = train_accuracy(ctx, model_name), test_accuracy(ctx, model_name)
    for key, want, what in (
        ("train_accuracy", train, N_("train accuracy (first 10,000 training images)")),
        ("test_accuracy", test, N_("test accuracy (10,000 test images)")),
        ("gap", train - test, N_("gap = train accuracy − test accuracy")),
    ):
        got = np.asarray(ctx.answer(name, key), dtype=float)
        verdict = close(
            got,
            want,
            what,
            rtol=0,
            atol=atol,
            hint=N_("accuracies as fractions in [0, 1] of the model saved above, in inference mode."),
            others={N_("a percentage (use a fraction in [0, 1])"): np.asarray(want * 100)},
        )
        if not verdict.passed:
            return verdict
    return ok(
        N_("train {train:.2%}, test {test:.2%}, gap {gap:+.2%} (remeasured)").format(
            train=train, test=test, gap=train - test
        )
    )


# --------------------------------------------------------------------------------------------------
# Notebook helpers: the training report and the plots
# --------------------------------------------------------------------------------------------------
