"""Where the course lives: the checkout holding ``solutions/``, ``labs/``, ``kit/`` and the grader."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = PROJECT_ROOT / "solutions"
RELEASE = PROJECT_ROOT / "labs"
KIT = PROJECT_ROOT / "kit"
