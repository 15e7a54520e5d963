"""``--isolation user``: where bubblewrap cannot start (Gradescope), the kernel runs as a fresh
unprivileged uid that cannot read the grader, the solutions or the results (issue: "Gradescope
without bubblewrap").

The slow tests grade real notebooks of ``lab15_one_neuron`` as root: a hostile one that tries to
read and write what it must not (and leaves a process behind), and the reference, which must still
earn full marks. Every mode the run changed is checked to be back afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import nbformat
import pytest

import autograder
from autograder import cli
from autograder.grading import pipeline, user_isolation
from autograder.labs import get_lab

ROOT = Path(__file__).resolve().parent.parent
LAB = "lab15_one_neuron"
GRADER = Path(autograder.__file__).resolve().parent

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not os.access(user_isolation.SETPRIV, os.X_OK),
    reason="user isolation needs root and /usr/bin/setpriv",
)

PROBE = """
import json, os, subprocess
found = {{"uid": os.getuid(), "groups": os.getgroups()}}
def attempt(name, fn):
    try:
        found[name] = "ok: " + repr(fn())[:200]
    except Exception as exc:
        found[name] = "denied: " + type(exc).__name__
attempt("list_solutions", lambda: os.listdir({solutions!r}))
attempt("read_solution", lambda: open({solution!r}).read(100))
attempt("list_grader", lambda: os.listdir({grader!r}))
attempt("read_grader", lambda: open({grader!r} + "/pipeline.py").read(100))
attempt("import_grader", lambda: __import__("autograder.grading.pipeline").__file__)
attempt("list_checkout", lambda: os.listdir({root!r}))
attempt("read_git", lambda: open({root!r} + "/.git/HEAD").read())
attempt("write_results", lambda: open({results!r} + "/results.json", "w").write("{{}}"))
attempt("list_protected", lambda: os.listdir({protected!r}))
attempt("read_protected", lambda: open({protected!r} + "/results.json").read())
attempt("write_protected", lambda: open({protected!r} + "/results.json", "w").write("{{}}"))
attempt("read_canary", lambda: open({canary!r}).read())
attempt("read_labkit", lambda: open(__import__("labkit").__file__).read(10))
attempt("write_tmp", lambda: open("/tmp/user-isolation-leftover-{tag}", "w").write("x"))
found["orphan"] = subprocess.Popen(["sleep", "600"], start_new_session=True).pid
with open({drop!r} + "/found.json", "w") as handle:
    json.dump(found, handle)
"""


def _modes(paths) -> dict[str, int]:
    return {str(p): stat.S_IMODE(os.lstat(p).st_mode) for p in paths if os.path.lexists(p)}


def _watched() -> list[Path]:
    """Paths a user-isolated run changes: the checkout and its entries, the kit, the Python's parents."""
    paths = [ROOT, *ROOT.iterdir(), *(ROOT / "kit").iterdir(), Path("/root")]
    paths += [p for prefix in user_isolation.default_readable() for p in Path(prefix).parents]
    return paths


@pytest.fixture
def canaries(tmp_path):
    """A 0700 results folder, a world-readable one passed as ``protect``, a root-only file, a drop box."""
    made = [Path(tempfile.mkdtemp(prefix="ui-")) for _ in range(4)]
    results, protected, canary_dir, drop = made
    (protected / "results.json").write_text('{"score": 9}')
    protected.chmod(0o755)
    (protected / "results.json").chmod(0o644)
    canary = canary_dir / "canary.txt"
    canary.write_text("secret")
    canary.chmod(0o600)
    canary_dir.chmod(0o755)
    drop.chmod(0o733)  # the kernel may drop its findings here, not list it
    yield {"results": results, "protected": protected, "canary": canary, "drop": drop}
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@needs_root
def test_a_hostile_notebook_cannot_read_the_grader_or_touch_the_results(tmp_path, canaries, mnist_path):
    tag = os.urandom(4).hex()
    nb = nbformat.read(ROOT / "labs" / LAB / f"{LAB}.ipynb", as_version=4)
    source = PROBE.format(
        solutions=str(ROOT / "solutions"),
        solution=str(ROOT / "solutions" / LAB / f"{LAB}.ipynb"),
        grader=str(GRADER),
        root=str(ROOT),
        results=str(canaries["results"]),
        protected=str(canaries["protected"]),
        canary=str(canaries["canary"]),
        drop=str(canaries["drop"]),
        tag=tag,
    )
    after = next(i for i, c in enumerate(nb.cells) if c.get("id") == "setup")
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = "probe"
    nb.cells.insert(after + 1, cell)
    notebook = tmp_path / f"{LAB}.ipynb"
    nbformat.write(nb, notebook)
    before = _modes(_watched())

    options = pipeline.Options(isolation="user", lab=LAB, mnist=mnist_path, protect=(canaries["protected"],))
    result = pipeline.grade_path(notebook, options)

    (lab,) = result.labs
    found = json.loads((canaries["drop"] / "found.json").read_text())
    assert found["uid"] >= 200_000 and found["groups"] in ([], [found["uid"]]), found
    for name in (
        "list_solutions",
        "read_solution",
        "list_grader",
        "read_grader",
        "list_checkout",
        "read_git",
        "write_results",
        "list_protected",
        "read_protected",
        "write_protected",
        "read_canary",
    ):
        assert found[name].startswith("denied: PermissionError"), (name, found[name])
    assert found["import_grader"].startswith("denied"), found["import_grader"]
    assert found["read_labkit"].startswith("ok"), found  # the student kit stays importable
    assert not list(canaries["results"].iterdir())
    assert (canaries["protected"] / "results.json").read_text() == '{"score": 9}'
    assert "unprivileged user" in lab.isolation and "setpriv" in lab.isolation, lab.isolation
    assert not os.path.exists(f"/tmp/user-isolation-leftover-{tag}")  # what the uid left is gone
    # the background process it started in a new session died with the run (a zombie at most)
    assert user_isolation.pids_of(found["uid"]) == [], found["orphan"]
    assert _modes(_watched()) == before  # every mode it changed is restored
    assert stat.S_IMODE(canaries["protected"].stat().st_mode) == 0o755


@pytest.mark.slow
@needs_root
def test_the_reference_still_gets_full_marks_as_an_unprivileged_user(tmp_path, mnist_path):
    notebook = tmp_path / f"{LAB}.ipynb"
    shutil.copy(ROOT / "solutions" / LAB / notebook.name, notebook)
    before = _modes(_watched())
    result = pipeline.grade_path(notebook, pipeline.Options(isolation="user", lab=LAB, mnist=mnist_path))
    (lab,) = result.labs
    assert lab.score == get_lab(LAB).max_score, (lab.errors, [t for t in lab.tests if t.status != "passed"])
    assert result.score == get_lab(LAB).max_score
    assert lab.isolation.startswith("unprivileged user uid"), lab.isolation
    assert _modes(_watched()) == before


# ---------------------------------------------------------------- fast: the pieces
@needs_root
def test_modes_are_restored_only_when_the_last_of_two_gradings_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(user_isolation, "LEDGER_DIR", tmp_path / "ledger")
    checkout = tmp_path / "checkout"
    for part in ("autograder", "solutions", "kit/labkit", "venv"):
        (checkout / part).mkdir(parents=True)
    (checkout / "README.md").write_text("x")
    tree = [checkout, *checkout.iterdir(), checkout / "kit" / "labkit"]
    before = _modes(tree)
    readable = [checkout / "venv", checkout / "kit" / "labkit"]
    changes = user_isolation.plan([checkout], readable)
    first = user_isolation.apply(changes)
    second = user_isolation.apply(user_isolation.plan([checkout], [checkout / "kit" / "labkit"]))
    mode = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tree}
    assert mode["autograder"] & 0o007 == mode["solutions"] & 0o007 == mode["README.md"] & 0o007 == 0
    assert mode["checkout"] & 0o007 == 0o001 and mode["kit"] & 0o007 == 0o001  # traverse, no listing
    assert mode["labkit"] & 0o005 == 0o005
    assert mode["venv"] & 0o005 == 0o005  # the second grading does not close what the first needs
    user_isolation.release(first)
    assert stat.S_IMODE((checkout / "solutions").stat().st_mode) & 0o007 == 0  # the second still runs
    user_isolation.release(second)
    assert _modes(tree) == before


@needs_root
def test_a_dead_gradings_modes_are_restored_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr(user_isolation, "LEDGER_DIR", tmp_path / "ledger")
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o755)
    user_isolation.apply(user_isolation.plan([secret], []))
    state = json.loads((tmp_path / "ledger" / "ledger.json").read_text())
    for holder in state["holders"].values():
        holder["start"] = "0"  # as if that grading had been killed
    (tmp_path / "ledger" / "ledger.json").write_text(json.dumps(state))
    token = user_isolation.apply({})
    assert stat.S_IMODE(secret.stat().st_mode) == 0o755
    user_isolation.release(token)


def test_system_folders_are_never_closed():
    with pytest.raises(user_isolation.UserIsolationUnavailable, match="system folder"):
        user_isolation.plan([Path("/tmp")], [])


def test_options_and_the_cli_name_the_isolation():
    assert pipeline.Options().isolation == "sandbox" and pipeline.Options().sandbox
    assert pipeline.Options(sandbox=False).isolation == "none"
    user = pipeline.Options(sandbox=False, isolation="user")
    assert user.isolation == "user" and not user.sandbox  # no bubblewrap: no probe, plain re-scoring
    assert pipeline.Options(isolation="none").sandbox is False
    with pytest.raises(ValueError, match="Expected isolation"):
        pipeline.Options(isolation="docker")
    parser = cli.build_parser()
    args = parser.parse_args(["grade", "x.ipynb", "--isolation", "user", "--protect", "/srv/results"])
    assert cli._options(args).isolation == "user" and cli._options(args).protect == (Path("/srv/results"),)
    assert cli._options(parser.parse_args(["grade", "x.ipynb", "--no-sandbox"])).isolation == "none"


def test_not_root_is_refused_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "needs the grader to run as root" in user_isolation.problem()
    notebook = tmp_path / f"{LAB}.ipynb"
    shutil.copy(ROOT / "labs" / LAB / notebook.name, notebook)
    result = pipeline.grade_path(notebook, pipeline.Options(isolation="user"))
    assert not result.labs and "needs the grader to run as root" in result.errors[0]


@pytest.mark.parametrize("root_user", [True, False])
def test_gradescope_falls_back_to_the_unprivileged_user_as_root(tmp_path, monkeypatch, root_user):
    import autograder.integrations.gradescope as gb

    (tmp_path / "submission").mkdir()
    shutil.copy(ROOT / "labs" / LAB / f"{LAB}.ipynb", tmp_path / "submission")
    calls = []

    def fake_grade(argv):
        calls.append(argv)
        test = {"name": "t", "score": 0.0, "max_score": 1.0, "status": "failed", "output": ""}
        out = {"score": 0.0, "execution_time": 1.0, "output": f"{LAB}: 0/1", "tests": [test]}
        Path(argv[argv.index("--output") + 1]).write_text(json.dumps(out))
        return 0

    monkeypatch.setattr(gb, "sandbox_usable", lambda: (False, "no namespaces in this container"))
    monkeypatch.setattr(gb, "user_isolation_usable", lambda: root_user)
    monkeypatch.setattr(cli, "main", fake_grade)
    assert gb.run(LAB, tmp_path) == 0
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["output"].startswith("graded without the bubblewrap sandbox: no namespaces")
    if root_user:
        assert calls[0][-4:] == ["--isolation", "user", "--protect", str(tmp_path)]
        assert "unprivileged user" in data["output"]
    else:
        assert "--no-sandbox" in calls[0] and "--isolation" not in calls[0]
    assert gb.run(LAB, tmp_path, sandbox="user") == 0
    assert calls[-1][-4:] == ["--isolation", "user", "--protect", str(tmp_path)]


def test_the_gradescope_output_says_which_isolation_ran():
    from autograder.reporters.gradescope import to_gradescope
    from autograder.results import LabResult, SubmissionResult

    lab = LabResult(lab=LAB, isolation="unprivileged user uid 201234 (setpriv), no bubblewrap: …")
    output = json.loads(to_gradescope(SubmissionResult(submission="x", labs=[lab])))["output"]
    assert "isolation: unprivileged user uid 201234" in output
