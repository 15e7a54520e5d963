"""Lab 26's grader: the reference batch normalization against Keras, its usual mistakes named, the BN
network's architecture and parameter counts."""

from __future__ import annotations

import numpy as np
import pytest
from lab_helpers import grader

from autograder.labs.lab26_batchnorm import reference as R
from autograder.spec import hidden_rng

LAB = "lab26_batchnorm"
SEED = 11  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)

TRAIN, MOVING = ("y", "mean", "var"), ("moving_mean", "moving_var", "inference")


def _pick(result: dict, keys) -> dict:
    return {k: result[k] for k in keys}


def test_reference_bn_matches_keras_on_both_cases():
    for case in (R.bn_public_case(), R.bn_hidden_case(hidden_rng("bn_hidden", SEED))):
        mine, theirs = R.bn_numpy(case), R.keras_bn(case)
        for key in theirs:
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.mark.parametrize(
    ("mistake", "question", "keys", "phrase"),
    [
        (dict(ddof=1), "bn_train", TRAIN, "unbiased variance (ddof=1)"),
        (dict(epsilon=1e-5), "bn_train", TRAIN, "PyTorch's default"),
        (dict(swap_momentum=True), "bn_moving", MOVING, "momentum applied the wrong way round"),
    ],
)
def test_bn_mistakes_are_named(tmp_path, mistake, question, keys, phrase):
    case = R.bn_public_case()
    assert _grade(tmp_path / "ok", question, **{question: _pick(R.bn_numpy(case), keys)}).passed
    verdict = _grade(tmp_path / "bad", question, **{question: _pick(R.bn_numpy(case, **mistake), keys)})
    assert not verdict.passed and phrase in verdict.message, verdict.message


def test_bn_other_messages(tmp_path):
    case = R.bn_public_case()
    ref = R.bn_numpy(case)
    no_affine = _grade(tmp_path / "a", "bn_train", bn_train={**_pick(ref, TRAIN), "y": ref["x_hat"]})
    assert not no_affine.passed and "without γ and β" in no_affine.message
    batch_stats = {**_pick(ref, MOVING), "inference": ref["inference_batch_stats"]}
    verdict = _grade(tmp_path / "b", "bn_moving", bn_moving=batch_stats)
    assert not verdict.passed and "must use the moving ones" in verdict.message
    hidden = R.bn_hidden_case(hidden_rng("bn_hidden", SEED))
    assert _grade(tmp_path / "c", "bn_hidden", bn_hidden=R.bn_numpy(hidden)).passed
    default = R.bn_numpy({**hidden, "momentum": R.BN_MOMENTUM})  # ignored the momentum argument
    verdict = _grade(tmp_path / "d", "bn_hidden", bn_hidden=default)
    assert not verdict.passed and "moving mean" in verdict.message and "(hidden case" in verdict.message


def _bn_net(keras, activation_first=False, bias=False):
    layers = [keras.Input(shape=(2,))]
    for _ in range(3):
        if activation_first:
            layers += [keras.layers.Dense(10, activation="sigmoid"), keras.layers.BatchNormalization()]
        else:
            layers += [
                keras.layers.Dense(10, use_bias=bias),
                keras.layers.BatchNormalization(),
                keras.layers.Activation("sigmoid"),
            ]
    return keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])


def test_bn_architecture_and_parameter_counts(tmp_path, keras):
    assert R.bn_architecture_verdict(_bn_net(keras)).passed
    late = R.bn_architecture_verdict(_bn_net(keras, activation_first=True))
    assert not late.passed and "the activation comes *after* the normalization" in late.message
    model = _bn_net(keras)
    counts = R.bn_param_counts(2, (10, 10, 10))
    assert counts == {"trainable": 291, "non_trainable": 60}
    assert model.count_params() == counts["trainable"] + counts["non_trainable"]
    untrained = _grade(tmp_path / "u", "bn_xor", bn_xor={"loss": [0.7] * 20, "model": model})
    assert not untrained.passed and "never trained" in untrained.message
    right = _grade(tmp_path / "u", "bn_params", bn_params=counts)
    assert right.passed, right.message
    half = _grade(tmp_path / "u", "bn_params", bn_params={"trainable": 291, "non_trainable": 30})
    assert not half.passed and "moving mean *and* a moving variance" in half.message
    biased = R.bn_param_counts(2, (10, 10, 10), use_bias=True)
    assert _grade(
        tmp_path / "v",
        "bn_params",
        bn_params=biased,
        bn_xor={"loss": [0.7] * 20, "model": _bn_net(keras, bias=True)},
    ).passed
