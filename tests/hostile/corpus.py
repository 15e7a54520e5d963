"""The hostile corpus: submissions (``Group``), what each case expects (``Case``), and one function
that builds and grades them all (``grade_corpus``), shared by ``tests/test_hostile.py`` and
``benchmarks/hostile_corpus.py``.

A group is one ``grade_path`` call: a notebook (or a directory) holding one or several cases whose
verdicts do not interfere — e.g. twenty scratch cells appended after the honest part, each failing
in its own way. A case names the group, the score the lab must get, and the messages (regular
expressions) that must appear in the lab's errors, notes or test outputs.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import re
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import sandbox as sb
from autograder.pipeline import Options, grade_path
from autograder.results import SubmissionResult

from . import cells as C
from .lab import Lab, code, insert_after, insert_before, nbg, write

TEST_LIMITS = sb.Limits(
    cell_seconds=20.0,  # TensorFlow's import in the lab's setup cell takes 5-15 s on a busy machine
    notebook_seconds=180.0,
    memory_bytes=4 << 30,
    processes=256,
    output_bytes=256 << 10,
    disk_bytes=256 << 20,
    tmp_bytes=64 << 20,
)


@dataclass
class Group:
    name: str
    build: Callable[[Lab, C.Env, Path], Path]  # writes the submission under the folder, returns it
    lab_option: Callable[[Lab], str | None] = lambda lab: None  # --lab
    limits: Callable[[sb.Limits], sb.Limits] = lambda limits: limits


@dataclass
class Case:
    name: str
    group: str
    kind: str  # runaway | breakout | gaming | broken
    score: Callable[[Lab], float | None]  # None: no lab result at all (the submission is refused)
    messages: tuple[str, ...] = ()  # regexes that must all be found
    absent: tuple[str, ...] = ()  # regexes that must not be found
    result: str = ""  # which LabResult: "" = the lab's own; else this lab name
    statuses: Callable[[Lab], dict[str, str]] | None = None  # test -> expected status


class NotApplicable(Exception):
    """The case needs something the lab's honest part does not have (e.g. a model question)."""


def _not_applicable(why: str):
    raise NotApplicable(why)


def at(cell_id: str) -> str:
    """Regex for "cell N (`id`)"."""
    return rf"cell \d+ \(`{re.escape(cell_id)}`\)"


GROUPS: dict[str, Group] = {}
CASES: list[Case] = []


def group(name: str, **kw):
    def register(build):
        GROUPS[name] = Group(name, build, **kw)
        return build

    return register


def case(name, group_name, kind, score, *messages, absent=(), result="", statuses=None) -> None:
    CASES.append(Case(name, group_name, kind, score, tuple(messages), tuple(absent), result, statuses))


def honest(lab: Lab) -> float:
    return lab.honest_points


def _notebook(lab: Lab, folder: Path, nb) -> Path:
    return write(nb, folder / lab.spec.notebook)


# ==================================================================== breaking out (+ resources)
ESCAPES = [  # (case, kind, source builder, messages)
    ("net_loopback", "breakout", C.net_loopback, [r"network access is not allowed during grading \({at}\)"]),
    (
        "net_outside",
        "breakout",
        lambda e: C.NET_OUTSIDE,
        [r"network access is not allowed during grading \({at}\)"],
    ),
    (
        "net_urllib",
        "breakout",
        lambda e: C.NET_URLLIB,
        [r"network access is not allowed during grading \({at}\)"],
    ),
    (
        "read_canary",
        "breakout",
        C.read_canary,
        [r"{at} tried to open /\S+canary\S*, which does not exist in the grading sandbox"],
    ),
    (
        "write_canary",
        "breakout",
        C.write_canary,
        [r"{at} tried to open /\S+canary\S*, which does not exist in the grading sandbox"],
    ),
    (
        "delete_canary",
        "breakout",
        C.delete_canary,
        [r"{at} tried to open /\S+canary\S*, which does not exist in the grading sandbox"],
    ),
    (
        "read_solutions",
        "breakout",
        C.read_solutions,
        [r"{at} tried to open /\S+/solutions, which does not exist in the grading sandbox"],
    ),
    (
        "read_other_student",
        "breakout",
        C.read_other_student,
        [r"{at} tried to open /\S+other\S*, which does"],
    ),
    ("write_grader_results", "breakout", C.write_results, [r"{at} tried to open /\S+results\S*, which does"]),
    (
        "fake_gradescope_results",
        "gaming",
        lambda e: C.FAKE_RESULTS,
        [r"{at} was denied access outside its work"],
    ),
    ("fake_results_in_workdir", "gaming", lambda e: C.FAKE_RESULTS_LOCAL, []),
    (
        "write_grader_package",
        "breakout",
        lambda e: C.WRITE_PACKAGE,
        [r"{at} was denied access outside its work"],
    ),
    ("delete_files", "breakout", lambda e: C.DELETE_FILES, [r"{at} was denied access outside its work"]),
    (
        "symlink_out",
        "breakout",
        C.symlink_out,
        [r"answers/stolen\.npz (is a symbolic link|was not written by its test cell): ignored"],
    ),
    (
        "subprocess_outlives",
        "breakout",
        lambda e: C.SUBPROCESS_OUTLIVES,
        [r"{at} left 2 processes running: stopped"],
    ),
    ("report_tamper", "breakout", lambda e: C.REPORT_TAMPER, [r"{at} was denied access outside its work"]),
    ("keyboard_interrupt", "runaway", lambda e: C.KEYBOARD_INTERRUPT, []),
    ("sys_exit", "runaway", lambda e: C.SYS_EXIT, []),
    ("raise_system_exit", "runaway", lambda e: C.SYSTEM_EXIT, []),
    ("memory_bomb", "runaway", lambda e: C.MEMORY_BOMB, [r"{at} ran out of memory \(limit 4 GiB\)"]),
    ("tmp_fill", "runaway", lambda e: C.TMP_FILL, [r"{at} ran out of disk space \(/tmp holds 64 MiB\)"]),
    (
        "fork_bomb",
        "runaway",
        lambda e: C.FORK_BOMB,
        [
            r"{at} (left \d+ processes running: stopped by the grader|hit the limit of 256 processes|exceeded the 20 s time limit)"
        ],
    ),
    ("thread_bomb", "runaway", lambda e: C.THREAD_BOMB, [r"{at} hit the limit of 256 processes and threads"]),
    (
        "disk_fill",
        "runaway",
        lambda e: C.DISK_FILL,
        [r"wrote more than 256 MiB .* and was stopped", r"{at} was running when"],
    ),
]


@group("escape")
def build_escape(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    nb.cells += [code(make(env), f"hostile_{name}") for name, _, make, _ in ESCAPES]
    return _notebook(lab, folder, nb)


for _name, _kind, _make, _messages in ESCAPES:
    _absent = (
        (rf"{at('hostile_' + _name)} (exceeded|was running)", r"the kernel died") if not _messages else ()
    )
    case(
        _name,
        "escape",
        _kind,
        honest,
        *[m.format(at=at(f"hostile_{_name}")) for m in _messages],
        absent=_absent,
    )


# ==================================================================== runaway: time, output, deaths
@group("runaway")
def build_runaway(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    lab.cell(lab.prefix_answers[0], nb).source += C.INFINITE_LOOP
    insert_before(nb, lab.prefix_tests[-1], code(C.OS_EXIT, "hostile_os_exit"))
    nb.cells += [
        code(C.PRINT_FLOOD, "hostile_print_flood"),
        code(C.PRINT_GIGABYTE, "hostile_print_gigabyte"),
        code(C.HUGE_IMAGE, "hostile_huge_image"),
        code(C.KILL_9, "hostile_kill_9"),
        code(C.SEGFAULT, "hostile_segfault"),
        code(C.IPYTHON_EXIT, "hostile_ipython_exit"),
        code(C.UNINTERRUPTIBLE, "hostile_uninterruptible"),
        code(C.ALIVE, "hostile_alive"),
    ]
    return _notebook(lab, folder, nb)


def _timeout(cell_id: str) -> str:
    return rf"{at(cell_id)} exceeded the {TEST_LIMITS.cell_seconds:g} s time limit"


def _lost_last(lab: Lab) -> float:
    """The honest part, less the test cells the kernel's death (just before the last one) cost."""
    return lab.honest_points - lab.points[lab.prefix_tests[-1]]


def _died(cell_id: str) -> str:
    return rf"the kernel died in {at(cell_id)} \(os\._exit, a crash, or out of memory\); it was restarted"


case("infinite_loop_in_answer", "runaway", "runaway", _lost_last, _timeout("ANSWER0") + "$")
case(
    "print_flood",
    "runaway",
    "runaway",
    _lost_last,
    _timeout("hostile_print_flood"),
    r"[\d,]+ bytes of cell output",
)
case(
    "print_gigabyte",
    "runaway",
    "runaway",
    _lost_last,
    r"[\d,]+ bytes of cell output over the limit were dropped",
)
case(
    "huge_image", "runaway", "runaway", _lost_last, r"[\d,]+ bytes of cell output over the limit were dropped"
)
case("os_exit_mid_notebook", "runaway", "runaway", _lost_last, _died("hostile_os_exit"))
case("kill_9", "runaway", "runaway", _lost_last, _died("hostile_kill_9"))
case("segfault", "runaway", "runaway", _lost_last, _died("hostile_segfault"))
# IPython's exit() only asks the front end to shut the kernel down: the runner does not, the notebook goes on
case("ipython_exit", "runaway", "runaway", _lost_last, absent=(at("hostile_ipython_exit"),))
case(
    "interrupt_ignored",
    "runaway",
    "runaway",
    _lost_last,
    _timeout("hostile_uninterruptible") + " and ignored the interrupt: the kernel was restarted",
    absent=(at("hostile_alive"),),
)


# ==================================================================== runaway: the notebook's total time
SLOW_SECONDS = 70.0


@group("slow", limits=lambda lim: sb.Limits(**{**lim.__dict__, "notebook_seconds": SLOW_SECONDS}))
def build_slow(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    nb.cells += [code(C.HUGE_EPOCHS, "hostile_huge_epochs"), code(C.SLEEP, "hostile_sleep")]
    nb.cells += [code(C.NAP.format(seconds=5), f"hostile_nap_{i}") for i in range(12)]
    return _notebook(lab, folder, nb)


_STOPPED = "was running when the notebook was stopped"
case("huge_epoch_training", "slow", "runaway", honest, _timeout("hostile_huge_epochs") + "$")
case(
    "sleep_forever",
    "slow",
    "runaway",
    honest,
    rf"{at('hostile_sleep')} (exceeded the \d+ s time limit$|{_STOPPED})",
)
case(
    "notebook_time_limit",
    "slow",
    "runaway",
    honest,
    rf"the notebook exceeded the {SLOW_SECONDS:g} s total time limit and was stopped",
    rf"cell \d+ \(`hostile_(sleep|nap_\d+)`\) {_STOPPED}",
)


# ==================================================================== gaming: in-kernel monkeypatches
@group("patched")
def build_patched(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    insert_after(nb, "setup", *[code(src, f"hostile_{name}") for name, src in C.PATCHES.items()])
    for answer in lab.prefix_answers:
        insert_after(nb, answer, code(C.wrong_answers(lab.functions_of(answer)), f"hostile_wrong_{answer}"))
    return _notebook(lab, folder, nb)


def _all_prefix_fail(lab: Lab) -> dict[str, str]:
    return {t: "failed" for t in lab.prefix_tests}


for _patch in C.PATCHES:
    case(
        _patch,
        "patched",
        "gaming",
        lambda lab: 0.0,
        r"Expected",
        statuses=_all_prefix_fail,
        absent=(r"patched",),
    )
case("ndarray_subclass_lies", "patched", "gaming", lambda lab: 0.0, r"Expected", statuses=_all_prefix_fail)


def _model_questions(lab: Lab) -> list[str]:
    return [t for t in lab.prefix_tests if "model" in lab.cell(t).source or "net" in t]


case(
    "model_wrong_shape",
    "patched",
    "gaming",
    lambda lab: 0.0 if _model_questions(lab) else _not_applicable("the honest part saves no model"),
    r"Expected",
    statuses=lambda lab: {t: "failed" for t in _model_questions(lab)},
)


# ==================================================================== gaming: hostile answer files
FILE_ATTACKS = {
    "pickle_npz": r"unusable answer: answer file \w+\.npz is unreadable: .*allow_pickle=False",
    "lambda_layer": r"contains a Lambda layer or other code, which grading refuses to load \(safe_mode\)",
    "text_model": r"Expected a Keras \.keras model archive in \w+\.evil\.keras\. Received: a file that is not a zip",
}


def _attacked(lab: Lab) -> dict[str, str]:
    """Question -> attack, round-robin over the honest part's questions."""
    names = [t.removeprefix("test_") for t in lab.prefix_tests]
    return {name: attack for name, attack in zip(names, FILE_ATTACKS)}


@group("answer_files")
def build_answer_files(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    insert_after(nb, "setup", code(C.file_attacks(_attacked(lab), env.canary), "hostile_file_attacks"))
    return _notebook(lab, folder, nb)


def _file_attack_score(attack: str):
    def score(lab: Lab) -> float | None:
        hit = [q for q, a in _attacked(lab).items() if a == attack]
        if not hit:
            raise NotApplicable(f"the honest part of {lab.lab_id} has too few questions for {attack}")
        return lab.honest_points - sum(lab.points[f"test_{q}"] for q in _attacked(lab))

    return score


for _attack, _message in FILE_ATTACKS.items():
    case(_attack, "answer_files", "gaming", _file_attack_score(_attack), _message)


# ==================================================================== gaming: notebook edits, answers/ written directly
@group("edited")
def build_edited(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    del nb.metadata["kernelspec"]
    first, last = lab.prefix_tests[0], lab.prefix_answers[-1]
    lab.cell(first, nb).source = "print('✔ all checks pass')  # the check, edited away"
    nbg(lab.cell(first, nb))["points"] = 1000
    lab.cell("setup", nb).source += "\nprint('edited')"
    nb.cells = [c for c in nb.cells if c.get("id") != lab.prefix_tests[-1]]  # a test cell deleted
    dup = copy.deepcopy(lab.cell(lab.prefix_answers[0], nb))
    dup.source = "raise RuntimeError('a second copy of the answer cell')"
    insert_after(nb, lab.prefix_answers[0], dup)  # duplicate cell id and grade id
    fake = code("print('free points')", "hostile_fake_test")
    fake.metadata["nbgrader"] = {"grade": True, "grade_id": "test_free_points", "points": 50, "locked": True}
    # answers/ written directly: the last answer's right values, computed with the reference's code
    # outside the answer cell, which now returns objects whose __eq__ is always True
    sources = [lab.cell(t).source for t in lab.tests_of_answer(last)]
    insert_before(nb, last, code(C.plant_answers(lab.cell(last).source, sources), "hostile_plant"))
    lab.cell(last, nb).source = C.liar_answer(lab.functions_of(last))
    nb.cells += [fake, code(C.OVERWRITE_ANSWERS, "hostile_overwrite")]
    write(nb, folder / lab.spec.notebook)
    write(copy.deepcopy(nb), folder / f"{lab.lab_id} (copy).ipynb")  # a second notebook, same lab
    (folder / "secrets").symlink_to(env.root / "solutions")  # symlinks pointing outside
    (folder / "reference.ipynb").symlink_to(env.root / "solutions" / lab.lab_id / lab.spec.notebook)
    (folder / "answers").mkdir()
    (folder / "answers" / f"{first[5:]}.npz").write_bytes(b"planted in the submission")
    return folder


def _edited(lab: Lab) -> float:
    """Every edit is undone by restore; the last answer (liar objects) earns nothing."""
    return lab.honest_points - sum(lab.points[t] for t in lab.tests_of_answer(lab.prefix_answers[-1]))


case(
    "edit_locked_test_cell",
    "edited",
    "gaming",
    _edited,
    r"locked cell `test_\w+` was edited: restored from the source",
)
case(
    "edit_locked_cell",
    "edited",
    "gaming",
    _edited,
    r"locked cell `setup` was edited: restored from the source",
)
case(
    "delete_test_cell",
    "edited",
    "gaming",
    _edited,
    r"test cell `test_\w+` was deleted: restored from the source",
)
case(
    "duplicate_cell_ids",
    "edited",
    "gaming",
    _edited,
    r"duplicate cell id `\w+`: only the first copy was kept",
)
case(
    "change_points",
    "edited",
    "gaming",
    _edited,
    r"nbgrader metadata of `test_\w+` was changed: the source's points",
)
case(
    "fake_test_cell",
    "edited",
    "gaming",
    _edited,
    r"cell `test_free_points` is not part of \w+: its grading metadata",
)
case("missing_kernelspec", "edited", "broken", _edited, r"re-scored in a fresh process")
case(
    "two_notebooks_same_lab",
    "edited",
    "broken",
    _edited,
    r"2 notebooks for \w+: graded \S+\.ipynb, ignored .*\(copy\)",
)
case(
    "duplicate_is_reported",
    "edited",
    "broken",
    lambda lab: 0.0,
    r"ignored: another notebook for \w+ \(\S+\.ipynb\) was graded",
    result="duplicate",
)
case(
    "symlink_in_submission",
    "edited",
    "breakout",
    lambda lab: 0.0,
    r"reference\.ipynb is a symbolic link \(not followed\)",
    result="unknown",
)
case("answers_in_submission", "edited", "gaming", _edited)
case(
    "answers_written_directly",
    "edited",
    "gaming",
    _edited,
    r"answers/extra_credit\.npz was not written by its test cell: ignored",
    r"not attempted",
)
case("answers_overwritten_later", "edited", "gaming", _edited, r"was changed after its test cell ran")
case("eq_always_true", "edited", "gaming", _edited, r"not attempted")


# ==================================================================== broken files (never executed)
def _file(name: str, data: bytes | str):
    def build(lab: Lab, env: C.Env, folder: Path) -> Path:
        path = folder / name.format(lab=lab.lab_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    return build


def _release_text(lab: Lab) -> str:
    return nbformat.writes(lab.release)


GROUPS["invalid_json"] = Group("invalid_json", _file("{lab}.ipynb", '{"cells": [,]}'))
case("invalid_json", "invalid_json", "broken", lambda lab: 0.0, r"is not valid JSON \(line 1, column 12")


@group("truncated")
def build_truncated(lab: Lab, env: C.Env, folder: Path) -> Path:
    text = _release_text(lab)
    return _file("{lab}.ipynb", text[: len(text) // 2])(lab, env, folder)


case("truncated", "truncated", "broken", lambda lab: 0.0, r"is not valid JSON .* the file looks truncated")


@group("nbformat3")
def build_v3(lab: Lab, env: C.Env, folder: Path) -> Path:
    data = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    return _file("{lab}.ipynb", json.dumps(data))(lab, env, folder)


case("nbformat_3", "nbformat3", "broken", lambda lab: 0.0, r"Expected nbformat 4\. Received: nbformat=3")


@group("not_utf8")
def build_not_utf8(lab: Lab, env: C.Env, folder: Path) -> Path:
    raw = _release_text(lab).encode().replace(b"lab", b"l\xe0b", 1)
    return _file("{lab}.ipynb", raw)(lab, env, folder)


case(
    "not_utf8",
    "not_utf8",
    "broken",
    lambda lab: 0.0,
    r"is not UTF-8 text \(invalid continuation byte at byte \d+\)",
)


@group("huge_notebook")
def build_huge(lab: Lab, env: C.Env, folder: Path) -> Path:
    data = json.loads(_release_text(lab))
    data["cells"].append({"cell_type": "markdown", "id": "huge", "metadata": {}, "source": "x" * (200 << 20)})
    return _file("{lab}.ipynb", json.dumps(data))(lab, env, folder)


case("notebook_200mb", "huge_notebook", "broken", lambda lab: 0.0, r"is 200 MiB; the limit is 50 MiB")


@group("empty_dir")
def build_empty(lab: Lab, env: C.Env, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


case("empty_directory", "empty_dir", "broken", lambda lab: None, r"no notebooks \(\*\.ipynb\) found in")


@group("wrong_lab", lab_option=lambda lab: _other_labs(lab)[0])
def build_wrong_lab(lab: Lab, env: C.Env, folder: Path) -> Path:
    return write(lab.honest(), folder / lab.spec.notebook)


def _other_labs(lab: Lab) -> list[str]:
    from autograder.labs import all_labs

    return [x for x in all_labs() if x != lab.lab_id]


case(
    "wrong_lab",
    "wrong_lab",
    "broken",
    lambda lab: 0.0,
    r"wrong lab: Expected a notebook for \w+\. Received: \S+, which is",
    result="other",
)


@group("symlink_notebook")
def build_symlink_nb(lab: Lab, env: C.Env, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / lab.spec.notebook
    path.symlink_to(env.root / "solutions" / lab.lab_id / lab.spec.notebook)  # the instructor's own
    return path


case(
    "symlink_to_reference",
    "symlink_notebook",
    "breakout",
    lambda lab: 0.0,
    r"is a symbolic link \(not followed\)",
)


# ==================================================================== running it
@dataclass
class GroupRun:
    group: str
    result: SubmissionResult
    seconds: float
    path: Path
    uids: list[int] = field(default_factory=list)


def expand(pattern: str, lab: Lab) -> str:
    """Fill the lab's facts into a message pattern (ANSWER0: the first answer cell's id)."""
    return pattern.replace("ANSWER0", re.escape(lab.prefix_answers[0]))


def lab_result(run: GroupRun, case_: Case, lab: Lab):
    wanted = {"duplicate": f"{lab.lab_id} (duplicate)", "": lab.lab_id, "other": _other_labs(lab)[0]}
    wanted = wanted.get(case_.result, case_.result)
    return next((r for r in run.result.labs if r.lab == wanted), None)


def texts(run: GroupRun, case_: Case, lab: Lab) -> list[str]:
    result = lab_result(run, case_, lab)
    out = list(run.result.errors)
    if result is not None:
        out += result.errors + result.notes + [f"{t.name}: {t.output}" for t in result.tests]
    return out


def grade_group(name: str, lab_id: str, env: C.Env, folder: Path, limits: sb.Limits) -> GroupRun:
    """Build and grade one group, recording the sandbox uids it used (to look for leftovers)."""
    lab, grp = Lab.load(lab_id), GROUPS[name]
    path = grp.build(lab, env, folder / name)
    uids: list[int] = []
    original = sb.sandbox_uid

    def recording_uid() -> int:
        uids.append(original())
        return uids[-1]

    sb.sandbox_uid = recording_uid
    started = time.monotonic()
    try:
        result = grade_path(path, Options(limits=grp.limits(limits), lab=grp.lab_option(lab)))
    finally:
        sb.sandbox_uid = original
    return GroupRun(name, result, time.monotonic() - started, path, uids)


def grade_corpus(lab: Lab, env: C.Env, folder: Path, limits: sb.Limits, groups=None, workers=2, log=print):
    """Build and grade every group (or the named ones), ``workers`` at a time (separate processes:
    most of a group's time is a kernel importing TensorFlow or waiting out a time limit)."""
    names = list(groups or GROUPS)
    runs: dict[str, GroupRun] = {}
    if workers <= 1:
        for name in names:
            runs[name] = grade_group(name, lab.lab_id, env, folder, limits)
            log(f"graded {name:18s} {runs[name].seconds:6.1f} s")
        return runs
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(grade_group, n, lab.lab_id, env, folder, limits): n for n in names}
        for future in as_completed(futures):
            run = future.result()
            runs[run.group] = run
            log(f"graded {run.group:18s} {run.seconds:6.1f} s")
    return {name: runs[name] for name in names}
