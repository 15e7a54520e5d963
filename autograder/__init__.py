"""Graded Keras labs and their autograder.

Public entry points: ``autograder.mnist.load_mnist`` (verified MNIST), ``autograder.labkit.Lab``
(self-checks inside a lab notebook), ``autograder.pipeline.grade_path`` (grade a submission) and the
CLI ``python -m autograder``.
"""

__version__ = "0.1.0"
