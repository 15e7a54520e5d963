"""The kit's and the grader's message catalogs: extract → update → compile, with Babel.

``python -m autograder build --catalogs`` runs the three steps for both gettext domains
(``labkit.i18n``, ``autograder.i18n``), as ``pybabel extract``/``update``/``compile`` would:

1. **extract** — every message of the files ``babel.cfg`` maps to the domain (with that section's
   keywords), into a template catalog held in memory;
2. **update** — merge the template into each translation ``<localedir>/<lang>/LC_MESSAGES/
   <domain>.po``: a new English text arrives untranslated, a removed one is dropped (no fuzzy
   guesses, no obsolete entries left behind) — ``tests/test_messages.py`` fails on either until a
   translator has caught up;
3. **compile** — the ``.mo`` that ``gettext`` reads, next to its ``.po`` (both are committed: the
   kit is installed from a wheel or a checkout, with no build step of its own).

Everything written is deterministic: sorted files, locations without line numbers, fixed header
dates; running it twice changes nothing, and running it on an unchanged tree changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.util import pathmatch

from autograder.paths import PROJECT_ROOT

CONFIG = "babel.cfg"
TRANSLATIONS = ("ko",)  # English is the source language: its text is the message ids
COMMENT_TAGS = ("TRANSLATORS:",)
PROJECT = "keras-labs-autograder"
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)  # POT-Creation-Date and PO-Revision-Date: no churn
LOCALEDIRS = {"labkit": Path("kit/labkit/locale"), "autograder": Path("autograder/locale")}
_SKIP = {"__pycache__", ".ipynb_checkpoints"}


@dataclass(frozen=True)
class Source:
    path: str  # relative to the root, with "/"
    method: str
    keywords: dict
    options: dict


def sources(domain: str, root: Path = PROJECT_ROOT) -> list[Source]:
    """The files of ``domain`` (each file belongs to the first ``babel.cfg`` section it matches)."""
    with (Path(root) / CONFIG).open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    out = []
    for path in sorted(Path(root).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if _SKIP & set(path.parts) or rel.startswith((".", "editions/")) or "/." in rel:
            continue
        for pattern, method in method_map:
            if pathmatch(pattern, rel):
                options = dict(options_map.get(pattern, {}))
                if options.pop("domain", None) == domain:
                    keywords = options.pop("keywords", None) or {}
                    out.append(Source(rel, method, keywords, options))
                break
    return out


def template(domain: str, root: Path = PROJECT_ROOT) -> Catalog:
    """Every message of ``domain`` found in the code: the catalog template (a ``.pot``)."""
    pot = Catalog(
        domain=domain,
        project=PROJECT,
        version="1",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        fuzzy=False,
        charset="utf-8",
    )
    for source in sources(domain, root):
        with (Path(root) / source.path).open("rb") as handle:
            found = extract(
                source.method, handle, source.keywords, COMMENT_TAGS, source.options, strip_comment_tags=True
            )
            for lineno, message, comments, context in found:
                pot.add(message, locations=[(source.path, lineno)], auto_comments=comments, context=context)
    return pot


def po_path(domain: str, language: str, root: Path = PROJECT_ROOT) -> Path:
    return Path(root) / LOCALEDIRS[domain] / language / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def po_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, include_previous=False, include_lineno=False)
    return buf.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    """The compiled catalog (untranslated and fuzzy entries left out: gettext falls back to English)."""
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def updated(domain: str, language: str, root: Path = PROJECT_ROOT, pot: Catalog | None = None) -> Catalog:
    """The translation of ``domain`` into ``language``, merged with the code's messages now."""
    pot = pot or template(domain, root)
    path = po_path(domain, language, root)
    if path.exists():
        catalog = read_catalog(path)
    else:
        catalog = Catalog(locale=language, domain=domain, project=PROJECT, fuzzy=False)
    catalog.update(pot, no_fuzzy_matching=True, update_creation_date=True)
    catalog.obsolete.clear()  # a removed English text leaves nothing stale behind
    catalog.project, catalog.version = PROJECT, "1"
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    catalog.last_translator = "the course's translators"
    catalog.language_team = f"{catalog.locale.english_name} <{PROJECT}>"
    catalog.header_comment = (
        f"# {catalog.locale.english_name} messages of {PROJECT}'s {domain} catalog.\n"
        "# Written with `python -m autograder build --catalogs` (autograder/build/catalogs.py);\n"
        "# translate the msgstr lines, then run it again to compile the .mo.\n"
        "#"
    )
    catalog.fuzzy = False
    return catalog


def update_catalogs(root: Path = PROJECT_ROOT, languages: tuple[str, ...] = TRANSLATIONS) -> list[Path]:
    """Extract, update and compile every domain's catalogs; returns the files that changed."""
    changed = []
    for domain in LOCALEDIRS:
        pot = template(domain, root)
        for language in languages:
            catalog = updated(domain, language, root, pot)
            po = po_path(domain, language, root)
            for path, data in ((po, po_bytes(catalog)), (po.with_suffix(".mo"), mo_bytes(catalog))):
                if not path.exists() or path.read_bytes() != data:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    changed.append(path)
    return changed


def untranslated(
    root: Path = PROJECT_ROOT, languages: tuple[str, ...] = TRANSLATIONS
) -> list[tuple[Path, int]]:
    """``(po file, messages without a translation or still fuzzy)`` for every catalog that has some."""
    out = []
    for domain in LOCALEDIRS:
        for language in languages:
            path = po_path(domain, language, root)
            if not path.exists():
                continue
            catalog = read_catalog(path)
            count = sum(
                1
                for message in catalog
                if message.id
                and (
                    message.fuzzy
                    or not all(message.string if isinstance(message.string, tuple) else (message.string,))
                )
            )
            if count:
                out.append((path, count))
    return out
