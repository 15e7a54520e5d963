"""Grading one submission: the pipeline of steps, the processes it starts, restoring notebooks, judging answers."""
