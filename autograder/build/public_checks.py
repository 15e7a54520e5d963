"""Public checks as data: what the student kit needs to say ✔/✘ without any reference math.

At build time each lab's reference answers (saved by executing its instructor notebook) are graded
by the grader while ``labkit.compare`` records every comparison it makes: the expected values, the
tolerances, the hint, the "that looks like …" alternatives. A public question whose comparisons
all take a saved answer as their received value becomes a list of those comparisons, replayed by
the kit on the student's answer (``labkit.checks``). A question that reads a saved Keras model (its
expected values are recomputed from the student's own weights), or whose comparisons take a value
derived from the answer, is marked ``"grader"``: the kit saves it and says it is checked at grading.

Labels are English (``what``, ``hint``, the names of ``others``); one made from a template
(``N_("grad_f{where} = …").format(where="")``) is also recorded as its message id and arguments
under the call's ``"messages"``, so that the kit says it in the student's language from its own
catalog (``labkit.i18n``; a literal label is its own message id and needs nothing more).

The result, ``solutions/<lab>/public_checks.json``, holds only public inputs' expected values and
the lab's public constants; ``autograder build`` copies it next to the student notebook in
``labs/<lab>/`` (nbgrader's release copies a lab folder's files the same way).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from labkit import compare
from labkit.answers import _is_model
from labkit.checks import FILENAME, encode
from labkit.i18n import Text, to_data

from autograder.grading.judge import judge
from autograder.spec import GradeContext, LabSpec

FORMAT = 1


class _Tracing(GradeContext):
    """A ``GradeContext`` that remembers every answer value it handed out."""

    def __init__(self, answers_dir, spec):
        super().__init__(answers_dir, seed=0, spec=spec)
        self.reads: list[tuple[str, str, object]] = []
        self.read_model = False

    def answer(self, name, key="value", models=True):
        value = super().answer(name, key, models)
        if _is_model(value):
            self.read_model = True
        self.reads.append((name, key, value))
        return value


def _trace(received, reads) -> dict | None:
    """Which saved answer ``received`` is (by identity, a NumPy view of it, or equal values)."""
    for name, key, value in reads:
        chain, item = [], received
        while item is not None:
            chain.append(item)
            item = getattr(item, "base", None) if isinstance(item, np.ndarray) else None
        if any(c is value for c in chain):
            return _source(name, key, received, value)
    try:
        rec = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        return None
    for name, key, value in reads:
        if _is_model(value):
            continue
        try:
            val = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            continue
        if val.size == rec.size and np.array_equal(val.ravel(), rec.ravel(), equal_nan=True):
            return _source(name, key, received, value)
    return None


def _source(name, key, received, value) -> dict:
    shape = list(np.shape(received))
    out = {"answer": name, "key": key}
    if shape != list(np.shape(value)):
        out["shape"] = shape  # the grader reshaped it (e.g. ``.reshape(-1)``) before comparing
    if isinstance(received, float | int) and not isinstance(received, bool):
        out["scalar"] = True  # the grader took ``float(answer)``
    return out


def record_question(spec: LabSpec, name: str, answers_dir: Path) -> dict:
    """One public question's entry: ``{"mode": "replay", "calls": […]}`` or ``{"mode": "grader"}``."""
    question = spec.question(name)
    ctx = _Tracing(answers_dir, spec)
    compare.RECORDING = calls = []
    try:
        verdict = judge(question, ctx)
    finally:
        compare.RECORDING = None
    if not verdict.passed:
        raise RuntimeError(
            f"Expected the reference answer of {spec.lab_id}:{name} to pass. Received: {verdict.message}"
        )
    if ctx.read_model:
        return {"mode": "grader"}
    shapes = {f"{n}.{k}": list(np.shape(v)) for n, k, v in ctx.reads}
    out = []
    for kind, args in calls:
        source = _trace(args.pop("received"), ctx.reads)
        if source is None:
            out = None
            break
        if kind == "close":
            args["others"] = dict(args.get("others") or {})
        call = {"kind": kind, "source": source, **{k: encode(v) for k, v in args.items()}}
        if texts := _messages(args):
            call["messages"] = texts
        out.append(call)
    if out:
        return {"mode": "replay", "calls": out, "shapes": shapes}
    # No comparison to replay (the grader compares in its own code, e.g. against the student's own
    # upstream gradient): the kit compares with the reference values instead — but only when the
    # grader itself rejects a slightly perturbed reference answer, i.e. the answer is exact math
    # at the public inputs, not one of many acceptable outcomes (a trained net, a threshold).
    if not _grader_rejects_perturbed(spec, question, ctx.reads):
        return {"mode": "grader"}
    return {
        "mode": "reference",
        "expected": {f"{n}.{k}": encode(np.asarray(v)) for n, k, v in ctx.reads},
        "rtol": REFERENCE_RTOL,
        "atol": REFERENCE_ATOL,
        "shapes": shapes,
    }


def _templated(text) -> bool:
    return isinstance(text, Text) and (bool(text.args) or text.plural is not None)


def _messages(args: dict) -> dict:
    """The message ids of a call's labels that were made from a template (see the module doc)."""
    out: dict = {k: to_data(args[k]) for k in ("what", "hint") if _templated(args.get(k))}
    others = {str(name): to_data(name) for name in args.get("others") or {} if _templated(name)}
    if others:
        out["others"] = others
    return out


REFERENCE_RTOL, REFERENCE_ATOL = 1e-6, 1e-9  # "reference" mode: float answers vs the reference values


def _perturbed(value) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind in "biu":
        return arr.astype(np.int64) + 1
    return arr.astype(float) * (1 + 1e-3) + 1e-3


def _grader_rejects_perturbed(spec: LabSpec, question, reads) -> bool:
    import tempfile

    from labkit.answers import save_answer

    answers: dict[str, dict] = {}
    for name, key, value in reads:
        answers.setdefault(name, {})[key] = _perturbed(value)
    with tempfile.TemporaryDirectory(prefix="perturbed-") as tmp:
        for name, data in answers.items():
            save_answer(tmp, name, data)
        return not judge(question, GradeContext(tmp, seed=0, spec=spec)).passed


def record_lab(spec: LabSpec, answers_dir: Path) -> dict:
    """The whole ``public_checks.json`` of one lab, from the reference answers in ``answers_dir``."""
    questions = []
    for q in spec.questions:
        entry = {"name": q.name, "points": q.points, "hidden": q.hidden, "description": q.description}
        if not q.hidden:
            entry.update(record_question(spec, q.name, Path(answers_dir)))
        questions.append(entry)
    return {
        "format": FORMAT,
        "lab": spec.lab_id,
        "title": spec.title,
        "questions": questions,
        "manual": dict(spec.manual),
        "constants": {k: encode(v) for k, v in spec.constants.items()},
    }


def dumps(data: dict) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def path_for(solutions: Path, lab_id: str) -> Path:
    return Path(solutions) / lab_id / FILENAME


def bootstrap(spec: LabSpec) -> dict:
    """A ``public_checks.json`` with every public question in ``"grader"`` mode: what the
    reference notebook needs to run once, so that its answers can be recorded."""
    return {
        "format": FORMAT,
        "lab": spec.lab_id,
        "title": spec.title,
        "questions": [
            {"name": q.name, "points": q.points, "hidden": q.hidden, "description": q.description}
            | ({} if q.hidden else {"mode": "grader"})
            for q in spec.questions
        ],
        "manual": dict(spec.manual),
        "constants": {k: encode(v) for k, v in spec.constants.items()},
    }


def reference_answers(spec: LabSpec, notebook: Path, workdir: Path, timeout: int = 600) -> Path:
    """Execute the instructor notebook in ``workdir`` (unsandboxed: it is the course's own code)
    and return its ``answers/`` folder."""
    import os

    import nbformat
    from nbclient import NotebookClient

    from autograder.spec import write_hidden_inputs

    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / FILENAME).write_text(dumps(bootstrap(spec)), encoding="utf-8")
    write_hidden_inputs(spec, 0, workdir)
    nb = nbformat.read(notebook, as_version=4)
    saved = dict(os.environ)
    os.environ.update({"MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(workdir)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return workdir / "answers"


def build_checks(lab_ids: list[str], solutions: Path, scratch: Path) -> list[Path]:
    """Record ``solutions/<lab>/public_checks.json`` for each lab from its reference run."""
    from autograder.labs import get_lab

    written = []
    for lab_id in lab_ids:
        spec = get_lab(lab_id)
        notebook = Path(solutions) / spec.lab_id / spec.notebook
        answers = reference_answers(spec, notebook, Path(scratch) / spec.lab_id)
        target = path_for(solutions, spec.lab_id)
        target.write_text(dumps(record_lab(spec, answers)), encoding="utf-8")
        written.append(target)
    return written
