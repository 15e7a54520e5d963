"""Messages in the student's language: Python's ``gettext`` over Babel-compiled catalogs.

Two catalogs (gettext *domains*) exist, each with a Korean translation and English as the source
language (and the fallback for anything untranslated):

* ``labkit``     — what the student kit prints (✔/✘ lines, the summary, "not attempted" …),
                   ``kit/labkit/locale/<lang>/LC_MESSAGES/labkit.{po,mo}``;
* ``autograder`` — what the grader writes (feedback, reports), ``autograder/locale/…``.

The language is chosen, in this order, by

1. an explicit argument (the grader's ``--language``),
2. the environment variable ``LABKIT_LANGUAGE`` (an instructor's override),
3. the notebook's edition (the build writes ``language="ko"`` into the Korean edition's
   ``Lab(...)`` call — ``Lab`` passes it on as the edition — and ``"autograder": {"language":
   "ko"}`` into its metadata, which the grader reads),
4. English.

Never the machine's locale: a Korean notebook graded on an English server gets Korean feedback.
Message ids are the English text; placeholders are ``{name}`` fields filled by ``str.format``
*after* translation, so a translation may reorder them (Korean puts verbs last).
"""

from __future__ import annotations

import gettext
import os
from contextlib import contextmanager
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
        DOMAINS[domain] = self

    def __call__(self, message: str, language: str | None = None) -> str:
        if not message:  # gettext("") is the catalog's header, never a translation
            return message
        return translation(self.domain, self.localedir, language or self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int, language: str | None = None) -> str:
        return translation(self.domain, self.localedir, language or self.language).ngettext(
            singular, plural, n
        )

    def lazy(self, message: str) -> Text:
        """``N_("…")``: mark a message and keep it as English ``Text`` until it is shown."""
        return Text(message, domain=self.domain)

    def lazy_ngettext(self, singular: str, plural: str, n: int, **args) -> Text:
        """The plural form of ``lazy``: ``{n}`` chooses the form; ``args`` fill the other
        placeholders now (or later, with ``.format``)."""
        return Text(singular, {**args, "n": n}, self.domain, plural=plural)

    @contextmanager
    def using(self, language: str | None):
        """Speak ``language`` (already resolved) inside the ``with`` block, then the previous one."""
        previous, self.language = self.language, language or self.language
        try:
            yield self.language
        finally:
            self.language = previous


DOMAINS: dict[str, Messages] = {}


class Text(str):
    """A message that is its English text (so ``str`` code, f-strings and JSON see English) and
    remembers its message id and arguments, so that ``localize`` can say it in another language.

    ``N_("Expected {what} ≈ {value}").format(what=N_("the cost"), value="0.69")`` is the English
    text now; ``localize(text, "ko")`` translates the message id, localizes every ``Text``
    argument the same way, then fills the placeholders (a translation may reorder them). Use
    named placeholders only.
    """

    def __new__(cls, msgid: str, args: dict | None = None, domain: str = "labkit", plural: str | None = None):
        args = dict(args or {})
        source = plural if plural is not None and args.get("n") != 1 else msgid
        self = super().__new__(cls, source.format_map(_Unfilled(args)) if args else source)
        self.msgid, self.args, self.domain, self.plural = msgid, args, domain, plural
        return self

    def format(self, *positional, **args) -> Text:  # noqa: A003 - str.format, lazily
        if positional:
            raise TypeError(f"Expected named placeholders in {self.msgid!r}. Received: positional arguments")
        return Text(self.msgid, {**self.args, **args}, self.domain, self.plural)

    def __getnewargs__(self):  # pickling (a verdict crossing a process boundary)
        return self.msgid, self.args, self.domain, self.plural

    def __reduce__(self):
        return Text, self.__getnewargs__()


class _Unfilled(dict):
    """Arguments for a partly filled message: a placeholder not given yet stays as written
    (``{at}``), so ``lazy_ngettext(…, n)`` may be ``.format(at=…)``-ed afterwards."""

    def __missing__(self, key: str) -> _Placeholder:
        return _Placeholder(key)


class _Placeholder:
    def __init__(self, key: str) -> None:
        self.key = key

    def __format__(self, spec: str) -> str:
        return "{" + self.key + (":" + spec if spec else "") + "}"


def joined(*parts: str) -> str:
    """``parts`` concatenated, staying lazy where one is a ``Text``: ``joined("∂E/∂w", where)``
    is plain ``"∂E/∂w"`` when ``where`` is ``""`` and a ``Text`` saying ``where`` in the student's
    language otherwise. The joint itself is no message (there is nothing in it to translate)."""
    parts = tuple(part for part in parts if part)
    if not any(isinstance(part, Text) for part in parts):
        return "".join(parts)
    if len(parts) == 1:
        return parts[0]
    names = [f"p{i}" for i in range(len(parts))]
    return Text("".join("{" + name + "}" for name in names), dict(zip(names, parts)))


def localize(value, language: str | None = None, messages: Messages | None = None):
    """``value`` in ``language`` (default: the current one of its catalog).

    A ``Text`` is translated in its own catalog, its ``Text`` arguments too. A plain non-empty
    string is looked up as a message id in ``messages`` (default: the kit's catalog) — that is
    how English text recorded in ``public_checks.json`` finds its translation; a string that is
    no message id (code, numbers, a translation already) comes back unchanged. Anything else is
    returned as it is.
    """
    if isinstance(value, Text):
        catalog = DOMAINS.get(value.domain) or _
        if value.plural is not None:
            template = catalog.ngettext(value.msgid, value.plural, int(value.args.get("n", 0)), language)
        else:
            template = catalog(value.msgid, language)
        if not value.args:
            return template
        args = {k: localize(v, language) if isinstance(v, Text) else v for k, v in value.args.items()}
        return template.format_map(_Unfilled(args))
    if isinstance(value, str) and value:
        return (messages or _)(value, language)
    return value


def to_data(text: str):
    """JSON for a ``Text`` with arguments (``{"msgid": …, "args": {…}}``, nested for ``Text``
    arguments); a plain string, or a ``Text`` that is its own message id, as the string itself."""
    if not isinstance(text, Text) or (not text.args and text.plural is None):
        return str(text)
    return _data(text)


def _data(text: Text) -> dict:
    out: dict = {"msgid": text.msgid}
    if text.plural is not None:
        out["plural"] = text.plural
    if text.args:
        out["args"] = {
            key: _data(value)
            if isinstance(value, Text)
            else value.item()
            if hasattr(value, "item") and not isinstance(value, str)  # a NumPy scalar
            else value
            for key, value in text.args.items()
        }
    return out


def from_data(data, domain: str = "labkit"):
    """The inverse of ``to_data``: the ``Text`` (or the plain string) it describes."""
    if not isinstance(data, dict) or "msgid" not in data:
        return data
    args = {k: from_data(v, domain) for k, v in (data.get("args") or {}).items()}
    return Text(data["msgid"], args, domain, data.get("plural"))


_ = Messages("labkit")  # the kit's own messages
N_ = _.lazy  # a lab's labels and hints (they reach the kit in public_checks.json: this catalog)
lazy_ngettext = _.lazy_ngettext


def set_language(language: str | None = None, edition: str | None = None) -> str:
    """Resolve and remember the kit's language for this kernel; returns it."""
    _.language = resolve(language, edition)
    return _.language
