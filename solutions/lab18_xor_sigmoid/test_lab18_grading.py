"""Lab 18's grader on hand-made answer folders: a wrong sign costs exactly that gradient's question;
a gradient of the wrong layer is named ("looks like dW1"); Keras answers get architecture and state
messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lab_helpers import xor_deep_model
from labkit.answers import save_answer

from autograder.grading.judge import score_lab
from autograder.labs import _xor, get_lab
from autograder.labs.lab18_xor_sigmoid import reference as backprop
from autograder.spec import GradeContext, hidden_rng

LAB = "lab18_xor_sigmoid"
BACKPROP = ("loss", "dW1", "db1", "dW2", "db2")


def _write_backprop_answers(answers: Path, overrides: dict | None = None) -> None:
    reference = backprop.backward(backprop.COURSE_PARAMS)
    for key in BACKPROP:
        save_answer(answers, f"backprop_{key}", reference[key])
    hidden = backprop.backward(backprop.hidden_params(hidden_rng("backprop_hidden", 7)))
    save_answer(answers, "backprop_hidden", {k: hidden[k] for k in BACKPROP})
    for name, value in (overrides or {}).items():
        save_answer(answers, name, value)


def _by_name(result):
    return {t.name: t for t in result.tests}


def test_wrong_sign_dW2_loses_exactly_its_points(tmp_path):
    spec = get_lab(LAB)
    _write_backprop_answers(tmp_path / "good")
    dW2 = backprop.backward(backprop.COURSE_PARAMS)["dW2"]
    _write_backprop_answers(tmp_path / "bad", {"backprop_dW2": -dW2})
    good, bad = (
        _by_name(score_lab(spec, tmp_path / "good", seed=7)),
        _by_name(score_lab(spec, tmp_path / "bad", seed=7)),
    )
    for key in BACKPROP:
        assert good[f"test_backprop_{key}"].status == "passed", good[f"test_backprop_{key}"].output
    assert good["test_backprop_hidden"].status == "passed"
    changed = {
        name for name in good if (good[name].score, good[name].status) != (bad[name].score, bad[name].status)
    }
    assert changed == {"test_backprop_dW2"}
    lost = bad["test_backprop_dW2"]
    assert lost.score == 0 and good["test_backprop_dW2"].score == spec.question("backprop_dW2").points
    assert "dW2" in lost.output and "sign is flipped" in lost.output


def test_gradient_of_the_wrong_layer_is_named(tmp_path):
    spec = get_lab(LAB)
    reference = backprop.backward(backprop.COURSE_PARAMS)
    _write_backprop_answers(tmp_path, {"backprop_dW2": reference["dW1"], "backprop_db1": reference["dW2"]})
    tests = _by_name(score_lab(spec, tmp_path, seed=7))
    assert tests["test_backprop_dW2"].status == "failed"
    assert "looks like dW1" in tests["test_backprop_dW2"].output
    assert "looks like dW2" in tests["test_backprop_db1"].output  # (2, 1) given for (2,)
    assert tests["test_backprop_dW1"].status == "passed"


def test_backprop_other_diagnoses_and_float32_hint(tmp_path):
    spec = get_lab(LAB)
    reference = backprop.backward(backprop.COURSE_PARAMS)
    _write_backprop_answers(
        tmp_path,
        {
            "backprop_db2": 4 * reference["db2"],
            "backprop_dW1": reference["dW1"].T,
            "backprop_db1": reference["db1"].astype(np.float32) * (1 + 1e-6),
        },
    )
    tests = _by_name(score_lab(spec, tmp_path, seed=7))
    assert "sum over the 4 examples" in tests["test_backprop_db2"].output
    assert "transpose" in tests["test_backprop_dW1"].output
    assert "float64" in tests["test_backprop_db1"].output


def test_chain_rule_and_sigmoid_messages(tmp_path):
    spec = get_lab(LAB)
    save_answer(tmp_path, "chain_rule", {"grad_f": (-2.0, 5.0, 1.0), "grad_E": -65.0})
    save_answer(
        tmp_path,
        "sigmoid",
        {"sigmoid": _xor.sigmoid(_xor.SIGMOID_Z), "sigmoid_prime": _xor.sigmoid(_xor.SIGMOID_Z)},
    )
    ctx = GradeContext(tmp_path, seed=7, spec=spec)
    chain = spec.question("chain_rule").grade(ctx)
    assert not chain.passed and "swapped" in chain.message
    save_answer(tmp_path, "chain_rule", {"grad_f": (5.0, -2.0, 1.0), "grad_E": -65.0})
    chain = spec.question("chain_rule").grade(GradeContext(tmp_path, seed=7, spec=spec))
    assert not chain.passed and "factor 2" in chain.message
    sig = spec.question("sigmoid").grade(ctx)
    assert not sig.passed and "σ(z) itself" in sig.message


def test_keras_answers_architecture_and_state_messages(tmp_path):
    keras = pytest.importorskip("keras")
    spec = get_lab(LAB)
    keras.utils.set_random_seed(0)
    model = xor_deep_model(keras, "sigmoid")
    norms = _xor.kernel_grad_norms(model)

    def grade(name, value, **extra):
        save_answer(tmp_path, name, {"value": value, **extra})
        return spec.question(name).grade(GradeContext(tmp_path, seed=7, spec=spec))

    assert grade("grad_norms_init", norms, model=model).passed
    assert "reverse order" in grade("grad_norms_init", norms[::-1], model=model).message
    assert (
        "4 Dense layers"
        in grade("grad_norms_init", norms[:3], model=xor_deep_model(keras, "sigmoid", depth=2)).message
    )
    wrong_act = grade("grad_norms_init", norms, model=xor_deep_model(keras, "tanh")).message
    assert "activation 'sigmoid'" in wrong_act and "'tanh'" in wrong_act
    assert (
        "units [10, 10, 10, 1]"
        in grade("grad_norms_init", norms, model=xor_deep_model(keras, "sigmoid", units=8)).message
    )
    save_answer(tmp_path, "grad_norms_init", {"value": norms, "model": model})
    save_answer(tmp_path, "vanishing", norms[0] / norms[-1])
    assert (
        "upside down" in spec.question("vanishing").grade(GradeContext(tmp_path, seed=7, spec=spec)).message
    )
    # an untrained model offered as "trained", and a trained one offered as "at init"
    untrained = grade("deep_sigmoid_fails", np.full(_xor.EPOCHS, 0.69), model=model)
    assert not untrained.passed and "every bias is still 0" in untrained.message
    model.layers[0].bias.assign(np.full(10, 0.1, dtype="float32"))
    assert "at initialization" in grade("grad_norms_init", _xor.kernel_grad_norms(model), model=model).message
