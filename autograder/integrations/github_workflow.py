"""Render the GitHub Actions workflow a student's repository uses for its public checks.

It installs the student kit alone (``deep-learning-labkit``) and runs ``python -m labkit check``:
feedback without secrets — no grader, no hidden tests, no token, no course repository.

``python -m autograder github-workflow --package-spec SPEC [--fail-under X] [--mnist-url URL]
--output .github/workflows/autograder.yml``

The template is ``autograder/templates/github-classroom.yml``; its placeholders are ``%{name}``
(so that neither the shell's ``$VAR`` nor GitHub's ``${{ … }}`` needs escaping). Every value is
inserted as a quoted YAML scalar or a quoted GitHub expression literal, never as raw text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from labkit.mnist import _manifest

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "github-classroom.yml"
DIST_NAME = "deep-learning-labkit"
# The kit as the course publishes it: on PyPI, or a wheel URL (`python -m build kit/`), or the
# public kit folder of a course repository (git+https://…/course.git@main#subdirectory=kit).
DEFAULT_PACKAGE_SPEC = DIST_NAME
_PLACEHOLDER = re.compile(r"%\{([a-z_]+)\}")


class TemplateError(ValueError):
    """A value cannot be put into the template safely."""


def package_spec(spec: str) -> str:
    """``git+URL`` → ``git+URL#egg=deep-learning-labkit`` (pip names a VCS requirement by it)."""
    spec = spec.strip()
    if not spec or any(c in spec for c in "\n\r\"'`") or spec.startswith("-"):
        raise TemplateError(
            f"Expected a pip requirement such as deep-learning-labkit or a wheel URL. Received: {spec!r}"
        )
    if re.match(r"^(git|hg|svn|bzr)\+", spec) and "egg=" not in spec:
        spec += ("&" if "#" in spec else "#") + f"egg={DIST_NAME}"
    return spec


def _expr_literal(value: str) -> str:
    """A GitHub expression string literal: single quotes, doubled inside."""
    return "'" + value.replace("'", "''") + "'"


def render(
    package_spec_: str = DEFAULT_PACKAGE_SPEC,
    fail_under: float | None = None,
    mnist_url: str | None = None,
    template: Path = TEMPLATE,
) -> str:
    """The workflow text with every placeholder filled."""
    if fail_under is not None and not (0 <= fail_under < float("inf")):
        raise TemplateError(f"Expected --fail-under to be a score >= 0. Received: {fail_under!r}")
    threshold = "" if fail_under is None else f"{fail_under:g}"
    url = mnist_url or _manifest()["url"]
    if not re.match(r"^https?://[^\s'\"`]+$", url):
        raise TemplateError(f"Expected an http(s) URL without quotes or spaces. Received: {url!r}")
    values = {
        "package_spec": json.dumps(package_spec(package_spec_)),
        "fail_under": json.dumps(threshold),
        "fail_under_expr": _expr_literal(threshold),
        "mnist_url_expr": _expr_literal(url),
    }

    def fill(match: re.Match) -> str:
        if match.group(1) not in values:
            raise TemplateError(f"{template.name}: unknown placeholder %{{{match.group(1)}}}")
        return values[match.group(1)]

    return _PLACEHOLDER.sub(fill, template.read_text(encoding="utf-8"))
