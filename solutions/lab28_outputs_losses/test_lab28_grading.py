"""Lab 28's grader: the reference losses against Keras, their messages, parameter counts, the output
layers' messages."""

from __future__ import annotations

import numpy as np
import pytest
from lab_helpers import grader

from autograder.labs.lab28_outputs_losses import reference as R
from autograder.spec import hidden_rng

LAB = "lab28_outputs_losses"
SEED = 11  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


def _public_case():
    from autograder.labs.lab28_outputs_losses import public_loss_case

    return public_loss_case()


def test_reference_losses_match_keras(keras):
    for case in (_public_case(), R.loss_cases(hidden_rng("losses_hidden", SEED))):
        ref = R.losses_reference(case)
        y = R.one_hot(case["labels"], case["logits"].shape[1])
        assert ref["mse"] == pytest.approx(
            float(keras.losses.MeanSquaredError()(case["y_true"], case["y_pred"])), rel=1e-6
        )
        keras_ce = keras.losses.CategoricalCrossentropy(from_logits=True)(y, case["logits"])
        assert ref["cross_entropy"] == pytest.approx(float(keras_ce), rel=1e-6)
        np.testing.assert_allclose(ref["softmax"].sum(axis=1), 1.0)


def test_loss_messages(tmp_path):
    case = _public_case()
    ref = R.losses_reference(case)
    assert _grade(tmp_path / "ok", "losses", losses=ref).passed
    cases = [
        (dict(mse=np.sum((case["y_true"] - case["y_pred"]) ** 2)), "the sum of squares, not the mean"),
        (dict(cross_entropy=len(case["logits"]) * ref["cross_entropy"]), "the sum over the examples"),
        (dict(grad=ref["grad"] * len(case["logits"])), "without the 1/N"),
        (dict(grad=-ref["grad"]), "the sign is flipped"),
    ]
    for index, (override, phrase) in enumerate(cases):
        verdict = _grade(tmp_path / str(index), "losses", losses={**ref, **override})
        assert not verdict.passed and phrase in verdict.message, (phrase, verdict.message)
    hidden = R.loss_cases(hidden_rng("losses_hidden", SEED))
    assert _grade(tmp_path / "h", "losses_hidden", losses_hidden=R.losses_reference(hidden)).passed


def test_param_counts(tmp_path):
    assert R.count_params(R.NOTES_LAYERS, biases=False) == 881
    assert R.count_params(R.NOTES_LAYERS) == 931
    from autograder.labs.lab28_outputs_losses import PUBLIC_LAYER_LISTS as lists

    weights = [R.count_params(s, biases=False) for s in lists]
    full = [R.count_params(s) for s in lists]
    assert _grade(tmp_path / "a", "param_count", param_count={"weights": weights, "with_biases": full}).passed
    inputs = [w + sum(s[:-1]) for w, s in zip(weights, lists)]
    verdict = _grade(tmp_path / "b", "param_count", param_count={"weights": weights, "with_biases": inputs})
    assert not verdict.passed and "one bias per *input* unit" in verdict.message
    swapped = _grade(tmp_path / "c", "param_count", param_count={"weights": full, "with_biases": full})
    assert not swapped.passed and "the count with biases" in swapped.message
    hidden = R.param_cases(hidden_rng("param_count_hidden", SEED))
    answer = {
        "weights": [R.count_params(s, False) for s in hidden],
        "with_biases": [R.count_params(s) for s in hidden],
    }
    assert _grade(tmp_path / "d", "param_count_hidden", param_count_hidden=answer).passed


def test_output_layer_messages(tmp_path, keras):
    sigmoid_out = keras.Sequential(
        [
            keras.Input(shape=(1,)),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    verdict = _grade(tmp_path / "a", "regression", regression={"model": sigmoid_out})
    assert not verdict.passed and "Dense(1, linear)" in verdict.message and "y > 1" in verdict.message
    untrained = keras.Sequential(
        [keras.Input(shape=(1,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
    )
    verdict = _grade(tmp_path / "b", "regression", regression={"model": untrained})
    assert not verdict.passed and "test MSE" in verdict.message
    two = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, activation="softmax")])
    verdict = _grade(tmp_path / "c", "classifier", classifier={"model": two})
    assert not verdict.passed and "output shape (3,)" in verdict.message
