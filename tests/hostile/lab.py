"""The real lab the hostile corpus is built from, and the notebook surgery the cases use.

Every hostile submission starts from the lab's own reference (``solutions/<lab>/<lab>.ipynb``) or
student (``labs/<lab>/<lab>.ipynb``) notebook, so the corpus follows the labs as they change.

*The honest part*: a student who did the first ``PREFIX_TESTS[lab]`` graded test cells correctly
(the reference's answer cells up to there) and nothing after — later answer cells are the starter
stubs and the later free cells are empty, so those fail fast (``not attempted``) instead of
training networks. Its score, ``Lab.honest_points``, is what every case that leaves the honest part
alone must still get, whatever it does after or around it.
"""

from __future__ import annotations

import ast
import copy
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.grading.notebooks import STUB, release_notebook, source_notebook
from autograder.labs import all_labs

ROOT = Path(__file__).resolve().parents[2]
PREFERRED = ("lab19_xor_relu", "lab18_xor_sigmoid", "lab99_demo")
# How many graded test cells the honest part keeps: cheap ones (no training), models included where
# the lab has an early model question (lab 19: relu, relu_hidden, build_net).
PREFIX_TESTS = {"lab19_xor_relu": 3, "lab18_xor_sigmoid": 4, "lab99_demo": 1}


def pick_lab() -> str:
    """``$HOSTILE_LAB``, else the first of ``PREFERRED`` with a spec and both notebooks."""
    wanted = os.environ.get("HOSTILE_LAB")
    labs = all_labs()
    for lab_id in ([wanted] if wanted else []) + list(PREFERRED) + sorted(labs):
        if (
            lab_id in labs
            and (ROOT / "solutions" / lab_id / f"{lab_id}.ipynb").is_file()
            and (ROOT / "labs" / lab_id / f"{lab_id}.ipynb").is_file()
        ):
            return lab_id
    raise RuntimeError("no lab with a reference and a student notebook to build the corpus from")


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader") or {}


def is_test(cell) -> bool:
    meta = nbg(cell)
    return (
        bool(meta.get("grade"))
        and cell.cell_type == "code"
        and str(meta.get("grade_id", "")).startswith("test_")
    )


def is_answer(cell) -> bool:
    meta = nbg(cell)
    return bool(meta.get("solution")) and not meta.get("grade") and cell.cell_type == "code"


def code(source: str, cell_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    return cell


@dataclass
class Lab:
    lab_id: str
    reference: nbformat.NotebookNode = field(repr=False)
    release: nbformat.NotebookNode = field(repr=False)

    @classmethod
    def load(cls, lab_id: str | None = None) -> Lab:
        lab_id = lab_id or pick_lab()
        return cls(lab_id, source_notebook(lab_id, ROOT), release_notebook(lab_id, ROOT))

    @property
    def spec(self):
        return all_labs()[self.lab_id]

    @property
    def points(self) -> dict[str, float]:
        return {q.grade_id: float(q.points) for q in self.spec.questions}

    @property
    def max_points(self) -> float:
        return self.spec.max_score

    @property
    def prefix_end(self) -> int:
        """Index (in the reference) of the last graded test cell of the honest part."""
        wanted = PREFIX_TESTS.get(self.lab_id, 2)
        tests = [i for i, c in enumerate(self.reference.cells) if is_test(c)]
        return tests[min(wanted, len(tests)) - 1]

    @property
    def prefix_tests(self) -> list[str]:
        return [nbg(c)["grade_id"] for c in self.reference.cells[: self.prefix_end + 1] if is_test(c)]

    @property
    def honest_points(self) -> float:
        return sum(self.points[t] for t in self.prefix_tests)

    @property
    def prefix_answers(self) -> list[str]:
        """Ids of the answer cells of the honest part, in order."""
        return [c.id for c in self.reference.cells[: self.prefix_end] if is_answer(c)]

    def tests_after(self, cell_id: str) -> list[str]:
        """The prefix's test cells from ``cell_id`` on (the points a failure there costs)."""
        ids = [c.id for c in self.reference.cells]
        start = ids.index(cell_id)
        return [t for t in self.prefix_tests if ids.index(t) > start]

    def tests_of_answer(self, answer_id: str) -> list[str]:
        """The prefix's test cells between answer cell ``answer_id`` and the next answer cell."""
        cells = self.reference.cells[: self.prefix_end + 1]
        ids = [c.id for c in cells]
        start = ids.index(answer_id)
        out = []
        for cell in cells[start + 1 :]:
            if is_answer(cell):
                break
            if is_test(cell):
                out.append(cell.id)
        return out

    def functions_of(self, answer_id: str) -> list[str]:
        """Top-level functions an answer cell defines."""
        cell = next(c for c in self.reference.cells if c.id == answer_id)
        return [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]

    def cell(self, cell_id: str, nb=None):
        return next(c for c in (nb or self.reference).cells if c.id == cell_id)

    # -- notebooks ------------------------------------------------------------------------------
    def honest(self) -> nbformat.NotebookNode:
        """The reference up to the honest part; stubs and empty free cells after it."""
        nb = copy.deepcopy(self.reference)
        for index, cell in enumerate(nb.cells):
            if index <= self.prefix_end or cell.cell_type != "code" or nbg(cell).get("locked"):
                continue
            if is_answer(cell):
                cell.source = _stub_of(cell.source)
            elif not nbg(cell):
                cell.source = ""
        return nb


def _stub_of(source: str) -> str:
    """The starter version of an answer cell: its solution blocks replaced by the stub."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == "### BEGIN SOLUTION":
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + s for s in STUB.splitlines()]
        elif stripped == "### END SOLUTION":
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def insert_after(nb, anchor_id: str, *cells) -> None:
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == anchor_id)
    nb.cells[index + 1 : index + 1] = list(cells)


def insert_before(nb, anchor_id: str, *cells) -> None:
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == anchor_id)
    nb.cells[index:index] = list(cells)


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # duplicated cell ids are one of the cases
        warnings.simplefilter("ignore")
        nbformat.write(nb, path)
    return path
