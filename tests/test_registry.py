"""The registry of labs: ``autograder.labs.<lab>`` is ``solutions/<lab>/grading.py``, one module."""

from __future__ import annotations

import importlib
import sys

import pytest

from autograder.labs import all_labs, grading_sources
from autograder.paths import SOLUTIONS


def test_each_lab_module_is_its_folders_grading_file_imported_once():
    for lab_id, spec in all_labs().items():
        module = sys.modules[f"autograder.labs.{lab_id}"]
        assert module.LAB is spec and module.__file__ == str(SOLUTIONS / lab_id / "grading.py")
        assert importlib.import_module(f"autograder.labs.{lab_id}") is module
    from autograder.labs.lab21_mnist_naive_init import hidden_indices
    from autograder.labs.lab22_mnist_init import LAB

    assert LAB.hidden_inputs["init_stats_hidden"] is hidden_indices  # lab 22 reuses lab 21's, same object


def test_a_labs_other_files_are_its_submodules():
    from autograder.labs.lab16_chain_rule import reference

    assert reference.__name__ == "autograder.labs.lab16_chain_rule.reference"
    assert reference.__file__ == str(SOLUTIONS / "lab16_chain_rule" / "reference.py")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("autograder.labs.lab99_no_such_lab")


def test_grading_sources_are_neither_solutions_nor_tests():
    names = [path.relative_to(SOLUTIONS).as_posix() for path in grading_sources()]
    assert {f"{lab_id}/grading.py" for lab_id in all_labs()} <= set(names)
    assert "lab16_chain_rule/reference.py" in names
    assert not [n for n in names if n.split("/")[1].startswith("test_") or n.split("/")[1].startswith("lab")]
