"""labs/, the instructor notebooks and the other edition (editions/) are generated: a rebuild must
reproduce them byte for byte."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from labkit.checks import FILENAME as CHECKS
from labkit.i18n import LANGUAGES

from autograder.build import BuildError, build, instructor_notebook
from autograder.course import EDITIONS, course_language
from autograder.labs import all_labs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rebuilt")
    build(out_root=out)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("lab_id", sorted(all_labs()))
def test_student_and_instructor_notebooks_in_sync(rebuilt, lab_id):
    committed = _files(ROOT / "labs" / lab_id)
    fresh = _files(rebuilt / "labs" / lab_id)
    assert committed.keys() == fresh.keys(), f"labs/{lab_id} files differ: run ./run build"
    for name in fresh:
        assert committed[name] == fresh[name], f"labs/{lab_id}/{name} is out of date: run ./run build"
    src_nb = f"solutions/{lab_id}/{lab_id}.ipynb"
    assert (ROOT / src_nb).read_bytes() == (rebuilt / src_nb).read_bytes(), f"{src_nb} is stale: ./run build"


@pytest.mark.parametrize("lab_id", sorted(all_labs()))
@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != course_language()])
def test_other_edition_in_sync(rebuilt, lab_id, language):
    """The edition that is not the course language's, in editions/<language>/, is built too."""
    for kind in ("labs", "solutions"):
        folder = f"{EDITIONS}/{language}/{kind}/{lab_id}"
        committed, fresh = _files(ROOT / folder), _files(rebuilt / folder)
        assert committed.keys() == fresh.keys(), f"{folder} files differ: run ./run build"
        for name in fresh:
            assert committed[name] == fresh[name], f"{folder}/{name} is out of date: run ./run build"
    assert set(_files(ROOT / EDITIONS / language / "labs" / lab_id)) == {f"{lab_id}.ipynb", CHECKS}
    assert set(_files(ROOT / EDITIONS / language / "solutions" / lab_id)) == {f"{lab_id}.ipynb"}


def test_editions_hold_every_lab_and_nothing_else(rebuilt):
    assert _files(ROOT / EDITIONS).keys() == _files(rebuilt / EDITIONS).keys()
    assert not (ROOT / EDITIONS / course_language()).exists(), "the course language's edition is nbgrader's"


def test_every_lab_directory_is_registered():
    registered = set(all_labs())
    assert {p.name for p in (ROOT / "labs").iterdir() if p.is_dir()} == registered
    assert {p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()} == registered


@pytest.mark.parametrize("lab_id", sorted(all_labs()))
def test_student_copy_holds_no_solutions_or_hidden_tests(lab_id):
    text = (ROOT / "labs" / lab_id / f"{lab_id}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "hidden_input("):
        assert marker not in text, f"{marker} leaked into the student notebook of {lab_id}"
    assert not list((ROOT / "labs" / lab_id).glob("*.py")), "a percent-script source was released"


@pytest.mark.parametrize("lab_id", sorted(all_labs()))
def test_points_come_from_the_lab_spec(lab_id):
    spec = all_labs()[lab_id]
    nb = nbformat.read(ROOT / "labs" / lab_id / f"{lab_id}.ipynb", as_version=4)
    points = {
        c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("points")
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    for question in spec.questions:
        assert points[question.grade_id] == question.points


def test_a_test_cell_without_a_question_is_refused(tmp_path):
    lab_id = sorted(all_labs())[0]
    src = ROOT / "solutions" / lab_id / f"{lab_id}.py"
    fake_root = tmp_path
    (fake_root / "solutions" / lab_id).mkdir(parents=True)
    text = src.read_text() + '\n\n# %% tags=["tests"] grade_id="test_not_in_spec"\nprint(1)\n'
    (fake_root / "solutions" / lab_id / f"{lab_id}.py").write_text(text)
    with pytest.raises(BuildError, match="test_not_in_spec"):
        instructor_notebook(lab_id, fake_root)
