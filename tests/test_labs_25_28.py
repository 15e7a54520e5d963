"""Labs 25–28 (optimizers, batch normalization, activations, outputs and losses): the graders'
verdicts on right and wrong answers, their messages, the reference math against Keras, and the
whole notebooks graded through the pipeline (reference → full marks, starter → 0)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from autograder.answers import save_answer
from autograder.labs import _advanced as adv
from autograder.labs import get_lab
from autograder.scoring import judge
from autograder.spec import GradeContext, hidden_rng

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
LAB25, LAB26, LAB27, LAB28 = (
    "lab25_optimizers",
    "lab26_batchnorm",
    "lab27_activations",
    "lab28_outputs_losses",
)
LABS = (LAB25, LAB26, LAB27, LAB28)
SEED = 11  # the hidden seed of these unit tests


def _grade(tmp_path, lab_id: str, question: str, **answers):
    """Save ``answers`` (name → value) and judge ``question`` as the grader would."""
    for name, value in answers.items():
        save_answer(tmp_path, name, value)
    return judge(get_lab(lab_id).question(question), GradeContext(tmp_path, seed=SEED))


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    return keras


# ---------------------------------------------------------------------------------------------
# Lab 25: optimizers
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sgd", "momentum", "adagrad", "adam"])
def test_reference_optimizers_match_keras(kind):
    w0, grads = adv.public_optimizer_case()
    for hyper in (adv.PUBLIC_HYPER[kind], adv.HIDDEN_HYPER[kind]):
        mine, theirs = adv.numpy_run(kind, w0, grads, **hyper), adv.keras_run(kind, w0, grads, **hyper)
        for key in theirs:
            start = {"w": w0, "G": hyper.get("initial_accumulator_value", 0.1)}.get(key, 0.0)
            assert adv.per_element_error(mine[key], theirs[key], start) < adv.OPT_RTOL / 10, (kind, key)


def test_every_optimizer_mistake_is_caught_and_named():
    w0, grads = adv.public_optimizer_case()
    for kind, variants in adv.OPTIMIZER_VARIANTS.items():
        hyper = adv.PUBLIC_HYPER[kind]
        assert adv.optimizer_verdict(adv.numpy_run(kind, w0, grads, **hyper), kind, w0, grads, hyper).passed
        for variant, text in variants.items():
            verdict = adv.optimizer_verdict(
                adv.numpy_run(kind, w0, grads, variant, **hyper), kind, w0, grads, hyper
            )
            assert not verdict.passed, (kind, variant)
            assert verdict.message.startswith("Expected") and "Received:" in verdict.message
            assert f"that looks like {text}" in verdict.message, (kind, variant, verdict.message)


def test_adam_epsilon_placement_only_shows_on_tiny_gradients(tmp_path):
    w0, grads = adv.public_optimizer_case()
    textbook = adv.numpy_run("adam", w0, grads, "textbook epsilon", **adv.PUBLIC_HYPER["adam"])
    right = adv.numpy_run("adam", w0, grads, **adv.PUBLIC_HYPER["adam"])
    rows = [adv.per_element_error(textbook["w"][:, r], right["w"][:, r], w0[r]) for r in range(3)]
    assert rows[0] < 1e-5 < adv.OPT_RTOL < rows[2]  # gradients ~1 agree; gradients ~1e-6 do not
    verdict = _grade(tmp_path, LAB25, "adam", adam=textbook)
    assert not verdict.passed and "entry [1, 0] after step 1" in verdict.message
    assert "Keras adds ε to √v" in verdict.message and "Hint:" in verdict.message


def test_optimizer_answers_right_missing_and_wrong_state(tmp_path):
    w0, grads = adv.public_optimizer_case()
    right = adv.numpy_run("momentum", w0, grads, **adv.PUBLIC_HYPER["momentum"])
    assert _grade(tmp_path / "a", LAB25, "momentum", momentum=right).passed
    missing = _grade(tmp_path / "b", LAB25, "momentum", momentum={"w": right["w"]})
    assert not missing.passed and "['w', 'V']" in missing.message
    nothing = _grade(tmp_path / "c", LAB25, "momentum")
    assert not nothing.passed and nothing.message.startswith("not attempted")
    short = _grade(tmp_path / "d", LAB25, "sgd", sgd={"w": right["w"][:3]})
    assert (
        not short.passed
        and "shape (8, 3, 4)" in short.message
        and "Received: shape (3, 3, 4)" in short.message
    )


def test_hidden_optimizers_use_other_hyperparameters(tmp_path):
    w0, grads = adv.hidden_optimizer_case(hidden_rng("optimizers_hidden", SEED))
    answer = {}
    for kind, hyper in adv.HIDDEN_HYPER.items():
        for key, value in adv.numpy_run(kind, w0, grads, **hyper).items():
            answer[f"{kind}_{key}"] = value
    assert _grade(tmp_path / "right", LAB25, "optimizers_hidden", optimizers_hidden=answer).passed
    stale = dict(answer)  # SGD run with the public learning rate instead of the one passed in
    stale["sgd_w"] = adv.numpy_run("sgd", w0, grads, **adv.PUBLIC_HYPER["sgd"])["w"]
    verdict = _grade(tmp_path / "stale", LAB25, "optimizers_hidden", optimizers_hidden=stale)
    assert not verdict.passed and "hidden case" in verdict.message


def test_surface_and_race(tmp_path):
    p = adv.SURFACE_POINTS
    assert _grade(
        tmp_path / "s", LAB25, "surface", surface={"f": adv.surface(p), "grad": adv.surface_grad(p)}
    ).passed
    wrong = _grade(tmp_path / "w", LAB25, "surface", surface={"f": adv.surface(p), "grad": p * [1 / 20, 1.0]})
    assert not wrong.passed and "the factor 2 of the squares is missing" in wrong.message
    start = np.array(adv.RACE_START)
    paths = {
        kind: np.concatenate(
            [
                start[None],
                adv.numpy_run(kind, start, grad_fn=adv.surface_grad, steps=adv.RACE_STEPS, **hyper)["w"],
            ]
        )
        for kind, hyper in adv.RACE_HYPER.items()
    }
    race = _grade(tmp_path / "r", LAB25, "race", race=paths)
    assert race.passed, race.message
    shifted = {**paths, "adam": paths["adam"][:, ::-1]}
    verdict = _grade(tmp_path / "x", LAB25, "race", race=shifted)
    assert not verdict.passed and "start at (-7.0, 2.0)" in verdict.message


def test_minibatch_architecture_message(tmp_path, keras):
    wrong = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="relu")])
    verdict = _grade(
        tmp_path,
        LAB25,
        "minibatch",
        minibatch={"mini_loss": [1.0] * 5, "full_loss": [2.0] * 5, "mini": wrong, "full": wrong},
    )
    assert not verdict.passed and "one Dense(10, softmax)" in verdict.message and "relu" in verdict.message


# ---------------------------------------------------------------------------------------------
# Lab 26: batch normalization
# ---------------------------------------------------------------------------------------------
TRAIN, MOVING = ("y", "mean", "var"), ("moving_mean", "moving_var", "inference")


def _pick(result: dict, keys) -> dict:
    return {k: result[k] for k in keys}


def test_reference_bn_matches_keras_on_both_cases():
    for case in (adv.bn_public_case(), adv.bn_hidden_case(hidden_rng("bn_hidden", SEED))):
        mine, theirs = adv.bn_numpy(case), adv.keras_bn(case)
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
    case = adv.bn_public_case()
    assert _grade(tmp_path / "ok", LAB26, question, **{question: _pick(adv.bn_numpy(case), keys)}).passed
    verdict = _grade(
        tmp_path / "bad", LAB26, question, **{question: _pick(adv.bn_numpy(case, **mistake), keys)}
    )
    assert not verdict.passed and phrase in verdict.message, verdict.message


def test_bn_other_messages(tmp_path):
    case = adv.bn_public_case()
    ref = adv.bn_numpy(case)
    no_affine = _grade(tmp_path / "a", LAB26, "bn_train", bn_train={**_pick(ref, TRAIN), "y": ref["x_hat"]})
    assert not no_affine.passed and "without γ and β" in no_affine.message
    batch_stats = {**_pick(ref, MOVING), "inference": ref["inference_batch_stats"]}
    verdict = _grade(tmp_path / "b", LAB26, "bn_moving", bn_moving=batch_stats)
    assert not verdict.passed and "must use the moving ones" in verdict.message
    hidden = adv.bn_hidden_case(hidden_rng("bn_hidden", SEED))
    assert _grade(tmp_path / "c", LAB26, "bn_hidden", bn_hidden=adv.bn_numpy(hidden)).passed
    default = adv.bn_numpy({**hidden, "momentum": adv.BN_MOMENTUM})  # ignored the momentum argument
    verdict = _grade(tmp_path / "d", LAB26, "bn_hidden", bn_hidden=default)
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
    assert adv.bn_architecture_verdict(_bn_net(keras)).passed
    late = adv.bn_architecture_verdict(_bn_net(keras, activation_first=True))
    assert not late.passed and "the activation comes *after* the normalization" in late.message
    model = _bn_net(keras)
    counts = adv.bn_param_counts(2, (10, 10, 10))
    assert counts == {"trainable": 291, "non_trainable": 60}
    assert model.count_params() == counts["trainable"] + counts["non_trainable"]
    untrained = _grade(tmp_path / "u", LAB26, "bn_xor", bn_xor={"loss": [0.7] * 20, "model": model})
    assert not untrained.passed and "never trained" in untrained.message
    right = _grade(tmp_path / "u", LAB26, "bn_params", bn_params=counts)
    assert right.passed, right.message
    half = _grade(tmp_path / "u", LAB26, "bn_params", bn_params={"trainable": 291, "non_trainable": 30})
    assert not half.passed and "moving mean *and* a moving variance" in half.message
    biased = adv.bn_param_counts(2, (10, 10, 10), use_bias=True)
    assert _grade(
        tmp_path / "v",
        LAB26,
        "bn_params",
        bn_params=biased,
        bn_xor={"loss": [0.7] * 20, "model": _bn_net(keras, bias=True)},
    ).passed


# ---------------------------------------------------------------------------------------------
# Lab 27: activations
# ---------------------------------------------------------------------------------------------
def _functions(z, **override):
    out = {}
    for name, (f, df) in adv.FUNCTIONS.items():
        out[name], out[name + "_prime"] = f(z), df(z)
    return {**out, **override}


def test_reference_derivatives_match_tensorflow():
    tf = pytest.importorskip("tensorflow")
    import keras

    z = tf.constant(np.concatenate([adv.ACT_Z[1:-1], [-0.0]]))
    ops = {
        "sigmoid": keras.activations.sigmoid,
        "tanh": keras.activations.tanh,
        "relu": keras.activations.relu,
        "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=adv.LEAKY_SLOPE),
        "elu": keras.activations.elu,
    }
    for name, op in ops.items():
        with tf.GradientTape() as tape:
            tape.watch(z)
            y = op(z)
        f, df = adv.FUNCTIONS[name]
        np.testing.assert_allclose(f(z.numpy()), y.numpy(), rtol=1e-6, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(
            df(z.numpy()), tape.gradient(y, z).numpy(), rtol=1e-6, atol=1e-12, err_msg=name
        )
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 12)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_max(tf.reshape(x, (4, 3, 4)), axis=1)
        total = tf.reduce_sum(y)
    np.testing.assert_allclose(adv.maxout(x.numpy(), 3), y.numpy())
    np.testing.assert_allclose(adv.maxout_grad(x.numpy(), 3), tape.gradient(total, x).numpy())


def test_activation_messages(tmp_path):
    z = adv.ACT_Z
    assert _grade(tmp_path / "ok", LAB27, "activations", activations=_functions(z)).passed
    cases = [
        (dict(leaky_relu=adv.leaky_relu(z, 0.2)), "Keras' default slope 0.2"),
        (dict(relu_prime=(z >= 0).astype(float)), "relu'(0) = 1"),
        (dict(tanh_prime=1 - np.tanh(z)), "the square is missing"),
        (dict(elu=adv.elu_prime(z), elu_prime=adv.elu(z)), "swapped"),
    ]
    for index, (override, phrase) in enumerate(cases):
        verdict = _grade(tmp_path / str(index), LAB27, "activations", activations=_functions(z, **override))
        assert not verdict.passed and phrase in verdict.message, (phrase, verdict.message)
    z = adv.MAXOUT_Z
    assert _grade(
        tmp_path / "m",
        LAB27,
        "maxout",
        maxout={"maxout": adv.maxout(z, 3), "maxout_grad": adv.maxout_grad(z, 3)},
    ).passed
    layout = z.reshape(3, 2, 3).max(axis=2)
    verdict = _grade(
        tmp_path / "n", LAB27, "maxout", maxout={"maxout": layout, "maxout_grad": adv.maxout_grad(z, 3)}
    )
    assert not verdict.passed and "`units` columns apart" in verdict.message


def test_hidden_activations(tmp_path):
    rng = hidden_rng("activations_hidden", SEED)
    z = adv.act_cases(rng)
    zm, pieces = adv.maxout_cases(rng)
    answer = {**_functions(z), "maxout": adv.maxout(zm, pieces), "maxout_grad": adv.maxout_grad(zm, pieces)}
    assert _grade(tmp_path, LAB27, "activations_hidden", activations_hidden=answer).passed


def _table_net(keras, activation, leaky_string=False):
    layers = [keras.Input(shape=(784,))]
    for units in adv.TABLE_HIDDEN:
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
    for activation in adv.TABLE_ACTIVATIONS:
        assert adv.table_architecture_verdict(_table_net(keras, activation), activation).passed, activation
    default_slope = adv.table_architecture_verdict(
        _table_net(keras, "leaky_relu", leaky_string=True), "leaky_relu"
    )
    assert not default_slope.passed and "LeakyReLU(negative_slope=0.1)" in default_slope.message
    swapped = adv.table_architecture_verdict(_table_net(keras, "relu"), "tanh")
    assert not swapped.passed and "all tanh" in swapped.message
    models = {a: _table_net(keras, a) for a in adv.TABLE_ACTIVATIONS}  # untrained: ~10 % each
    measured = [adv.mnist_accuracy(models[a]) for a in adv.TABLE_ACTIVATIONS]
    right = _grade(tmp_path / "a", LAB27, "table", table={"accuracy": measured, **models})
    assert right.passed, right.message
    off = _grade(tmp_path / "b", LAB27, "table", table={"accuracy": np.array(measured) + 0.01, **models})
    assert not off.passed and "Expected the 'sigmoid' row" in off.message
    percent = _grade(tmp_path / "c", LAB27, "table", table={"accuracy": np.array(measured) * 100, **models})
    assert not percent.passed and "percentages?" in percent.message
    best = int(np.argmax(measured))
    low = _grade(tmp_path / "a", LAB27, "best_model", best_model=best)
    assert not low.passed and f"≥ {adv.BEST_MIN_ACCURACY:.4g}" in low.message  # untrained: far below
    worst = int(np.argmin(measured))
    if measured[worst] < measured[best] - adv.TABLE_TOLERANCE:
        wrong = _grade(tmp_path / "a", LAB27, "best_model", best_model=worst)
        assert not wrong.passed and "Expected the best activation" in wrong.message


# ---------------------------------------------------------------------------------------------
# Lab 28: outputs and losses
# ---------------------------------------------------------------------------------------------
def _public_case():
    from autograder.labs.lab28_outputs_losses import public_loss_case

    return public_loss_case()


def test_reference_losses_match_keras(keras):
    for case in (_public_case(), adv.loss_cases(hidden_rng("losses_hidden", SEED))):
        ref = adv.losses_reference(case)
        y = adv.one_hot(case["labels"], case["logits"].shape[1])
        assert ref["mse"] == pytest.approx(
            float(keras.losses.MeanSquaredError()(case["y_true"], case["y_pred"])), rel=1e-6
        )
        keras_ce = keras.losses.CategoricalCrossentropy(from_logits=True)(y, case["logits"])
        assert ref["cross_entropy"] == pytest.approx(float(keras_ce), rel=1e-6)
        np.testing.assert_allclose(ref["softmax"].sum(axis=1), 1.0)


def test_loss_messages(tmp_path):
    case = _public_case()
    ref = adv.losses_reference(case)
    assert _grade(tmp_path / "ok", LAB28, "losses", losses=ref).passed
    cases = [
        (dict(mse=np.sum((case["y_true"] - case["y_pred"]) ** 2)), "the sum of squares, not the mean"),
        (dict(cross_entropy=len(case["logits"]) * ref["cross_entropy"]), "the sum over the examples"),
        (dict(grad=ref["grad"] * len(case["logits"])), "without the 1/N"),
        (dict(grad=-ref["grad"]), "the sign is flipped"),
    ]
    for index, (override, phrase) in enumerate(cases):
        verdict = _grade(tmp_path / str(index), LAB28, "losses", losses={**ref, **override})
        assert not verdict.passed and phrase in verdict.message, (phrase, verdict.message)
    hidden = adv.loss_cases(hidden_rng("losses_hidden", SEED))
    assert _grade(tmp_path / "h", LAB28, "losses_hidden", losses_hidden=adv.losses_reference(hidden)).passed


def test_param_counts(tmp_path):
    assert adv.count_params(adv.NOTES_LAYERS, biases=False) == 881
    assert adv.count_params(adv.NOTES_LAYERS) == 931
    from autograder.labs.lab28_outputs_losses import PUBLIC_LAYER_LISTS as lists

    weights = [adv.count_params(s, biases=False) for s in lists]
    full = [adv.count_params(s) for s in lists]
    assert _grade(
        tmp_path / "a", LAB28, "param_count", param_count={"weights": weights, "with_biases": full}
    ).passed
    inputs = [w + sum(s[:-1]) for w, s in zip(weights, lists)]
    verdict = _grade(
        tmp_path / "b", LAB28, "param_count", param_count={"weights": weights, "with_biases": inputs}
    )
    assert not verdict.passed and "one bias per *input* unit" in verdict.message
    swapped = _grade(tmp_path / "c", LAB28, "param_count", param_count={"weights": full, "with_biases": full})
    assert not swapped.passed and "the count with biases" in swapped.message
    hidden = adv.param_cases(hidden_rng("param_count_hidden", SEED))
    answer = {
        "weights": [adv.count_params(s, False) for s in hidden],
        "with_biases": [adv.count_params(s) for s in hidden],
    }
    assert _grade(tmp_path / "d", LAB28, "param_count_hidden", param_count_hidden=answer).passed


def test_output_layer_messages(tmp_path, keras):
    sigmoid_out = keras.Sequential(
        [
            keras.Input(shape=(1,)),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    verdict = _grade(tmp_path / "a", LAB28, "regression", regression={"model": sigmoid_out})
    assert not verdict.passed and "Dense(1, linear)" in verdict.message and "y > 1" in verdict.message
    untrained = keras.Sequential(
        [keras.Input(shape=(1,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
    )
    verdict = _grade(tmp_path / "b", LAB28, "regression", regression={"model": untrained})
    assert not verdict.passed and "test MSE" in verdict.message
    two = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, activation="softmax")])
    verdict = _grade(tmp_path / "c", LAB28, "classifier", classifier={"model": two})
    assert not verdict.passed and "output shape (3,)" in verdict.message


# ---------------------------------------------------------------------------------------------
# The four notebooks, through the grading pipeline (sandboxed where bubblewrap exists)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory, mnist_path):
    """References and starters of labs 25–28 graded as two submissions (two at a time), seed 0."""
    import shutil

    from autograder import pipeline, sandbox

    options = pipeline.Options(sandbox=sandbox.bwrap_path() is not None)
    base = tmp_path_factory.mktemp("labs25-28")
    folders = {}
    for kind, source in (("reference", "solutions"), ("starter", "labs")):
        folders[kind] = base / kind
        folders[kind].mkdir()
        for lab_id in LABS:
            shutil.copy(ROOT / source / lab_id / f"{lab_id}.ipynb", folders[kind] / f"{lab_id}.ipynb")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(folders, pool.map(lambda k: pipeline.grade_path(folders[k], options), folders)))
    return {kind: {lab.lab: lab for lab in result.labs} for kind, result in results.items()}


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LABS)
def test_reference_notebook_gets_full_marks(graded, lab_id):
    spec = get_lab(lab_id)
    result = graded["reference"][lab_id]
    assert result.score == result.max_score == spec.max_score, [(t.name, t.output) for t in result.tests]
    assert all(t.status == "passed" for t in result.tests) and not result.errors, result.errors
    if lab_id in (LAB25, LAB27, LAB28):
        assert result.accuracy is not None


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LABS)
def test_starter_notebook_scores_zero(graded, lab_id):
    spec = get_lab(lab_id)
    result = graded["starter"][lab_id]
    assert result.score == 0 and len(result.tests) == len(spec.questions)
    for test in result.tests:
        assert test.status == "failed" and test.output.startswith("not attempted"), (test.name, test.output)
