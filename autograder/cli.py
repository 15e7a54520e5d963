"""``python -m autograder …`` — a thin argparse layer over the Python API.

Commands: ``grade``, ``check``, ``batch``, ``data check``, ``build``, ``labs``, ``report``,
``gradescope-bundle``, ``github-workflow``. Exit codes: 0 whenever a result was produced
(whatever the score); 1 when ``--fail-under`` is not met; 2 for bad usage or when no result
could be produced at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from labkit import i18n, sandbox

from autograder.options import add_kernels_arg, add_language_arg, add_limit_args, add_seed_arg


def _write(text: str, output: str | None) -> None:
    if output:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _options(args, public_only: bool = False):
    from autograder.grading.pipeline import Options

    limits = sandbox.Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.timeout)
    return Options(
        isolation=args.isolation or ("none" if args.no_sandbox else "sandbox"),
        protect=tuple(Path(p) for p in args.protect),
        limits=limits,
        hidden_seed=args.hidden_seed,
        lab=args.lab,
        public_only=public_only,
        kernels=args.kernels,
        language=args.language,
    )


def _add_grading_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="a notebook, or a directory with one student's notebooks")
    p.add_argument("--lab", help="lab id (default: detected from the notebook)")
    p.add_argument("--format", default="text", choices=["text", "json", "gradescope", "junit", "markdown"])
    p.add_argument("--output", help="write the report here (atomically) instead of stdout")
    p.add_argument(
        "--fail-under",
        type=float,
        default=None,
        metavar="SCORE",
        help="exit 1 when the total score is below SCORE",
    )
    isolation = p.add_mutually_exclusive_group()
    isolation.add_argument(
        "--isolation",
        choices=["sandbox", "user", "none"],
        default=None,
        help="how the kernel is isolated: bubblewrap (default), a fresh unprivileged uid without "
        "bubblewrap (root only: where namespaces are forbidden), or none (trusted code only)",
    )
    isolation.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run without isolation (--isolation none; trusted code only)",
    )
    p.add_argument(
        "--protect",
        action="append",
        default=[],
        metavar="DIR",
        help="--isolation user: a folder the kernel must not read besides the grader's (repeatable)",
    )
    add_limit_args(p)
    add_kernels_arg(p)
    add_seed_arg(p)
    add_language_arg(p)
    p.add_argument(
        "--hidden-visibility",
        default="after_published",
        choices=["hidden", "after_due_date", "after_published", "visible"],
        help="Gradescope visibility of hidden tests",
    )


def cmd_grade(args, public_only: bool = False) -> int:
    from autograder.grading.pipeline import grade_path
    from autograder.reporters import FORMATS

    result = grade_path(args.path, _options(args, public_only))
    text = FORMATS[args.format](result, hidden_visibility=args.hidden_visibility)
    footer = ""
    if public_only and result.labs:
        from autograder.reporters.text import check_footer

        footer = check_footer(result)
        text += footer if args.format == "text" else ""
    _write(text, args.output)
    if args.output and args.format != "text":
        sys.stderr.write(FORMATS["text"](result, detail=False) + footer)
    if not result.labs:
        return 2
    if args.fail_under is not None and result.score < args.fail_under:
        sys.stderr.write(f"score {result.score:g} is below --fail-under {args.fail_under:g}\n")
        return 1
    return 0


def cmd_demo(args) -> int:
    """Grade every lab's reference solution through the full pipeline and print the grade table."""
    import shutil
    import tempfile

    from autograder.grading.pipeline import Options, grade_path
    from autograder.labs import all_labs, get_lab
    from autograder.paths import PROJECT_ROOT
    from autograder.reporters import to_text

    use_sandbox = sandbox.bwrap_path() is not None and not args.no_sandbox
    if not use_sandbox:
        print("note: bubblewrap not found — grading the (trusted) reference solutions without the sandbox")
    labs = args.labs or list(all_labs())
    with tempfile.TemporaryDirectory(prefix="demo-") as tmp:
        for lab_id in labs:
            spec = get_lab(lab_id)
            shutil.copy(PROJECT_ROOT / "solutions" / spec.lab_id / spec.notebook, Path(tmp) / spec.notebook)
        print(
            f"grading {len(labs)} reference notebooks (sandbox: {'on' if use_sandbox else 'off'}) …",
            flush=True,
        )
        result = grade_path(tmp, Options(sandbox=use_sandbox))
    sys.stdout.write(to_text(result, detail=args.detail))
    full = all(lab.score == lab.max_score and lab.max_score > 0 for lab in result.labs)
    print("all reference solutions earn full marks" if full else "SOME REFERENCE SOLUTIONS LOST POINTS")
    return 0 if full else 1


def cmd_data_check(args) -> int:
    from labkit.mnist import DatasetError, find_mnist, verify_mnist

    try:
        path = Path(args.path) if args.path else find_mnist(download=False)
    except DatasetError as exc:
        print(f"MNIST: not found\n{exc}")
        return 1
    report = verify_mnist(path)
    print(f"MNIST: {path}")
    for line in report.lines:
        print(f"  {line}")
    print(
        "OK: verified by " + ("file digest" if report.how == "digest" else "per-array digests")
        if report.ok
        else "FAILED: this is not a valid MNIST file (it was not modified)"
    )
    return 0 if report.ok else 1


def cmd_build(args) -> int:
    from autograder.build import BuildError, build, record_checks, update_catalogs
    from autograder.course import CourseSettingError

    def shown(path: Path) -> Path:
        return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path

    try:
        if getattr(args, "catalogs", False):  # the kit's and the grader's messages only: fast, no notebooks
            from autograder.build import catalogs

            for path in catalogs.update_catalogs():
                print(f"updated {shown(path)}")
            for path, count in catalogs.untranslated():
                print(f"warning: {shown(path)}: {count} message(s) to translate", file=sys.stderr)
            return 0
        if getattr(args, "lab_catalogs", False):
            for path in update_catalogs(args.labs or None):
                print(f"updated {shown(path)}")
        if args.checks:
            for path in record_checks(args.labs or None):
                print(f"recorded {path}")
        for path in build(args.labs or None, languages=getattr(args, "language", None)):
            print(f"wrote {shown(path)}")
    except (BuildError, CourseSettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_labs(args) -> int:
    from autograder.labs import all_labs

    for lab_id, spec in all_labs().items():
        hidden = sum(q.hidden for q in spec.questions)
        print(
            f"{lab_id:28s} {spec.max_score:5g} pts  {len(spec.questions):2d} tests ({hidden} hidden)  {spec.title}"
        )
    return 0


def cmd_report(args) -> int:
    from autograder.reporters import FORMATS
    from autograder.results import SubmissionResult

    data = json.loads(Path(args.result).read_text())
    _write(FORMATS[args.format](SubmissionResult.from_dict(data), language=args.language), args.output)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("grade", help="grade a submission (sandboxed, hidden tests included)")
    _add_grading_args(p)
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("check", help="a student's self-check: public checks only, sandboxed")
    _add_grading_args(p)
    p.set_defaults(func=lambda a: cmd_grade(a, public_only=True))
    p = sub.add_parser("data", help="dataset commands")
    dsub = p.add_subparsers(dest="data_command", required=True)
    d = dsub.add_parser("check", help="verify an MNIST file (default: the one the loader finds)")
    d.add_argument("path", nargs="?")
    d.set_defaults(func=cmd_data_check)
    p = sub.add_parser("build", help="regenerate instructor and student notebooks from the sources")
    p.add_argument("labs", nargs="*")
    p.add_argument(
        "--checks",
        action="store_true",
        help="first re-record each lab's public_checks.json by running its reference notebook (minutes)",
    )
    p.add_argument(
        "--catalogs",
        action="store_true",
        help="only extract, update and compile the kit's and the grader's message catalogs (babel.cfg; "
        "kit/labkit/locale, autograder/locale), then stop",
    )
    p.add_argument(
        "--lab-catalogs",
        action="store_true",
        help="first merge each lab's English texts into its translation catalogs (solutions/<lab>/locale/)",
    )
    p.add_argument(
        "--language",
        action="append",
        choices=i18n.LANGUAGES,
        help="build only this edition (repeatable; default: every edition)",
    )
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("demo", help="grade every lab's reference solution and print the grade table")
    p.add_argument("labs", nargs="*")
    p.add_argument("--no-sandbox", action="store_true")
    p.add_argument("--detail", action="store_true", help="also list every test")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("labs", help="list the labs")
    p.set_defaults(func=cmd_labs)
    p = sub.add_parser("report", help="render a saved JSON result in another format")
    p.add_argument("result")
    p.add_argument(
        "--format", default="markdown", choices=["text", "json", "gradescope", "junit", "markdown"]
    )
    p.add_argument("--output")
    p.add_argument(
        "--language",
        choices=i18n.LANGUAGES,
        default=None,
        help="the language of the report's own text (default: each lab result's)",
    )
    p.set_defaults(func=cmd_report)
    _add_optional(sub)
    return parser


def _add_optional(sub) -> None:
    """Commands living in their own modules (batch, integrations) register themselves here."""
    for module in ("autograder.batch", "autograder.integrations.commands"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyError as exc:
        print(f"error: {str(exc).strip(chr(34))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
