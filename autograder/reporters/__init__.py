"""Reporters: turn a ``SubmissionResult`` into text for a person, or a file for a tool.

They only read the results model; none of them decides a score.
"""

from autograder.reporters.gradescope import to_gradescope
from autograder.reporters.json_report import to_json
from autograder.reporters.junit import to_junit
from autograder.reporters.text import to_markdown, to_text

FORMATS = {
    "text": to_text,
    "json": to_json,
    "gradescope": to_gradescope,
    "junit": to_junit,
    "markdown": to_markdown,
}

__all__ = ["FORMATS", "to_gradescope", "to_json", "to_junit", "to_markdown", "to_text"]
