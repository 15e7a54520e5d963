"""Lab 27's grader: the reference activations against TensorFlow, their messages, the comparison
table's architectures and re-evaluated accuracy rows."""

from __future__ import annotations

import numpy as np
import pytest
from lab_helpers import grader

from autograder.labs import _mnist
from autograder.labs.lab27_activations import reference as R
from autograder.spec import hidden_rng

LAB = "lab27_activations"
SEED = 11  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


def _functions(z, **override):
    out = {}
    for name, (f, df) in R.FUNCTIONS.items():
        out[name], out[name + "_prime"] = f(z), df(z)
    return {**out, **override}


def test_reference_derivatives_match_tensorflow():
    tf = pytest.importorskip("tensorflow")
    import keras

    z = tf.constant(np.concatenate([R.ACT_Z[1:-1], [-0.0]]))
    ops = {
        "sigmoid": keras.activations.sigmoid,
        "tanh": keras.activations.tanh,
        "relu": keras.activations.relu,
        "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=R.LEAKY_SLOPE),
        "elu": keras.activations.elu,
    }
    for name, op in ops.items():
        with tf.GradientTape() as tape:
            tape.watch(z)
            y = op(z)
        f, df = R.FUNCTIONS[name]
        np.testing.assert_allclose(f(z.numpy()), y.numpy(), rtol=1e-6, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(
            df(z.numpy()), tape.gradient(y, z).numpy(), rtol=1e-6, atol=1e-12, err_msg=name
        )
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 12)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_max(tf.reshape(x, (4, 3, 4)), axis=1)
        total = tf.reduce_sum(y)
    np.testing.assert_allclose(R.maxout(x.numpy(), 3), y.numpy())
    np.testing.assert_allclose(R.maxout_grad(x.numpy(), 3), tape.gradient(total, x).numpy())


def test_activation_messages(tmp_path):
    z = R.ACT_Z
    assert _grade(tmp_path / "ok", "activations", activations=_functions(z)).passed
    cases = [
        (dict(leaky_relu=R.leaky_relu(z, 0.2)), "Keras' default slope 0.2"),
        (dict(relu_prime=(z >= 0).astype(float)), "relu'(0) = 1"),
        (dict(tanh_prime=1 - np.tanh(z)), "the square is missing"),
        (dict(elu=R.elu_prime(z), elu_prime=R.elu(z)), "swapped"),
    ]
    for index, (override, phrase) in enumerate(cases):
        verdict = _grade(tmp_path / str(index), "activations", activations=_functions(z, **override))
        assert not verdict.passed and phrase in verdict.message, (phrase, verdict.message)
    z = R.MAXOUT_Z
    assert _grade(
        tmp_path / "m",
        "maxout",
        maxout={"maxout": R.maxout(z, 3), "maxout_grad": R.maxout_grad(z, 3)},
    ).passed
    layout = z.reshape(3, 2, 3).max(axis=2)
    verdict = _grade(tmp_path / "n", "maxout", maxout={"maxout": layout, "maxout_grad": R.maxout_grad(z, 3)})
    assert not verdict.passed and "`units` columns apart" in verdict.message


def test_hidden_activations(tmp_path):
    rng = hidden_rng("activations_hidden", SEED)
    z = R.act_cases(rng)
    zm, pieces = R.maxout_cases(rng)
    answer = {**_functions(z), "maxout": R.maxout(zm, pieces), "maxout_grad": R.maxout_grad(zm, pieces)}
    assert _grade(tmp_path, "activations_hidden", activations_hidden=answer).passed


def _table_net(keras, activation, leaky_string=False):
    layers = [keras.Input(shape=(784,))]
    for units in R.TABLE_HIDDEN:
        if activation == "maxout":
            layers += [
                keras.layers.Dense(units * 2),
                keras.layers.Reshape((2, units)),
                keras.layers.GlobalMaxPooling1D(),
            ]
        elif activation == "leaky_relu" and not leaky_string:
            layers += [keras.layers.Dense(units), keras.layers.LeakyReLU(negative_slope=0.1)]
        else:
            layers.append(keras.layers.Dense(units, activation=activation))
    return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])


def test_table_architectures_and_accuracy_rows(tmp_path, keras, mnist_path):
    for activation in R.TABLE_ACTIVATIONS:
        assert R.table_architecture_verdict(_table_net(keras, activation), activation).passed, activation
    default_slope = R.table_architecture_verdict(
        _table_net(keras, "leaky_relu", leaky_string=True), "leaky_relu"
    )
    assert not default_slope.passed and "LeakyReLU(negative_slope=0.1)" in default_slope.message
    swapped = R.table_architecture_verdict(_table_net(keras, "relu"), "tanh")
    assert not swapped.passed and "all tanh" in swapped.message
    models = {a: _table_net(keras, a) for a in R.TABLE_ACTIVATIONS}  # untrained: ~10 % each
    data = _mnist.mnist()
    measured = [_mnist.accuracy(models[a], data.x_test, data.y_test) for a in R.TABLE_ACTIVATIONS]
    right = _grade(tmp_path / "a", "table", table={"accuracy": measured, **models})
    assert right.passed, right.message
    off = _grade(tmp_path / "b", "table", table={"accuracy": np.array(measured) + 0.01, **models})
    assert not off.passed and "Expected the 'sigmoid' row" in off.message
    percent = _grade(tmp_path / "c", "table", table={"accuracy": np.array(measured) * 100, **models})
    assert not percent.passed and "percentages?" in percent.message
    best = int(np.argmax(measured))
    low = _grade(tmp_path / "a", "best_model", best_model=best)
    assert not low.passed and f"≥ {R.BEST_MIN_ACCURACY:.4g}" in low.message  # untrained: far below
    worst = int(np.argmin(measured))
    if measured[worst] < measured[best] - R.TABLE_TOLERANCE:
        wrong = _grade(tmp_path / "a", "best_model", best_model=worst)
        assert not wrong.passed and "Expected the best activation" in wrong.message
