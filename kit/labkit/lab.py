"""The student's side of grading: ``lab.check(name, answer)`` inside a notebook.

Usage in a lab notebook (the first, locked cell)::

    from labkit import Lab
    lab = Lab("lab18_xor_sigmoid")                  # the English edition
    lab = Lab("lab18_xor_sigmoid", language="ko")   # the Korean edition: every line in Korean

and in each test cell::

    lab.check("sigmoid", lambda: sigmoid(z))   # a lambda: a NameError becomes "not attempted"

``check`` saves the answer to ``answers/`` (the only thing the grader takes from the kernel),
replays the grader's public comparisons on it (``labkit.checks``: data, no reference code), and
prints one friendly line. A wrong answer raises
``CheckFailed``, whose short rendering replaces the traceback — nbgrader still sees an error, so it
gives the cell 0 points, but the student sees "Expected … Received …", not a stack trace.

Every line is in the notebook's language (``labkit.i18n``: the edition's ``language=``, unless
``$LABKIT_LANGUAGE`` overrides it), English when none is given.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

from labkit import answers as _answers
from labkit import checks as _checks
from labkit import hidden as _hidden
from labkit import i18n
from labkit.i18n import _


class CheckFailed(Exception):
    """A public check did not pass (rendered as one line, not a traceback)."""

    def _render_traceback_(self):  # IPython calls this instead of printing a traceback
        return [f"✘ {self}"]


# -- a quiet first cell ---------------------------------------------------------------------------
# TensorFlow's C++ start-up writes straight to file descriptor 2 (absl's "All log messages before
# absl::InitializeLog() …", "oneDNN custom operations are on …", the CPU-feature note), and no
# environment variable silences the absl lines. They are true but useless to a student, and a red
# stderr block is the first thing every lab would show. So the import runs with descriptor 2
# pointed at a temporary file; afterwards only lines that are not this known noise are passed on.
# oneDNN itself stays on (the speed matters); only its announcement is dropped.
_TF_NOISE = re.compile(
    r"absl::InitializeLog\(\)"
    r"|^I\d{4} [\d:. ]+\d+ \S+\.cc:\d+\]"  # absl INFO lines: I0000 00:00:… port.cc:153] …
    r"|oneDNN custom operations are on"
    r"|cpu_feature_guard"
    r"|To enable the following instructions:.*rebuild TensorFlow"
)


def quiet_tensorflow_start() -> None:
    """Import TensorFlow (and Keras) without its C++ start-up lines on stderr; idempotent."""
    if "tensorflow" in sys.modules:
        return
    with suppress(Exception):
        sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            import keras  # noqa: F401 - imports tensorflow, its backend
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode(errors="replace")
    kept = [line for line in text.splitlines() if line.strip() and not _TF_NOISE.search(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr)


# -- one line instead of a traceback in demo cells ------------------------------------------------
def _defined_names(source: str) -> set[str]:
    """Names a cell's code binds at top level (assignments, defs, imports, for/with targets)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


class _CellLog:
    """What ran in this kernel: each executed cell's source and the error it ended with, if any.

    It lets a message tell "you have not written this step yet" from "an earlier step failed":
    for a missing name, the most recent executed cell that would have defined it says which.
    """

    def __init__(self):
        self.cells: list[tuple[str, BaseException | None]] = []

    def record(self, result) -> None:
        source = getattr(result.info, "raw_cell", "") if getattr(result, "info", None) else ""
        self.cells.append((source or "", result.error_in_exec or result.error_before_exec))

    def why_undefined(self, name: str) -> str:
        return self.explain(name)[1]

    def explain(self, name: str, _seen: frozenset = frozenset()) -> tuple[bool, str]:
        """(``not_attempted``, message) for a missing ``name``: ``not_attempted`` is True when the
        step was never written or never run, False when an earlier cell ran and failed."""
        for source, error in reversed(self.cells):
            if name in _defined_names(source):
                if isinstance(error, NameError) and (missing := _missing_name(error)) not in _seen | {name}:
                    return self.explain(missing, _seen | {name})  # the first link of the chain
                if error is None:
                    return False, _(
                        "`{name}` was defined once but is gone (was the kernel restarted?): "
                        "run the cells above again"
                    ).format(name=name)
                if isinstance(error, NotImplementedError):
                    return True, _(
                        "`{name}` comes from a step you have not written yet "
                        "(its cell still raises NotImplementedError)"
                    ).format(name=name)
                return False, _(
                    "`{name}` comes from an earlier cell that failed ({error}: {message}) — fix that cell first"
                ).format(name=name, error=type(error).__name__, message=str(error)[:120])
        return True, _("`{name}` is not defined: run the cells above first (Run → Run All Cells)").format(
            name=name
        )


def _missing_name(exc: NameError) -> str:
    name = getattr(exc, "name", None)
    if name:
        return name
    found = re.search(r"name '([^']+)' is not defined", str(exc))
    return found.group(1) if found else "?"


def _traceback_depth(tb) -> int:
    depth = 0
    while tb is not None:
        depth, tb = depth + 1, tb.tb_next
    return depth


def _install_cell_hooks(log: _CellLog) -> None:
    """In IPython: log executed cells, and show a one-line ✘ for the two errors a partly done
    notebook raises in cells the student did not write — a stub's NotImplementedError, and a
    NameError at a cell's top level for a value an earlier cell never made. Any other error (and
    a NameError inside the student's own function) keeps its full traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_labkit_hooks", False):
        return
    shell._labkit_hooks = True
    shell.events.register("post_run_cell", log.record)

    def one_line(self, etype, value, tb, tb_offset=None):
        if issubclass(etype, NotImplementedError):
            text = "✘ " + _(
                "not written yet: this cell runs code that still raises NotImplementedError — "
                "replace `raise NotImplementedError()` with your code, then run this cell again"
            )
        elif _traceback_depth(tb) <= 2:  # raised by the cell's own top-level code
            text = f"✘ {log.why_undefined(_missing_name(value))}"
        else:
            self.showtraceback((etype, value, tb), tb_offset=tb_offset)
            return None
        # IPython shows nothing for a custom handler: send the error ourselves, with one line as
        # its whole traceback (the cell still fails: Run All's rules and nbgrader see an error).
        self._showtraceback(etype, value, [text])
        return None

    shell.set_custom_exc((NotImplementedError, NameError), one_line)


def _takes_inputs(fn) -> bool:
    """Whether ``fn`` is a function of one argument (a hidden test's inputs)."""
    if not (inspect.isfunction(fn) or inspect.ismethod(fn)):
        return False
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return (
        sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        == 1
    )


def _label(name: str, question: dict) -> str:
    """``sigmoid [1 pt]``: how every line names its question."""
    return _("{name} [{points:g} pt]").format(name=name, points=question["points"])


class Lab:
    """Self-checks for one lab, replayed from its ``public_checks.json`` (see ``labkit.checks``).

    ``answers_dir`` is where the grader will look for answers; ``checks_dir`` where the public
    checks are (default: ``$LABKIT_CHECKS``, then the notebook's folder). ``language``: the
    notebook's edition (``"ko"`` in the Korean one; ``$LABKIT_LANGUAGE`` overrides it), which
    every line printed here speaks; English when absent.
    """

    def __init__(
        self,
        lab_id: str,
        answers_dir: str | os.PathLike = _answers.ANSWERS_DIR,
        checks_dir: str | os.PathLike | None = None,
        language: str | None = None,
    ):
        self.language = i18n.set_language(edition=language)
        if self.language != "en" and "matplotlib" in sys.modules:  # plots in this language: a font
            from labkit import fonts

            fonts.prepare(self.language)
        self.lab_id = lab_id
        self.data = _checks.load(lab_id, checks_dir)
        self.questions = {q["name"]: q for q in self.data["questions"]}
        self.answers_dir = Path(answers_dir)
        self.results: dict[str, bool | None] = {name: None for name in self.questions}
        self.saved: set[str] = set()  # checked by the grader only (they read a model): saved
        self._cells = _CellLog()
        _install_cell_hooks(self._cells)

    def constant(self, name: str):
        """A value of this lab defined by the course (a pass mark, a public input)."""
        constants = self.data.get("constants", {})
        if name not in constants:
            raise KeyError(
                _("Expected one of {names} for {lab}. Received: {name}").format(
                    names=sorted(constants), lab=self.lab_id, name=repr(name)
                )
            )
        return _checks.decode(constants[name])

    def constants(self, *names: str):
        return tuple(self.constant(n) for n in names)

    def hidden_input(self, name: str):
        """The inputs of hidden test ``name``, written next to the notebook by the grader (raises
        ``HiddenInputMissing`` outside grading). Hidden test cells need not call it: they pass
        ``lab.check(name, lambda inputs: …)``, which feeds the inputs to the function."""
        self._question(name)
        return _hidden.read(".", name)

    def _question(self, name: str) -> dict:
        if name not in self.questions:
            raise KeyError(
                _("Expected one of {names} for {lab}. Received: {name}").format(
                    names=list(self.questions), lab=self.lab_id, name=repr(name)
                )
            )
        return self.questions[name]

    def check(self, name: str, answer, **extra):
        """Record ``answer`` for question ``name`` and print its verdict.

        ``answer``: a value, a dict of values, a ``keras.Model``, or a zero-argument function
        returning one (preferred: errors in it are reported, not raised as tracebacks).
        ``extra``: further named values stored with it (e.g. ``model=model``).
        """
        question = self._question(name)
        label = _label(name, question)
        args = ()
        if question["hidden"] and _takes_inputs(answer):
            # A hidden test: its inputs are data the grader wrote next to the notebook. Outside
            # grading (the instructor's source notebook, nbgrader validate) they are not there.
            try:
                args = (_hidden.read(".", name),)
            except _hidden.HiddenInputMissing:
                print(
                    "ℹ "
                    + _(
                        "{label} (hidden test): skipped here — it runs when the grader grades this notebook"
                    ).format(label=label)
                )
                return
        if inspect.isfunction(answer) or inspect.ismethod(answer):
            try:
                answer = answer(*args)
            except NotImplementedError:
                self.results[name] = False
                raise CheckFailed(
                    _("{label}: not attempted yet — replace `raise NotImplementedError()`").format(
                        label=label
                    )
                ) from None
            except NameError as exc:
                self.results[name] = False
                not_attempted, why = self._cells.explain(_missing_name(exc))
                if not_attempted:
                    line = _("{label}: not attempted yet — {why}")
                else:
                    line = _("{label}: not checked — {why}")
                raise CheckFailed(line.format(label=label, why=why)) from None
            except Exception as exc:  # noqa: BLE001 - student's code; report, don't crash
                self.results[name] = False
                raise CheckFailed(
                    _("{label}: your code raised {error}: {message}").format(
                        label=label, error=type(exc).__name__, message=exc
                    )
                ) from None
        if extra:
            answer = {**(answer if isinstance(answer, dict) else {"value": answer}), **extra}
        try:
            _answers.save_answer(self.answers_dir, name, answer)
        except _answers.AnswerError as exc:
            self.results[name] = False
            raise CheckFailed(f"{label}: {exc}") from None
        if question["hidden"]:
            self.results[name] = True
            print("ℹ " + _("{label} (hidden test): answer saved for the grader").format(label=label))
            return
        if question.get("mode") not in ("replay", "reference"):
            self.results[name] = True
            self.saved.add(name)
            print(
                "ℹ "
                + _("{label}: saved — the grader checks it on your saved model when you submit").format(
                    label=label
                )
            )
            return
        verdict = _checks.replay(question, self._answers_for(question))
        self.results[name] = verdict.passed
        if not verdict.passed:
            raise CheckFailed(f"{label}: {i18n.localize(verdict.message)}")
        print(f"✔ {label}: {i18n.localize(verdict.message)}")

    def _answers_for(self, question: dict) -> dict[str, dict]:
        names = {key.split(".", 1)[0] for key in question.get("shapes", {})}
        return {
            n: _answers.load_answer(self.answers_dir, n, models=False)
            for n in names
            if _answers.has_answer(self.answers_dir, n)
        }

    def hidden_notice(self, name: str) -> None:
        """The visible line of a hidden-test cell: says a hidden test runs here at grading.

        It fails while no check of this lab has passed yet, so an untouched student notebook
        fails every test cell (``nbgrader validate --invert`` agrees with the grader's 0). At
        grading it follows the restored hidden check, which has then already recorded a verdict.
        """
        question = self._question(name)
        label = _label(name, question)
        if self.results.get(name) is not None:  # the hidden check itself ran (grading): it spoke already
            return
        if not any(self.results.values()):
            raise CheckFailed(
                _("{label}: a hidden test runs here at grading — make the checks above pass first").format(
                    label=label
                )
            )
        print("ℹ " + _("{label}: a hidden test runs here at grading").format(label=label))

    def summary(self) -> None:
        """Print one line: how many public checks pass so far, and what is left to the grader.

        It returns nothing, so a notebook's last line ``lab.summary()`` prints it once (a returned
        string would be echoed a second time as the cell's value)."""
        questions = self.data["questions"]
        public = [q for q in questions if not q["hidden"]]
        checked = [q for q in public if q["name"] not in self.saved]
        passed = sum(bool(self.results.get(q["name"])) for q in checked)
        points = sum(q["points"] for q in checked if self.results.get(q["name"]))
        total = sum(q["points"] for q in checked)
        hidden = sum(q["hidden"] for q in questions)
        line = _("{passed}/{checked} public checks pass ({points:g}/{total:g} points)").format(
            passed=passed, checked=len(checked), points=points, total=total
        )
        if self.saved:
            line += "; " + _("{n} saved for the grader (checked on your model)").format(n=len(self.saved))
        if hidden:
            line += "; " + _.ngettext(
                "{n} hidden test run at grading", "{n} hidden tests run at grading", hidden
            ).format(n=hidden)
        if self.data.get("manual"):
            line += "; " + _("{n} written answer(s) are graded by hand").format(n=len(self.data["manual"]))
        missing = [q["name"] for q in public if self.results.get(q["name"]) is None]
        if missing:
            line += ". " + _("Not run yet: {names}").format(names=", ".join(missing))
        print(line)
