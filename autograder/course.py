"""The course's settings (``course.toml``) and where each edition of a lab lives.

``course.toml`` at the root of the course holds what an instructor chooses once::

    [course]
    language = "en"   # or "ko": the edition nbgrader works on

Every lab exists in two editions, English and Korean, built from one source (``./run build``;
``autograder/build/editions.py``). The *course language's* edition sits where nbgrader looks —
``solutions/<lab>/<lab>.ipynb`` (source) and ``labs/<lab>/<lab>.ipynb`` (release) — and the other
one beside it, outside nbgrader's folders::

    editions/<language>/solutions/<lab>/<lab>.ipynb      instructor notebook
    editions/<language>/labs/<lab>/<lab>.ipynb           student notebook (+ public_checks.json)

A notebook says which edition it is in its metadata: ``"autograder": {"lab": …, "language": …}``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from labkit.i18n import LANGUAGES

from autograder.paths import PROJECT_ROOT

COURSE_FILE = "course.toml"
EDITIONS = "editions"
SOURCE_LANGUAGE = "en"  # the language the lab sources are written in
DEFAULT_LANGUAGE = "en"  # the course language when course.toml does not say


class CourseSettingError(ValueError):
    """``course.toml`` cannot be read, or holds a value that is not allowed."""


def course_language(root: Path = PROJECT_ROOT) -> str:
    """``[course] language`` of ``root/course.toml`` (``en`` where the file does not exist)."""
    path = Path(root) / COURSE_FILE
    if not path.is_file():
        return DEFAULT_LANGUAGE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseSettingError(
            f"{path}: Expected TOML. Received: a file that does not parse ({exc})"
        ) from None
    course = data.get("course", {})
    if not isinstance(course, dict):
        raise CourseSettingError(f"{path}: Expected a [course] table. Received: course = {course!r}")
    language = course.get("language", DEFAULT_LANGUAGE)
    if language not in LANGUAGES:
        raise CourseSettingError(
            f"{path}: [course] language: Expected one of {', '.join(map(repr, LANGUAGES))}. "
            f"Received: {language!r}"
        )
    return language


def edition_root(language: str, root: Path = PROJECT_ROOT, course: str | None = None) -> Path:
    """The folder holding ``solutions/`` and ``labs/`` of one edition: the course root for the
    course language, ``editions/<language>/`` for the other."""
    course = course or course_language(root)
    return Path(root) if language == course else Path(root) / EDITIONS / language


def instructor_path(lab_id: str, language: str, root: Path = PROJECT_ROOT, course: str | None = None) -> Path:
    return edition_root(language, root, course) / "solutions" / lab_id / f"{lab_id}.ipynb"


def student_path(lab_id: str, language: str, root: Path = PROJECT_ROOT, course: str | None = None) -> Path:
    return edition_root(language, root, course) / "labs" / lab_id / f"{lab_id}.ipynb"


def notebook_language(nb) -> str | None:
    """The edition a notebook says it is (its metadata ``autograder.language``), if a known one."""
    meta = nb.get("metadata", {}).get("autograder") or {}
    language = meta.get("language") if isinstance(meta, dict) else None
    return language if language in LANGUAGES else None
