"""nbgrader configuration for this course layout.

solutions/<lab>/  is nbgrader's *source* directory (instructor notebooks, built from the jupytext
                  percent scripts next to them by `./run build`);
labs/<lab>/       is nbgrader's *release* directory (the student notebooks, generated — never edit).
Both hold the edition in the course's language (course.toml); the other edition is built into
editions/<language>/, outside nbgrader's folders.
"""

c = get_config()  # noqa: F821 - provided by nbgrader/traitlets

c.CourseDirectory.course_id = "deep-learning-labs"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "labs"
# The percent-script sources hold the solutions: never copy them into a student's folder. Nor the
# lab's translation catalogs (locale/*.po): they hold the comments of the solution cells too.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "*.py",
    "locale",
    "*.po",
    "*.mo",
    "answers",
    "*.keras",
]
# Hidden tests are part of the source; the release strips them (### BEGIN HIDDEN TESTS).
c.ClearHiddenTests.enforce_metadata = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Notebooks train networks: allow a few minutes per cell when nbgrader executes them.
c.ExecutePreprocessor.timeout = 300
c.Execute.timeout = 300

# Autograde: this course's grader decides the scores (see autograder/integrations/nbgrader_steps.py). Students'
# own nbgrader (Validate in JupyterLab) runs without the grader installed: then nothing changes.
try:
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        Execute,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from autograder.integrations.nbgrader_steps import GraderInputs, RescoreTests
except ImportError as exc:
    if getattr(exc, "name", None) != "autograder":  # the grader is installed but broken: say so
        import sys

        print(f"nbgrader_config.py: the course grader could not be loaded ({exc})", file=sys.stderr)
else:
    c.Autograde.autograde_preprocessors = [
        GraderInputs,  # hidden inputs + public checks next to the notebook, before the kernel starts
        Execute,
        RescoreTests,  # the grader's verdicts replace the kernel's outputs of the test cells
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
