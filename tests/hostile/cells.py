"""Source code of the hostile cells (what a student might put in a notebook), as functions of the
test's environment (canary path, a listening port on the host, …)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Env:
    """Things outside the sandbox a hostile notebook reaches for."""

    root: Path  # the project: solutions/ lives here
    canary: Path  # a file in the host's tmp that must stay untouched and unread
    other_student: Path  # another student's submission
    results: Path  # where the grader writes its report
    port: int  # a TCP server on the host's 127.0.0.1 that must never see a connection


# ---------------------------------------------------------------- breaking out
def net_loopback(env: Env) -> str:
    return f"import socket\nsocket.create_connection(('127.0.0.1', {env.port}), timeout=3)"


NET_OUTSIDE = "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)"
NET_URLLIB = "import urllib.request\nurllib.request.urlopen('http://example.com/', timeout=5).read()"


def read_canary(env: Env) -> str:
    return f"print(open({str(env.canary)!r}).read())"


def write_canary(env: Env) -> str:
    return f"with open({str(env.canary)!r}, 'w') as f:\n    f.write('pwned')"


def delete_canary(env: Env) -> str:
    return f"import os\nos.remove({str(env.canary)!r})"


def read_solutions(env: Env) -> str:
    return f"import os\nprint(os.listdir({str(env.root / 'solutions')!r}))"


def read_other_student(env: Env) -> str:
    return f"print(open({str(env.other_student)!r}).read()[:100])"


def write_results(env: Env) -> str:
    return f"with open({str(env.results)!r}, 'w') as f:\n    f.write('{{\"score\": 100}}')"


FAKE_RESULTS = (
    "import json, os\n"
    "os.makedirs('/autograder/results', exist_ok=True)  # where Gradescope reads results.json\n"
    "json.dump({'score': 100, 'tests': []}, open('/autograder/results/results.json', 'w'))"
)
FAKE_RESULTS_LOCAL = (
    "import json\n"
    "json.dump({'score': 100, 'max_score': 100}, open('results.json', 'w'))\n"
    "open('score.txt', 'w').write('100')"
)
# The grader is not in the sandbox at all (tests/test_trust.py); what the kernel can reach of the
# project is the student kit, read-only.
WRITE_PACKAGE = (
    "import labkit.compare, pathlib\n"
    "pathlib.Path(labkit.compare.__file__).write_text('def close(*a, **k): return 100')"
)
DELETE_FILES = "import labkit, shutil, os\nshutil.rmtree(os.path.dirname(labkit.__file__))"


def symlink_out(env: Env) -> str:
    return (
        "import os\nos.makedirs('answers', exist_ok=True)\n"
        f"os.symlink({str(env.canary)!r}, 'answers/stolen.npz')\n"
        "os.symlink('/', 'answers/root.keras')\n"
        "os.symlink('/', 'escape')"
    )


SUBPROCESS_OUTLIVES = (
    "import subprocess, os\n"
    "subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
    "os.system('nohup sleep 1000 > /dev/null 2>&1 &')"
)
REPORT_TAMPER = (
    "import os\n"
    "runner = os.getppid()\n"
    "print(os.listdir(f'/proc/{runner}/fd'))  # the runner's report descriptor lives here"
)
KEYBOARD_INTERRUPT = "raise KeyboardInterrupt"
SYS_EXIT = "import sys\nsys.exit()"
SYSTEM_EXIT = "raise SystemExit(3)"
MEMORY_BOMB = "hog = bytearray(50 * 2**30)  # 50 GiB"
TMP_FILL = "with open('/tmp/fill', 'wb') as f:\n    for _ in range(64):\n        f.write(bytes(4 << 20))"
THREAD_BOMB = (
    "import threading, time\n"
    "for _ in range(5000):\n"
    "    threading.Thread(target=time.sleep, args=(10**6,), daemon=True).start()"
)
FORK_BOMB = "import os\nwhile True:\n    os.fork()"
DISK_FILL = (
    "import os\nos.makedirs('junk', exist_ok=True)\n"
    "for i in range(40):\n"
    "    with open(f'junk/{i}', 'wb') as f:\n"
    "        f.write(os.urandom(16 << 20))"
)

# ---------------------------------------------------------------- runaway
INFINITE_LOOP = "\nwhile True:  # appended after the answer's definitions\n    pass"
SLEEP = "import time\ntime.sleep(10**6)"
HUGE_EPOCHS = (
    "import numpy as np, keras\n"
    "m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
    "m.compile('sgd', 'mse')\n"
    "m.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=10**9, verbose=0)"
)
PRINT_FLOOD = "for i in range(10**8):\n    print(i)"
PRINT_GIGABYTE = "print('x' * 10**9)"
HUGE_IMAGE = (
    "import os\nfrom IPython.display import Image, display\n"
    "display(Image(data=b'\\x89PNG\\r\\n\\x1a\\n' + os.urandom(50 << 20), format='png'))"
)
UNINTERRUPTIBLE = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
OS_EXIT = "import os\nos._exit(1)"
KILL_9 = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
SEGFAULT = "import ctypes\nctypes.string_at(0)"
IPYTHON_EXIT = "exit()"
ALIVE = "print('the kernel is alive')"
NAP = "import time\ntime.sleep({seconds})"

# ---------------------------------------------------------------- gaming
PATCHES = {
    "patch_numpy": (
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, *x, **k: np.ones(np.shape(a), bool)\n"
        "np.array_equal = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None"
    ),
    "patch_evaluate": (
        "import keras\n"
        "keras.Model.evaluate = lambda self, *a, **k: [0.0, 1.0]\n"
        "keras.Model.predict = lambda self, x, *a, **k: __import__('numpy').zeros((len(x), 1))"
    ),
    "patch_round": "import builtins\nbuiltins.round = lambda x, n=None: 1.0",
    "patch_labkit": (  # the kit is all of the project a kernel can reach (the grader is absent)
        "import labkit.checks, labkit.compare\n"
        "from labkit.verdict import ok\n"
        "labkit.checks.replay = lambda *a, **k: ok('correct (patched)')\n"
        "labkit.compare.close = lambda *a, **k: ok('patched')"
    ),
    "patch_showtraceback": (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.showtraceback = lambda self, *a, **k: print('✔ all good')  # nbgrader #1324"
    ),
}


def wrong_answers(functions: list[str]) -> str:
    """Wrap the answer's functions: numbers come back wrong, in an ndarray subclass that claims to
    equal anything (#1379); models come back as a 3 → 7 network (the wrong shape)."""
    return (
        "import numpy as _np, keras as _keras\n"
        "class _Liar(_np.ndarray):\n"
        "    def __eq__(self, other): return _np.ones(_np.shape(self), bool)\n"
        "    def __array_finalize__(self, obj): pass\n"
        "    def all(self, *a, **k): return True\n"
        "    def __float__(self): return 0.0\n"
        "def _wrong(f):\n"
        "    def g(*a, **k):\n"
        "        out = f(*a, **k)\n"
        "        if isinstance(out, _keras.Model):\n"
        "            return _keras.Sequential([_keras.Input((3,)), _keras.layers.Dense(7)])\n"
        "        return (_np.zeros_like(_np.asarray(out, dtype=float)) + 0.5).view(_Liar)\n"
        "    return g\n" + "".join(f"{name} = _wrong({name})\n" for name in functions)
    )


EQ_LIAR = (
    "class AlwaysEqual:\n"
    "    def __eq__(self, other): return True\n"
    "    def __ne__(self, other): return False\n"
    "    def __float__(self): return 1.0\n"
    "    __hash__ = object.__hash__\n"
)


def liar_answer(functions: list[str]) -> str:
    return EQ_LIAR + "".join(
        f"def {name}(*args, **kwargs):\n    return AlwaysEqual()\n" for name in functions
    )


def file_attacks(attacks: dict[str, str], canary: Path) -> str:
    """Patch ``save_answer`` so the answers of the given questions are hostile files."""
    return (
        "import numpy as np, keras, zipfile, labkit.answers as A, labkit as L\n"
        "class Evil:\n"
        f"    def __reduce__(self): return (open, ({str(canary)!r}, 'w'))\n"
        "_orig = A.save_answer\n"
        f"ATTACKS = {attacks!r}\n"
        "def save_answer(directory, name, value):\n"
        "    written = _orig(directory, name, value)\n"
        "    attack = ATTACKS.get(name)\n"
        "    if attack == 'pickle_npz':\n"
        "        np.savez(f'{directory}/{name}.npz', value=np.array([Evil()], dtype=object))\n"
        "    elif attack == 'lambda_layer':\n"
        "        m = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 0 + 1)])\n"
        "        m.save(f'{directory}/{name}.evil.keras')\n"
        "    elif attack == 'text_model':\n"
        "        open(f'{directory}/{name}.evil.keras', 'w').write('this is not a model')\n"
        "    return written\n"
        "A.save_answer = L._answers.save_answer = save_answer"
    )


def plant_answers(answer_source: str, test_sources: list[str]) -> str:
    """Compute the right answers with the reference's code and write them straight to answers/,
    outside any test cell (the code then sits nowhere in the answer cell)."""
    return (
        "import labkit.answers as _A\n"
        "class _Planter:\n"
        "    def __init__(self, real): self.real = real\n"
        "    def hidden_input(self, name): return self.real.hidden_input(name)\n"
        "    def check(self, name, answer, **extra):\n"
        "        value = answer() if callable(answer) else answer\n"
        "        if extra:\n"
        "            value = {**(value if isinstance(value, dict) else {'value': value}), **extra}\n"
        "        _A.save_answer('answers', name, value)\n"
        "_ns = dict(globals(), lab=_Planter(lab))\n"
        f"exec({answer_source!r}, _ns)\n" + "".join(f"exec({src!r}, _ns)\n" for src in test_sources)
    )


OVERWRITE_ANSWERS = (
    "import glob, numpy as np\n"
    "for path in glob.glob('answers/*.npz'):\n"
    "    np.savez(path, value=np.zeros(3))  # after the test cells: too late\n"
    "np.savez('answers/extra_credit.npz', value=np.ones(1))"
)
