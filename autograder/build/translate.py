"""A lab's text in the course's language: one source, a gettext catalog per language beside it.

The lab source ``solutions/<lab>/<lab>.py`` is written once, in English. Everything a student
reads that is not code — every Markdown cell and every comment in a code cell — is a *message*
of the lab's catalog ``solutions/<lab>/locale/<lang>.po`` (standard gettext PO, read and written
with Babel). The Korean edition is the English notebook with each message replaced by its
translation; code is never translated, so both editions run the same code and have the same grade
ids, points and hidden tests.

What is a message (``messages(nb)``), in the order of the notebook:

* a Markdown cell: its whole text (``#.`` comment ``markdown``);
* a block of full-line comments in a code cell — consecutive lines at one indentation — joined
  with newlines, each line without its ``#`` and one space (``#.`` ``comment``);
* a comment after code on its line (``#.`` ``trailing comment``: translated on one line).

nbgrader markers (``### BEGIN SOLUTION`` …) and comments without a letter are not messages.
Babel can extract the same messages from a percent script (``extract_percent``, for
``pybabel extract``), and ``update_catalog`` merges them like ``pybabel update``: new messages
arrive untranslated, removed ones become obsolete — tests/test_translations.py fails on either.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

_MARKER = re.compile(r"^#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)|^#\s*(noqa|type:|YOUR CODE HERE)")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Message:
    text: str  # the English message id
    kind: str  # "markdown", "comment" or "trailing comment"
    cell: str  # the cell id (for translators: where it appears)


@dataclass(frozen=True)
class _Comment:
    row: int  # 0-based line in the cell
    col: int  # column of the '#'
    full_line: bool
    text: str  # without '#' and one space


def _comments(source: str) -> list[_Comment]:
    lines = source.splitlines()
    found = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        row, col = tok.start[0] - 1, tok.start[1]
        raw = tok.string
        if _MARKER.search(raw) or not _LETTER.search(raw):
            continue
        text = re.sub(r"^#+ ?", "", raw).rstrip()
        found.append(_Comment(row, col, not lines[row][:col].strip(), text))
    return found


def _blocks(source: str) -> list[list[_Comment]]:
    """Consecutive full-line comments at one column form a block; a trailing comment is its own."""
    blocks: list[list[_Comment]] = []
    for c in _comments(source):
        last = blocks[-1][-1] if blocks else None
        if c.full_line and last and last.full_line and last.row == c.row - 1 and last.col == c.col:
            blocks[-1].append(c)
        else:
            blocks.append([c])
    return blocks


def messages(nb: nbformat.NotebookNode) -> list[Message]:
    out: list[Message] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            out.append(Message(cell.source, "markdown", cell.get("id", "")))
        elif cell.cell_type == "code":
            for block in _blocks(cell.source):
                kind = "comment" if block[0].full_line else "trailing comment"
                out.append(Message("\n".join(c.text for c in block), kind, cell.get("id", "")))
    return out


class MissingTranslation(KeyError):
    pass


def _translate_code(source: str, lookup) -> str:
    lines = source.splitlines()
    # replace from the bottom up so earlier rows keep their numbers
    for block in reversed(_blocks(source)):
        text = lookup("\n".join(c.text for c in block))
        first = block[0]
        if first.full_line:
            indent = lines[first.row][: first.col]
            new = [f"{indent}# {line}".rstrip() for line in text.split("\n")]
            lines[first.row : block[-1].row + 1] = new
        else:
            lines[first.row] = lines[first.row][: first.col] + "# " + text.replace("\n", " ")
    return "\n".join(lines) + ("\n" if source.endswith("\n") else "")


def translate(nb: nbformat.NotebookNode, catalog: Catalog) -> nbformat.NotebookNode:
    """A copy of ``nb`` with every message replaced by its translation (``MissingTranslation``)."""

    def lookup(text: str) -> str:
        entry = catalog.get(text)
        if entry is None or not entry.string or entry.fuzzy:
            raise MissingTranslation(
                f"Expected a {catalog.locale} translation in the lab's catalog. Received none for: "
                f"{text[:80]!r}"
            )
        return entry.string

    out = nbformat.reads(nbformat.writes(nb), as_version=4)
    for cell in out.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = lookup(cell.source)
        elif cell.cell_type == "code":
            cell.source = _translate_code(cell.source, lookup)
    return out


# ---------------------------------------------------------------- catalogs
def catalog_path(lab_dir: Path, language: str) -> Path:
    return lab_dir / "locale" / f"{language}.po"


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


# The header of every lab catalog: true and the same on every machine and day (no "FIRST AUTHOR",
# no clock, no Babel version), so that re-merging an unchanged source changes no byte.
PROJECT = "keras-labs-autograder"
CATALOG_DATE = datetime(2026, 12, 3, 8, 19, tzinfo=UTC)  # when the lab catalogs began
LANGUAGE_TEAMS = {"ko": "Korean"}
_GENERATED_BY = re.compile(rb'"Generated-By: [^"\\]*\\n"')


def _header(catalog: Catalog, lab_id: str, language: str) -> None:
    name = LANGUAGE_TEAMS.get(language, language)
    catalog.project, catalog.version = PROJECT, lab_id
    catalog.header_comment = (
        f"# {name} translation of the texts of {lab_id}, a lab of {PROJECT}:\n"
        f"# its Markdown cells and code comments (solutions/{lab_id}/{lab_id}.py).\n"
        "# This file is distributed under the same license as the project (MIT)."
    )
    catalog.msgid_bugs_address = "the course's issue tracker"
    catalog.last_translator = f"{PROJECT} translators (see the git history)"
    catalog.language_team = name
    catalog.creation_date = catalog.revision_date = CATALOG_DATE


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, omit_header=False, sort_output=False, include_previous=False)
    stamp = b'"Generated-By: autograder.build.translate\\n"'
    data = _GENERATED_BY.sub(lambda _: stamp, buf.getvalue(), count=1)
    path.write_bytes(data)


def template(nb: nbformat.NotebookNode, lab_id: str) -> Catalog:
    """The English messages of a lab as a catalog template (a .pot)."""
    pot = Catalog(project=lab_id, fuzzy=False)
    for msg in messages(nb):
        if msg.text in pot:
            pot[msg.text].auto_comments = [*pot[msg.text].auto_comments]
            continue
        pot.add(msg.text, auto_comments=[msg.kind], locations=[(msg.cell, 0)] if msg.cell else ())
    return pot


def update_catalog(nb: nbformat.NotebookNode, lab_id: str, path: Path, language: str) -> Catalog:
    """Merge the notebook's messages into the catalog at ``path`` (like ``pybabel update``)."""
    pot = template(nb, lab_id)
    if path.exists():
        catalog = read_catalog(path)
    else:
        catalog = Catalog(locale=language, project=lab_id, fuzzy=False)
    catalog.update(pot, no_fuzzy_matching=True, update_creation_date=False)
    catalog.obsolete.clear()  # a removed English text leaves nothing stale behind
    _header(catalog, lab_id, language)
    write_catalog(catalog, path)
    return catalog


def extract_percent(fileobj, keywords, comment_tags, options):
    """Babel extraction method for jupytext percent scripts (``[autograder.build.translate:extract_percent: solutions/**.py]``)."""
    import jupytext

    nb = jupytext.reads(fileobj.read().decode("utf-8"), fmt="py:percent")
    for msg in messages(nb):
        yield 0, None, msg.text, [msg.kind]
