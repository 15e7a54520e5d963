"""The students' real client: JupyterLab 4 in Chromium, with the course settings of jupyter/.

For XOR (lab 18) and MNIST (lab 20), a JupyterLab server is started from the project with the
settings a student gets (`JUPYTER_CONFIG_PATH=jupyter`), and a browser runs Run → Run All Cells:

- case A, the untouched starter notebook: every test cell prints one `✘` line, the summary line
  appears, and there is no Python traceback and no TensorFlow start-up noise on stderr;
- case B, the same notebook with the instructor's answers filled in: every public check prints
  `✔`, the figures render, the summary counts all public checks, and nbgrader's *Validate* button
  reports success.

The course UI is checked too: no news popup, no instructor-only nbgrader UI, Validate and the
Assignment List still there. Full-notebook screenshots go to test-artifacts/browser/;
`UPDATE_SCREENSHOTS=1` also refreshes docs/screenshots/lab18_xor.png and lab20_mnist.png.

Needs Chromium (Debian: `apt-get install chromium`) and the `playwright` Python package; Playwright's
own browser download is not used.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import browser_helpers as bh
import pytest

CHROMIUM = bh.find_chromium()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="playwright is not installed (pip install playwright; no browser download needed)",
    ),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary (Debian: apt-get install chromium)"),
]

LABS = {  # lab → (kind, docs screenshot name)
    "lab18_xor_sigmoid": ("XOR", "lab18_xor.png"),
    "lab20_mnist_softmax": ("MNIST", "lab20_mnist.png"),
}
ARTIFACTS = bh.ROOT / "test-artifacts" / "browser"
DOCS_SCREENSHOTS = bh.ROOT / "docs" / "screenshots"
MAX_PNG_BYTES = 1 << 20
VIEWPORT = {"width": 1280, "height": 800}
MAX_SHOT_HEIGHT = 16_000
RUN_ALL_TIMEOUT_MS = 240_000
VALIDATE_TIMEOUT_MS = 240_000
VALIDATE_SUCCESS = "Success! Your notebook passes all the tests."  # nbgrader's validate-assignment
NBGRADER_COMMANDS = [
    "nbgrader:open-formgrader",
    "nbgrader:open-formgrader-local",
    "nbgrader:open-create-assignment",
    "nbgrader:open-course-list",
    "nbgrader:open-assignment-list",
]
NEWS_POPUP = "official Jupyter news"  # "Would you like to get notified about official Jupyter news?"

# The notebook widget JupyterLab shows now, and its kernel (window.jupyterapp: --expose-app-in-browser).
_KERNEL_IDLE_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""
_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# Some cell of that notebook is queued or running: its prompt reads [*].
_ANY_RUNNING_JS = """(s) => Array.from(document.querySelectorAll(s + ' .jp-InputArea-prompt'))
  .some(p => p.textContent.includes('*'))"""
# How many pixels the notebook's last cell ends below the visible area (the notebook pads its end
# so the last cell can scroll to the top: the scroll height overstates the content).
_MISSING_HEIGHT_JS = """(s) => {
  const outer = document.querySelector(s + ' .jp-WindowedPanel-outer');
  outer.scrollTop = 0;
  const cells = outer.querySelectorAll('.jp-Cell');
  const last = cells[cells.length - 1].getBoundingClientRect().bottom;
  return Math.ceil(last + 24 - outer.getBoundingClientRect().bottom);
}"""
# One record per cell, in notebook order, read from the DOM the student sees.
_CELLS_JS = """(selector) => Array.from(document.querySelectorAll(selector + ' .jp-Notebook .jp-Cell')).map(cell => {
  const prompt = cell.querySelector('.jp-InputArea-prompt');
  const outputs = Array.from(cell.querySelectorAll('.jp-OutputArea-output'));
  return {
    code: cell.classList.contains('jp-CodeCell'),
    prompt: prompt ? prompt.textContent.trim() : '',
    output: outputs.map(o => o.textContent).join('\\n'),
    stderr: outputs.filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr')
      .map(o => o.textContent).join('\\n'),
    images: cell.querySelectorAll('.jp-OutputArea-output img').length,
  };
})"""


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    mnist = bh.find_mnist()
    if mnist is None:
        pytest.fail(
            "Expected the MNIST file for lab 20 (AUTOGRADER_MNIST, datasets/mnist.npz or the Keras cache). "
            "Received: none found. Fix: `./run setup` links ../shared/datasets/mnist.npz, or set AUTOGRADER_MNIST."
        )
    tmp = tmp_path_factory.mktemp("jupyterlab")
    with bh.jupyter_lab(tmp, mnist) as server:
        yield server


@pytest.fixture
def server(lab_server):
    """The server, with the kernels this test started stopped afterwards."""
    try:
        yield lab_server
    finally:
        lab_server.shutdown_kernels()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_notebook(page, server: bh.LabServer, relative: str) -> None:
    page.goto(server.notebook_url(relative))
    page.wait_for_selector(f"{_NOTEBOOK} .jp-Notebook .jp-Cell", timeout=90_000)
    page.wait_for_function(_KERNEL_IDLE_JS, timeout=90_000)  # kernel started and ready
    # Layout only: collapse the file browser so the notebook gets the whole width.
    page.evaluate(
        "() => { if (!window.jupyterapp.shell.leftCollapsed)"
        " window.jupyterapp.commands.execute('application:toggle-left-area'); }"
    )


def run_all_cells(page) -> list[dict]:
    """Run → Run All Cells from the menu bar, then wait until nothing runs and the kernel is idle."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item:not(.lm-mod-hidden)", has_text=re.compile(r"^Run All Cells")).click()
    page.wait_for_function(_ANY_RUNNING_JS, arg=_NOTEBOOK, timeout=30_000)
    done = f"(s) => ({_KERNEL_IDLE_JS})() && !({_ANY_RUNNING_JS})(s)"
    for _ in range(2):  # idle twice, a second apart: not a gap between two queued cells
        page.wait_for_function(done, arg=_NOTEBOOK, timeout=RUN_ALL_TIMEOUT_MS, polling=500)
        page.wait_for_timeout(1000)
    page.wait_for_function(done, arg=_NOTEBOOK, timeout=RUN_ALL_TIMEOUT_MS, polling=500)
    return page.evaluate(_CELLS_JS, _NOTEBOOK)


def screenshot_notebook(page, path: Path) -> Path:
    """The whole notebook in one PNG: the viewport is made as tall as the notebook for the shot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = VIEWPORT["height"]
    for _ in range(6):  # offscreen cells have estimated heights until they render: grow until all fit
        extra = page.evaluate(_MISSING_HEIGHT_JS, _NOTEBOOK)
        if extra <= 0 or height >= MAX_SHOT_HEIGHT:
            break
        height = min(height + extra, MAX_SHOT_HEIGHT)
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.wait_for_timeout(1000)  # relayout; content-visibility renders the cells now in view
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    page.wait_for_timeout(300)
    return path


def _shrink_png(source: Path, target: Path) -> None:
    """Copy a screenshot as a 256-colour PNG (a UI needs no more), scaled down if still >= 1 MiB."""
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as original:
        image = original.convert("RGB")
    scale = 1.0
    while True:
        size = (round(image.width * scale), round(image.height * scale))
        smaller = image.resize(size, Image.LANCZOS) if scale < 1 else image
        smaller.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)
        if target.stat().st_size < MAX_PNG_BYTES:
            return
        scale *= 0.85
        assert scale > 0.2, f"{target}: could not get a screenshot under {MAX_PNG_BYTES} bytes"


def assert_no_traceback(cells: list[dict], where: str) -> None:
    for index, cell in enumerate(cells):
        for marker in bh.TRACEBACK_MARKERS:
            assert marker not in cell["output"], (
                f"{where}: cell {index} shows a Python traceback ({marker!r}); expected at most one "
                f"'✘ …' line. Output:\n{cell['output'][:2000]}"
            )
        for marker in bh.TF_STARTUP_STDERR:
            assert marker not in cell["output"], (
                f"{where}: cell {index} shows TensorFlow's start-up stderr ({marker!r}):\n{cell['stderr'][:2000]}"
            )


def _nbgrader_commands(page) -> dict[str, bool]:
    return page.evaluate(
        "(ids) => Object.fromEntries(ids.map(id => [id, window.jupyterapp.commands.hasCommand(id)]))",
        NBGRADER_COMMANDS,
    )


def _sidebar_tabs(page) -> list[str]:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.lm-TabBar-tab'))"
        ".map(t => (t.getAttribute('title') || '') + ' ' + t.textContent)"
    )


def _nbgrader_menu(page) -> list[str]:
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Nbgrader$")).click()
    items = page.locator(".lm-Menu:visible .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel")
    labels = [text.strip() for text in items.all_inner_texts()]
    page.keyboard.press("Escape")
    return labels


def assert_student_ui(page) -> None:
    """The course settings: no news popup, no instructor-only nbgrader UI, Validate/Assignments kept."""
    assert NEWS_POPUP not in page.evaluate("() => document.body.textContent"), "the Jupyter news popup showed"
    commands = _nbgrader_commands(page)
    assert commands == {
        "nbgrader:open-formgrader": False,
        "nbgrader:open-formgrader-local": False,
        "nbgrader:open-create-assignment": False,
        "nbgrader:open-course-list": False,
        "nbgrader:open-assignment-list": True,
    }, commands
    assert page.locator("#nbgrader-create_assignemnt").count() == 0, "the Create Assignment sidebar is there"
    tabs = _sidebar_tabs(page)
    assert not [t for t in tabs if "Create Assignment" in t], tabs
    labels = _nbgrader_menu(page)
    instructor_only = [label for label in labels if "Formgrader" in label or "Course" in label]
    assert "Assignment List" in labels and not instructor_only, labels
    assert page.locator(f"{_NOTEBOOK} .validate-button").count() == 1, "no Validate button in the toolbar"


def _graded(lab: str, cells: list[dict], notebook: dict) -> list[tuple[int, str, dict]]:
    assert len(cells) == len(notebook["cells"]), (
        f"{lab}: the page shows {len(cells)} cells, the notebook has {len(notebook['cells'])}"
    )
    graded = [(index, kind, cells[index]) for index, kind in bh.graded_cells(notebook)]
    assert graded, f"{lab}: no test cells (lab.check / lab.hidden_notice) found"
    return graded


def _unexecuted(cells: list[dict]) -> list[int]:
    return [i for i, c in enumerate(cells) if c["code"] and not re.fullmatch(r"\[\d+\]:", c["prompt"])]


def _summary(cells: list[dict]) -> str:
    lines = [line for c in cells for line in c["output"].splitlines() if "public checks pass" in line]
    return "\n".join(lines)


@pytest.mark.parametrize("lab", list(LABS))
def test_untouched_starter_runs_to_the_end(lab, server, page):
    notebook = json.loads(bh.student_notebook(lab).read_text(encoding="utf-8"))
    bh.copy_released_lab(lab, server.root_dir / "starter")
    open_notebook(page, server, f"starter/{lab}/{lab}.ipynb")
    assert_student_ui(page)
    cells = run_all_cells(page)
    screenshot_notebook(page, ARTIFACTS / f"{lab}_starter.png")

    hint = (
        ""
        if bh.has_raises_exception_tags(lab)
        else " (the released test cells have no `raises-exception` tag yet, so Run All stops at the first ✘)"
    )
    assert not _unexecuted(cells), f"{lab}: cells not executed by Run All: {_unexecuted(cells)}{hint}"
    for index, kind, cell in _graded(lab, cells, notebook):
        assert "✘" in cell["output"], f"{lab}: test cell {index} ({kind}) shows no ✘ line:\n{cell['output']}"
        assert "✔" not in cell["output"], f"{lab}: test cell {index} passes in the untouched starter"
    summary = _summary(cells)
    assert summary, f"{lab}: no summary line ('… public checks pass') in the outputs"
    assert len(summary.splitlines()) == 1, f"{lab}: the summary printed more than once:\n{summary}"
    assert_no_traceback(cells, lab)
    assert NEWS_POPUP not in page.evaluate("() => document.body.textContent")


@pytest.mark.parametrize("lab", list(LABS))
def test_filled_in_passes_and_validates(lab, server, page):
    notebook = bh.filled_notebook(lab)
    bh.copy_released_lab(lab, server.root_dir / "filled", notebook)
    open_notebook(page, server, f"filled/{lab}/{lab}.ipynb")
    cells = run_all_cells(page)
    shot = screenshot_notebook(page, ARTIFACTS / f"{lab}_filled.png")

    assert not _unexecuted(cells), f"{lab}: cells not executed by Run All: {_unexecuted(cells)}"
    for index, kind, cell in _graded(lab, cells, notebook):
        # a public check: ✔, or ℹ "saved" when the grader judges it on the saved model; a
        # hidden-only cell: "ℹ … runs at grading"
        expected = ("✔", "ℹ") if kind == "check" else ("ℹ",)
        assert any(e in cell["output"] for e in expected) and "✘" not in cell["output"], (
            f"{lab}: test cell {index} ({kind}) expected {expected}, shows:\n{cell['output']}"
        )
    assert sum(c["images"] for c in cells) > 0, f"{lab}: no figure rendered as an image"
    summary = _summary(cells)
    counts = bh.SUMMARY_ALL_PASS.search(summary)
    assert counts and counts.group(1) == counts.group(2), f"{lab}: summary is not all-pass: {summary!r}"
    assert_no_traceback(cells, lab)

    # nbgrader's Validate button (toolbar): saves, runs nbgrader validate on the server, shows a dialog.
    page.locator(f"{_NOTEBOOK} .validate-button").click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=VALIDATE_TIMEOUT_MS)
    text = dialog.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"{lab}_validate.png"))
    page.locator(".jp-Dialog .jp-mod-accept").click()
    assert VALIDATE_SUCCESS in text, f"{lab}: Validate did not report success:\n{text[:3000]}"

    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = DOCS_SCREENSHOTS / LABS[lab][1]
        _shrink_png(shot, target)
        assert target.stat().st_size < MAX_PNG_BYTES


def test_student_server_has_no_instructor_extensions(lab_server):
    import nbgrader

    assert lab_server.status("formgraders") == 404, "nbgrader's course_list server extension is on"
    assert lab_server.status("formgrader") == 404, "nbgrader's formgrader server extension is on"
    # The Validate button's and the Assignment List's server side answer.
    assert lab_server.status(f"nbgrader_version?version={nbgrader.__version__}") == 200


def test_instructor_settings_keep_nbgrader_ui(page, tmp_path):
    """jupyter/instructor: the same quiet defaults, and all of nbgrader's UI."""
    with bh.jupyter_lab(tmp_path, None, settings=bh.COURSE_SETTINGS / "instructor") as server:
        page.goto(server.lab_url())
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Nbgrader$")).wait_for(timeout=90_000)
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.commands.hasCommand("
            "'nbgrader:open-create-assignment')"
        )
        page.wait_for_timeout(3000)  # the news question would have come up by now
        assert NEWS_POPUP not in page.evaluate("() => document.body.textContent"), "the news popup showed"
        assert all(_nbgrader_commands(page).values()), _nbgrader_commands(page)
        assert [t for t in _sidebar_tabs(page) if "Create Assignment" in t], _sidebar_tabs(page)
        labels = _nbgrader_menu(page)
        assert {"Assignment List", "Course List", "Formgrader"} <= set(labels), labels
