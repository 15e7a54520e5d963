"""The corpus's vocabulary: a ``Group`` is one ``grade_path`` call (a notebook or a folder holding
several cases whose verdicts do not interfere), a ``Case`` names its group, the score the lab must
get and the messages (regular expressions) that must appear in the lab's errors, notes or test
outputs. ``@group`` and ``case()`` register them; the case modules use nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labkit import sandbox as sb

from . import cells as C
from .lab import Lab, write

TEST_LIMITS = sb.Limits(
    cell_seconds=20.0,  # TensorFlow's import in the lab's setup cell takes 5-15 s on a busy machine
    notebook_seconds=180.0,
    memory_bytes=4 << 30,
    processes=256,
    output_bytes=256 << 10,
    disk_bytes=256 << 20,
    tmp_bytes=64 << 20,
)


@dataclass
class Group:
    name: str
    build: Callable[[Lab, C.Env, Path], Path]  # writes the submission under the folder, returns it
    lab_option: Callable[[Lab], str | None] = lambda lab: None  # --lab
    limits: Callable[[sb.Limits], sb.Limits] = lambda limits: limits


@dataclass
class Case:
    name: str
    group: str
    kind: str  # runaway | breakout | gaming | broken
    score: Callable[[Lab], float | None]  # None: no lab result at all (the submission is refused)
    messages: tuple[str, ...] = ()  # regexes that must all be found
    absent: tuple[str, ...] = ()  # regexes that must not be found
    result: str = ""  # which LabResult: "" = the lab's own; else this lab name
    statuses: Callable[[Lab], dict[str, str]] | None = None  # test -> expected status


class NotApplicable(Exception):
    """The case needs something the lab's honest part does not have (e.g. a model question)."""


def _not_applicable(why: str):
    raise NotApplicable(why)


def at(cell_id: str) -> str:
    """Regex for "cell N (`id`)"."""
    return rf"cell \d+ \(`{re.escape(cell_id)}`\)"


GROUPS: dict[str, Group] = {}
CASES: list[Case] = []


def group(name: str, **kw):
    def register(build):
        GROUPS[name] = Group(name, build, **kw)
        return build

    return register


def case(name, group_name, kind, score, *messages, absent=(), result="", statuses=None) -> None:
    CASES.append(Case(name, group_name, kind, score, tuple(messages), tuple(absent), result, statuses))


def honest(lab: Lab) -> float:
    return lab.honest_points


def _notebook(lab: Lab, folder: Path, nb) -> Path:
    return write(nb, folder / lab.spec.notebook)
