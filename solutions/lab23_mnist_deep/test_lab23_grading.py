"""Lab 23's grader: the parameter count is checked against the model saved with it."""

from __future__ import annotations

from lab_helpers import grader, mlp

LAB = "lab23_mnist_deep"
SEED = 7  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


def test_lab23_n_params_uses_the_saved_model(tmp_path, keras):
    model = mlp(keras, [64] * 4)
    assert _grade(tmp_path, "n_params", n_params={"value": model.count_params(), "model": model}).passed
    weights = 784 * 64 + 3 * 64 * 64 + 64 * 10
    verdict = _grade(tmp_path, "n_params", n_params={"value": weights, "model": model})
    assert not verdict.passed and "biases are missing" in verdict.message
