"""The sandbox: a bubblewrap command line that runs one command with nothing but what grading needs.

What the sandboxed process sees (everything else of the host is absent, not just read-only):

* read-only: ``/usr`` (+ the ``/bin``, ``/lib``… links), ``/etc``, the Python installation, the
  project's virtual environment, the ``autograder`` package and the dataset manifest, and MNIST
  at ``/data/mnist.npz`` — *not* ``solutions/`` (instructor sources, hidden tests), other
  submissions, or the grader's results;
* read-write: its private work directory at ``/submission`` (the grader stops the run when it
  grows past ``Limits.disk_bytes``) and an empty ``/tmp`` (a tmpfs of ``Limits.tmp_bytes``);
* its own network namespace (loopback only: no route out, no host services), PID namespace
  (it sees only its own processes, and all of them die with it), IPC and UTS namespaces;
* when the grader runs as root, the command runs as a fresh unprivileged uid with every
  capability dropped (``setpriv``), so rlimits on processes apply and host files stay unwritable;
* rlimits: address space, processes/threads, file size, open files, core dumps off.

``Limits`` carries the numbers; tests scale them down.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from autograder.mnist import PROJECT_ROOT

SANDBOX_WORKDIR = "/submission"
SANDBOX_MNIST = "/data/mnist.npz"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run (seconds, bytes, counts)."""

    cell_seconds: float = 120.0
    notebook_seconds: float = 600.0
    memory_bytes: int = 8 << 30  # address space; TensorFlow reserves ~3 GiB of it at import
    processes: int = 512  # threads count too: TF starts a few dozen
    file_bytes: int = 256 << 20
    open_files: int = 1024
    output_bytes: int = 1 << 20  # kept per notebook; the rest is dropped with a note
    artifact_bytes: int = 64 << 20  # largest answer file collected
    disk_bytes: int = 1 << 30  # the work directory's size; the run is stopped beyond it
    tmp_bytes: int = 512 << 20  # the sandbox's /tmp (a tmpfs: RAM, outside the address-space limit)


TEST_LIMITS = Limits(cell_seconds=20.0, notebook_seconds=90.0, output_bytes=256 << 10)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _python_prefixes() -> list[Path]:
    """Directories the interpreter needs: the venv and the base installation it points to."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sysconfig.get_paths()["stdlib"]).parent}
    real = Path(os.path.realpath(sys.executable)).parent.parent
    paths.add(real)
    return sorted(p for p in paths if p.exists())


def _preexec(limits: Limits):
    def apply() -> None:
        os.setsid()
        for name, value in (
            (resource.RLIMIT_AS, limits.memory_bytes),
            (resource.RLIMIT_NPROC, limits.processes),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(name, (value, value))

    return apply


def sandbox_uid() -> int:
    """A fresh unprivileged uid per run, so concurrent runs never share a process limit."""
    return random.randrange(200_000, 260_000)


def build_command(
    command: list[str],
    workdir: Path,
    *,
    mnist: Path | None = None,
    readonly_extra: list[tuple[Path, str]] = (),
    uid: int | None = None,
    env: dict[str, str] | None = None,
    writable: bool = True,
    tmp_bytes: int = Limits.tmp_bytes,
) -> list[str]:
    """The full ``bwrap … -- command`` argv; ``workdir`` is mounted at ``/submission``."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (`bwrap`) is not installed: install the Debian package `bubblewrap`, "
            "or pass --no-sandbox to grade without isolation (not for untrusted code)"
        )
    argv = [
        bwrap,
        "--die-with-parent",
        "--new-session",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "grader",
    ]
    if os.geteuid() != 0:
        argv.append("--unshare-user")  # unprivileged: a user namespace is how bwrap gets the others
    # /tmp first: the binds below may live under /tmp (a checkout in /tmp/…), and a tmpfs mounted
    # after them would hide them.
    argv += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    argv += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for link in ("bin", "lib", "lib64", "sbin", "lib32"):
        target = Path("/") / link
        if target.is_symlink():
            argv += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            argv += ["--ro-bind", str(target), str(target)]
    for prefix in _python_prefixes():
        argv += ["--ro-bind", str(prefix), str(prefix)]
    argv += ["--ro-bind", str(PROJECT_ROOT / "autograder"), str(PROJECT_ROOT / "autograder")]
    manifest = PROJECT_ROOT / "datasets" / "manifest.json"
    if manifest.exists():
        argv += ["--ro-bind", str(manifest), str(manifest)]
    if mnist is not None:
        argv += ["--ro-bind", str(Path(mnist).resolve()), SANDBOX_MNIST]
    for host, inside in readonly_extra:
        argv += ["--ro-bind", str(host), inside]
    argv = _with_parent_dirs(argv)
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
    ]
    argv += ["--bind" if writable else "--ro-bind", str(workdir), SANDBOX_WORKDIR, "--chdir", SANDBOX_WORKDIR]
    argv += ["--clearenv"]
    base_env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": "/tmp/home",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/mpl",
        "KERAS_HOME": "/tmp/keras",
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "JUPYTER_PLATFORM_DIRS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "AUTOGRADER_SANDBOX": "1",
    }
    if mnist is not None:
        base_env["AUTOGRADER_MNIST"] = SANDBOX_MNIST
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "KERAS_BACKEND", "LAB_SEED"):
        if key in os.environ:
            base_env[key] = os.environ[key]
    base_env.update(env or {})
    for key, value in sorted(base_env.items()):
        argv += ["--setenv", key, value]
    if os.geteuid() == 0:
        # Root outside: become a fresh unprivileged uid inside, with every capability gone.
        uid = sandbox_uid() if uid is None else uid
        argv += [
            "--",
            "/usr/bin/setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
        ]
    else:
        argv += ["--"]
    return argv + list(command)


def _with_parent_dirs(argv: list[str]) -> list[str]:
    """Create every bind target's parent directories 0755 first (bwrap would make them 0700,
    which the unprivileged sandbox uid could not traverse, e.g. ``/root`` above the Python)."""
    parents: set[str] = set()
    for i, arg in enumerate(argv):
        if arg in ("--ro-bind", "--bind"):
            for parent in Path(argv[i + 2]).parents:
                if str(parent) not in ("/", "/tmp"):
                    parents.add(str(parent))
    head = argv[: argv.index("--ro-bind")]
    tail = argv[len(head) :]
    dirs: list[str] = []
    for parent in sorted(parents, key=lambda p: (p.count("/"), p)):
        dirs += ["--perms", "0755", "--dir", parent]
    return head + dirs + tail


def preexec_for(limits: Limits):
    """``preexec_fn`` for ``subprocess.Popen``: new session + the rlimits of ``limits``."""
    return _preexec(limits)


def prepare_workdir(path: Path, uid: int | None) -> None:
    """Hand ``path`` (and everything in it) to the sandbox uid so the kernel may write there."""
    if os.geteuid() != 0 or uid is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, uid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, uid, follow_symlinks=False)
