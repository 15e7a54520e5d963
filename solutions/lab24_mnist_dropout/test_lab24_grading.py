"""Lab 24's grader: a model file that is not a model, a model below the threshold, one without Dropout."""

from __future__ import annotations

from lab_helpers import grader, mlp
from labkit.answers import save_answer

from autograder.grading.judge import judge
from autograder.labs import get_lab
from autograder.spec import GradeContext

LAB = "lab24_mnist_dropout"
SEED = 7  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


def test_model_file_that_is_text_gives_an_error_verdict(tmp_path):
    save_answer(tmp_path, "model", {"other": 1})
    (tmp_path / "model.value.keras").write_text("this is not a model\n")
    verdict = judge(get_lab(LAB).question("model"), GradeContext(tmp_path, seed=SEED, spec=get_lab(LAB)))
    assert not verdict.passed and verdict.status == "error"
    assert "not a zip archive" in verdict.message and "model.value.keras" in verdict.message


def test_trained_model_below_threshold_and_wrong_architecture(tmp_path, keras):
    untrained = mlp(keras, [32] * 4, dropout=0.2)
    verdict = _grade(tmp_path, "model", model=untrained)
    assert not verdict.passed and "Expected test accuracy ≥ 97.80%" in verdict.message
    verdict = _grade(tmp_path, "model", model=mlp(keras, [32] * 4))
    assert not verdict.passed and "Expected Dropout" in verdict.message
