"""Isolation without bubblewrap: the kernel runs as a fresh unprivileged user (``--isolation user``).

Where bubblewrap cannot start (Gradescope's container forbids namespaces), this is what Gradescope
itself recommends instead of running student code as root: the grader (root) starts the runner
through ``setpriv`` as a throw-away uid/gid with no supplementary groups, no capabilities and
``no_new_privs``, and makes what the kernel must not see unreadable to that uid:

* *protected* folders (the grader's checkout, which holds ``autograder/``, ``solutions/`` and
  ``.git``; an installed grader inside the environment; ``--protect`` folders such as
  ``/autograder`` with its ``source/`` and ``results/``) are closed to "others" (``o-rwx``),
  except along the way to what the kernel needs: such a directory keeps only ``o+x`` (traverse,
  no listing) and every other entry in it is closed, so ``<root>/kit/labkit`` stays importable
  while ``<root>/autograder``, ``<root>/solutions`` and the results are not readable;
* *readable* paths (the Python installation and its environment, the student kit ``labkit``,
  MNIST) get ``o+rx`` (files ``o+r``) and each of their parent directories ``o+x``, ``/root``
  included when the interpreter lives there (pyenv);
* the work directory is handed to the uid (``labkit.sandbox.prepare_workdir``) and made ``0700``;
  ``HOME``, ``TMPDIR`` and the Jupyter/Matplotlib/Keras folders live in a private ``0700`` folder
  next to it; the environment is a clean one like the sandbox's (no inherited variables);
* the sandbox's rlimits apply (``labkit.sandbox.preexec_for``); the uid is fresh per run, so the
  per-uid process limit is per run, and at the end every process whose real uid is the run's uid is
  stopped and killed through ``/proc`` (no PID namespace here, so the runner's ``--sweep`` is not
  used), and what the uid left in ``/tmp``, ``/var/tmp`` and ``/dev/shm`` is removed.

Not defended here (bubblewrap's namespaces are what would): the kernel reaches the network, the
host's loopback services included, sees every process of the machine in ``/proc`` (not their
memory, files or environments, which are the owners'), and can read whatever else the machine
leaves world-readable.

**Permissions, and two gradings at once.** The modes are changed in place for the duration of
the run and restored afterwards; the alternative, a private copy, does not work for the Python
environment (gigabytes of TensorFlow) and does not protect the checkout, which is already
world-readable. Every change is recorded, with its original mode, in a root-only ledger
(``/run/keras-labs-autograder``) under an exclusive ``flock``, together with the live gradings that
rely on it: a grading applies its changes on top of the current modes without closing what another
live grading needs open, and only the *last* grading to finish restores the original modes. A
grading killed before it restored anything leaves the paths closed (the safe direction) and is
recognised as dead (pid and start time) by the next one, which restores them when it is alone.
Root (the grader, another engineer's editor) is unaffected by the modes in any case.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
import uuid
from pathlib import Path

from labkit import sandbox as sb

from autograder.paths import PROJECT_ROOT

SETPRIV = sb.SETPRIV
LEDGER_DIR = Path("/run/keras-labs-autograder")
LEFTOVER_DIRS = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
# Folders never to close: they hold other users' and the system's files.
_NEVER_PROTECT = {"/", "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/proc", "/sys", "/dev"}
_NEVER_PROTECT |= {"/run", "/var", "/tmp", "/boot", "/home"}

# Changes to the "other" permission bits: (bits cleared, bits set).
DENY = (0o007, 0)
TRAVERSE = (0o006, 0o001)  # a protected folder on the way to something readable
PASS = (0, 0o001)  # a parent of something readable, outside every protected folder
OPEN_DIR = (0, 0o005)
OPEN_FILE = (0, 0o004)


class UserIsolationUnavailable(RuntimeError):
    """Not root, or no setpriv: a fresh uid cannot be handed out here."""


def problem() -> str | None:
    """Why user isolation cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return (
            "user isolation needs the grader to run as root (it starts the kernel as a fresh "
            "unprivileged uid): run it as root, or use the bubblewrap sandbox"
        )
    if not os.access(SETPRIV, os.X_OK):
        return f"user isolation needs {SETPRIV} (util-linux): install util-linux"
    return None


def command(argv: list[str], uid: int) -> list[str]:
    """``argv`` run as uid/gid ``uid``, no groups, no capabilities, no way back to privileges."""
    return [*sb.drop_privileges(uid), *argv]


def environment(private: Path, mnist: Path | None = None, extra: dict[str, str] | None = None) -> dict:
    """A clean environment like the sandbox's, with the writable folders in ``private``."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(private / "home"),
        "TMPDIR": str(private / "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(private / "mpl"),
        "KERAS_HOME": str(private / "keras"),
        "IPYTHONDIR": str(private / "ipython"),
        "JUPYTER_RUNTIME_DIR": str(private / "jupyter-runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    if mnist is not None:
        env["AUTOGRADER_MNIST"] = str(Path(mnist).resolve())
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "KERAS_BACKEND", "LAB_SEED"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra or {})
    return env


def default_protected() -> list[Path]:
    """The grader's checkout (``autograder/``, ``solutions/``…) and an installed grader, if any."""
    return [PROJECT_ROOT, *sb.grader_dirs_inside(sb._python_prefixes())]


def default_readable(mnist: Path | None = None) -> list[Path]:
    """What the kernel reads: the Python installation and environment, ``labkit``, MNIST."""
    return [*sb._python_prefixes(), sb.KIT_DIR, *([Path(mnist)] if mnist else [])]


# ---------------------------------------------------------------- the plan of mode changes
def plan(protect, readable, reachable=()) -> dict[Path, tuple[int, int]]:
    """``{path: (cleared, set)}`` "other" bits: ``protect`` closed, ``readable`` open, and every
    parent of ``readable`` and ``reachable`` (the work directory: its own mode is left alone)
    traversable."""
    readable = [Path(os.path.realpath(p)) for p in readable]
    reach = readable + [Path(os.path.realpath(p)) for p in reachable]
    changes: dict[Path, tuple[int, int]] = {}
    for path in reach:
        for parent in path.parents:
            if parent != Path("/"):
                changes[parent] = PASS
    for root in protect:
        root = Path(os.path.realpath(root))
        if str(root) in _NEVER_PROTECT or (root.is_dir() and root.stat().st_mode & stat.S_ISVTX):
            raise UserIsolationUnavailable(f"refusing to close {root} to other users: a system folder")
        if root.exists():
            _close_tree(root, reach, changes)
    for path in readable:
        changes[path] = OPEN_DIR if path.is_dir() else OPEN_FILE
    return changes


def _close_tree(path: Path, reach: list[Path], changes: dict) -> None:
    inside = [p for p in reach if p == path or p.is_relative_to(path)]
    if not inside:
        changes[path] = DENY
    elif path not in inside:  # a folder on the way to something the kernel needs
        changes[path] = TRAVERSE
        for child in path.iterdir():
            if not child.is_symlink():  # chmod follows links: never change a link's target
                _close_tree(child, reach, changes)


# ---------------------------------------------------------------- the shared ledger
class _Ledger:
    """The root-only record of changed modes and of the gradings relying on them (``flock``ed)."""

    def __enter__(self) -> dict:
        LEDGER_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(LEDGER_DIR)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o077:
            raise UserIsolationUnavailable(f"{LEDGER_DIR} is not a root-only folder: refusing to use it")
        self.fd = os.open(LEDGER_DIR / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            self.state = json.loads((LEDGER_DIR / "ledger.json").read_text())
        except (OSError, ValueError):
            self.state = {}
        self.state.setdefault("modes", {})
        self.state.setdefault("holders", {})
        return self.state

    def save(self) -> None:
        tmp = LEDGER_DIR / "ledger.json.tmp"
        tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        os.replace(tmp, LEDGER_DIR / "ledger.json")

    def __exit__(self, *exc) -> None:
        try:
            self.save()
        finally:
            os.close(self.fd)  # releases the lock


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[-1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _alive(holder: dict) -> bool:
    return _start_time(holder["pid"]) == holder["start"]


def _restore(modes: dict[str, int]) -> None:
    for path, mode in modes.items():
        try:
            if not stat.S_ISLNK(os.lstat(path).st_mode):
                os.chmod(path, mode)
        except OSError:
            continue  # gone (a scratch folder): nothing to restore


def apply(changes: dict[Path, tuple[int, int]]) -> str:
    """Apply ``changes`` (recorded in the ledger); returns the token that ``release`` takes."""
    token = uuid.uuid4().hex
    ledger = _Ledger()
    with ledger as state:
        holders = {t: h for t, h in state["holders"].items() if _alive(h)}
        if not holders:  # modes left by a grading that died: back to the originals first
            _restore(state["modes"])
            state["modes"] = {}
        needed: dict[str, int] = {}  # bits other live gradings need set: never cleared here
        for holder in holders.values():
            for path, bits in holder["needs"].items():
                needed[path] = needed.get(path, 0) | bits
        todo = []
        for path, (clear, add) in sorted(changes.items()):
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(info.st_mode):
                continue
            mode = stat.S_IMODE(info.st_mode)
            new = (mode & ~(clear & ~needed.get(str(path), 0))) | add
            if new != mode:
                state["modes"].setdefault(str(path), mode)
                todo.append((path, new))
        holders[token] = {
            "pid": os.getpid(),
            "start": _start_time(os.getpid()),
            "needs": {str(p): add for p, (_, add) in changes.items() if add},
        }
        state["holders"] = holders
        ledger.save()  # the originals are on disk before any mode changes: a crash loses nothing
        for path, new in todo:
            os.chmod(path, new)
    return token


def release(token: str) -> None:
    """This grading no longer needs its changes; the last live grading restores every mode."""
    with _Ledger() as state:
        holders = {t: h for t, h in state["holders"].items() if t != token and _alive(h)}
        if not holders:
            _restore(state["modes"])
            state["modes"] = {}
        state["holders"] = holders


# ---------------------------------------------------------------- processes and leftovers
def pids_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real uid is ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        if fields.get("State", "").strip().startswith("Z"):
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            found.append(int(entry))
    return found


def kill_uid(uid: int, rounds: int = 200) -> int:
    """Stop, then kill, every process of ``uid`` until none is left; returns how many were killed."""
    killed = 0
    for _ in range(rounds):
        pids = pids_of(uid)
        if not pids:
            break
        for sig in (signal.SIGSTOP, signal.SIGKILL):  # stopped first: a fork bomb cannot outrun it
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    continue
        killed += len(pids)
        time.sleep(0.02)
    return killed


def remove_leftovers(uid: int) -> None:
    """Delete what ``uid`` created directly in the world-writable folders (``rmtree`` is link-safe)."""
    for folder in LEFTOVER_DIRS:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue


def fresh_uid() -> int:
    """A uid from the sandbox's range that owns no process right now."""
    while True:
        uid = sb.sandbox_uid()
        if not pids_of(uid):
            return uid


# ---------------------------------------------------------------- one run
class Session:
    """One kernel run as a fresh uid: ``start`` prepares and returns ``(argv, cwd, env)``;
    ``close`` (always call it, in a ``finally``) kills the uid's processes, then restores modes."""

    def __init__(self, workdir: Path, *, protect=(), mnist: Path | None = None, readable=()):
        self.workdir, self.mnist = Path(workdir), mnist
        self.protect = [*default_protected(), *map(Path, protect)]
        self.readable = [*default_readable(mnist), *map(Path, readable)]
        self.uid: int | None = None
        self.private: Path | None = None
        self._token: str | None = None

    def describe(self) -> str:
        return (
            f"unprivileged user uid {self.uid} (setpriv), no bubblewrap: the grader's files, solutions "
            "and results unreadable to it; no network or PID namespace"
        )

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> tuple[list[str], Path, dict]:
        if why := problem():
            raise UserIsolationUnavailable(why)
        self.uid = fresh_uid()
        self.private = Path(tempfile.mkdtemp(prefix="user-", dir=self.workdir.parent))
        for name in ("home", "tmp", "mpl", "keras", "ipython", "jupyter-runtime"):
            (self.private / name).mkdir(mode=0o700)
        sb.prepare_workdir(self.workdir, self.uid)
        sb.prepare_workdir(self.private, self.uid)
        os.chmod(self.workdir, 0o700)
        os.chmod(self.private, 0o700)
        changes = plan(self.protect, self.readable, reachable=[self.workdir, self.private])
        self._token = apply(changes)
        run_env = environment(self.private, self.mnist, env)
        return command(argv, self.uid), self.workdir, run_env

    def close(self) -> None:
        if self.uid is not None:
            kill_uid(self.uid)  # before any mode is restored: no process of the run is left
            remove_leftovers(self.uid)
        if self._token is not None:
            token, self._token = self._token, None
            release(token)
        if self.private is not None:
            shutil.rmtree(self.private, ignore_errors=True)
            self.private = None
