"""The grader of the course's graded Keras labs (instructor side; never installed for students).

Public entry points: ``autograder.grading.pipeline.grade_path`` (grade a submission) and the CLI
``python -m autograder``. What a lab notebook imports is the separate student kit, ``labkit``.
"""

__version__ = "0.2.0"
