"""Lab 19's grader: the two models compared must start from the same initial kernels."""

from __future__ import annotations

import pytest
from lab_helpers import xor_deep_model
from labkit.answers import save_answer

from autograder.labs import _xor, get_lab
from autograder.spec import GradeContext

LAB = "lab19_xor_relu"


def test_lab19_rejects_models_with_different_initial_kernels(tmp_path):
    keras = pytest.importorskip("keras")
    spec = get_lab(LAB)
    keras.utils.set_random_seed(0)
    sigmoid_model = xor_deep_model(keras, "sigmoid")
    relu_model = xor_deep_model(keras, "relu")  # not re-seeded: other kernels
    save_answer(
        tmp_path,
        "grad_norms_compare",
        {
            "sigmoid": _xor.kernel_grad_norms(sigmoid_model),
            "relu": _xor.kernel_grad_norms(relu_model),
            "sigmoid_model": sigmoid_model,
            "relu_model": relu_model,
        },
    )
    verdict = spec.question("grad_norms_compare").grade(GradeContext(tmp_path, seed=7, spec=spec))
    assert not verdict.passed and "same kernels" in verdict.message
