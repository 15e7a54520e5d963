"""What must never be committed: data, models, notebook outputs, big files.

A previous attempt at this project could not land because its commits were too large; this test
keeps the repository small and reviewable.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 1 << 20  # no tracked file above 1 MiB


def tracked() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_large_or_binary_artifacts():
    bad = []
    for path in tracked():
        if not path.exists():
            continue
        if path.stat().st_size > MAX_BYTES:
            bad.append(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")
        if path.suffix in {".npz", ".npy", ".keras", ".h5", ".zip", ".db", ".pkl"}:
            bad.append(f"{path.relative_to(ROOT)}: data/model files are generated, not committed")
    assert not bad, bad


def test_committed_notebooks_have_no_outputs():
    for path in tracked():
        if path.suffix == ".ipynb" and path.exists():
            nb = json.loads(path.read_text())
            for cell in nb["cells"]:
                if cell["cell_type"] == "code":
                    assert not cell.get("outputs"), f"{path.relative_to(ROOT)} has stored outputs"
