"""Gradescope: build one lab's autograder zip, and the ``run_autograder`` logic inside it.

``python -m autograder gradescope-bundle --lab ID --output FILE.zip [--mnist PATH | --no-mnist]``

The zip holds ``setup.sh``, ``run_autograder`` and ``README.md`` at its root (Gradescope's
layout) and the project files the grader reads: the ``autograder`` package, ``pyproject.toml``,
``nbgrader_config.py``, ``datasets/manifest.json``, and the lab's instructor and student notebooks
(``solutions/<lab>/<lab>.ipynb`` for the restore step, ``labs/<lab>/<lab>.ipynb`` to spot edited
locked cells, and the same two of every other edition, ``editions/<language>/…``, with
``course.toml``). No percent-script solution sources, no other lab's notebooks. The instructor
notebooks hold the solutions and hidden tests: the zip is for Gradescope, never for students.

``run_autograder`` calls ``python -m autograder gradescope-run --lab ID --root /autograder``, i.e.
``run`` below: pick the submitted notebook, grade it with the very ``grade`` command of the CLI
(``--format gradescope``), and always leave a ``results/results.json`` behind.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from labkit import sandbox as sb
from labkit.mnist import verify_mnist

from autograder.labs import get_lab, grading_sources
from autograder.paths import PROJECT_ROOT

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


class BundleError(RuntimeError):
    pass


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("%{" + key + "}", value)
    if "%{" in text:
        raise BundleError(f"unfilled placeholder in a Gradescope template: {text[text.index('%{') :][:40]}")
    return text


def bundle_members(lab_id: str, root: Path = PROJECT_ROOT, mnist: Path | None = None, skip_mnist=False):
    """``[(name in the zip, bytes, mode)]``, sorted; raises ``BundleError`` when a file is missing."""
    lab_id = get_lab(lab_id).lab_id
    mode = "skip" if skip_mnist else "bundled" if mnist else "download"
    values = {"lab": lab_id, "mnist_mode": mode}
    members: dict[str, tuple[bytes, int]] = {
        "setup.sh": (_fill((TEMPLATES / "gradescope-setup.sh").read_text(), values).encode(), 0o755),
        "run_autograder": (
            _fill((TEMPLATES / "gradescope-run_autograder").read_text(), values).encode(),
            0o755,
        ),
        "README.md": (_fill((TEMPLATES / "gradescope-README.md").read_text(), values).encode(), 0o644),
    }
    files = [
        "pyproject.toml",
        "nbgrader_config.py",
        "datasets/manifest.json",
        f"solutions/{lab_id}/{lab_id}.ipynb",
        f"solutions/{lab_id}/public_checks.json",
        f"labs/{lab_id}/{lab_id}.ipynb",
        "kit/pyproject.toml",
    ]
    # the lab's other editions (a Korean submission is restored from the Korean notebooks)
    files += sorted(
        path.relative_to(root).as_posix()
        for kind in ("solutions", "labs")
        for path in (root / "editions").glob(f"*/{kind}/{lab_id}/{lab_id}.ipynb")
    )
    files += ["course.toml"] if (root / "course.toml").is_file() else []
    # every lab's grading code (a lab may import another's: lab 22 uses lab 21's), never sources
    files += [path.relative_to(root).as_posix() for path in grading_sources(root / "solutions")]
    for path in sorted([*(root / "autograder").rglob("*"), *(root / "kit" / "labkit").rglob("*")]):
        rel = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and not _SKIP_PARTS & set(rel.parts):
            if path.suffix != ".pyc" and not path.name.startswith("."):
                files.append(rel.as_posix())
    for name in files:
        path = root / name
        if not path.is_file():
            hint = " (run `python -m autograder build` first)" if name.endswith(".ipynb") else ""
            raise BundleError(f"Expected {path} for the {lab_id} bundle. Received: no such file{hint}")
        members[name] = (path.read_bytes(), 0o644)
    if mnist is not None:
        report = verify_mnist(mnist)
        if not report.ok:
            raise BundleError(f"{mnist} is not a valid MNIST file:\n  " + "\n  ".join(report.lines))
        members["datasets/mnist.npz"] = (Path(mnist).read_bytes(), 0o644)
    return sorted((name, data, mode) for name, (data, mode) in members.items())


def build_bundle(
    lab_id: str,
    output: str | os.PathLike,
    root: Path = PROJECT_ROOT,
    mnist: Path | None = None,
    skip_mnist=False,
) -> list[str]:
    """Write the zip (atomically) and return the names in it."""
    members = bundle_members(lab_id, root, mnist, skip_mnist)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    os.replace(tmp, output)
    return [name for name, _, _ in members]


# ---------------------------------------------------------------- inside Gradescope
def pick_notebook(submission: Path, lab_id: str) -> tuple[Path | None, list[str]]:
    """The notebook to grade for ``lab_id`` in ``submission``, and notes on what was ignored."""
    from autograder.grading import notebooks
    from autograder.grading.pipeline import find_notebooks

    if not submission.is_dir():
        return None, [f"Expected the submission folder {submission}. Received: no such folder"]
    found = [p for p in find_notebooks(submission) if p.is_file() and not _SKIP_PARTS & set(p.parts)]
    if not found:
        return None, [f"Expected a notebook {lab_id}.ipynb. Received: no .ipynb file in the submission"]
    chosen = [p for p in found if p.name == f"{lab_id}.ipynb"]
    if not chosen:
        for path in found:
            try:
                if notebooks.identify_lab(notebooks.read_submission(path), path) == lab_id:
                    chosen.append(path)
            except notebooks.SubmissionError:
                continue
    if not chosen and len(found) == 1:
        chosen = found  # the grader itself says so if it is another lab's notebook
    if not chosen:
        names = ", ".join(p.relative_to(submission).as_posix() for p in found)
        return None, [f"Expected a notebook for {lab_id} (named {lab_id}.ipynb). Received: {names}"]
    chosen.sort(key=lambda p: (len(p.relative_to(submission).parts), str(p)))
    picked, notes = chosen[0], []
    ignored = [p.relative_to(submission).as_posix() for p in found if p != picked]
    if ignored:
        notes.append(f"graded {picked.relative_to(submission).as_posix()}; ignored {', '.join(ignored)}")
    return picked, notes


def sandbox_usable() -> tuple[bool, str]:
    """Whether bubblewrap can start a sandbox here (Docker often forbids namespaces)."""
    problem = sb.probe(timeout=60)
    return (False, problem) if problem else (True, "")


def user_isolation_usable() -> bool:
    """Whether the kernel can run as a fresh unprivileged uid instead (root and setpriv: Gradescope)."""
    from autograder.grading import user_isolation

    return user_isolation.problem() is None


def _fallback(results: Path, lab_id: str, message: str) -> None:
    spec = get_lab(lab_id)
    data = {
        "score": 0.0,
        "execution_time": 0.0,
        "output": message,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": f"{lab_id}: {q.grade_id}",
                "score": 0.0,
                "max_score": float(q.points),
                "status": "failed",
                "output": "not graded: " + (message.strip().splitlines() or ["no result"])[0],
                "visibility": "visible",
            }
            for q in spec.questions
        ],
    }
    results.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def run(lab_id: str, root: Path, sandbox: str = "auto", hidden_visibility: str = "after_published") -> int:
    """Grade ``root/submission`` for ``lab_id`` into ``root/results/results.json``; always 0."""
    from autograder import cli

    lab_id = get_lab(lab_id).lab_id
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    results = results_dir / "results.json"
    results.unlink(missing_ok=True)
    notebook, notes = pick_notebook(root / "submission", lab_id)
    if notebook is None:
        _fallback(results, lab_id, "\n".join(notes))
        return 0
    argv = ["grade", str(notebook), "--lab", lab_id, "--format", "gradescope", "--output", str(results)]
    argv += [
        "--hidden-visibility",
        hidden_visibility if hidden_visibility in VISIBILITIES else "after_published",
    ]
    user = ["--isolation", "user", "--protect", str(root)]  # root/source, results, submission closed
    if sandbox == "off":
        argv.append("--no-sandbox")
    elif sandbox == "user":
        argv += user
    elif sandbox == "auto":
        usable, why = sandbox_usable()
        if not usable and user_isolation_usable():
            argv += user
            notes.append(
                f"graded without the bubblewrap sandbox: {why}; the notebook ran as an unprivileged user "
                "instead, unable to read the grader, the solutions or the results"
            )
        elif not usable:
            argv.append("--no-sandbox")
            notes.append(f"graded without the bubblewrap sandbox: {why}")
    print("autograder:", " ".join(argv), flush=True)
    try:
        code = cli.main(argv)
        data = json.loads(results.read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001 - Gradescope must always get a results.json
        _fallback(
            results, lab_id, f"The autograder failed ({type(exc).__name__}: {exc}); tell your instructor."
        )
        return 0
    if not data.get("tests"):  # nothing graded (e.g. no sandbox): still list the lab's tests at 0
        _fallback(results, lab_id, "\n".join(notes + [data.get("output", "")]).strip())
        return 0
    if notes:
        data["output"] = "\n".join(notes + [data.get("output", "")]).strip()
        results.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"autograder: exit {code}, score {data.get('score')}", flush=True)
    return 0
