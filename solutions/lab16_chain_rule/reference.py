"""Lab 16's reference math: a computation graph (계산 그래프) of f = σ(w0·x0 + w1·x1 + w2).

Recomputed here, in float64, from the course's numbers or from hidden-seed inputs: the forward
value of every node, central finite differences (수치 미분) of the output with respect to any node,
and each node's *local* gradient, so a wrong node costs only its own question.
"""

from __future__ import annotations

import numpy as np
from labkit import compare
from labkit.i18n import N_, joined

from autograder.labs._arrays import as_array
from autograder.spec import Verdict, fail, ok

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
    "p0": (
        N_("p0 = w0·x0 (multiply)"),
        N_("∂p0/∂w0 = x0 and ∂p0/∂x0 = w0 — each input gets the *other* one"),
    ),
    "p1": (
        N_("p1 = w1·x1 (multiply)"),
        N_("∂p1/∂w1 = x1 and ∂p1/∂x1 = w1 — each input gets the *other* one"),
    ),
    "s": (N_("s = p0 + p1 (add)"), N_("∂s/∂p0 = ∂s/∂p1 = 1 — an add node passes the gradient through")),
    "z": (N_("z = s + w2 (add)"), N_("∂z/∂s = ∂z/∂w2 = 1 — an add node passes the gradient through")),
    "n": (N_("n = −z (negate)"), "∂n/∂z = −1"),
    "e": ("e = exp(n)", "∂e/∂n = exp(n) = e"),
    "d": (N_("d = e + 1 (+1)"), "∂d/∂e = 1"),
    "f": (N_("f = 1/d (reciprocal)"), "∂f/∂d = −1/d²"),
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
        N_("the forward values (q, f) = (w·x, q + b){where}").format(where=where),
        rtol=1e-9,
        atol=1e-12,
        others={N_("(f, q): the two values swapped"): single(np.stack([w * x + b, w * x], axis=1))},
    )
    verdict_bwd = compare.close(
        grads,
        single(numeric),
        N_("the gradients (∂f/∂w, ∂f/∂x, ∂f/∂b){where} (grader: central differences)").format(where=where),
        rtol=GRAPH_RTOL,
        atol=1e-9,
        others={
            N_("(∂f/∂x, ∂f/∂w, ∂f/∂b): ∂f/∂w and ∂f/∂x are swapped"): single(numeric[:, [1, 0, 2]]),
            N_("(w, x, b): the inputs, not the derivatives"): single(np.stack([w, x, b], axis=1)),
        },
        hint=N_(
            "the multiply node q = w·x sends ∂f/∂q · x to w and ∂f/∂q · w to x; the add node f = q + b "
            "passes ∂f/∂f = 1 unchanged to q and to b."
        ),
    )
    return compare.all_of(verdict_fwd, verdict_bwd)


def _scalar(data: dict, key: str, what: str, index: int | None = None):
    """data[key] as a float (or its index-th entry), or a Verdict explaining why it is unusable."""
    if key not in data:
        present = sorted(k for k in data if not k.startswith("__"))
        return fail(
            N_("Expected a value for node `{key}` in {what}. Received: keys {keys}").format(
                key=key, what=what, keys=present
            )
        )
    arr = as_array(data[key])
    if arr is None:
        return fail(
            N_("Expected a number for node `{key}` in {what}. Received: {type}").format(
                key=key, what=what, type=type(data[key]).__name__
            )
        )
    arr = arr.reshape(-1)
    want = 1 if index is None else None
    if (want and arr.size != 1) or (index is not None and arr.size <= index):
        return fail(
            N_("Expected one number for node `{key}` in {what}. Received: shape {shape}").format(
                key=key, what=what, shape=arr.shape
            )
        )
    value = float(arr[0 if index is None else index])
    if not np.isfinite(value):
        return fail(
            N_("Expected a finite value for node `{key}` in {what}. Received: {value}").format(
                key=key, what=what, value=value
            )
        )
    return value


def forward_verdict(data: dict, inputs: dict, where: str = "", index: int | None = None) -> Verdict:
    """Every node's value vs the grader's forward pass; names the first wrong node."""
    reference = graph_forward(inputs)
    for node in NODES:
        got = _scalar(data, node, N_("the forward values{where}").format(where=where), index)
        if isinstance(got, Verdict):
            return got
        exp = reference[node]
        if not np.isclose(got, exp, rtol=1e-9, atol=1e-12):
            text, _ = OP_TEXT[node]
            args = next(a for n, _, a in GRAPH if n == node)
            shown = ", ".join(f"{a} = {reference[a]:.6g}" for a in args)
            message = N_(
                "Expected node `{node}` ({text}) = {expected:.6g} at {shown}{where}. Received: {got:.6g}."
            )
            message = message.format(node=node, text=text, expected=exp, shown=shown, where=where, got=got)
            if node != "p0":
                message = joined(
                    message, " ", N_("The nodes before it are right, so the mistake is in this node.")
                )
            return fail(message)
    return ok(
        N_("all {n} forward values correct{where} (f = {f:.6g})").format(
            n=len(NODES), where=where, f=reference["f"]
        )
    )


def gate_verdict(data: dict, node: str, inputs: dict, where: str = "", index: int | None = None) -> Verdict:
    """The local rule at ``node``: ∂f/∂(each input) = (the student's ∂f/∂node) × local derivative.

    The upstream gradient is the student's *own* ∂f/∂node, so a mistake further up the graph does not
    count again here: each node's question grades only that node's local gradient.
    """
    values = graph_forward(inputs)
    what = N_("the gradients{where}").format(where=where)
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
                diagnosis = joined(" — ", N_("the sign is flipped"))
            elif np.isclose(got, upstream, rtol=1e-6) and not np.isclose(local, 1.0):
                diagnosis = joined(
                    " — ",
                    N_("that is ∂f/∂{node} passed through without the local derivative").format(node=node),
                )
            elif np.isclose(got, local, rtol=1e-6) and not np.isclose(upstream, 1.0):
                diagnosis = joined(
                    " — ",
                    N_(
                        "that is the local derivative alone, not multiplied by the upstream ∂f/∂{node}"
                    ).format(node=node),
                )
            return fail(
                N_(
                    "Expected ∂f/∂{arg} = ∂f/∂{node} · ∂{node}/∂{arg} = {upstream:.6g} × {local:.6g} = "
                    "{expected:.6g} at node `{node}` ({text}){where}. Received: {got:.6g}{diagnosis}. "
                    "Hint: {rule}."
                ).format(
                    arg=arg,
                    node=node,
                    upstream=upstream,
                    local=local,
                    expected=expected,
                    text=text,
                    where=where,
                    got=got,
                    diagnosis=diagnosis,
                    rule=rule,
                )
            )
    return ok(
        N_("node `{node}` ({text}): local gradient correct{where}").format(node=node, text=text, where=where)
    )


def backward_verdict(data: dict, inputs: dict, nodes, where: str = "", index: int | None = None) -> Verdict:
    verdicts = []
    for node in nodes:
        if node == "f":
            top = _scalar(data, "f", N_("the gradients{where}").format(where=where), index)
            if isinstance(top, Verdict):
                return top
            if top != 1.0:
                return fail(
                    N_(
                        "Expected ∂f/∂f = 1 (the backward pass starts with the gradient 1 at the output)"
                        "{where}. Received: {got:.6g}"
                    ).format(where=where, got=top)
                )
        verdict = gate_verdict(data, node, inputs, where, index)
        if not verdict.passed:
            return verdict
        verdicts.append(verdict)
    return compare.all_of(*verdicts)
