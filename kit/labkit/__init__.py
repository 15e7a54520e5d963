"""labkit — the student kit of the course's graded Keras labs.

What a lab notebook imports: ``Lab`` (saves answers, replays the public checks, prints ✔/✘),
``quiet_tensorflow_start``, MNIST (``labkit.mnist``) and the plots (``labkit.plots``). It holds no
reference implementation, no hidden-test generator and no hidden seed: the grader
(``autograder``, instructor side) is a separate package that is never installed for students.
"""

from labkit.lab import CheckFailed, Lab, quiet_tensorflow_start

__all__ = ["CheckFailed", "Lab", "quiet_tensorflow_start"]
__version__ = "0.2.0"
