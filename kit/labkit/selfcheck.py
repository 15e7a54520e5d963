"""``python -m labkit check PATH``: the public checks of a lab notebook, run the way grading runs it.

For a student's own feedback (their laptop, GitHub Actions): each notebook under ``PATH`` runs in
a fresh work directory, in the bubblewrap sandbox when one can start (``--no-sandbox`` otherwise),
with its lab's ``public_checks.json`` beside it; its answer files are then judged by replaying
the public checks. Nothing secret is involved — no grader, no hidden inputs, no token — so the
hidden tests and the questions judged on a saved model are listed as "checked at grading".

The official grade comes from the course's grader, which also restores locked cells and runs the
hidden tests: this command only tells a student where they stand on the public checks.

It speaks each notebook's language (its metadata's ``autograder.language``; ``$LABKIT_LANGUAGE``
overrides it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from labkit import answers as _answers
from labkit import checks as _checks
from labkit import i18n
from labkit import sandbox as sb
from labkit.i18n import _


@dataclass
class Line:
    name: str
    points: float
    score: float
    status: str  # "passed" | "failed" | "at grading"
    message: str


@dataclass
class NotebookCheck:
    notebook: str
    lab: str = ""
    lines: list[Line] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    language: str = i18n.DEFAULT  # the notebook's edition: what its lines are written in

    @property
    def score(self) -> float:
        return sum(line.score for line in self.lines)

    @property
    def max_score(self) -> float:
        return sum(line.points for line in self.lines if line.status != "at grading")


def _lab_of(nb, path: Path) -> str | None:
    lab = (nb.metadata.get("autograder") or {}).get("lab")
    return lab or (path.stem if path.stem.startswith("lab") else None)


def _edition(nb) -> str | None:
    return (nb.metadata.get("autograder") or {}).get("language")


def check_notebook(path: Path, sandbox: bool = True, limits: sb.Limits | None = None) -> NotebookCheck:
    limits = limits or sb.Limits()
    out = NotebookCheck(notebook=str(path), language=i18n.resolve())
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a message, not a crash
        out.errors.append(
            _("Expected a Jupyter notebook. Received: {name} ({error}: {message})", out.language).format(
                name=path.name, error=type(exc).__name__, message=exc
            )
        )
        return out
    try:
        out.language = i18n.resolve(edition=_edition(nb))
    except i18n.UnknownLanguage as exc:
        out.errors.append(str(exc))
    with _.using(out.language):
        return _check(nb, path, out, sandbox, limits)


def _check(nb, path: Path, out: NotebookCheck, sandbox: bool, limits: sb.Limits) -> NotebookCheck:
    out.lab = _lab_of(nb, path) or ""
    try:
        data = _checks.load(out.lab, path.parent)
    except _checks.ChecksMissing as exc:
        out.errors.append(str(exc))
        return out
    with tempfile.TemporaryDirectory(prefix="labkit-check-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        os.chmod(tmp, 0o711)
        shutil.copy(path, work / path.name)
        shutil.copy(path.parent / _checks.FILENAME, work / _checks.FILENAME)
        runner = [sys.executable, "-m", "labkit.runner", path.name, ".executed.ipynb"]
        runner += ["--cell-seconds", str(limits.cell_seconds)]
        if sandbox:
            uid = sb.sandbox_uid() if os.geteuid() == 0 else None
            sb.prepare_workdir(work, uid)
            mnist = os.environ.get("AUTOGRADER_MNIST")
            if mnist is None:
                from labkit.mnist import DatasetError, find_mnist

                try:
                    mnist = str(find_mnist(download=False))
                except DatasetError:
                    mnist = None
            argv = sb.build_command([*runner, "--sweep"], work, mnist=Path(mnist) if mnist else None, uid=uid)
            cwd = None
        else:
            argv, cwd = runner, work
        try:
            proc = subprocess.run(
                argv,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=limits.notebook_seconds,
                preexec_fn=sb.preexec_for(limits),
            )
            if proc.returncode != 0:
                out.errors.append(
                    _("the notebook could not be run: {error}").format(
                        error=proc.stderr.decode(errors="replace")[-500:]
                    )
                )
        except subprocess.TimeoutExpired:
            out.errors.append(
                _("the notebook exceeded the {seconds:g} s time limit").format(
                    seconds=limits.notebook_seconds
                )
            )
        answers_dir = work / "answers"
        for question in data["questions"]:
            name, points = question["name"], float(question["points"])
            if question["hidden"] or question.get("mode") not in ("replay", "reference"):
                what = _("hidden test") if question["hidden"] else _("checked on your saved model")
                out.lines.append(Line(name, points, 0.0, "at grading", what))
                continue
            entry_answers = {}
            for key in question.get("shapes", {}):
                answer = key.split(".", 1)[0]
                if _answers.has_answer(answers_dir, answer) and answer not in entry_answers:
                    try:
                        entry_answers[answer] = _answers.load_answer(answers_dir, answer, models=False)
                    except _answers.AnswerError as exc:
                        out.lines.append(Line(name, points, 0.0, "failed", str(exc)))
                        break
            else:
                verdict = _checks.replay(question, entry_answers)
                status = "passed" if verdict.passed else "failed"
                out.lines.append(
                    Line(
                        name,
                        points,
                        points if verdict.passed else 0.0,
                        status,
                        i18n.localize(verdict.message),
                    )
                )
    return out


def find_notebooks(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [
        p
        for p in sorted(path.rglob("*.ipynb"))
        if ".ipynb_checkpoints" not in p.parts and not p.name.startswith(".")
    ]


def markdown(results: list[NotebookCheck], language: str | None = None) -> str:
    """The report; its headings in ``language`` (default: the first notebook's), each notebook's
    lines in its own."""
    language = language or (results[0].language if results else i18n.resolve())
    head = (_("lab", language), _("public checks", language), _("points", language))
    rows = ["## " + _("Public checks", language), "", "| " + " | ".join(head) + " |", "|---|---|---|"]
    for r in results:
        checked = [line for line in r.lines if line.status != "at grading"]
        passed = sum(line.status == "passed" for line in checked)
        rows.append(
            f"| {r.lab or r.notebook} | "
            + _("{passed}/{checked} pass", language).format(passed=passed, checked=len(checked))
            + f" | {r.score:g}/{r.max_score:g} |"
        )
    rows += [""]
    for r in results:
        for line in r.lines:
            mark = {"passed": "✔", "failed": "✘"}.get(line.status, "ℹ")
            label = _("{name} [{points:g} pt]", r.language).format(
                name=f"**{line.name}**", points=line.points
            )
            rows.append(f"- {mark} `{r.lab}` {label}: {line.message}")
        rows += [f"- ⚠ `{r.lab or r.notebook}`: {e}" for e in r.errors]
    rows += [
        "",
        _(
            "Hidden tests, and the questions checked on your saved model, run only at official grading "
            "(the course's grader); this page shows the public checks.",
            language,
        ),
    ]
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labkit check", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=".")
    parser.add_argument(
        "--no-sandbox", action="store_true", help="run without bubblewrap (your own code only)"
    )
    parser.add_argument("--json", help="write the results as JSON here")
    parser.add_argument("--markdown", help="write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--fail-under", type=float, help="exit 1 when the public-check points are below this")
    args = parser.parse_args(argv)
    sandbox = not args.no_sandbox
    try:
        i18n.set_language()  # $LABKIT_LANGUAGE, else English, until a notebook says its edition
    except i18n.UnknownLanguage as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if sandbox and (problem := sb.probe()):
        print(_("error: the sandbox cannot start here: {problem}").format(problem=problem), file=sys.stderr)
        return 2
    notebooks = find_notebooks(Path(args.path))
    if not notebooks:
        print(
            _("error: Expected lab notebooks (*.ipynb) under {path}. Received: none").format(path=args.path),
            file=sys.stderr,
        )
        return 2
    results = [check_notebook(nb, sandbox=sandbox) for nb in notebooks]
    text = markdown(results)
    print(text)
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as handle:
            handle.write(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        payload = [{**asdict(r), "score": r.score, "max_score": r.max_score} for r in results]
        Path(args.json).write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    total = sum(r.score for r in results)
    if args.fail_under is not None and total < args.fail_under:
        print(
            _(
                "public-check points {total:g} are below --fail-under {threshold:g}", results[0].language
            ).format(total=total, threshold=args.fail_under),
            file=sys.stderr,
        )
        return 1
    return 0
