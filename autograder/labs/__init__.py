"""The registry of labs: every ``labNN_*.py`` module here defines ``LAB = LabSpec(...)``.

Lab ids start with the course's lab number, so they sort into the course's order.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from autograder.spec import LabSpec


@lru_cache(maxsize=None)
def all_labs() -> dict[str, LabSpec]:
    found: dict[str, LabSpec] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("lab") and info.name[3:5].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            spec = module.LAB
            if spec.lab_id != info.name:
                raise RuntimeError(f"Expected LAB.lab_id == {info.name!r}. Received: {spec.lab_id!r}")
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
