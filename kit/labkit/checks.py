"""The public checks of one lab, replayed from data (``public_checks.json`` next to the notebook).

The file is written at build time by the grader (``autograder.build.public_checks``) and holds, for each
public question, the comparisons the grader itself makes on the public inputs — expected values,
tolerances, hints, the "that looks like …" alternatives — but no code. Replaying them on a
student's saved answer gives the grader's own message. Questions marked ``"grader"`` (they read a
saved Keras model) and the hidden questions are judged only by the grader. A question whose
grader compares in its own code is ``"reference"``: its expected values at the public inputs are
compared directly (the grader may still give credit the kit does not, e.g. for an error carried
forward from an earlier step).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from labkit import compare
from labkit.i18n import _, from_data, localize
from labkit.verdict import Verdict

FILENAME = "public_checks.json"
ENV_VAR = "LABKIT_CHECKS"  # a folder holding public_checks.json, when it is not next to the notebook


class ChecksMissing(FileNotFoundError):
    """The lab's public_checks.json is not where the notebook can find it."""


def encode(value):
    """JSON for numbers, arrays and dicts of them (arrays keep their dtype and shape)."""
    if isinstance(value, dict):
        return {"dict": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, np.ndarray | np.generic) or isinstance(value, list | tuple):
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf":
            return {"array": arr.tolist(), "dtype": str(arr.dtype), "shape": list(arr.shape)}
        return {"list": [encode(v) for v in value]}
    return value


def decode(value):
    if isinstance(value, dict):
        if "dict" in value:
            return {k: decode(v) for k, v in value["dict"].items()}
        if "array" in value:
            return np.asarray(value["array"], dtype=value["dtype"]).reshape(value["shape"])
        if "list" in value:
            return [decode(v) for v in value["list"]]
    return value


def find(lab_id: str, where: str | os.PathLike | None = None) -> Path:
    places = [Path(where)] if where else []
    if os.environ.get(ENV_VAR):
        places.append(Path(os.environ[ENV_VAR]))
    places.append(Path.cwd())
    for place in places:
        if (place / FILENAME).is_file():
            return place / FILENAME
    raise ChecksMissing(
        _(
            "Expected {file} for {lab} next to the notebook. Received: none in {places}. "
            "Download it with the lab (it is in labs/{lab}/)."
        ).format(file=FILENAME, lab=lab_id, places=", ".join(str(p) for p in places))
    )


def load(lab_id: str, where: str | os.PathLike | None = None) -> dict:
    path = find(lab_id, where)
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("lab") != lab_id:
        raise ChecksMissing(
            _("Expected the public checks of {lab} in {path}. Received: those of {other}").format(
                lab=lab_id, path=path, other=repr(data.get("lab"))
            )
        )
    return data


def _received(call: dict, answers: dict[str, dict]):
    source = call["source"]
    value = answers[source["answer"]][source["key"]]
    shape = source.get("shape")
    if shape is not None and np.size(value) == int(np.prod(shape, dtype=int)):
        value = np.reshape(np.asarray(value), shape)
    if source.get("scalar") and np.size(value) == 1:
        value = float(np.asarray(value, dtype=float).reshape(-1)[0])
    return value


def _arguments(call: dict) -> dict:
    """A recorded comparison's arguments; a label recorded with its message id (``"messages"``:
    text made from a template, such as ``grad_f{where}``) becomes that ``Text`` again, so the
    kit can say it in the student's language."""
    args = {k: decode(v) for k, v in call.items() if k not in ("kind", "source", "messages")}
    texts = call.get("messages") or {}
    for key in ("what", "hint"):
        if key in texts:
            args[key] = from_data(texts[key])
    if texts.get("others") and args.get("others"):
        named = texts["others"]
        args["others"] = {from_data(named[k]) if k in named else k: v for k, v in args["others"].items()}
    return args


def replay(entry: dict, answers: dict[str, dict]) -> Verdict:
    """The grader's verdict on ``answers`` (``{answer name: {key: array}}``), from the recorded calls."""
    for name_key in entry.get("shapes", {}):
        name, key = name_key.split(".", 1)
        if name not in answers:
            return compare.fail(
                _("not attempted: no answer `{name}` was recorded (did its cell run without error?)").format(
                    name=name
                )
            )
        if key not in answers[name]:
            return compare.fail(
                _("Expected `{key}` in answer `{name}`. Received: keys {keys}").format(
                    key=key, name=name, keys=sorted(answers[name])
                )
            )
    if entry["mode"] == "reference":
        verdicts = []
        for name_key, expected in entry["expected"].items():
            name, key = name_key.split(".", 1)
            what = _("`{key}` of answer `{name}`").format(key=key, name=name)
            verdicts.append(
                compare.close(
                    answers[name][key], decode(expected), what, rtol=entry["rtol"], atol=entry["atol"]
                )
            )
        return compare.all_of(*verdicts)
    verdicts = []
    for call in entry["calls"]:
        args = _arguments(call)
        received = _received(call, answers)
        if call["kind"] == "close":
            verdicts.append(compare.close(received, **args))
        else:
            try:
                number = (
                    float(np.asarray(received, dtype=float).reshape(-1)[0])
                    if np.size(received) == 1
                    else None
                )
            except (TypeError, ValueError):
                number = None
            if number is None:
                verdicts.append(
                    compare.fail(
                        _("Expected {what} as one number. Received: {shape}").format(
                            what=localize(args["what"]), shape=np.shape(received)
                        )
                    )
                )
            else:
                verdicts.append(getattr(compare, call["kind"])(number, **args))
    verdict = compare.all_of(*verdicts)
    if verdict.passed:
        for name_key, shape in entry.get("shapes", {}).items():
            name, key = name_key.split(".", 1)
            got = list(np.shape(answers[name][key]))
            if got != shape:
                return compare.fail(
                    _(
                        "Expected `{key}` of `{name}` with shape {expected}. Received: shape {received}"
                    ).format(key=key, name=name, expected=tuple(shape), received=tuple(got))
                )
    return verdict
