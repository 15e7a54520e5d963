"""Messages in the student's language: Python's ``gettext`` over Babel-compiled catalogs.

Two catalogs (gettext *domains*) exist, each with a Korean translation and English as the source
language (and the fallback for anything untranslated):

* ``labkit``     — what the student kit prints (✔/✘ lines, the summary, "not attempted" …),
                   ``kit/labkit/locale/<lang>/LC_MESSAGES/labkit.{po,mo}``;
* ``autograder`` — what the grader writes (feedback, reports), ``autograder/locale/…``.

The language is chosen, in this order, by

1. an explicit argument (``Lab(..., language="ko")``, the grader's ``--language``),
2. the environment variable ``LABKIT_LANGUAGE`` (an instructor's override),
3. the notebook's edition (the build writes ``language="ko"`` into the Korean edition's
   ``Lab(...)`` call and ``"autograder": {"language": "ko"}`` into its metadata),
4. English.

Never the machine's locale: a Korean notebook graded on an English server gets Korean feedback.
Message ids are the English text; placeholders are ``{name}`` fields filled by ``str.format``
*after* translation, so a translation may reorder them (Korean puts verbs last).
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "ko")  # the editions that exist; English is the source language
DEFAULT = "en"
ENV_VAR = "LABKIT_LANGUAGE"
LOCALEDIR = Path(__file__).with_name("locale")


class UnknownLanguage(ValueError):
    """A language that has no edition."""


def resolve(language: str | None = None, edition: str | None = None) -> str:
    """The language to speak: explicit > ``$LABKIT_LANGUAGE`` > the notebook's edition > English."""
    for candidate, origin in (
        (language, "language="),
        (os.environ.get(ENV_VAR) or None, f"${ENV_VAR}"),
        (edition, "the notebook's edition"),
    ):
        if candidate is None:
            continue
        code = str(candidate).strip().lower().replace("_", "-").split("-")[0]
        if code not in LANGUAGES:
            raise UnknownLanguage(
                f"Expected a language out of {', '.join(LANGUAGES)} ({origin}). Received: {candidate!r}"
            )
        return code
    return DEFAULT


@cache
def translation(domain: str, localedir: str, language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``domain`` in ``language`` (English: the identity)."""
    if language == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(domain, localedir, languages=[language], fallback=True)


class Messages:
    """``_ = Messages(domain, localedir)`` then ``_("Expected {x}", "ko").format(x=…)``."""

    def __init__(self, domain: str, localedir: Path = LOCALEDIR) -> None:
        self.domain, self.localedir = domain, str(localedir)
        self.language = DEFAULT  # the current language of this process (set by Lab / the grader)

    def __call__(self, message: str, language: str | None = None) -> str:
        return translation(self.domain, self.localedir, language or self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int, language: str | None = None) -> str:
        return translation(self.domain, self.localedir, language or self.language).ngettext(
            singular, plural, n
        )


_ = Messages("labkit")  # the kit's own messages


def set_language(language: str | None = None, edition: str | None = None) -> str:
    """Resolve and remember the kit's language for this kernel; returns it."""
    _.language = resolve(language, edition)
    return _.language
