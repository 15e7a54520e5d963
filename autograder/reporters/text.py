"""Readable tables for people: plain text for terminals, Markdown for CI job summaries."""

from __future__ import annotations

from autograder.results import SubmissionResult

_MARK = {"passed": "✔", "failed": "✘", "error": "!"}


def _acc(lab) -> str:
    return f"{lab.accuracy * 100:.2f} %" if lab.accuracy is not None else "—"


def to_text(result: SubmissionResult, detail: bool = True, **_) -> str:
    rows = [("lab", "tests passed", "points", "accuracy", "seconds")]
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
    rows.append(("total", "", f"{result.score:g}/{result.max_score:g}", "", f"{result.execution_time:.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if detail:
        for lab in result.labs:
            lines.append("")
            lines.append(f"{lab.lab}")
            for test in lab.tests:
                hidden = " (hidden)" if test.hidden else ""
                lines.append(
                    f"  {_MARK[test.status]} {test.name}{hidden} {test.score:g}/{test.max_score:g}: {test.output}"
                )
            lines += [f"  error: {e}" for e in lab.errors] + [f"  note: {n}" for n in lab.notes]
            if lab.isolation:
                lines.append(f"  isolation: {lab.isolation}")
    lines += [f"error: {e}" for e in result.errors]
    return "\n".join(lines) + "\n"


def to_markdown(result: SubmissionResult, **_) -> str:
    lines = ["| lab | tests passed | points | accuracy | seconds |", "| --- | --- | --- | --- | --- |"]
    for lab in result.labs:
        lines.append(
            f"| {lab.lab} | {lab.passed_count}/{len(lab.tests)} | {lab.score:g}/{lab.max_score:g} | "
            f"{_acc(lab)} | {lab.execution_time:.1f} |"
        )
    lines.append(
        f"| **total** | | **{result.score:g}/{result.max_score:g}** | | {result.execution_time:.1f} |"
    )
    failed = [(lab.lab, t) for lab in result.labs for t in lab.tests if t.status != "passed"]
    if failed:
        lines += ["", "<details><summary>What to fix</summary>", ""]
        lines += [f"- `{lab}` `{t.name}`: {t.output}" for lab, t in failed]
        lines += ["", "</details>"]
    errors = [e for lab in result.labs for e in lab.errors] + result.errors
    lines += [f"> ⚠ {e}" for e in errors]
    return "\n".join(lines) + "\n"


def check_footer(result: SubmissionResult) -> str:
    """The last line of ``check``: public checks passed, and what only the real grading runs."""
    from autograder.labs import all_labs

    tests = [t for lab in result.labs for t in lab.tests if not t.hidden]
    passed = sum(t.status == "passed" for t in tests)
    specs = [all_labs().get(lab.lab) for lab in result.labs]
    hidden = sum(q.hidden for spec in specs if spec for q in spec.questions)
    manual = sum(len(spec.manual) for spec in specs if spec)
    points = f"{sum(t.score for t in tests):g}/{sum(t.max_score for t in tests):g} points"
    line = f"{passed}/{len(tests)} public checks pass ({points})"
    if hidden:
        line += f"; {hidden} hidden test{'s' * (hidden != 1)} run at grading"
    else:
        line += "; the grader re-runs these checks (no hidden tests in this lab)"
    if manual:
        line += f"; {manual} written answer{'s' * (manual != 1)} graded by hand"
    return line + "\n"
