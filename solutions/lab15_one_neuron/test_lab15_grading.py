"""Lab 15's grader: its reference math (the neuron's gradient, the nudge, gradient descent and its
convergence rule) and its verdicts and messages on right and wrong answers."""

from __future__ import annotations

import numpy as np
from lab_helpers import expect_fail, grader

from autograder.labs import lab15_one_neuron as G
from autograder.spec import hidden_rng

LAB = "lab15_one_neuron"
SEED = 5  # the hidden seed of these unit tests
_grade = grader(LAB, SEED)


# ---------------------------------------------------------------------------------------------
# Reference math
# ---------------------------------------------------------------------------------------------
def test_neuron_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    w, x, y = rng.uniform(-5, 5, size=(3, 50))
    h = 1e-6
    numeric = (G.error(w + h, x, y) - G.error(w - h, x, y)) / (2 * h)
    np.testing.assert_allclose(G.grad_error(w, x, y), numeric, rtol=1e-6, atol=1e-6)
    assert G.error(*G.NEURON) == 169 and G.grad_error(*G.NEURON) == -130


def test_nudge_is_off_by_exactly_x_squared_h():
    w, x, y = G.NUDGE_POINTS.T
    gap = G.nudge_estimate(w, x, y) - G.grad_error(w, x, y)
    np.testing.assert_allclose(gap, x * x * G.NUDGE, rtol=1e-3)


def test_convergence_rule_matches_simulation():
    x, y = G.NEURON[1], G.NEURON[2]
    for lr in np.linspace(0.001, 0.07, 60):
        if abs(abs(1 - 2 * lr * x * x) - 1) < 0.02:
            continue  # on the edge the simulation needs more steps than it is worth
        ws = G.gd_trajectory(-2.0, x, y, lr, 300)
        assert bool(G.converges([lr], x)[0]) == bool(G.error(ws[-1], x, y) < G.error(ws[0], x, y)), lr
    assert G.converges(G.LR_VALUES, x).tolist() == [1, 1, 1, 0, 0]
    traj = G.gd_trajectory(G.GD_START, x, y, G.GD_LR, G.GD_STEPS)
    assert abs(traj[-1] - y / x) < 1e-8  # the public trajectory converges to w* = y/x


def test_hidden_cases_are_well_posed():
    for seed in range(20):
        w0, x, y, lr, steps = G.gd_case(hidden_rng("gd_hidden", seed))
        assert abs(1 - 2 * lr * x * x) <= 0.8 + 1e-12
        w0, x, y, lrs = G.lr_case(hidden_rng("learning_rates_hidden", seed))
        assert sorted(G.converges(lrs, x).tolist()) == [0] * 4 + [1] * 4
        ws = [G.gd_trajectory(w0, x, y, lr, 100) for lr in lrs]  # what a student's experiment sees
        by_experiment = [int(G.error(t[-1], x, y) < G.error(t[0], x, y)) for t in ws]
        assert by_experiment == G.converges(lrs, x).tolist()


# ---------------------------------------------------------------------------------------------
# Verdicts and messages
# ---------------------------------------------------------------------------------------------
def test_lab15_right_answers_pass(tmp_path):
    w, x, y = G.GRAD_POINTS.T
    assert _grade(
        tmp_path, "gradient", gradient={"error": G.error(w, x, y), "grad": G.grad_error(w, x, y)}
    ).passed
    hw, hx, hy = G.gradient_cases(hidden_rng("gradient_hidden", SEED)).T
    assert _grade(tmp_path, "gradient_hidden", gradient_hidden=G.grad_error(hw, hx, hy)).passed
    nw, nx, ny = G.NUDGE_POINTS.T
    assert _grade(tmp_path, "nudge", nudge=G.nudge_estimate(nw, nx, ny)).passed
    tw, tx, ty = G.TAPE_POINTS.T
    assert _grade(tmp_path, "tape", tape=G.grad_error(tw, tx, ty).astype(np.float32)).passed
    traj = G.gd_trajectory(G.GD_START, G.NEURON[1], G.NEURON[2], G.GD_LR, G.GD_STEPS)
    assert _grade(tmp_path, "gd_trajectory", gd_trajectory=traj).passed
    w0, hx, hy, lr, steps = G.gd_case(hidden_rng("gd_hidden", SEED))
    assert _grade(tmp_path, "gd_hidden", gd_hidden=G.gd_trajectory(w0, hx, hy, lr, steps)).passed
    assert _grade(tmp_path, "learning_rates", learning_rates=[1, 1, 1, 0, 0]).passed
    w0, hx, hy, lrs = G.lr_case(hidden_rng("learning_rates_hidden", SEED))
    assert _grade(tmp_path, "learning_rates_hidden", learning_rates_hidden=G.converges(lrs, hx)).passed


def test_lab15_wrong_gradients_are_named(tmp_path):
    w, x, y = G.GRAD_POINTS.T
    right = {"error": G.error(w, x, y)}
    cases = {
        "the sign is flipped": -G.grad_error(w, x, y),
        "the factor 2 from the square is missing": (w * x - y) * x,
        "the inner derivative": 2 * (w * x - y),
        "multiplied by w instead of x": 2 * (w * x - y) * w,
    }
    for text, grad in cases.items():
        expect_fail(_grade(tmp_path, "gradient", gradient={**right, "grad": grad}), text)
    expect_fail(_grade(tmp_path, "gradient", gradient={**right, "grad": [-130.0]}), "shape (4,)")


def test_lab15_nudge_must_be_a_nudge(tmp_path):
    w, x, y = G.NUDGE_POINTS.T
    expect_fail(_grade(tmp_path, "nudge", nudge=G.grad_error(w, x, y)), "exactly the analytic gradient")
    diffs = G.error(w + G.NUDGE, x, y) - G.error(w, x, y)
    expect_fail(_grade(tmp_path, "nudge", nudge=diffs), "not yet divided by h")
    expect_fail(_grade(tmp_path, "nudge", nudge=-G.nudge_estimate(w, x, y)), "the sign is flipped")


def test_lab15_trajectory_mistakes(tmp_path):
    x, y = G.NEURON[1], G.NEURON[2]
    traj = G.gd_trajectory(G.GD_START, x, y, G.GD_LR, G.GD_STEPS)
    expect_fail(_grade(tmp_path, "gd_trajectory", gd_trajectory=traj[1:]), "the start is missing")
    expect_fail(_grade(tmp_path, "gd_trajectory", gd_trajectory=traj[:-1]), "last step's w is missing")
    ascent = G.gd_trajectory(G.GD_START, x, y, -G.GD_LR, G.GD_STEPS)
    expect_fail(_grade(tmp_path, "gd_trajectory", gd_trajectory=ascent), "gradient *ascent*")
    expect_fail(_grade(tmp_path, "learning_rates", learning_rates=[0, 0, 0, 1, 1]), "swapped")
    expect_fail(_grade(tmp_path, "learning_rates", learning_rates=[1, 0, 1, 0, 0]), "λ = 0.02")
