"""The grader's messages in the student's language: the ``autograder`` gettext domain.

The same machinery as the kit's (``labkit.i18n``: Python's ``gettext`` over Babel-compiled
catalogs, English message ids, ``{name}`` placeholders filled after translation), with its own
catalog ``autograder/locale/<lang>/LC_MESSAGES/autograder.{po,mo}`` for what only the grader
writes: feedback notes, cell problems (time limits, a dead kernel …) and the reports.

Which language a lab's result speaks (``lab_language``): the instructor's ``--language``, else
``$LABKIT_LANGUAGE``, else the notebook's edition (its metadata's ``autograder.language``), else
English — never the grading machine's locale. It is decided per notebook, kept on the
``LabResult`` (``language``) and sent to the re-scoring process, so a Korean notebook graded among
English ones gets Korean feedback.

Two ways to write a message here:

* ``_("…", language).format(…)`` where the language is known (the re-scoring process speaks one
  language at a time: ``speaking``; a reporter knows its result's);
* ``N_("…").format(…)`` where it is not (the pipeline's steps, which serve notebooks of several
  languages): English ``Text`` that ``localize(text, language)`` translates when the lab's result
  is finished (``pipeline.step_report``).

A lab's own grading code (``autograder/labs/``, ``solutions/<lab>/grading.py`` and
``reference.py``) marks its labels, hints and feedback with ``labkit.i18n.N_`` instead: they reach
the student kit in ``public_checks.json``, so their translations live in the kit's catalog.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from labkit import i18n as _kit
from labkit.i18n import DEFAULT, LANGUAGES, Messages, Text, UnknownLanguage, resolve

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "LOCALEDIR",
    "N_",
    "Text",
    "UnknownLanguage",
    "_",
    "lab_language",
    "lazy_ngettext",
    "localize",
    "resolve",
    "speaking",
]

LOCALEDIR = Path(__file__).with_name("locale")

_ = Messages("autograder", LOCALEDIR)
N_ = _.lazy
lazy_ngettext = _.lazy_ngettext


def localize(value, language: str | None = None):
    """``value`` (a ``Text`` of either catalog, or plain text) in ``language``; see ``labkit.i18n``."""
    return _kit.localize(value, language, messages=_)


@contextmanager
def speaking(language: str | None):
    """Both catalogs (the grader's and the kit's, which the labs' comparisons use) in ``language``."""
    with _.using(language), _kit._.using(language):
        yield language or _.language


def lab_language(explicit: str | None, edition: str | None) -> tuple[str, str | None]:
    """``(language, note)`` for a notebook whose edition is ``edition`` (its metadata says so).

    ``explicit`` (the instructor's ``--language``) has been validated already. A language the
    course has no edition in (a notebook's metadata, ``$LABKIT_LANGUAGE``) does not stop the
    grading: the feedback is in the instructor's choice, else English, and a note says why.
    """
    try:
        return resolve(explicit, edition), None
    except UnknownLanguage as exc:
        try:
            language = resolve(explicit)
        except UnknownLanguage:
            language = DEFAULT
        note = N_("this feedback cannot be in the language asked for ({problem}): it is in {language}")
        return language, note.format(problem=str(exc), language=language)
