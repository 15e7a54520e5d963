"""Every setting of one grading run, with its default written once.

``Options`` is what ``pipeline.grade_path`` takes; the CLI, the batch grader (``settings`` dicts
that travel to Dask workers as JSON: ``to_settings``/``from_settings``) and the integrations build
it. Resource limits are ``labkit.sandbox.Limits`` (the student kit's sandbox uses the same ones).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from labkit.i18n import LANGUAGES, resolve
from labkit.sandbox import Limits

ISOLATIONS = ("sandbox", "user", "none")
KERNELS = ("warm", "cold")  # warm: forked from a zygote that imported TensorFlow (grading/warm.py)


@dataclass
class Options:
    sandbox: bool = True
    limits: Limits = field(default_factory=Limits)
    hidden_seed: int | None = None  # None: a fresh random seed per grading run (kept in the result)
    lab: str | None = None
    public_only: bool = False  # `check`: students see public checks only
    mnist: Path | None = None
    # "sandbox" (bubblewrap) | "user" (a fresh unprivileged uid, no bubblewrap) | "none";
    # sandbox=False means "none" unless isolation == "user"; afterwards `sandbox` is True only for bwrap
    isolation: str = "sandbox"
    protect: tuple[Path, ...] = ()  # isolation "user": more folders the kernel must not read
    kernels: str = "warm"  # "warm" (the fast path, sandbox only) | "cold" (a fresh kernel per notebook)
    # the feedback's language for every notebook ("en" | "ko"); None: each notebook's edition
    # (its metadata), unless $LABKIT_LANGUAGE says otherwise (labkit.i18n.resolve)
    language: str | None = None

    def __post_init__(self) -> None:
        if self.language is not None:
            self.language = resolve(self.language)  # UnknownLanguage (a ValueError) names the choices
        if self.isolation not in ISOLATIONS:
            raise ValueError(f"Expected isolation sandbox, user or none. Received: {self.isolation!r}")
        if self.kernels not in KERNELS:
            raise ValueError(f"Expected kernels warm or cold. Received: {self.kernels!r}")
        if not self.sandbox and self.isolation == "sandbox":
            self.isolation = "none"
        self.sandbox = self.isolation == "sandbox"

    # -- batch: plain JSON settings (what a Dask worker receives; part of a result's cache key) ----
    def to_settings(self) -> dict:
        return {
            "sandbox": self.sandbox,
            "isolation": self.isolation,
            "cell_seconds": self.limits.cell_seconds,
            "notebook_seconds": self.limits.notebook_seconds,
            "hidden_seed": self.hidden_seed,
            "kernels": self.kernels,
            "language": self.language,
        }

    @classmethod
    def from_settings(cls, settings: dict, **extra) -> Options:
        defaults = cls().to_settings()
        merged = defaults | {k: v for k, v in settings.items() if k in defaults}
        limits = Limits(cell_seconds=merged["cell_seconds"], notebook_seconds=merged["notebook_seconds"])
        isolation = merged["isolation"] if merged["sandbox"] or merged["isolation"] != "sandbox" else "none"
        return cls(
            limits=limits,
            hidden_seed=merged["hidden_seed"],
            isolation=isolation,
            kernels=merged["kernels"],
            language=merged["language"],
            **extra,
        )


def add_limit_args(p: argparse.ArgumentParser) -> None:
    """--cell-timeout and --timeout, defaulting to ``Limits`` (defined once, in the kit's sandbox)."""
    cell, notebook = Limits.cell_seconds, Limits.notebook_seconds
    p.add_argument("--cell-timeout", type=float, default=cell, help=f"seconds per cell (default {cell:g})")
    p.add_argument(
        "--timeout", type=float, default=notebook, help=f"seconds per notebook (default {notebook:g})"
    )


def add_seed_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hidden-seed",
        type=int,
        default=None,
        help="seed of the hidden test inputs (default: a random one per run; the result keeps it)",
    )


def add_kernels_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--kernels",
        choices=KERNELS,
        default=Options.kernels,
        help="warm (default): kernels forked from one sandbox's zygote that imported TensorFlow; "
        "cold: a new sandbox and kernel per notebook (the slow path, for comparison)",
    )


def add_language_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--language",
        choices=LANGUAGES,
        default=None,
        help="the language of the feedback and reports for every notebook (default: each notebook's "
        "edition, from its metadata; $LABKIT_LANGUAGE overrides that too)",
    )
