"""A notebook's work directory as grading lays it out (the ``prepare`` step, also for tests).

Next to the notebook: the lab's ``public_checks.json`` (what the kit's ``Lab`` reads) and this
run's hidden inputs, ``hidden_inputs/<name>.npz``, drawn here, outside any kernel, from ``seed``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from labkit.checks import FILENAME as CHECKS

from autograder.paths import SOLUTIONS
from autograder.spec import LabSpec, write_hidden_inputs


def stage(spec: LabSpec, workdir: str | Path, seed: int) -> Path:
    """Put the public checks and the hidden inputs for ``seed`` into ``workdir``; returns it."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(SOLUTIONS / spec.lab_id / CHECKS, workdir / CHECKS)
    write_hidden_inputs(spec, seed, workdir)
    return workdir
