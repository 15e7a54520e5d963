"""Reference math shared by labs 15–17: one neuron, the chain rule, logistic regression and XOR.

Everything the grader compares against is recomputed here, in a fresh process, in float64, from
the course's numbers, from hidden-seed inputs, or from the weights a notebook saved:

* lab 15 — the squared error E = (w·x − y)² of one neuron, its gradient 2(w·x − y)·x, the
  forward "nudge" estimate (E(w + h) − E(w)) / h, gradient descent (경사 하강법) trajectories and
  the convergence rule |1 − 2λx²| < 1;
* lab 16 — a computation graph (계산 그래프) of elementary nodes: the forward value of every node,
  central finite differences (수치 미분) of the output with respect to any node, and each node's
  *local* gradient, so a wrong node costs only its own question;
* lab 17 — logistic regression (로지스틱 회귀): stable sigmoid and cross-entropy cost, its
  gradient, gradient descent on AND/OR, accuracy of a line on XOR, and a 2-2-1 network.

TensorFlow/Keras are imported lazily, so listing the labs does not import them.
"""

from __future__ import annotations

import numpy as np

from autograder import compare
from autograder.spec import Verdict, fail, ok


def as_array(value) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


# =============================================================================================
# Lab 15 — one neuron and its gradient
# =============================================================================================
NEURON = (-2.0, 5.0, 3.0)  # (w, x, y) of the notes: E = (−2·5 − 3)² = 169, ∂E/∂w = −130
NUDGE = 1e-5  # "add 0.00001 to w and watch E change"
# Public points of the gradient / nudge / tape checks: rows (w, x, y)
GRAD_POINTS = np.array([NEURON, (1.0, 2.0, 0.5), (0.3, -4.0, 1.0), (0.6, 5.0, 3.0)])
NUDGE_POINTS = np.array([NEURON, (1.0, 2.0, 0.5), (0.3, -4.0, 1.0)])
TAPE_POINTS = np.array([NEURON, (1.0, 2.0, 0.5), (0.3, -4.0, 1.0), (2.5, -0.5, -1.5)])

# Gradient descent w ← w − λ·∂E/∂w from the notes' start. With one example the error after a step
# is multiplied by ρ = 1 − 2λx², so GD converges exactly when |ρ| < 1, i.e. 0 < λ < 1/x² = 0.04.
GD_START, GD_LR, GD_STEPS = -2.0, 0.01, 30  # ρ = 0.5: the error halves every step
LR_VALUES = np.array([0.005, 0.02, 0.035, 0.045, 0.06])  # ρ = 0.75, 0, −0.75, −1.25, −2
GD_RTOL = 1e-9


def error(w, x, y):
    """E = (w·x − y)² (element-wise)."""
    w, x, y = (np.asarray(v, dtype=float) for v in (w, x, y))
    return (w * x - y) ** 2


def grad_error(w, x, y):
    """∂E/∂w = 2(w·x − y)·x (element-wise)."""
    w, x, y = (np.asarray(v, dtype=float) for v in (w, x, y))
    return 2.0 * (w * x - y) * x


def nudge_estimate(w, x, y, h: float = NUDGE):
    """The notes' forward difference (E(w + h) − E(w)) / h = ∂E/∂w + x²·h exactly (E is quadratic)."""
    return (error(np.asarray(w, float) + h, x, y) - error(w, x, y)) / h


def gd_trajectory(w0: float, x: float, y: float, lr: float, steps: int) -> np.ndarray:
    """[w₀, w₁, …, w_steps] of w ← w − λ·∂E/∂w."""
    ws = [float(w0)]
    for _ in range(int(steps)):
        ws.append(ws[-1] - lr * float(grad_error(ws[-1], x, y)))
    return np.array(ws)


def converges(lrs, x: float) -> np.ndarray:
    """1 where GD on E = (w·x − y)² converges for learning rate λ (|1 − 2λx²| < 1), else 0."""
    rho = 1.0 - 2.0 * np.asarray(lrs, dtype=float) * float(x) ** 2
    return (np.abs(rho) < 1.0).astype(int)


def gradient_cases(rng: np.random.Generator) -> np.ndarray:
    """Rows (w, x, y) of the hidden gradient check."""
    return rng.uniform(-5.0, 5.0, size=(8, 3))


def gd_case(rng: np.random.Generator) -> tuple[float, float, float, float, int]:
    """(w0, x, y, λ, steps) of the hidden GD check: a convergent λ (|ρ| ≤ 0.8)."""
    x = float(rng.uniform(1.0, 4.0) * rng.choice([-1.0, 1.0]))
    w0, y = (float(v) for v in rng.uniform(-3.0, 3.0, size=2))
    rho = float(rng.uniform(-0.8, 0.8))
    return w0, x, y, (1.0 - rho) / (2.0 * x * x), 20


def lr_case(rng: np.random.Generator) -> tuple[float, float, float, np.ndarray]:
    """(w0, x, y, λ values) of the hidden classification: 4 convergent and 4 divergent λ, shuffled.

    ρ = 1 − 2λx² is kept away from ±1 (|ρ| ≤ 0.9 or ρ ≤ −1.1), so 100 steps tell them apart.
    """
    x = float(rng.uniform(1.0, 4.0))
    y = float(rng.uniform(-3.0, 3.0))
    w0 = y / x + float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0))
    rho = np.concatenate([rng.uniform(-0.9, 0.9, size=4), rng.uniform(-1.8, -1.1, size=4)])
    return w0, x, y, rng.permutation((1.0 - rho) / (2.0 * x * x))


def gradient_verdict(received, points: np.ndarray, where: str = "") -> Verdict:
    w, x, y = points.T
    return compare.close(
        received,
        grad_error(w, x, y),
        f"∂E/∂w{where}",
        rtol=1e-9,
        atol=1e-12,
        others={
            "(w·x − y)·x: the factor 2 from the square is missing": (w * x - y) * x,
            "2(w·x − y): the inner derivative ∂(w·x − y)/∂w = x is missing": 2 * (w * x - y),
            "E itself, not its derivative": error(w, x, y),
            "2(w·x − y)·w: multiplied by w instead of x": 2 * (w * x - y) * w,
        },
        hint="E = u² with u = w·x − y, so ∂E/∂w = 2u · ∂u/∂w = 2(w·x − y)·x.",
    )


def nudge_verdict(received, points: np.ndarray = NUDGE_POINTS, h: float = NUDGE) -> Verdict:
    """The estimate must be within ~x²·h of the analytic gradient — and *not* be the analytic one.

    (E(w + h) − E(w)) / h − ∂E/∂w = x²·h exactly for this quadratic E; float64 rounding adds about
    1e-16·E/h ≤ 1e-8. A central difference or the formula itself is exact: that is not the nudge.
    """
    w, x, y = points.T
    analytic = grad_error(w, x, y)
    rec = as_array(received)
    what = f"the nudge estimate (E(w + {h:g}) − E(w)) / {h:g}"
    if rec is None or rec.shape != analytic.shape:
        return compare.close(received, analytic, what)
    if not np.all(np.isfinite(rec)):
        return fail(f"Expected finite {what}. Received: {compare._fmt(rec)}")
    bound = 2.0 * x * x * h + 1e-6 * np.maximum(1.0, np.abs(analytic))
    if np.all(np.abs(rec - analytic) <= bound):
        gap = rec - analytic
        if np.all(np.abs(gap) < 0.01 * x * x * h):
            return fail(
                f"Expected {what}, which differs from the exact gradient by about x²·h "
                f"({compare._fmt(x * x * h)}). Received: exactly the analytic gradient "
                f"{compare._fmt(rec)}. Hint: nudge w *forward* as the notes do — evaluate E at w + h and "
                "at w, subtract, divide by h — instead of using the formula or a central difference."
            )
        return ok(
            f"nudge estimates {compare._fmt(rec)} within x²·h of the exact gradient "
            f"(largest gap {np.max(np.abs(gap)):.2g})"
        )
    diffs = error(w + h, x, y) - error(w, x, y)
    return compare.close(
        rec,
        analytic,
        what,
        rtol=0.0,
        atol=float(np.max(bound)),
        others={
            "E(w + h) − E(w): the change of E, not yet divided by h": diffs,
            "(E(w) − E(w + h)) / h: the subtraction is the wrong way round": -nudge_estimate(w, x, y, h),
            "E(w + h) / h": error(w + h, x, y) / h,
        },
        hint="the slope is (change of E) / (change of w) = (E(w + h) − E(w)) / h.",
    )


def trajectory_verdict(received, w0, x, y, lr, steps, where: str = "") -> Verdict:
    expected = gd_trajectory(w0, x, y, lr, steps)
    rec = as_array(received)
    what = f"the GD trajectory [w₀, …, w_{steps}]{where}"
    if rec is not None and rec.ndim == 1 and rec.shape != expected.shape:
        if rec.size == steps and np.allclose(rec, expected[1:], rtol=GD_RTOL, atol=1e-12):
            return fail(
                f"Expected {what}: {steps + 1} values, the start w₀ first. Received: {rec.size} values — "
                "the start is missing. Hint: begin the list with w0, then append w after each step."
            )
        if rec.size == steps and np.allclose(rec, expected[:-1], rtol=GD_RTOL, atol=1e-12):
            return fail(
                f"Expected {what}: {steps + 1} values. Received: {rec.size} values — the last step's w "
                "is missing. Hint: record w after every one of the `steps` updates."
            )
    return compare.close(
        received,
        expected,
        what,
        rtol=GD_RTOL,
        atol=1e-12,
        others={
            "gradient *ascent* (w + λ·∂E/∂w): use w − λ·∂E/∂w": gd_trajectory(w0, x, y, -lr, steps),
            "GD without the factor 2 in ∂E/∂w": gd_trajectory(w0, x, y, lr / 2, steps),
        },
        hint="w ← w − λ·∂E/∂w with ∂E/∂w = 2(w·x − y)·x, starting from w0.",
    )


def classification_verdict(received, lrs, x: float, where: str = "") -> Verdict:
    expected = converges(lrs, x)
    rec = as_array(received)
    what = f"converged (1) / diverged (0) for λ = {', '.join(f'{v:.4g}' for v in lrs)}{where}"
    if rec is None or rec.shape != expected.shape:
        return compare.close(received, expected, what)
    if np.array_equal(rec, expected):
        return ok(f"{what}: {expected.tolist()}")
    if np.array_equal(rec, 1 - expected):
        return fail(f"Expected {what}: {expected.tolist()}. Received: {rec.tolist()} — 0 and 1 are swapped.")
    wrong = [f"λ = {lr:.4g}" for lr, r, e in zip(lrs, rec, expected) if r != e]
    return fail(
        f"Expected {what}: {expected.tolist()}. Received: {rec.astype(int).tolist()} (wrong for "
        f"{', '.join(wrong)}). Hint: after each step the distance to the minimum w* = y/x is multiplied "
        "by 1 − 2λx²; run enough steps and compare the error at the end with the error at the start."
    )


# =============================================================================================
# Lab 16 — computation graphs and the chain rule
# =============================================================================================
LINEAR_POINT = (-2.0, 5.0, 3.0)  # (w, x, b): f = w·x + b = −7; ∂f/∂w = 5, ∂f/∂x = −2, ∂f/∂b = 1
SIGMOID_W = (2.0, -3.0, -3.0)  # (w0, w1, w2)
SIGMOID_X = (-1.0, -2.0)  # (x0, x1): f = σ(w0·x0 + w1·x1 + w2) = σ(1) ≈ 0.731
INPUTS = ("w0", "x0", "w1", "x1", "w2")
FD_STEP = 1e-6
GRAPH_RTOL = 1e-6  # central differences in float64 are accurate to ~1e-9 here

# The graph of f = σ(w0·x0 + w1·x1 + w2), one elementary operation per node, in forward order:
# (node, operation, inputs). Every node feeds exactly one other node, so no gradients add up.
GRAPH = (
    ("p0", "mul", ("w0", "x0")),
    ("p1", "mul", ("w1", "x1")),
    ("s", "add", ("p0", "p1")),
    ("z", "add", ("s", "w2")),
    ("n", "neg", ("z",)),
    ("e", "exp", ("n",)),
    ("d", "plus1", ("e",)),
    ("f", "recip", ("d",)),
)
NODES = tuple(node for node, _, _ in GRAPH)
OPS = {
    "mul": lambda a, b: a * b,
    "add": lambda a, b: a + b,
    "neg": lambda a: -a,
    "exp": np.exp,
    "plus1": lambda a: a + 1.0,
    "recip": lambda a: 1.0 / a,
}
OP_TEXT = {  # how each node computes its value, and its local derivative, in words
    "p0": ("p0 = w0·x0 (multiply)", "∂p0/∂w0 = x0 and ∂p0/∂x0 = w0 — each input gets the *other* one"),
    "p1": ("p1 = w1·x1 (multiply)", "∂p1/∂w1 = x1 and ∂p1/∂x1 = w1 — each input gets the *other* one"),
    "s": ("s = p0 + p1 (add)", "∂s/∂p0 = ∂s/∂p1 = 1 — an add node passes the gradient through"),
    "z": ("z = s + w2 (add)", "∂z/∂s = ∂z/∂w2 = 1 — an add node passes the gradient through"),
    "n": ("n = −z (negate)", "∂n/∂z = −1"),
    "e": ("e = exp(n)", "∂e/∂n = exp(n) = e"),
    "d": ("d = e + 1 (+1)", "∂d/∂e = 1"),
    "f": ("f = 1/d (reciprocal)", "∂f/∂d = −1/d²"),
}
# Which question grades the local gradient of which nodes (one question per kind of node)
GATE_QUESTIONS = {
    "grad_recip": ("f",),
    "grad_plus1": ("d",),
    "grad_exp": ("e",),
    "grad_neg": ("n",),
    "grad_add": ("z", "s"),
    "grad_mul": ("p0", "p1"),
}


def inputs_dict(w, x) -> dict[str, float]:
    return {"w0": float(w[0]), "w1": float(w[1]), "w2": float(w[2]), "x0": float(x[0]), "x1": float(x[1])}


def graph_forward(inputs: dict, override: dict | None = None) -> dict[str, float]:
    """Every node's value; ``override`` replaces a node's value (to differentiate through it)."""
    values = {**inputs, **(override or {})}
    for node, op, args in GRAPH:
        if override and node in override:
            continue
        values[node] = float(OPS[op](*(values[a] for a in args)))
    return values


def graph_numeric_grads(inputs: dict, h: float = FD_STEP) -> dict[str, float]:
    """∂f/∂(every node and input) by central differences: nudge the node, re-run the graph above it."""
    values = graph_forward(inputs)
    grads = {}
    for node in (*INPUTS, *NODES):
        if node in INPUTS:
            up = graph_forward({**inputs, node: inputs[node] + h})["f"]
            down = graph_forward({**inputs, node: inputs[node] - h})["f"]
        else:
            up = graph_forward(inputs, {node: values[node] + h})["f"]
            down = graph_forward(inputs, {node: values[node] - h})["f"]
        grads[node] = (up - down) / (2 * h)
    return grads


def graph_backward(inputs: dict) -> dict[str, float]:
    """Reference backward pass, node by node: ∂f/∂input = ∂f/∂node · local derivative."""
    v = graph_forward(inputs)
    g = {"f": 1.0}
    g["d"] = g["f"] * (-1.0 / v["d"] ** 2)
    g["e"] = g["d"] * 1.0
    g["n"] = g["e"] * np.exp(v["n"])
    g["z"] = g["n"] * -1.0
    g["s"] = g["w2"] = g["z"]
    g["p0"] = g["p1"] = g["s"]
    g["w0"], g["x0"] = g["p0"] * v["x0"], g["p0"] * v["w0"]
    g["w1"], g["x1"] = g["p1"] * v["x1"], g["p1"] * v["w1"]
    return {k: float(val) for k, val in g.items()}


def local_derivative(node: str, arg: int, values: dict, h: float = FD_STEP) -> float:
    """∂node/∂(its arg-th input) at ``values``, by a central difference of that one operation."""
    _, op, args = next(item for item in GRAPH if item[0] == node)
    point = [values[a] for a in args]
    step = h * max(1.0, abs(point[arg]))
    up, down = list(point), list(point)
    up[arg] += step
    down[arg] -= step
    return float((OPS[op](*up) - OPS[op](*down)) / (2 * step))


def sigmoid_cases(rng: np.random.Generator) -> np.ndarray:
    """Rows (w0, w1, w2, x0, x1) of the hidden graph check."""
    return rng.uniform(-3.0, 3.0, size=(5, 5))


def linear_cases(rng: np.random.Generator) -> np.ndarray:
    """Rows (w, x, b) of the hidden f = w·x + b check."""
    return rng.uniform(-5.0, 5.0, size=(6, 3))


def linear_verdict(forward, grads, points: np.ndarray, where: str = "") -> Verdict:
    """``forward``: (q, f) per point; ``grads``: (∂f/∂w, ∂f/∂x, ∂f/∂b) per point, vs central differences."""
    w, x, b = points.T
    single = (lambda a: a[0]) if len(points) == 1 else (lambda a: a)

    def f(w_, x_, b_):  # the function being differentiated
        return w_ * x_ + b_

    h = FD_STEP
    numeric = np.stack(
        [
            (f(w + h, x, b) - f(w - h, x, b)) / (2 * h),
            (f(w, x + h, b) - f(w, x - h, b)) / (2 * h),
            (f(w, x, b + h) - f(w, x, b - h)) / (2 * h),
        ],
        axis=1,
    )
    verdict_fwd = compare.close(
        forward,
        single(np.stack([w * x, w * x + b], axis=1)),
        f"the forward values (q, f) = (w·x, q + b){where}",
        rtol=1e-9,
        atol=1e-12,
        others={"(f, q): the two values swapped": single(np.stack([w * x + b, w * x], axis=1))},
    )
    verdict_bwd = compare.close(
        grads,
        single(numeric),
        f"the gradients (∂f/∂w, ∂f/∂x, ∂f/∂b){where} (grader: central differences)",
        rtol=GRAPH_RTOL,
        atol=1e-9,
        others={
            "(∂f/∂x, ∂f/∂w, ∂f/∂b): ∂f/∂w and ∂f/∂x are swapped": single(numeric[:, [1, 0, 2]]),
            "(w, x, b): the inputs, not the derivatives": single(np.stack([w, x, b], axis=1)),
        },
        hint="the multiply node q = w·x sends ∂f/∂q · x to w and ∂f/∂q · w to x; the add node f = q + b "
        "passes ∂f/∂f = 1 unchanged to q and to b.",
    )
    return compare.all_of(verdict_fwd, verdict_bwd)


def _scalar(data: dict, key: str, what: str, index: int | None = None):
    """data[key] as a float (or its index-th entry), or a Verdict explaining why it is unusable."""
    if key not in data:
        present = sorted(k for k in data if not k.startswith("__"))
        return fail(f"Expected a value for node `{key}` in {what}. Received: keys {present}")
    arr = as_array(data[key])
    if arr is None:
        return fail(f"Expected a number for node `{key}` in {what}. Received: {type(data[key]).__name__}")
    arr = arr.reshape(-1)
    want = 1 if index is None else None
    if (want and arr.size != 1) or (index is not None and arr.size <= index):
        return fail(f"Expected one number for node `{key}` in {what}. Received: shape {arr.shape}")
    value = float(arr[0 if index is None else index])
    if not np.isfinite(value):
        return fail(f"Expected a finite value for node `{key}` in {what}. Received: {value}")
    return value


def forward_verdict(data: dict, inputs: dict, where: str = "", index: int | None = None) -> Verdict:
    """Every node's value vs the grader's forward pass; names the first wrong node."""
    reference = graph_forward(inputs)
    for node in NODES:
        got = _scalar(data, node, f"the forward values{where}", index)
        if isinstance(got, Verdict):
            return got
        exp = reference[node]
        if not np.isclose(got, exp, rtol=1e-9, atol=1e-12):
            text, _ = OP_TEXT[node]
            args = next(a for n, _, a in GRAPH if n == node)
            shown = ", ".join(f"{a} = {reference[a]:.6g}" for a in args)
            return fail(
                f"Expected node `{node}` ({text}) = {exp:.6g} at {shown}{where}. Received: {got:.6g}."
                + (" The nodes before it are right, so the mistake is in this node." if node != "p0" else "")
            )
    return ok(f"all {len(NODES)} forward values correct{where} (f = {reference['f']:.6g})")


def gate_verdict(data: dict, node: str, inputs: dict, where: str = "", index: int | None = None) -> Verdict:
    """The local rule at ``node``: ∂f/∂(each input) = (the student's ∂f/∂node) × local derivative.

    The upstream gradient is the student's *own* ∂f/∂node, so a mistake further up the graph does not
    count again here: each node's question grades only that node's local gradient.
    """
    values = graph_forward(inputs)
    what = f"the gradients{where}"
    upstream = _scalar(data, node, what, index)
    if isinstance(upstream, Verdict):
        return upstream
    text, rule = OP_TEXT[node]
    args = next(a for n, _, a in GRAPH if n == node)
    for i, arg in enumerate(args):
        got = _scalar(data, arg, what, index)
        if isinstance(got, Verdict):
            return got
        local = local_derivative(node, i, values)
        expected = upstream * local
        tol = GRAPH_RTOL * max(abs(expected), abs(upstream) * 1e-3, 1e-12)
        if abs(got - expected) > tol:
            diagnosis = ""
            if abs(got + expected) <= tol and expected != 0:
                diagnosis = " — the sign is flipped"
            elif np.isclose(got, upstream, rtol=1e-6) and not np.isclose(local, 1.0):
                diagnosis = " — that is ∂f/∂" + node + " passed through without the local derivative"
            elif np.isclose(got, local, rtol=1e-6) and not np.isclose(upstream, 1.0):
                diagnosis = (
                    " — that is the local derivative alone, not multiplied by the upstream ∂f/∂" + node
                )
            return fail(
                f"Expected ∂f/∂{arg} = ∂f/∂{node} · ∂{node}/∂{arg} = {upstream:.6g} × {local:.6g} = "
                f"{expected:.6g} at node `{node}` ({text}){where}. Received: {got:.6g}{diagnosis}. "
                f"Hint: {rule}."
            )
    return ok(f"node `{node}` ({text}): local gradient correct{where}")


def backward_verdict(data: dict, inputs: dict, nodes, where: str = "", index: int | None = None) -> Verdict:
    verdicts = []
    for node in nodes:
        if node == "f":
            top = _scalar(data, "f", f"the gradients{where}", index)
            if isinstance(top, Verdict):
                return top
            if top != 1.0:
                return fail(
                    f"Expected ∂f/∂f = 1 (the backward pass starts with the gradient 1 at the output)"
                    f"{where}. Received: {top:.6g}"
                )
        verdict = gate_verdict(data, node, inputs, where, index)
        if not verdict.passed:
            return verdict
        verdicts.append(verdict)
    return compare.all_of(*verdicts)


# =============================================================================================
# Lab 17 — logistic regression, AND / OR / XOR
# =============================================================================================
GATE_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_AND = np.array([0.0, 0.0, 0.0, 1.0])
Y_OR = np.array([0.0, 1.0, 1.0, 1.0])
Y_XOR = np.array([0.0, 1.0, 1.0, 0.0])
TARGETS = {"AND": Y_AND, "OR": Y_OR, "XOR": Y_XOR}

LOGISTIC_LR, LOGISTIC_STEPS = 1.0, 1000  # plain GD from w = 0, b = 0: cost < 0.02 on AND and OR
TRAINED_MAX_COST = 0.1  # untrained (w = 0, b = 0) is ln 2 ≈ 0.693
LOGISTIC_RTOL = 1e-7

# Public cases (w, b) on AND: ordinary, confidently right (naive cost: 0·log 0 = nan) and
# confidently wrong (naive cost: log(1 − 1) = −inf, so cost = inf; the true cost is 600)
COST_CASES = (
    (np.array([1.5, -2.0]), 0.5),
    (np.array([800.0, 800.0]), -1200.0),
    (np.array([-800.0, -800.0]), 1200.0),
)
HYPOTHESIS_W, HYPOTHESIS_B = np.array([1.5, -2.0]), 0.5
HYPOTHESIS_Z = np.array([-1000.0, -40.0, -2.0, 0.0, 2.0, 40.0, 1000.0])

# The notes' 2-2-1 network for XOR (Keras layout: z1 = X @ W1 + b1), sigmoid everywhere
NOTES_PARAMS = {
    "W1": np.array([[5.0, -7.0], [5.0, -7.0]]),
    "b1": np.array([-8.0, 3.0]),
    "W2": np.array([[-11.0], [-11.0]]),
    "b2": np.array([6.0]),
}


def sigmoid(z):
    """σ(z) without overflow: e^(−|z|) ≤ 1."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def hypothesis(X, w, b):
    return sigmoid(np.asarray(X, float) @ np.asarray(w, float) + float(b))


def cost(X, y, w, b) -> float:
    """Mean of −y·log h − (1 − y)·log(1 − h) = log(1 + e^z) − y·z, exactly, for h = σ(z)."""
    z = np.asarray(X, float) @ np.asarray(w, float) + float(b)
    return float(np.mean(np.logaddexp(0.0, z) - np.asarray(y, float) * z))


def cost_gradient(X, y, w, b) -> tuple[np.ndarray, float]:
    """(∂cost/∂w, ∂cost/∂b) = (Xᵀ(h − y) / N, mean(h − y))."""
    X = np.asarray(X, float)
    r = hypothesis(X, w, b) - np.asarray(y, float)
    return X.T @ r / len(X), float(np.mean(r))


def numeric_cost_gradient(X, y, w, b, h: float = 1e-6) -> tuple[np.ndarray, float]:
    """Central differences of ``cost`` (for tests and the notebook's own check)."""
    w = np.asarray(w, float)
    dw = np.zeros_like(w)
    for i in range(w.size):
        e = np.zeros_like(w)
        e[i] = h
        dw[i] = (cost(X, y, w + e, b) - cost(X, y, w - e, b)) / (2 * h)
    return dw, (cost(X, y, w, b + h) - cost(X, y, w, b - h)) / (2 * h)


def train_logistic(X, y, lr: float = LOGISTIC_LR, steps: int = LOGISTIC_STEPS):
    w, b = np.zeros(np.asarray(X).shape[1]), 0.0
    for _ in range(steps):
        dw, db = cost_gradient(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b


def accuracy(X, y, w, b, strict: bool = True) -> float:
    """Fraction of points on the right side of the line: predict 1 where h > 0.5, i.e. z > 0."""
    z = np.asarray(X, float) @ np.asarray(w, float).reshape(-1) + float(np.asarray(b).reshape(-1)[0])
    pred = z > 0 if strict else z >= 0
    return float(np.mean(pred == (np.asarray(y) > 0.5)))


def two_layer_forward(params: dict, X=GATE_X) -> np.ndarray:
    a1 = sigmoid(np.asarray(X, float) @ params["W1"] + params["b1"])
    return sigmoid(a1 @ params["W2"] + params["b2"])


def logistic_cases(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """(X, y, w, b) of the hidden cost/gradient check: an ordinary case and a very confident one."""
    cases = []
    for scale in (1.0, 300.0):
        X = rng.normal(0.0, 2.0, size=(10, 2))
        y = rng.integers(0, 2, size=10).astype(float)
        w = rng.normal(0.0, 2.0, size=2) * scale
        b = float(rng.normal(0.0, 1.0) * scale)
        cases.append((X, y, w, b))
    return cases


def hypothesis_verdict(received, z) -> Verdict:
    s = sigmoid(z)
    return compare.close(
        received,
        s,
        "hypothesis h = 1/(1 + e^(−z))",
        rtol=1e-9,
        atol=1e-300,
        others={"1 − h: the sign of z is flipped (e^(+z))": 1.0 - s},
        hint="for z < 0 compute e^z / (1 + e^z), so e^(−z) never overflows.",
    )


def cost_verdict(received, cases, where: str = "") -> Verdict:
    expected = np.array([cost(X, y, w, b) for X, y, w, b in cases])
    rec = as_array(received)
    hint = (
        "with h = σ(z), −log h = log(1 + e^(−z)) and −log(1 − h) = log(1 + e^z): use np.logaddexp(0, ·) "
        "so that no log(0) and no e^1000 ever appear."
    )
    if rec is not None and rec.shape == expected.shape and not np.all(np.isfinite(rec)):
        bad = [i for i in range(rec.size) if not np.isfinite(rec[i])]
        return fail(
            f"Expected finite costs{where} ≈ {compare._fmt(expected)}. Received: {compare._fmt(rec)} — "
            f"case {bad[0] + 1} (a very confident hypothesis, h rounds to 0 or 1) gives log(0). Hint: {hint}"
        )
    return compare.close(
        received,
        expected,
        f"the cost{where}",
        rtol=LOGISTIC_RTOL,
        atol=1e-12,
        others={
            "the cost summed over the examples, not the mean": expected * len(cases[0][0]),
        },
        hint=hint,
    )


def cost_gradient_verdict(dw, db, cases, where: str = "") -> Verdict:
    ref = [cost_gradient(X, y, w, b) for X, y, w, b in cases]
    exp_dw = np.array([g[0] for g in ref])
    exp_db = np.array([g[1] for g in ref])
    n = len(cases[0][0])
    hint = "∂cost/∂w = Xᵀ(h − y) / N and ∂cost/∂b = mean(h − y), with h = σ(X @ w + b)."
    return compare.all_of(
        compare.close(
            dw,
            exp_dw,
            f"∂cost/∂w{where}",
            rtol=LOGISTIC_RTOL,
            atol=1e-12,
            hint=hint,
            others={"N × ∂cost/∂w: the sum, not the mean — divide by N": n * exp_dw},
        ),
        compare.close(
            db,
            exp_db,
            f"∂cost/∂b{where}",
            rtol=LOGISTIC_RTOL,
            atol=1e-12,
            hint=hint,
            others={"N × ∂cost/∂b: the sum, not the mean — divide by N": n * exp_db},
        ),
    )


def weights(data: dict, what: str, w_key: str = "w", b_key: str = "b"):
    """(w, b) from an answer, or a Verdict saying what is wrong with them."""
    w, b = as_array(data.get(w_key)), as_array(data.get(b_key))
    if w is None or b is None:
        return fail(f"Expected numbers `{w_key}` and `{b_key}` for {what}. Received: keys {sorted(data)}")
    if w.size != 2 or b.size != 1:
        return fail(
            f"Expected {what}: w of shape (2,) and one bias b. Received: w shape {w.shape}, b shape {b.shape}"
        )
    if not (np.all(np.isfinite(w)) and np.isfinite(b).all()):
        return fail(f"Expected finite weights for {what}. Received: w = {w.ravel()}, b = {b.ravel()}")
    return w.reshape(2), float(b.reshape(-1)[0])


# -- Keras: the 2-2-1 network -----------------------------------------------------------------------
def _activation(layer) -> str:
    act = layer.get_config().get("activation")
    return act if isinstance(act, str) else str(getattr(layer.activation, "__name__", act))


def describe(model) -> str:
    import keras

    parts = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            parts.append(f"Dense({layer.units}, {_activation(layer)})")
        elif not isinstance(layer, keras.layers.InputLayer):
            parts.append(type(layer).__name__)
    return " → ".join(parts) or "no layers"


def two_layer_architecture_verdict(model, what: str = "the XOR network") -> Verdict:
    """Input (2,) → Dense(2, a non-linear activation) → Dense(1, sigmoid), nothing else."""
    import keras

    wanted = "Input(2) → Dense(2, sigmoid or tanh) → Dense(1, sigmoid)"
    if not isinstance(model, keras.Model):
        return fail(f"Expected {what} to be a keras.Model ({wanted}). Received: {type(model).__name__}")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    if len(layers) != 2 or len(dense) != 2:
        return fail(f"Expected {what}: {wanted}. Received: {describe(model)}")
    if [layer.units for layer in dense] != [2, 1]:
        return fail(
            f"Expected {what} with 2 hidden units and 1 output unit ({wanted}). Received: {describe(model)}"
        )
    hidden, out = _activation(dense[0]), _activation(dense[1])
    if hidden in ("linear", "None", "none"):
        return fail(
            f"Expected a non-linear hidden activation in {what} ({wanted}). Received: {describe(model)} — "
            "two linear layers are one linear map, which cannot separate XOR either."
        )
    if out != "sigmoid":
        return fail(f"Expected a sigmoid output unit in {what} ({wanted}). Received: {describe(model)}")
    try:
        in_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        return fail(
            f"Expected {what} to know its input shape (2,). Hint: start with keras.Input(shape=(2,))."
        )
    if in_shape[1:] != (2,):
        return fail(f"Expected {what} to take inputs of shape (2,). Received: {in_shape[1:]}")
    return ok(f"{what}: {describe(model)}")


def model_accuracy(model, X=GATE_X, y=Y_XOR) -> tuple[np.ndarray, float]:
    p = np.asarray(model(np.asarray(X, np.float32), training=False), dtype=np.float64).reshape(-1)
    return p, float(np.mean((p > 0.5) == (np.asarray(y) > 0.5)))
