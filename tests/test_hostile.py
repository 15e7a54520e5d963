"""Hostile and broken submissions (issue #6; the network and write-isolation checks of issue #5).

The corpus (``tests/hostile/``) is generated from a real lab's reference and student notebooks
(``HOSTILE_LAB`` picks one; default: lab 19, else lab 18). Every group of cases is graded once, with
scaled-down limits, two groups at a time; then one test per case checks its score, its messages and
that every report format renders, and a few tests check what must hold after all of them: no
sandbox process left running, the canary outside the work directory untouched, no connection ever
reached the host, nothing written outside the work directory.
"""

from __future__ import annotations

import json
import os
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest
from hostile import cells as C
from hostile.corpus import CASES, GROUPS, TEST_LIMITS, NotApplicable, expand, grade_corpus, lab_result, texts
from hostile.lab import ROOT, Lab
from labkit import sandbox

from autograder.reporters import FORMATS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is not installed"),
]
CANARY_TEXT = "canary: must stay unread, unchanged and in place\n"


@pytest.fixture(scope="module")
def lab() -> Lab:
    return Lab.load()


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """What lies outside the sandbox: a canary, another student's work, a listening server."""
    outside = tmp_path_factory.mktemp("outside")
    canary = outside / "canary.txt"
    canary.write_text(CANARY_TEXT)
    os.utime(canary, (1_000_000_000, 1_000_000_000))
    other = outside / "other_student" / "lab.ipynb"
    other.parent.mkdir()
    other.write_text('{"secret": "another student\'s answers"}')
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    env = C.Env(ROOT, canary, other, outside / "results.json", server.getsockname()[1])
    yield env, server
    server.close()


@pytest.fixture(scope="module")
def runs(request, lab, host, tmp_path_factory):
    """Every group the selected tests need (all of them unless only some cases were selected)."""
    env, _ = host
    selected = [item for item in request.session.items if item.module is request.module]
    cases = [item.callspec.params["case"] for item in selected if item.originalname == "test_case"]
    everything = any(item.originalname != "test_case" and "runs" in item.fixturenames for item in selected)
    groups = list(GROUPS) if everything else sorted({c.group for c in cases})
    workers = int(os.environ.get("HOSTILE_WORKERS", "2"))
    return grade_corpus(
        lab, env, tmp_path_factory.mktemp("corpus"), TEST_LIMITS, groups=groups, workers=workers
    )


def test_corpus_covers_enough_cases():
    assert len(CASES) >= 30
    assert {c.group for c in CASES} <= set(GROUPS)
    assert {c.kind for c in CASES} == {"runaway", "breakout", "gaming", "broken"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(case, lab, runs):
    try:
        expected = case.score(lab)
    except NotApplicable as exc:
        pytest.skip(str(exc))
    run = runs[case.group]
    found = texts(run, case, lab)
    shown = "\n".join(found)
    if expected is None:
        assert not run.result.labs and run.result.errors, shown
    else:
        result = lab_result(run, case, lab)
        assert result is not None, (
            f"no result for {case.result or lab.lab_id}: {[r.lab for r in run.result.labs]}"
        )
        assert result.score == pytest.approx(expected), shown
        if case.statuses:
            statuses = {t.name: t.status for t in result.tests}
            for test, status in case.statuses(lab).items():
                assert statuses[test] == status, shown
    for pattern in case.messages:
        assert any(re.search(expand(pattern, lab), text) for text in found), f"{pattern!r} not in:\n{shown}"
    for pattern in case.absent:
        assert not any(re.search(expand(pattern, lab), text) for text in found), f"{pattern!r} in:\n{shown}"
    _every_format_renders(run.result)


def _every_format_renders(result) -> None:
    assert FORMATS["text"](result).strip()
    json.loads(FORMATS["json"](result))
    gradescope = json.loads(FORMATS["gradescope"](result))
    assert gradescope["score"] == pytest.approx(result.score)
    assert all(t["status"] in ("passed", "failed") for t in gradescope["tests"])
    suites = ET.fromstring(FORMATS["junit"](result).split("\n", 1)[1])
    assert suites.tag == "testsuites"


def test_no_sandbox_process_is_left_running(runs):
    uids = {uid for run in runs.values() for uid in run.uids}
    assert uids, "the corpus ran no sandbox"
    left = []
    for proc in psutil.process_iter(["pid", "uids", "cmdline"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real in uids:
                left.append((proc.info["pid"], proc.info["uids"].real, proc.info["cmdline"]))
        except psutil.Error:
            continue
    assert not left


def test_network_is_unreachable(host, runs, lab):
    """Issue #5: nothing reached the host's loopback server, and every attempt got the message."""
    _, server = host
    with pytest.raises(BlockingIOError):
        server.accept()
    found = texts(runs["escape"], CASES[0], lab)
    for name in ("net_loopback", "net_outside", "net_urllib"):
        assert any(f"`hostile_{name}`" in t and "network access is not allowed" in t for t in found)


def test_nothing_outside_the_work_directory_was_written(host, runs):
    """Issue #5: the canary, the grader's results path and the grader's own package are as they
    were, though the notebooks tried to read, write and delete them (and ``solutions/``, which the
    escape group's cells found absent: see ``read_solutions``)."""
    env, _ = host
    assert env.canary.read_text() == CANARY_TEXT
    assert env.canary.stat().st_mtime == 1_000_000_000
    assert not env.results.exists()
    assert (ROOT / "autograder" / "labs").is_dir() and (ROOT / "kit" / "labkit" / "lab.py").is_file()
    assert "return 100" not in (ROOT / "kit" / "labkit" / "compare.py").read_text()
    assert not Path("/autograder/results/results.json").exists()


def test_the_corpus_fits_its_time_budget(runs):
    """Each group stays within its notebook limit plus re-scoring: no case hangs the grader."""
    for name, run in runs.items():
        limit = GROUPS[name].limits(TEST_LIMITS).notebook_seconds
        assert run.seconds < limit + 120, (name, run.seconds)
