from autograder.spec import LabSpec, Question
from autograder import compare


def _g(ctx):
    return compare.close(ctx.answer("double"), 4.0, "double(2)")


LAB = LabSpec("lab99_demo", "demo", (Question("double", 1, "d", _g),), manual={"why": 1})
