"""Helpers for tests/test_browser.py: a JupyterLab server with the course settings, notebooks.

Nothing here imports Playwright, so the test module can skip cleanly when it is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE_SETTINGS = ROOT / "jupyter"  # the course's JupyterLab settings (jupyter/README.md)
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def find_chromium() -> str | None:
    """A Chromium/Chrome binary for Playwright (Debian's `chromium` package), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"):
        if os.access(path, os.X_OK):
            return path
    return None


def find_mnist() -> Path | None:
    """The MNIST file the labs load, found the way autograder/mnist.py finds it (no download)."""
    from labkit.mnist import DatasetError, find_mnist

    try:
        return Path(find_mnist(download=False)).resolve()
    except (DatasetError, OSError):
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def student_notebook(lab: str) -> Path:
    return ROOT / "labs" / lab / f"{lab}.ipynb"


MARK_SCHEME = re.compile(r"=== BEGIN MARK SCHEME ===.*?=== END MARK SCHEME ===", re.DOTALL)


def _is_answer_cell(cell: dict) -> bool:
    """A code answer (solution, not graded itself) or a written answer (markdown, graded by hand)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if not meta.get("solution"):
        return False
    return cell["cell_type"] == "markdown" or not meta.get("grade")


def _student_answer(instructor_source: str) -> str:
    """The instructor's answer as a student would write it: no solution markers, no mark scheme."""
    lines = instructor_source.splitlines()
    answer = "\n".join(line for line in lines if line.strip() not in SOLUTION_MARKERS)
    return MARK_SCHEME.sub("", answer).strip()


def filled_notebook(lab: str) -> dict:
    """The released notebook with every answer filled in from the instructor notebook.

    Answer cells are the code cells nbgrader marks solution (and not grade) and the written
    answers (markdown solution cells: nbgrader's Validate rejects "YOUR ANSWER HERE"). Each gets
    the source of the solutions notebook's cell with the same grade_id, minus the
    `### BEGIN/END SOLUTION` marker lines and the `=== BEGIN/END MARK SCHEME ===` section.
    Everything else stays the student's version: locked cells, public tests, no hidden tests.
    """
    student = _read(student_notebook(lab))
    solution = _read(ROOT / "solutions" / lab / f"{lab}.ipynb")
    answers = {
        cell["metadata"]["nbgrader"]["grade_id"]: _source(cell)
        for cell in solution["cells"]
        if _is_answer_cell(cell)
    }
    filled = 0
    for cell in student["cells"]:
        if not _is_answer_cell(cell):
            continue
        grade_id = cell["metadata"]["nbgrader"]["grade_id"]
        if grade_id not in answers:
            raise KeyError(f"{lab}: answer cell {grade_id!r} has no cell in the solutions notebook")
        cell["source"] = _student_answer(answers[grade_id])
        filled += 1
    if not filled:
        raise ValueError(f"{lab}: the released notebook has no answer cells")
    return student


def graded_cells(notebook: dict) -> list[tuple[int, str]]:
    """(cell index, "check" | "hidden") of each test cell, in notebook order."""
    kinds = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = _source(cell)
        if "lab.check(" in source:
            kinds.append((index, "check"))
        elif "lab.hidden_notice(" in source:
            kinds.append((index, "hidden"))
    return kinds


def has_raises_exception_tags(lab: str) -> bool:
    """Whether the released test cells carry JupyterLab's `raises-exception` tag (Run All goes on)."""
    notebook = _read(student_notebook(lab))
    return all(
        "raises-exception" in notebook["cells"][index].get("metadata", {}).get("tags", [])
        for index, _ in graded_cells(notebook)
    )


@dataclass
class LabServer:
    url: str
    token: str
    root_dir: Path
    log: Path
    process: subprocess.Popen

    def lab_url(self) -> str:
        return f"{self.url}/lab?reset&token={self.token}"

    def status(self, path: str) -> int:
        """HTTP status of GET `path` on the server (authenticated)."""
        request = urllib.request.Request(
            f"{self.url}/{path}", headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def shutdown_kernels(self) -> None:
        """Stop every kernel the server runs (each lab's TensorFlow kernel holds ~0.5 GB)."""
        headers = {"Authorization": f"token {self.token}"}
        with urllib.request.urlopen(urllib.request.Request(f"{self.url}/api/kernels", headers=headers)) as r:
            kernels = json.load(r)
        for kernel in kernels:
            request = urllib.request.Request(
                f"{self.url}/api/kernels/{kernel['id']}", headers=headers, method="DELETE"
            )
            with contextlib.suppress(urllib.error.HTTPError), urllib.request.urlopen(request, timeout=30):
                pass

    def notebook_url(self, relative: str) -> str:
        # ?reset: start from an empty workspace, whatever an earlier run left there.
        return f"{self.url}/lab/tree/{relative}?reset&token={self.token}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _server_env(tmp: Path, mnist: Path | None, settings: Path) -> dict[str, str]:
    env = dict(os.environ)
    # What a student's machine has: no test-suite quieting of TensorFlow, no stray Jupyter config.
    for name in ("TF_CPP_MIN_LOG_LEVEL", "JUPYTER_NO_CONFIG", "JUPYTERLAB_SETTINGS_DIR"):
        env.pop(name, None)
    env.update(
        JUPYTER_CONFIG_PATH=str(settings),  # the course settings, as jupyter/README.md says
        # The tester's own ~/.jupyter, runtime files and IPython profile stay out of it (and untouched).
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    if mnist is not None:
        env["AUTOGRADER_MNIST"] = str(mnist)
    return env


@contextlib.contextmanager
def jupyter_lab(
    tmp: Path, mnist: Path | None, settings: Path | None = None, timeout: float = 90.0
) -> Iterator[LabServer]:
    """Run `python -m jupyterlab` from the project root on a free port; always stop it.

    settings: the course settings folder put on JUPYTER_CONFIG_PATH (default: the students' one).
    """
    root_dir = tmp / "root"
    root_dir.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / "jupyter-server.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        # A private settings and workspace folder: the course defaults (overrides.json) apply as
        # on a fresh student machine, and the tester's own JupyterLab state is not changed.
        f"--LabApp.user_settings_dir={tmp / 'lab-user-settings'}",
        f"--LabApp.workspaces_dir={tmp / 'lab-workspaces'}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: kernel state for the waits
    ]
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,  # like a student who starts JupyterLab in the project (nbgrader_config.py)
            env=_server_env(tmp, mnist, COURSE_SETTINGS if settings is None else settings),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kernels are stopped with it
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, root_dir, log, process)
    try:
        _wait_until_up(server, timeout)
        yield server
    finally:
        _stop(process)


def _wait_until_up(server: LabServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    status_url = f"{server.url}/api/status?token={server.token}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"Expected JupyterLab to start. Received: it exited with {server.process.returncode}.\n"
                + server.log_tail()
            )
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"Expected JupyterLab to answer on {server.url} within {timeout:.0f} s. Received: no answer.\n"
        + server.log_tail()
    )


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL its process group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # leftovers of the group this test started
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def copy_released_lab(lab: str, dest_dir: Path, notebook: dict | None = None) -> Path:
    """Copy labs/<lab>/ (the released files) into dest_dir/<lab>/, optionally another notebook."""
    target = dest_dir / lab
    shutil.copytree(
        ROOT / "labs" / lab, target, ignore=shutil.ignore_patterns("answers", ".ipynb_checkpoints")
    )
    path = target / f"{lab}.ipynb"
    if notebook is not None:
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


SUMMARY_ALL_PASS = re.compile(r"\b(\d+)/(\d+) public checks pass")
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "most recent call last", "Cell In[")
TF_STARTUP_STDERR = ("absl::InitializeLog", "oneDNN custom operations")
