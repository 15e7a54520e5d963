"""One source, two editions: a lab's English and Korean notebooks, and the lab catalogs.

The English instructor notebook is built from the percent script (``instructor_notebook``). An
edition in another language is that notebook with

* every message — Markdown cell, comment block, trailing comment — replaced by its translation
  from ``solutions/<lab>/locale/<language>.po`` (``translate.translate``; a message without one is
  a ``MissingTranslation`` naming the lab and the text: no half-translated edition is ever written);
* ``"language": "<language>"`` in its metadata ``autograder`` (the English edition: ``"en"``);
* its setup cell's ``lab = Lab(<id>)`` line turned into ``lab = Lab(<id>, language="<language>")``,
  so the kit speaks the edition's language (the only line of code that differs).

Everything else — code, cell ids, grade ids, points, hidden tests, cell order — is the English
notebook's, so both editions are graded alike (``tests/test_translations.py`` proves it cell by
cell). Where each edition is written: ``autograder/course.py``.

``update_lab_catalogs`` merges every lab's English messages into its catalogs (``python -m
autograder build --lab-catalogs``): new texts arrive untranslated, removed ones disappear.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from labkit.i18n import LANGUAGES

from autograder.build import translate as tr
from autograder.course import SOURCE_LANGUAGE
from autograder.paths import PROJECT_ROOT

SETUP_CELL = "setup"
_LAB_CALL = re.compile(r"^(?P<head>\s*lab\s*=\s*Lab\()(?P<args>[^()\n]*?)(?P<tail>\)\s*(#.*)?)$", re.M)


class EditionError(RuntimeError):
    """An edition cannot be made from this notebook (no ``lab = Lab(...)`` line to rewrite)."""


def translations() -> tuple[str, ...]:
    """The languages an edition is translated into (every language but the source's)."""
    return tuple(lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE)


def catalog_for(lab_id: str, language: str, root: Path = PROJECT_ROOT) -> Path:
    return tr.catalog_path(Path(root) / "solutions" / lab_id, language)


def _translated(catalog, text: str) -> bool:
    entry = catalog.get(text)
    return entry is not None and bool(entry.string) and not entry.fuzzy


def missing_translations(nb: nbformat.NotebookNode, catalog) -> list[str]:
    """The messages of ``nb`` that ``catalog`` does not translate (empty or fuzzy), in order."""
    seen, missing = set(), []
    for msg in tr.messages(nb):
        if msg.text not in seen and not _translated(catalog, msg.text):
            missing.append(msg.text)
        seen.add(msg.text)
    return missing


def set_lab_language(nb: nbformat.NotebookNode, lab_id: str, language: str) -> None:
    """Rewrite the setup cell's ``lab = Lab(...)`` call to pass ``language=`` (in place)."""
    setup = [c for c in nb.cells if c.get("id") == SETUP_CELL and c.cell_type == "code"]
    calls = _LAB_CALL.findall(setup[0].source) if setup else []
    if len(calls) != 1:
        raise EditionError(
            f"{lab_id}: Expected one `lab = Lab(...)` line in the setup cell. Received: {len(calls)}"
        )
    cell = setup[0]
    cell.source = _LAB_CALL.sub(
        lambda m: f'{m["head"]}{m["args"]}, language="{language}"{m["tail"]}',
        cell.source,
    )


def edition(
    nb: nbformat.NotebookNode, lab_id: str, language: str, root: Path = PROJECT_ROOT
) -> nbformat.NotebookNode:
    """The ``language`` edition of the English instructor notebook ``nb`` (a copy)."""
    if language not in LANGUAGES:
        raise EditionError(f"Expected a language out of {', '.join(LANGUAGES)}. Received: {language!r}")
    if language == SOURCE_LANGUAGE:
        out = nbformat.reads(nbformat.writes(nb), as_version=4)
    else:
        path = catalog_for(lab_id, language, root)
        if not path.is_file():
            raise tr.MissingTranslation(
                f"{lab_id}: Expected its {language} catalog at {path}. Received: no such file "
                "(create it: `python -m autograder build --lab-catalogs`)"
            )
        catalog = tr.read_catalog(path)
        missing = missing_translations(nb, catalog)
        if missing:
            raise tr.MissingTranslation(
                f"{lab_id}: Expected a {language} translation of every message in {path}. "
                f"Received: {len(missing)} without one, the first: {missing[0][:100]!r}"
            )
        out = tr.translate(nb, catalog)
        set_lab_language(out, lab_id, language)
    out.metadata.setdefault("autograder", {})["language"] = language
    return out


def update_lab_catalogs(lab_ids: list[str] | None = None, root: Path = PROJECT_ROOT) -> list[Path]:
    """Merge each lab's English messages into ``solutions/<lab>/locale/<language>.po``."""
    from autograder.build import instructor_notebook
    from autograder.labs import all_labs, get_lab

    written = []
    for lab_id in [get_lab(lab).lab_id for lab in (lab_ids or list(all_labs()))]:
        nb = instructor_notebook(lab_id, root)
        for language in translations():
            path = catalog_for(lab_id, language, root)
            tr.update_catalog(nb, lab_id, path, language)
            written.append(path)
    return written
