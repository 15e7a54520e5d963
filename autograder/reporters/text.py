"""Readable tables for people: plain text for terminals, Markdown for CI job summaries.

Each lab's lines speak that lab's language (``LabResult.language``: the notebook's edition, or
the instructor's ``--language``); the table's own words speak ``report_language``.
"""

from __future__ import annotations

from autograder.i18n import _
from autograder.reporters.language import report_language
from autograder.results import SubmissionResult

_MARK = {"passed": "✔", "failed": "✘", "error": "!"}


def _acc(lab) -> str:
    return f"{lab.accuracy * 100:.2f} %" if lab.accuracy is not None else "—"


def _lab_lines(lab, language: str | None) -> list[str]:
    """The detail of one lab: its tests, errors, notes and isolation, in its own language."""
    lang = language or lab.language
    lines = [f"{lab.lab}"]
    for test in lab.tests:
        hidden = " " + _("(hidden)", lang) if test.hidden else ""
        lines.append(
            f"  {_MARK[test.status]} {test.name}{hidden} {test.score:g}/{test.max_score:g}: {test.output}"
        )
    lines += ["  " + _("error: {message}", lang).format(message=e) for e in lab.errors]
    lines += ["  " + _("note: {message}", lang).format(message=n) for n in lab.notes]
    if lab.isolation:
        lines.append("  " + _("isolation: {how}", lang).format(how=lab.isolation))
    return lines


def to_text(result: SubmissionResult, detail: bool = True, language: str | None = None, **_ignored) -> str:
    lang = report_language(result, language)
    rows = [
        (_("lab", lang), _("tests passed", lang), _("points", lang), _("accuracy", lang), _("seconds", lang))
    ]
    for lab in result.labs:
        rows.append(
            (
                lab.lab,
                f"{lab.passed_count}/{len(lab.tests)}",
                f"{lab.score:g}/{lab.max_score:g}",
                _acc(lab),
                f"{lab.execution_time:.1f}",
            )
        )
    rows.append(
        (_("total", lang), "", f"{result.score:g}/{result.max_score:g}", "", f"{result.execution_time:.1f}")
    )
    widths = [max(_width(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(_ljust(cell, w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if detail:
        for lab in result.labs:
            lines.append("")
            lines += _lab_lines(lab, language)
    lines += [_("error: {message}", lang).format(message=e) for e in result.errors]
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Hangul syllable (or other wide character) takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def to_markdown(result: SubmissionResult, language: str | None = None, **_ignored) -> str:
    lang = report_language(result, language)
    head = (
        _("lab", lang),
        _("tests passed", lang),
        _("points", lang),
        _("accuracy", lang),
        _("seconds", lang),
    )
    lines = ["| " + " | ".join(head) + " |", "| --- | --- | --- | --- | --- |"]
    for lab in result.labs:
        lines.append(
            f"| {lab.lab} | {lab.passed_count}/{len(lab.tests)} | {lab.score:g}/{lab.max_score:g} | "
            f"{_acc(lab)} | {lab.execution_time:.1f} |"
        )
    total, fix = _("total", lang), _("What to fix", lang)  # (no calls inside f-strings: Babel misses them)
    lines.append(
        f"| **{total}** | | **{result.score:g}/{result.max_score:g}** | | {result.execution_time:.1f} |"
    )
    failed = [(lab.lab, t) for lab in result.labs for t in lab.tests if t.status != "passed"]
    if failed:
        lines += ["", f"<details><summary>{fix}</summary>", ""]
        lines += [f"- `{lab}` `{t.name}`: {t.output}" for lab, t in failed]
        lines += ["", "</details>"]
    errors = [e for lab in result.labs for e in lab.errors] + result.errors
    lines += [f"> ⚠ {e}" for e in errors]
    return "\n".join(lines) + "\n"


def check_footer(result: SubmissionResult, language: str | None = None) -> str:
    """The last line of ``check``: public checks passed, and what only the real grading runs."""
    from autograder.labs import all_labs

    lang = report_language(result, language)
    tests = [t for lab in result.labs for t in lab.tests if not t.hidden]
    passed = sum(t.status == "passed" for t in tests)
    specs = [all_labs().get(lab.lab) for lab in result.labs]
    hidden = sum(q.hidden for spec in specs if spec for q in spec.questions)
    manual = sum(len(spec.manual) for spec in specs if spec)
    line = _("{passed}/{checked} public checks pass ({points:g}/{total:g} points)", lang).format(
        passed=passed,
        checked=len(tests),
        points=sum(t.score for t in tests),
        total=sum(t.max_score for t in tests),
    )
    if hidden:
        line += "; " + _.ngettext(
            "{n} hidden test run at grading", "{n} hidden tests run at grading", hidden, lang
        ).format(n=hidden)
    else:
        line += "; " + _("the grader re-runs these checks (no hidden tests in this lab)", lang)
    if manual:
        line += "; " + _.ngettext(
            "{n} written answer graded by hand", "{n} written answers graded by hand", manual, lang
        ).format(n=manual)
    return line + "\n"
