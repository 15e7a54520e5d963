"""The registry of labs: every ``solutions/<lab>/grading.py`` defines ``LAB = LabSpec(...)``.

One folder per lab. ``solutions/<lab>/`` holds everything about the lab: its percent-script source
``<lab>.py`` (and the notebook built from it), its grading spec ``grading.py`` with the reference
math only this lab uses (in a second file, ``reference.py``, where it would make ``grading.py``
long), and its unit tests ``test_<labNN>_grading.py``. nbgrader never releases a ``*.py`` from
``solutions/`` (``nbgrader_config.py``), so all of it stays on the instructor's side. Code two or
more labs use lives here, in a module named by what it does (``_arrays``, ``_models``, ``_xor``,
``_mnist``).

How a lab's grading code is imported: ``LabFolders`` below, a finder on ``sys.meta_path``, maps
the module name ``autograder.labs.<lab>`` to ``solutions/<lab>/grading.py`` and makes it a
package whose search path is the lab folder. So

* ``from autograder.labs.lab21_mnist_naive_init import hidden_indices`` works as it always has,
  and the module is registered once in ``sys.modules`` under that name (one module object, one
  ``LAB``, whoever imports it);
* a lab's other files are its submodules, found by Python's own path finder in the lab folder:
  ``solutions/lab16_chain_rule/reference.py`` is ``autograder.labs.lab16_chain_rule.reference``.

Lab ids start with the course's lab number, so they sort into the course's order.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import re
import sys
from functools import cache
from pathlib import Path

from autograder.paths import SOLUTIONS
from autograder.spec import LabSpec

GRADING = "grading.py"  # the file of solutions/<lab>/ that defines LAB
LAB_ID = re.compile(r"lab\d\d_\w+")


class LabFolders(importlib.abc.MetaPathFinder):
    """Finds ``autograder.labs.<lab>`` at ``solutions/<lab>/grading.py`` (see the module docstring)."""

    def find_spec(self, fullname: str, path=None, target=None):
        parent, _, lab_id = fullname.rpartition(".")
        if parent != __name__ or not LAB_ID.fullmatch(lab_id):
            return None
        source = SOLUTIONS / lab_id / GRADING
        if not source.is_file():
            return None
        return importlib.util.spec_from_file_location(
            fullname, source, submodule_search_locations=[str(source.parent)]
        )


if not any(type(f).__name__ == LabFolders.__name__ for f in sys.meta_path):  # once, even on reload
    sys.meta_path.insert(0, LabFolders())


def grading_sources(solutions: Path = SOLUTIONS) -> list[Path]:
    """Every file of grading code in ``solutions/``: each lab folder's ``*.py`` except its
    percent-script source ``<lab>.py`` (the solutions) and its tests ``test_*.py``."""
    return sorted(
        path
        for path in solutions.glob("lab*/*.py")
        if LAB_ID.fullmatch(path.parent.name)
        and path.stem != path.parent.name
        and not path.name.startswith("test_")
    )


@cache
def all_labs() -> dict[str, LabSpec]:
    found: dict[str, LabSpec] = {}
    for source in sorted(SOLUTIONS.glob(f"lab*/{GRADING}")):
        lab_id = source.parent.name
        if LAB_ID.fullmatch(lab_id):
            spec = importlib.import_module(f"{__name__}.{lab_id}").LAB
            if spec.lab_id != lab_id:
                raise RuntimeError(
                    f"Expected LAB.lab_id == {lab_id!r} in {source}. Received: {spec.lab_id!r}"
                )
            found[spec.lab_id] = spec
    return found


def get_lab(lab_id: str) -> LabSpec:
    """The spec of ``lab_id``; also accepts the bare number (``"18"`` or ``"lab18"``)."""
    labs = all_labs()
    if lab_id in labs:
        return labs[lab_id]
    key = str(lab_id).removeprefix("lab")
    matches = [spec for spec in labs.values() if spec.lab_id[3:5] == key.zfill(2)[:2] and key.isdigit()]
    if len(matches) == 1:
        return matches[0]
    raise KeyError(f"Expected a lab id, one of {sorted(labs)}. Received: {lab_id!r}")
