"""Runaway and breaking-out cases: time, memory, processes, output, kernel deaths, network, files."""

from __future__ import annotations

from pathlib import Path

from labkit import sandbox as sb

from . import cells as C
from .lab import Lab, code, insert_before
from .registry import (
    TEST_LIMITS,
    _notebook,
    at,
    case,
    group,
    honest,
)

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
