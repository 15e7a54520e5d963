"""Broken files: never executed, each must still be a verdict with a message."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from . import cells as C
from .lab import Lab, write
from .registry import (
    GROUPS,
    Group,
    case,
    group,
)


# ==================================================================== broken files (never executed)
def _file(name: str, data: bytes | str):
    def build(lab: Lab, env: C.Env, folder: Path) -> Path:
        path = folder / name.format(lab=lab.lab_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    return build


def _release_text(lab: Lab) -> str:
    return nbformat.writes(lab.release)


GROUPS["invalid_json"] = Group("invalid_json", _file("{lab}.ipynb", '{"cells": [,]}'))
case("invalid_json", "invalid_json", "broken", lambda lab: 0.0, r"is not valid JSON \(line 1, column 12")


@group("truncated")
def build_truncated(lab: Lab, env: C.Env, folder: Path) -> Path:
    text = _release_text(lab)
    return _file("{lab}.ipynb", text[: len(text) // 2])(lab, env, folder)


case("truncated", "truncated", "broken", lambda lab: 0.0, r"is not valid JSON .* the file looks truncated")


@group("nbformat3")
def build_v3(lab: Lab, env: C.Env, folder: Path) -> Path:
    data = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    return _file("{lab}.ipynb", json.dumps(data))(lab, env, folder)


case("nbformat_3", "nbformat3", "broken", lambda lab: 0.0, r"Expected nbformat 4\. Received: nbformat=3")


@group("not_utf8")
def build_not_utf8(lab: Lab, env: C.Env, folder: Path) -> Path:
    raw = _release_text(lab).encode().replace(b"lab", b"l\xe0b", 1)
    return _file("{lab}.ipynb", raw)(lab, env, folder)


case(
    "not_utf8",
    "not_utf8",
    "broken",
    lambda lab: 0.0,
    r"is not UTF-8 text \(invalid continuation byte at byte \d+\)",
)


@group("huge_notebook")
def build_huge(lab: Lab, env: C.Env, folder: Path) -> Path:
    data = json.loads(_release_text(lab))
    data["cells"].append({"cell_type": "markdown", "id": "huge", "metadata": {}, "source": "x" * (200 << 20)})
    return _file("{lab}.ipynb", json.dumps(data))(lab, env, folder)


case("notebook_200mb", "huge_notebook", "broken", lambda lab: 0.0, r"is 200 MiB; the limit is 50 MiB")


@group("empty_dir")
def build_empty(lab: Lab, env: C.Env, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


case("empty_directory", "empty_dir", "broken", lambda lab: None, r"no notebooks \(\*\.ipynb\) found in")


@group("wrong_lab", lab_option=lambda lab: _other_labs(lab)[0])
def build_wrong_lab(lab: Lab, env: C.Env, folder: Path) -> Path:
    return write(lab.honest(), folder / lab.spec.notebook)


def _other_labs(lab: Lab) -> list[str]:
    from autograder.labs import all_labs

    return [x for x in all_labs() if x != lab.lab_id]


case(
    "wrong_lab",
    "wrong_lab",
    "broken",
    lambda lab: 0.0,
    r"wrong lab: Expected a notebook for \w+\. Received: \S+, which is",
    result="other",
)


@group("symlink_notebook")
def build_symlink_nb(lab: Lab, env: C.Env, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / lab.spec.notebook
    path.symlink_to(env.root / "solutions" / lab.lab_id / lab.spec.notebook)  # the instructor's own
    return path


case(
    "symlink_to_reference",
    "symlink_notebook",
    "breakout",
    lambda lab: 0.0,
    r"is a symbolic link \(not followed\)",
)
