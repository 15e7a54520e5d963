"""Lab 25's grader: the reference optimizers against Keras, every usual mistake caught and named, the
race on the elongated bowl, the mini-batch model's architecture message."""

from __future__ import annotations

import numpy as np
import pytest
from lab_helpers import grader

from autograder.labs.lab25_optimizers import reference as R
from autograder.spec import hidden_rng

LAB = "lab25_optimizers"
SEED = 11  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adagrad", "adam"])
def test_reference_optimizers_match_keras(kind):
    w0, grads = R.public_optimizer_case()
    for hyper in (R.PUBLIC_HYPER[kind], R.HIDDEN_HYPER[kind]):
        mine, theirs = R.numpy_run(kind, w0, grads, **hyper), R.keras_run(kind, w0, grads, **hyper)
        for key in theirs:
            start = {"w": w0, "G": hyper.get("initial_accumulator_value", 0.1)}.get(key, 0.0)
            assert R.per_element_error(mine[key], theirs[key], start) < R.OPT_RTOL / 10, (kind, key)


def test_every_optimizer_mistake_is_caught_and_named():
    w0, grads = R.public_optimizer_case()
    for kind, variants in R.OPTIMIZER_VARIANTS.items():
        hyper = R.PUBLIC_HYPER[kind]
        assert R.optimizer_verdict(R.numpy_run(kind, w0, grads, **hyper), kind, w0, grads, hyper).passed
        for variant, text in variants.items():
            verdict = R.optimizer_verdict(
                R.numpy_run(kind, w0, grads, variant, **hyper), kind, w0, grads, hyper
            )
            assert not verdict.passed, (kind, variant)
            assert verdict.message.startswith("Expected") and "Received:" in verdict.message
            assert f"that looks like {text}" in verdict.message, (kind, variant, verdict.message)


def test_adam_epsilon_placement_only_shows_on_tiny_gradients(tmp_path):
    w0, grads = R.public_optimizer_case()
    textbook = R.numpy_run("adam", w0, grads, "textbook epsilon", **R.PUBLIC_HYPER["adam"])
    right = R.numpy_run("adam", w0, grads, **R.PUBLIC_HYPER["adam"])
    rows = [R.per_element_error(textbook["w"][:, r], right["w"][:, r], w0[r]) for r in range(3)]
    assert rows[0] < 1e-5 < R.OPT_RTOL < rows[2]  # gradients ~1 agree; gradients ~1e-6 do not
    verdict = _grade(tmp_path, "adam", adam=textbook)
    assert not verdict.passed and "entry [1, 0] after step 1" in verdict.message
    assert "Keras adds ε to √v" in verdict.message and "Hint:" in verdict.message


def test_optimizer_answers_right_missing_and_wrong_state(tmp_path):
    w0, grads = R.public_optimizer_case()
    right = R.numpy_run("momentum", w0, grads, **R.PUBLIC_HYPER["momentum"])
    assert _grade(tmp_path / "a", "momentum", momentum=right).passed
    missing = _grade(tmp_path / "b", "momentum", momentum={"w": right["w"]})
    assert not missing.passed and "['w', 'V']" in missing.message
    nothing = _grade(tmp_path / "c", "momentum")
    assert not nothing.passed and nothing.message.startswith("not attempted")
    short = _grade(tmp_path / "d", "sgd", sgd={"w": right["w"][:3]})
    assert (
        not short.passed
        and "shape (8, 3, 4)" in short.message
        and "Received: shape (3, 3, 4)" in short.message
    )


def test_hidden_optimizers_use_other_hyperparameters(tmp_path):
    w0, grads = R.hidden_optimizer_case(hidden_rng("optimizers_hidden", SEED))
    answer = {}
    for kind, hyper in R.HIDDEN_HYPER.items():
        for key, value in R.numpy_run(kind, w0, grads, **hyper).items():
            answer[f"{kind}_{key}"] = value
    assert _grade(tmp_path / "right", "optimizers_hidden", optimizers_hidden=answer).passed
    stale = dict(answer)  # SGD run with the public learning rate instead of the one passed in
    stale["sgd_w"] = R.numpy_run("sgd", w0, grads, **R.PUBLIC_HYPER["sgd"])["w"]
    verdict = _grade(tmp_path / "stale", "optimizers_hidden", optimizers_hidden=stale)
    assert not verdict.passed and "hidden case" in verdict.message


def test_surface_and_race(tmp_path):
    p = R.SURFACE_POINTS
    assert _grade(tmp_path / "s", "surface", surface={"f": R.surface(p), "grad": R.surface_grad(p)}).passed
    wrong = _grade(tmp_path / "w", "surface", surface={"f": R.surface(p), "grad": p * [1 / 20, 1.0]})
    assert not wrong.passed and "the factor 2 of the squares is missing" in wrong.message
    start = np.array(R.RACE_START)
    paths = {
        kind: np.concatenate(
            [
                start[None],
                R.numpy_run(kind, start, grad_fn=R.surface_grad, steps=R.RACE_STEPS, **hyper)["w"],
            ]
        )
        for kind, hyper in R.RACE_HYPER.items()
    }
    race = _grade(tmp_path / "r", "race", race=paths)
    assert race.passed, race.message
    shifted = {**paths, "adam": paths["adam"][:, ::-1]}
    verdict = _grade(tmp_path / "x", "race", race=shifted)
    assert not verdict.passed and "start at (-7.0, 2.0)" in verdict.message


def test_minibatch_architecture_message(tmp_path, keras):
    wrong = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="relu")])
    verdict = _grade(
        tmp_path,
        "minibatch",
        minibatch={"mini_loss": [1.0] * 5, "full_loss": [2.0] * 5, "mini": wrong, "full": wrong},
    )
    assert not verdict.passed and "one Dense(10, softmax)" in verdict.message and "relu" in verdict.message
