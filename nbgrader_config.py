"""nbgrader configuration for this course layout.

solutions/<lab>/  is nbgrader's *source* directory (instructor notebooks, built from the jupytext
                  percent scripts next to them by `./run build`);
labs/<lab>/       is nbgrader's *release* directory (the student notebooks, generated — never edit).
"""

c = get_config()  # noqa: F821 - provided by nbgrader/traitlets

c.CourseDirectory.course_id = "deep-learning-labs"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "labs"
# The percent-script sources hold the solutions: never copy them into a student's folder.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "*.py",
    "answers",
    "*.keras",
]
# Hidden tests are part of the source; the release strips them (### BEGIN HIDDEN TESTS).
c.ClearHiddenTests.enforce_metadata = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Notebooks train networks: allow a few minutes per cell when nbgrader executes them.
c.ExecutePreprocessor.timeout = 300
c.Execute.timeout = 300
