"""CLI commands that package the grader for where students submit (registered by ``cli.py``).

* ``github-workflow``   — the GitHub Actions workflow of a student's repository
  (``autograder/integrations/github_workflow.py``, template ``templates/github-classroom.yml``);
* ``gradescope-bundle`` — one lab's Gradescope autograder zip (``autograder/integrations/gradescope.py``);
* ``gradescope-run``    — what that zip's ``run_autograder`` calls inside Gradescope.

Gradescope grades with the same ``grade`` command as the CLI, so a notebook scores the same; the
GitHub workflow runs the student kit's public checks only (``python -m labkit check``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def cmd_github_workflow(args) -> int:
    from autograder.cli import _write
    from autograder.integrations.github_workflow import TemplateError, render

    try:
        text = render(args.package_spec, args.fail_under, args.mnist_url)
    except TemplateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _write(text, args.output)
    if args.output:
        print(f"wrote {args.output}: commit it to the student repository as .github/workflows/autograder.yml")
    return 0


def cmd_gradescope_bundle(args) -> int:
    from autograder.integrations.gradescope import BundleError, build_bundle

    try:
        names = build_bundle(
            args.lab, args.output, mnist=Path(args.mnist) if args.mnist else None, skip_mnist=args.no_mnist
        )
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} ({len(names)} files)")
    print("It contains the instructor notebook (solutions, hidden tests): upload it to Gradescope only.")
    return 0


def cmd_gradescope_run(args) -> int:
    from autograder.integrations.gradescope import run

    return run(
        args.lab,
        Path(args.root),
        sandbox=os.environ.get("GRADESCOPE_SANDBOX", "auto"),
        hidden_visibility=os.environ.get("GRADESCOPE_HIDDEN_VISIBILITY", "after_published"),
    )


def register(sub) -> None:
    p = sub.add_parser(
        "github-workflow",
        help="render the GitHub Actions workflow that grades a student's repository",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    from autograder.integrations.github_workflow import DEFAULT_PACKAGE_SPEC

    p.add_argument(
        "--package-spec",
        default=DEFAULT_PACKAGE_SPEC,
        help="pip requirement of this course repository (installed editable), e.g. git+https://…/course.git@main",
    )
    p.add_argument(
        "--fail-under",
        type=float,
        default=None,
        metavar="SCORE",
        help="fail the run below SCORE (the repository variable AUTOGRADER_FAIL_UNDER overrides it)",
    )
    p.add_argument(
        "--mnist-url", default=None, help="where runners download mnist.npz (default: the manifest's)"
    )
    p.add_argument("--output", help="write the workflow here instead of stdout")
    p.set_defaults(func=cmd_github_workflow)

    p = sub.add_parser(
        "gradescope-bundle", help="build one lab's Gradescope autograder zip (instructors only)"
    )
    p.add_argument("--lab", required=True, help="lab id, e.g. lab18_xor_sigmoid or 18")
    p.add_argument("--output", required=True, help="the zip to write")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--mnist", help="put this (verified) mnist.npz into the zip instead of downloading it")
    group.add_argument(
        "--no-mnist", action="store_true", help="the lab does not use MNIST: skip it in setup.sh"
    )
    p.set_defaults(func=cmd_gradescope_bundle)

    p = sub.add_parser(
        "gradescope-run", help="inside Gradescope: grade /autograder/submission (run_autograder)"
    )
    p.add_argument("--lab", required=True)
    p.add_argument("--root", default=os.environ.get("GRADESCOPE_ROOT", "/autograder"))
    p.set_defaults(func=cmd_gradescope_run)
