"""One source, two editions: every lab's Korean catalog is complete and in sync with its English
source, and the Korean edition is the English one with only its text translated.

* the catalog (``solutions/<lab>/locale/ko.po``) translates every Markdown cell and every comment,
  holds nothing obsolete or fuzzy, and has exactly the messages the source has now (a changed
  English text without its Korean counterpart fails here);
* a translation keeps what must not be translated: ``{placeholders}``, `` `code` `` spans, ``$math$``,
  the number of headings of each level and of code fences; a trailing comment stays on one line;
* both editions (committed: ``solutions/``, ``labs/`` and ``editions/ko/``) have the same cells in
  the same order, the same ids, grade ids, points, tags and code token for token — comments
  aside, and the setup cell's ``Lab(...)`` call, which the Korean edition gives ``language="ko"``;
* ``course.toml``, the build's own checks (a missing translation, a bad setting) and
  ``update_catalog``'s output (deterministic, with a true header).
"""

from __future__ import annotations

import io
import re
import shutil
import tokenize
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from autograder.build import build, instructor_notebook
from autograder.build import translate as tr
from autograder.build.editions import edition, missing_translations, set_lab_language, translations
from autograder.course import CourseSettingError, course_language, instructor_path, student_path
from autograder.labs import all_labs

ROOT = Path(__file__).resolve().parent.parent
LABS = sorted(all_labs())
LANGS = translations()  # ("ko",)
ENGLISH = "en"


@pytest.fixture(scope="module")
def sources() -> dict[str, nbformat.NotebookNode]:
    return {lab_id: instructor_notebook(lab_id) for lab_id in LABS}


def _catalog(lab_id: str, language: str):
    return tr.read_catalog(tr.catalog_path(ROOT / "solutions" / lab_id, language))


def _entries(catalog):
    return [m for m in catalog if m.id]


# ---------------------------------------------------------------- the catalogs
@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("lab_id", LABS)
def test_catalog_is_complete_and_in_sync_with_the_source(sources, lab_id, language):
    catalog = _catalog(lab_id, language)
    source_ids = {m.text for m in tr.messages(sources[lab_id])}
    catalog_ids = {m.id for m in _entries(catalog)}
    assert not source_ids - catalog_ids, (
        f"{lab_id}: English texts with no entry in its {language} catalog (run "
        f"`python -m autograder build --lab-catalogs`, then translate them): {sorted(source_ids - catalog_ids)[:3]}"
    )
    assert not catalog_ids - source_ids, (
        f"{lab_id}: entries no longer in the source: {sorted(catalog_ids - source_ids)[:3]}"
    )
    assert not catalog.obsolete, f"{lab_id}: obsolete entries: {list(catalog.obsolete)[:3]}"
    fuzzy = [m.id[:60] for m in _entries(catalog) if m.fuzzy]
    assert not fuzzy, f"{lab_id}: fuzzy (unreviewed) entries: {fuzzy}"
    assert missing_translations(sources[lab_id], catalog) == [], f"{lab_id}: untranslated messages"


_FENCE = re.compile(r"^\s*(```|~~~)", re.M)
_FENCED = re.compile(r"^\s*(```|~~~).*?^\s*\1[^\n]*$", re.M | re.S)
_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}")
_HEADING = re.compile(r"^(#{1,6})\s", re.M)


def _outside_fences(text: str) -> str:
    return _FENCED.sub("", text)


def invariants(text: str, kind: str) -> dict[str, Counter]:
    """What a translation must keep from its English message."""
    prose = _outside_fences(text) if kind == "markdown" else text
    found = {
        "placeholders": Counter(_PLACEHOLDER.findall(prose)),
        "code spans": Counter(m.group(2).strip() for m in _CODE.finditer(prose)),
        "math": Counter(_MATH.findall(_CODE.sub("", prose))),
    }
    if kind == "markdown":
        found["headings"] = Counter(len(h) for h in _HEADING.findall(prose))
        found["code fences"] = Counter({"fence lines": len(_FENCE.findall(text))})
    return found


def test_invariants_see_what_they_should():
    text = "## Step 1\n\nUse `np.exp` and $e^x$ with {name}.\n\n```python\n# a comment\nx = 1\n```\n"
    found = invariants(text, "markdown")
    assert found["headings"] == Counter({2: 1}) and found["code fences"]["fence lines"] == 2
    assert found["code spans"] == Counter({"np.exp": 1}) and found["math"] == Counter({"$e^x$": 1})
    assert found["placeholders"] == Counter({"{name}": 1})
    assert (
        invariants("## 1단계\n\n`np.exp`와 $e^x$를 {name}로.\n\n```python\n# 주석\nx = 1\n```\n", "markdown")
        == found
    )


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("lab_id", LABS)
def test_translations_keep_code_math_placeholders_and_headings(sources, lab_id, language):
    catalog = _catalog(lab_id, language)
    kinds = {m.text: m.kind for m in tr.messages(sources[lab_id])}
    problems = []
    for entry in _entries(catalog):
        if not entry.string or entry.id not in kinds:
            continue  # reported by the completeness test
        kind = kinds[entry.id]
        english, translated = invariants(entry.id, kind), invariants(entry.string, kind)
        for what in english:
            if english[what] != translated[what]:
                problems.append(
                    f"{what} of {entry.id[:50]!r}: Expected {dict(english[what])}. Received: {dict(translated[what])}"
                )
        if kind == "trailing comment" and "\n" in entry.string.strip():
            problems.append(f"trailing comment {entry.id[:50]!r} must stay on one line")
    assert not problems, f"{lab_id} ({language}):\n" + "\n".join(problems)


@pytest.mark.parametrize("lab_id", LABS)
def test_catalog_file_is_what_update_catalog_writes(tmp_path, sources, lab_id):
    """Merging the unchanged source again changes no byte: header and dates included."""
    for language in LANGS:
        path = tr.catalog_path(ROOT / "solutions" / lab_id, language)
        copy = tmp_path / f"{language}.po"
        shutil.copy(path, copy)
        tr.update_catalog(sources[lab_id], lab_id, copy, language)
        assert copy.read_bytes() == path.read_bytes(), (
            f"{path} is not in the form `python -m autograder build --lab-catalogs` writes: run it"
        )


def test_update_catalog_is_deterministic_and_its_header_is_true(tmp_path, sources):
    lab_id = LABS[0]
    first = tmp_path / "a" / "ko.po"
    tr.update_catalog(sources[lab_id], lab_id, first, "ko")  # a new catalog: every entry empty
    text = first.read_text(encoding="utf-8")
    for boilerplate in ("FIRST AUTHOR", "EMAIL@ADDRESS", "ORGANIZATION", "VERSION", "LL@li.org", "Babel "):
        assert boilerplate not in text, boilerplate
    assert f'"Project-Id-Version: {tr.PROJECT} {lab_id}\\n"' in text
    assert '"Language-Team: Korean\\n"' in text and '"Language: ko\\n"' in text
    assert '"POT-Creation-Date: 2026-12-03 08:19+0000\\n"' in text
    assert '"PO-Revision-Date: 2026-12-03 08:19+0000\\n"' in text
    catalog = tr.read_catalog(first)
    assert {m.id for m in _entries(catalog)} == {m.text for m in tr.messages(sources[lab_id])}
    assert not any(m.string for m in _entries(catalog))
    again = tmp_path / "b" / "ko.po"
    tr.update_catalog(sources[lab_id], lab_id, again, "ko")
    assert again.read_bytes() == first.read_bytes()
    # a changed English text: its old entry leaves, the new one arrives untranslated
    changed = nbformat.reads(nbformat.writes(sources[lab_id]), as_version=4)
    markdown = next(c for c in changed.cells if c.cell_type == "markdown")
    old_text, markdown.source = markdown.source, markdown.source + " (changed)"
    catalog = tr.update_catalog(changed, lab_id, first, "ko")
    assert old_text not in catalog and not catalog[markdown.source].string and not catalog.obsolete


def test_lab_catalogs_flag_updates_every_catalog(tmp_path, monkeypatch):
    from autograder import cli
    from autograder.build import editions

    calls = []
    monkeypatch.setattr(editions, "update_lab_catalogs", lambda labs, root=ROOT: calls.append(labs) or [])
    monkeypatch.setattr("autograder.build.build", lambda labs, languages=None, **kw: [])
    assert cli.main(["build", "--lab-catalogs"]) == 0
    assert calls == [None]


# ---------------------------------------------------------------- the two editions
def _code_tokens(source: str) -> list[tuple[int, str]]:
    """The code of a cell without its comments (token by token)."""
    skip = {tokenize.COMMENT, tokenize.NL}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(t.type, t.string) for t in tokens if t.type not in skip]


def _editions(lab_id: str, language: str, kind: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    where = instructor_path if kind == "instructor" else student_path
    return (
        nbformat.read(where(lab_id, ENGLISH), as_version=4),
        nbformat.read(where(lab_id, language), as_version=4),
    )


@pytest.mark.parametrize("kind", ["instructor", "student"])
@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("lab_id", LABS)
def test_editions_differ_only_in_text(lab_id, language, kind):
    english, translated = _editions(lab_id, language, kind)
    assert english.metadata["autograder"] == {"lab": lab_id, "language": ENGLISH}
    assert translated.metadata["autograder"] == {"lab": lab_id, "language": language}
    assert {k: v for k, v in english.metadata.items() if k != "autograder"} == {
        k: v for k, v in translated.metadata.items() if k != "autograder"
    }
    assert [c.id for c in english.cells] == [c.id for c in translated.cells], "cells or their order differ"
    lab_call = f'lab = Lab({{}}, language="{language}")'
    for en, tx in zip(english.cells, translated.cells):
        assert en.cell_type == tx.cell_type, en.id
        en_meta, tx_meta = dict(en.metadata), dict(tx.metadata)
        en_grading, tx_grading = en_meta.pop("nbgrader", {}), tx_meta.pop("nbgrader", {})
        en_grading.pop("checksum", None), tx_grading.pop("checksum", None)  # a checksum of the text
        assert en_grading == tx_grading, en.id  # grade id, points, locked/solution/grade
        assert en_meta == tx_meta, en.id  # tags
        if en.cell_type == "markdown":
            assert bool(en.source.strip()) == bool(tx.source.strip()), en.id
            continue
        tx_code = tx.source
        if en.id == "setup":
            call = re.search(r"^lab = Lab\((.*)\)$", en.source, re.M).group(1)
            assert lab_call.format(call) in tx_code, "the Korean setup cell passes language="
            tx_code = tx_code.replace(lab_call.format(call), f"lab = Lab({call})")
        else:
            assert "Lab(" not in tx_code or tx_code.count("Lab(") == en.source.count("Lab(")
        assert _code_tokens(en.source) == _code_tokens(tx_code), f"{lab_id}: code of cell {en.id} differs"
        if kind == "student" and en_grading.get("grade"):
            assert tx.source.count("BEGIN HIDDEN") == en.source.count("BEGIN HIDDEN") == 0


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("lab_id", LABS)
def test_translated_edition_speaks_the_language(lab_id, language):
    _, translated = _editions(lab_id, language, "student")
    hangul = re.compile(r"[\uac00-\ud7a3]")
    stub = "YOUR ANSWER HERE"  # nbgrader's stub of a written answer, as in the code stub's comment
    markdown = [
        c for c in translated.cells if c.cell_type == "markdown" and c.source.strip() not in ("", stub)
    ]
    assert markdown and all(hangul.search(c.source) for c in markdown), "a Markdown cell is not in Korean"


# ---------------------------------------------------------------- the build's own checks
def test_a_missing_translation_stops_the_build_naming_the_lab_and_text(tmp_path, sources):
    lab_id = LABS[0]
    (tmp_path / "solutions" / lab_id / "locale").mkdir(parents=True)
    path = tr.catalog_path(tmp_path / "solutions" / lab_id, "ko")
    shutil.copy(tr.catalog_path(ROOT / "solutions" / lab_id, "ko"), path)
    catalog = tr.read_catalog(path)
    first = next(m for m in _entries(catalog) if m.auto_comments == ["markdown"])
    first.string = ""
    tr.write_catalog(catalog, path)
    with pytest.raises(tr.MissingTranslation) as info:
        edition(sources[lab_id], lab_id, "ko", tmp_path)
    assert lab_id in str(info.value) and first.id[:40] in str(info.value)
    path.unlink()
    with pytest.raises(tr.MissingTranslation, match=f"{lab_id}: Expected its ko catalog"):
        edition(sources[lab_id], lab_id, "ko", tmp_path)


def test_english_edition_is_the_source_and_the_lab_line_is_rewritten_once(sources):
    lab_id = LABS[0]
    english = edition(sources[lab_id], lab_id, ENGLISH)
    assert [c.source for c in english.cells] == [c.source for c in sources[lab_id].cells]
    assert english.metadata["autograder"]["language"] == ENGLISH
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\nlab = Lab(LAB_ID)  # the kit\n")])
    nb.cells[0].id = "setup"
    set_lab_language(nb, "lab_x", "ko")
    assert nb.cells[0].source == 'x = 1\nlab = Lab(LAB_ID, language="ko")  # the kit\n'
    nb.cells[0].source = "lab = None"
    with pytest.raises(Exception, match="Expected one `lab = Lab"):
        set_lab_language(nb, "lab_x", "ko")


@pytest.mark.parametrize(
    "text, problem",
    [
        ('[course]\nlanguage = "kr"\n', "Expected one of 'en', 'ko'. Received: 'kr'"),
        ("[course]\nlanguage = 1\n", "Received: 1"),
        ("course = 3\n", "Expected a [course] table"),
        ("[course\n", "Expected TOML"),
    ],
)
def test_course_setting_errors_say_what_was_expected(tmp_path, text, problem):
    (tmp_path / "course.toml").write_text(text)
    with pytest.raises(CourseSettingError, match=re.escape(problem)):
        course_language(tmp_path)


def test_course_setting(tmp_path):
    assert course_language(ROOT) in ("en", "ko")
    assert course_language(tmp_path) == "en"  # no course.toml: English
    (tmp_path / "course.toml").write_text('[course]\nlanguage = "ko"\n')
    assert course_language(tmp_path) == "ko"
    (tmp_path / "course.toml").write_text('[course]\nlanguage = "fr"\n')
    with pytest.raises(CourseSettingError, match="Received: 'fr'"):
        build([LABS[0]], root=tmp_path, out_root=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_korean_course_puts_the_korean_edition_where_nbgrader_looks(tmp_path):
    """``language = "ko"``: solutions/ and labs/ hold the Korean edition, editions/en/ the English."""
    lab_id = "lab15_one_neuron"
    root = tmp_path / "course"
    shutil.copytree(
        ROOT / "solutions" / lab_id, root / "solutions" / lab_id, ignore=shutil.ignore_patterns("*.ipynb")
    )
    shutil.copy(ROOT / "nbgrader_config.py", root)
    (root / "course.toml").write_text('[course]\nlanguage = "ko"\n')
    (root / "editions" / "ko" / "labs" / lab_id).mkdir(parents=True)  # stale: from an English course
    build([lab_id], root=root)
    assert (
        nbformat.read(root / "solutions" / lab_id / f"{lab_id}.ipynb", 4).metadata["autograder"]["language"]
        == "ko"
    )
    assert (root / "labs" / lab_id / f"{lab_id}.ipynb").read_bytes() == student_path(
        lab_id, "ko"
    ).read_bytes()
    assert (root / "editions" / "en" / "labs" / lab_id / f"{lab_id}.ipynb").read_bytes() == student_path(
        lab_id, "en"
    ).read_bytes()
    assert not (root / "editions" / "ko").exists()


# ---------------------------------------------------------------- grading restores the right edition
def test_restore_takes_locked_cells_from_the_submissions_edition(tmp_path):
    from autograder.grading import notebooks
    from autograder.labs import get_lab

    lab_id = LABS[0]
    spec = get_lab(lab_id)
    for language in (ENGLISH, *LANGS):
        student = nbformat.read(student_path(lab_id, language), as_version=4)
        restored, notes = notebooks.restore(student, spec)
        source = nbformat.read(instructor_path(lab_id, language), as_version=4)
        assert notes == [] and restored.metadata["autograder"]["language"] == language
        setup = next(c for c in restored.cells if c.id == "setup")
        assert setup.source == next(c for c in source.cells if c.id == "setup").source
        assert [c.source for c in restored.cells if c.cell_type == "markdown"] == [
            c.source for c in student.cells if c.cell_type == "markdown"
        ]
    # a notebook without an edition: the course's own source (nbgrader's)
    student = nbformat.read(student_path(lab_id, "ko"), as_version=4)
    del student.metadata["autograder"]["language"]
    restored, _ = notebooks.restore(student, spec)
    assert restored.metadata["autograder"]["language"] == course_language()
    # a course copy without the Korean edition (say, an old bundle): the course's, with a note
    copy = tmp_path / "course"
    for kind in ("solutions", "labs"):
        (copy / kind / lab_id).mkdir(parents=True)
        shutil.copy(ROOT / kind / lab_id / f"{lab_id}.ipynb", copy / kind / lab_id)
    student.metadata["autograder"]["language"] = "ko"
    restored, notes = notebooks.restore(student, spec, root=copy)
    assert any("no ko edition" in n for n in notes), notes
    assert (
        notebooks.source_notebook(lab_id, copy, "ko").metadata["autograder"]["language"] == course_language()
    )


def test_build_command_reports_a_bad_setting_in_one_line(monkeypatch, capsys):
    from autograder import cli

    def bad(*args, **kwargs):
        raise CourseSettingError("course.toml: [course] language: Expected one of 'en', 'ko'. Received: 'kr'")

    monkeypatch.setattr("autograder.build.build", bad)
    assert cli.main(["build"]) == 2
    assert capsys.readouterr().err == (
        "error: course.toml: [course] language: Expected one of 'en', 'ko'. Received: 'kr'\n"
    )
