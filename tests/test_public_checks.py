"""The kit's public checks are data recorded from the grader: this test keeps the two in step.

For every lab's ``public_checks.json`` (the oracle is the grader itself, ``scoring.judge``):

* names, points, hidden flags, written answers and constants are the lab spec's;
* answers built from the recorded expected values pass both in the kit (``labkit.checks.replay``)
  and in the grader; perturbed or mis-shaped, they never get a ✔ from the kit that the grader
  would deny (the kit may be stricter: it checks every recorded shape).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from labkit import checks
from labkit.answers import load_answer, save_answer

from autograder.grading.judge import judge
from autograder.labs import all_labs, get_lab
from autograder.spec import GradeContext

ROOT = Path(__file__).resolve().parent.parent
LABS = sorted(all_labs())


def _data(lab_id: str) -> dict:
    return json.loads((ROOT / "solutions" / lab_id / checks.FILENAME).read_text(encoding="utf-8"))


@pytest.mark.parametrize("lab_id", LABS)
def test_released_copy_and_spec_agree(lab_id):
    spec, data = get_lab(lab_id), _data(lab_id)
    released = ROOT / "labs" / lab_id / checks.FILENAME
    assert released.read_bytes() == (ROOT / "solutions" / lab_id / checks.FILENAME).read_bytes()
    assert data["lab"] == lab_id
    assert [(q["name"], q["points"], q["hidden"]) for q in data["questions"]] == [
        (q.name, q.points, q.hidden) for q in spec.questions
    ]
    assert data["manual"] == spec.manual
    assert set(data["constants"]) == set(spec.constants)
    for name, value in spec.constants.items():
        assert np.array_equal(np.asarray(checks.decode(data["constants"][name])), np.asarray(value)), name
    for q in data["questions"]:
        assert q["hidden"] or q["mode"] in ("replay", "reference", "grader"), q["name"]
        if q["hidden"]:
            assert "calls" not in q and "expected" not in q  # nothing about hidden tests is released


def _answers_from_tape(entry: dict) -> dict[str, dict] | None:
    """Answers that a right solution would save, rebuilt from the recorded expected values."""
    out: dict[str, dict] = {}
    if entry["mode"] == "reference":
        for name_key, value in entry["expected"].items():
            name, key = name_key.split(".", 1)
            out.setdefault(name, {})[key] = checks.decode(value)
        return out
    for call in entry["calls"]:
        source = call["source"]
        value = checks.decode(call["expected"] if call["kind"] == "close" else call["threshold"])
        shape = entry["shapes"][f"{source['answer']}.{source['key']}"]
        value = (
            np.reshape(np.asarray(value, dtype=float), shape) if np.size(value) == np.prod(shape) else value
        )
        slot = out.setdefault(source["answer"], {})
        if source["key"] in slot and not np.array_equal(np.asarray(slot[source["key"]]), np.asarray(value)):
            return None  # two comparisons on one value: no single answer to rebuild
        slot[source["key"]] = value
    return out


def _perturb(value):
    arr = np.asarray(value)
    return arr + 1 if arr.dtype.kind in "biu" else arr * 1.01 + 0.01


def _both(spec, name, entry, answers, tmp_path: Path):
    for answer, values in answers.items():
        save_answer(tmp_path, answer, values)
    grader = judge(spec.question(name), GradeContext(tmp_path, seed=0, spec=spec))
    loaded = {a: load_answer(tmp_path, a, models=False) for a in answers}
    return checks.replay(entry, loaded), grader


CASES = [
    (lab_id, q["name"])
    for lab_id in LABS
    for q in _data(lab_id)["questions"]
    if q.get("mode") in ("replay", "reference")
]


@pytest.mark.parametrize(("lab_id", "name"), CASES)
def test_kit_and_grader_agree(lab_id, name, tmp_path):
    spec = get_lab(lab_id)
    entry = next(q for q in _data(lab_id)["questions"] if q["name"] == name)
    answers = _answers_from_tape(entry)
    if answers is None:
        pytest.skip("two recorded comparisons share one answer value")
    kit, grader = _both(spec, name, entry, answers, tmp_path / "right")
    assert kit.passed and grader.passed, (kit.message, grader.message)

    wrong = {a: {k: _perturb(v) for k, v in values.items()} for a, values in answers.items()}
    kit, grader = _both(spec, name, entry, wrong, tmp_path / "perturbed")
    assert grader.passed or not kit.passed, (kit.message, grader.message)  # never a ✔ the grader denies
    if entry["mode"] == "reference" or all(c["kind"] == "close" for c in entry["calls"]):
        assert not kit.passed  # a value that is off is caught by the kit, not only at grading

    first = next(iter(answers))
    key = next(iter(answers[first]))
    odd = {a: dict(v) for a, v in answers.items()}
    odd[first][key] = np.zeros(np.size(answers[first][key]) + 3)
    kit, grader = _both(spec, name, entry, odd, tmp_path / "shape")
    assert not kit.passed, kit.message  # the kit checks every recorded shape (the grader may ignore a key)
    assert grader.passed or not kit.passed
