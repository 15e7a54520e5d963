"""The fast path keeps every notebook apart (issue 14): kernels forked from one sandbox's zygote.

One ``WarmSandbox`` runs a sequence of notebooks, the way a batch worker runs many students'
submissions. The first notebook of each pair plays the student who leaves something behind —
variables, files in the work directory, /tmp and /dev/shm, monkeypatched modules, background
processes, shared memory — or who attacks the machine (a memory bomb, a fork bomb, a cell that
ignores interrupts, a notebook past its total time). The next notebook looks for every trace and
must find none, and must run normally. Cells report by failing: each ``assert`` is a cell error
in the runner's record, so a test passes only when the record shows what it expects.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from labkit import sandbox

from autograder.grading.warm import WarmSandbox

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is not installed")

LIMITS = sandbox.Limits(
    cell_seconds=6.0, notebook_seconds=40.0, output_bytes=64 << 10, processes=256, memory_bytes=5 << 30
)
MARK = "warm-kernel-leftover-7f3a"


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    box = WarmSandbox(LIMITS, None)
    if not box.usable():
        pytest.skip(f"warm kernels are not available here: {box.unavailable}")
    yield box
    box.close()


def run(warm: WarmSandbox, tmp: Path, *cells: str) -> dict:
    """Execute a notebook made of ``cells`` in the warm sandbox; the runner's record."""
    workdir = tmp / f"nb{len(list(tmp.iterdir()))}"
    workdir.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, workdir / "probe.ipynb")
    record, stopped, _ = warm.execute("probe.ipynb", workdir)
    record["stopped"] = stopped
    record["files"] = sorted(p.name for p in workdir.iterdir())
    return record


def statuses(record: dict) -> list[str]:
    return [
        c["status"] + (f": {c.get('ename')}: {c.get('evalue')}" if c["status"] == "error" else "")
        for c in record["cells"]
    ]


LEAVE_TRACES = [
    f"LEFTOVER = '{MARK}'",
    f"open('{MARK}.txt', 'w').write('x'); open('/tmp/{MARK}', 'w').write('x')",
    f"import os\nif os.path.isdir('/dev/shm'): open('/dev/shm/{MARK}', 'w').write('x')",
    "import numpy, statistics, sys, types\n"
    "numpy.mean = lambda *a, **k: 42\nstatistics.mean = lambda *a, **k: 'patched'\n"
    f"sys.modules['{MARK.replace('-', '_')}'] = types.ModuleType('planted')",
    # a daemon that outlives its cell would be a leak: setsid + double fork
    f"import subprocess\nsubprocess.Popen(['setsid', 'sh', '-c', 'exec -a {MARK} sleep 300'], start_new_session=True)",
    f"import os\nos.environ['{MARK.upper().replace('-', '_')}'] = '1'",
]

FIND_NOTHING = [
    "assert 'LEFTOVER' not in globals()",
    f"import os\nassert not os.path.exists('{MARK}.txt'), os.listdir('.')",
    f"assert not os.path.exists('/tmp/{MARK}'), os.listdir('/tmp')",
    f"assert not os.path.exists('/dev/shm/{MARK}')",
    "import numpy, statistics, sys\nassert numpy.mean([1, 3]) == 2 and statistics.mean([1, 3]) == 2\n"
    f"assert '{MARK.replace('-', '_')}' not in sys.modules",
    # no process of the last notebook is alive, under any name, anywhere in /proc
    "import glob\nleft = []\nfor p in glob.glob('/proc/[0-9]*/cmdline'):\n"
    "    try:\n        text = open(p, 'rb').read()\n    except OSError:\n        continue\n"
    f"    if b'{MARK}' in text:\n        left.append(p)\nassert not left, left",
    f"assert '{MARK.upper().replace('-', '_')}' not in os.environ",
]


def test_a_notebook_sees_nothing_of_the_one_before(warm, tmp_path):
    first = run(warm, tmp_path, *LEAVE_TRACES)
    assert statuses(first) == ["ok"] * len(LEAVE_TRACES)
    assert f"{MARK}.txt" in first["files"]  # the file was really written (and went back out)
    second = run(warm, tmp_path, *FIND_NOTHING)
    assert statuses(second) == ["ok"] * len(FIND_NOTHING), second["cells"]
    assert f"{MARK}.txt" not in second["files"]


def test_a_kernel_has_no_capabilities_and_cannot_undo_its_mounts(warm, tmp_path):
    record = run(
        warm,
        tmp_path,
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)",
        "caps = [l for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapPrm', 'CapBnd'))]\n"
        "assert all(int(l.split()[1], 16) == 0 for l in caps), caps",
        "assert libc.umount2(b'/tmp', 2) != 0  # MNT_DETACH: would reveal the sandbox's own /tmp",
        # a nested user namespace gets capabilities, but over locked copies of these mounts
        "pid = os.fork()\nif pid == 0:\n    ok = libc.unshare(0x10020000) == 0 and libc.umount2(b'/tmp', 2) == 0\n"
        "    os._exit(3 if ok else 0)\nassert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0",
        # the runner and the zygote are out of reach: other namespace, not dumpable
        "import glob\nme = int(os.readlink('/proc/self'))  # this kernel, as /proc numbers it\n"
        "for p in glob.glob('/proc/[0-9]*'):\n    pid = int(p[6:])\n"
        "    if pid == me or not os.path.exists(p + '/status'):\n        continue\n"
        "    try:\n        open(p + '/environ', 'rb').read()\n        readable = True\n"
        "    except OSError:\n        readable = False\n"
        "    assert not readable, f'read the environment of process {pid}'",
        # kill() reaches only this notebook's PID namespace: the runner and the zygote, listed
        # in /proc with no pid in it (one NSpid field), cannot be signalled
        "ours, outside = set(), 0\nfor p in glob.glob('/proc/[0-9]*/task/[0-9]*/status'):\n"
        "    try:\n        ids = [l.split()[1:] for l in open(p) if l.startswith('NSpid')][0]\n"
        "    except (OSError, IndexError):\n        continue\n"
        "    if len(ids) > 1:\n        ours.add(int(ids[-1]))\n    else:\n        outside += 1\n"
        "reachable = set()\nfor pid in range(1, 2000):\n    try:\n        os.kill(pid, 0)\n"
        "        reachable.add(pid)\n    except ProcessLookupError:\n        pass\n"
        "assert outside >= 2 and reachable <= ours, (outside, reachable - ours)",
    )
    assert statuses(record) == ["ok"] * 6, record["cells"]


def test_a_memory_bomb_does_not_reach_the_next_notebook(warm, tmp_path):
    bomb = run(
        warm,
        tmp_path,
        "import numpy as np\nblocks = []\nwhile True:\n    blocks.append(np.empty(1 << 28))  # address space: fast",
        "x = 1",
    )
    assert bomb["cells"][0]["status"] in ("error", "dead"), bomb["cells"]
    after = run(warm, tmp_path, "import numpy as np\nassert np.ones((256, 256)).sum() == 65536")
    assert statuses(after) == ["ok"]


def test_a_fork_bomb_does_not_reach_the_next_notebook(warm, tmp_path):
    bomb = run(
        warm,
        tmp_path,
        "import os, time\nfor _ in range(5000):\n    try:\n        if os.fork() == 0:\n"
        "            time.sleep(120)\n            os._exit(0)\n    except OSError:\n        break",
    )
    assert bomb["cells"][0].get("stray_processes", 0) > 10, bomb["cells"]  # swept after its cell
    after = run(warm, tmp_path, "import subprocess\nassert subprocess.run(['true']).returncode == 0")
    assert statuses(after) == ["ok"]


def test_time_limits_still_fire(warm, tmp_path):
    record = run(
        warm,
        tmp_path,
        "import time\ntime.sleep(60)",
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)",
        "x = 2",
        "assert x == 2",
    )
    cells = record["cells"]
    assert cells[0]["status"] == "timeout" and not cells[0].get("restarted")
    assert cells[1]["status"] == "timeout" and cells[1].get("restarted")  # a fresh fork replaced it
    assert cells[2]["status"] == "ok" and cells[3]["status"] == "ok"
    stopped = run(warm, tmp_path, *["import time\ntime.sleep(5)"] * 12)
    assert stopped["stopped"] and "total time limit" in stopped["stopped"]
    after = run(warm, tmp_path, "y = 3", "assert y == 3")  # a new sandbox serves the next notebook
    assert statuses(after) == ["ok", "ok"]


def test_the_sandbox_work_directory_is_empty_between_notebooks(warm, tmp_path):
    run(warm, tmp_path, "open('left.txt', 'w').write('x')")
    assert not list(warm.spool.iterdir())
    shutil.rmtree(tmp_path)
