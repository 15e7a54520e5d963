"""Where grading meets other tools: Gradescope, GitHub Actions, the nbgrader gradebook and autograde."""
