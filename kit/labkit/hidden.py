"""Hidden inputs as plain data: how the grader hands a hidden test its inputs.

The grader draws a hidden test's inputs *outside* the sandbox (from a seed that is random per
grading run) and writes them next to the notebook as ``hidden_inputs/<name>.npz``; the hidden test
cell only reads them (``lab.hidden_input(name)``), feeds them to the student's functions and saves
the outputs. No seed and no generator ever enters the kernel.

An input is any nesting of tuples, lists and string-keyed dicts whose leaves are numbers or
arrays. ``pack`` flattens it into ``.npz`` arrays plus a JSON description of the nesting;
``unpack`` rebuilds it exactly (a Python ``float``/``int`` leaf comes back as one). The grader
judges against ``unpack(pack(value))`` too, so both sides see the very same numbers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from labkit.i18n import _

HIDDEN_DIR = "hidden_inputs"
_STRUCTURE = "__structure__"


class HiddenInputMissing(LookupError):
    """The hidden inputs of a test are not there: they exist only while the grader grades."""


def pack(value) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}

    def walk(item):
        if isinstance(item, dict):
            return {"dict": [[str(k), walk(v)] for k, v in item.items()]}
        if isinstance(item, list | tuple):
            return {"list" if isinstance(item, list) else "tuple": [walk(v) for v in item]}
        key = f"a{len(arrays)}"
        if isinstance(item, bool | int | float | np.integer | np.floating):
            kind = "int" if isinstance(item, int | np.integer) and not isinstance(item, bool) else "float"
            arrays[key] = np.asarray(item)
            return {kind: key}
        arr = np.asarray(item)
        if arr.dtype == object:
            raise TypeError(
                _("Expected numbers or arrays in a hidden input. Received: {type}").format(
                    type=type(item).__name__
                )
            )
        arrays[key] = arr
        return {"array": key}

    structure = walk(value)
    arrays[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    return arrays


def unpack(arrays) -> object:
    structure = json.loads(bytes(np.asarray(arrays[_STRUCTURE], dtype=np.uint8)).decode())

    def build(node):
        ((kind, body),) = node.items()
        if kind == "dict":
            return {k: build(v) for k, v in body}
        if kind in ("list", "tuple"):
            items = [build(v) for v in body]
            return items if kind == "list" else tuple(items)
        arr = np.array(arrays[body])
        if kind == "int":
            return int(arr)
        if kind == "float":
            return float(arr)
        return arr

    return build(structure)


def write(directory: str | os.PathLike, name: str, value) -> Path:
    target = Path(directory) / HIDDEN_DIR
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.npz"
    np.savez(path, **pack(value))
    return path


def read(directory: str | os.PathLike, name: str):
    path = Path(directory) / HIDDEN_DIR / f"{name}.npz"
    if not path.is_file():
        raise HiddenInputMissing(
            _(
                "the hidden inputs of `{name}` are given by the grader when it grades this notebook "
                "(expected {path} next to the notebook; it is not there)"
            ).format(name=name, path=f"{HIDDEN_DIR}/{name}.npz")
        )
    with np.load(path, allow_pickle=False) as data:
        return unpack({k: data[k] for k in data.files})
