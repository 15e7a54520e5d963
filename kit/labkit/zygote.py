"""A warm kernel factory: one interpreter imports TensorFlow and Keras once, then *forks* a fresh,
isolated Jupyter kernel for every notebook. Runs inside the sandbox, started by the runner.

Why: ``import tensorflow, keras`` costs ~5 s on a 2-core machine, and a cold kernel pays it for
every notebook, before any student code runs. A fork of an interpreter that already did it starts
a kernel in a few tenths of a second. The zygote only *imports* (numpy, TensorFlow, Keras,
matplotlib, the kit, ipykernel): it never runs a TensorFlow op, so no thread pool exists yet and
the fork is safe (TF's pools are created lazily by the kernel's first op).

What a notebook's kernel gets (``_isolate``), so that nothing passes from one notebook to the next:

* a new **process image**: the fork of the pristine zygote (copy-on-write). Variables, modules a
  notebook monkeypatched, ``sys.modules`` entries it added: all die with the kernel; Python's
  and NumPy's global random generators are reseeded from the OS, as a fresh interpreter's are;
* a new **PID namespace**: the kernel and everything it starts see only each other; killing the
  namespace's first process (``init``, a small reaper) kills every process of the notebook, and
  none of them can signal the runner or the zygote (they are not in its namespace);
* a new **mount namespace** with a private, empty ``/tmp`` (and ``/dev/shm``) tmpfs — the work
  directory ``/submission`` holds only this notebook's files (the grader swaps them in and out);
* a new **IPC namespace** (no System V shared memory between notebooks);
* a new **user namespace**, needed to create the others without privileges: the uid maps to
  itself, and every capability is dropped (bounding set included) before any student code runs,
  so the private mounts cannot be undone (mounts inherited by a nested namespace are locked);
* the zygote and the runner are non-dumpable: a kernel (same uid) cannot read their memory or
  descriptors through ``/proc``; the zygote's control socket is closed in every child.

Protocol (a socketpair, JSON lines): the runner sends ``{"connection": {...}, "cwd": ..., "env":
{...}}``; the zygote answers ``{"init": pid, "kernel": pid}`` (pids as the runner sees them) or
``{"error": "..."}``. At start it answers ``{"ready": true}`` once a test child proved that the
namespaces can be created here, or ``{"ready": false, "error": ...}``.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys
import time

PRELOAD = (
    "numpy",
    "tensorflow",
    "keras",
    "matplotlib",
    "matplotlib.pyplot",
    "labkit",
    "labkit.lab",
    "labkit.plots",
    "labkit.mnist",
    "ipykernel.kernelapp",
)

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWIPC = 0x20000, 0x10000000, 0x20000000, 0x08000000
MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV = 0x4000, 1 << 18, 2, 4
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 47, 4


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _check(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def _drop_capabilities() -> None:
    for cap in range(64):  # the bounding set first (it needs CAP_SETPCAP, about to go)
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()  # _LINUX_CAPABILITY_VERSION_3
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _isolate(tmp_bytes: int) -> None:
    """New user, mount, PID and IPC namespaces for this process's children; a private /tmp."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # a non-dumpable process cannot write its own uid_map
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    # Binds that live under /tmp (a checkout or a Python in /tmp/…) would vanish under the new
    # tmpfs: hold each by a descriptor, mount the tmpfs, then bind them back, read-only.
    kept = []
    for point in _mounts_under("/tmp"):
        kept.append((point, os.open(point, os.O_PATH), os.path.isdir(point)))
    options = f"size={tmp_bytes},mode=1777".encode()
    for target in (b"/tmp", b"/dev/shm"):
        if os.path.isdir(target):
            _check(_libc.mount(b"tmpfs", target, b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount tmpfs")
    for point, fd, is_dir in kept:
        parent = os.path.dirname(point)
        os.makedirs(parent, mode=0o755, exist_ok=True)
        if is_dir:
            os.makedirs(point, exist_ok=True)
        elif not os.path.exists(point):
            open(point, "w").close()
        source = f"/proc/self/fd/{fd}".encode()
        _check(_libc.mount(source, point.encode(), None, MS_BIND | MS_REC, None), f"bind {point}")
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
        _check(_libc.mount(None, point.encode(), None, flags, None), f"remount {point} read-only")
        os.close(fd)
    for directory in sorted({os.path.dirname(p) for p, _, _ in kept}, key=len):
        while directory not in ("/", "/tmp"):
            os.chmod(directory, 0o755)
            directory = os.path.dirname(directory)
    _drop_capabilities()


def _mounts_under(root: str) -> list[str]:
    """Mount points strictly below ``root``, outermost first (``/proc/self/mountinfo``)."""
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            point = line.split()[4].encode().decode("unicode_escape")
            if point.startswith(root + "/"):
                found.append(point)
    outermost = [p for p in found if not any(p != q and p.startswith(q + "/") for q in found)]
    return sorted(set(outermost))


def _outer_pid() -> int:
    """This process's pid in the outermost PID namespace (``NSpid``'s first field)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("NSpid:"):
                return int(line.split()[1])
    return os.getpid()


def _reseed() -> None:
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def _run_kernel(request: dict, report_fd: int) -> None:
    """In the new namespaces, as the notebook's kernel: report our pid, then serve until shutdown."""
    os.write(report_fd, f"kernel {_outer_pid()}\n".encode())
    os.close(report_fd)
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # a normal process again (its /proc is its own)
    os.environ.clear()
    os.environ.update(request["env"])
    runtime = os.environ.get("JUPYTER_RUNTIME_DIR", "/tmp/jupyter-runtime")
    os.makedirs(runtime, exist_ok=True)
    path = os.path.join(runtime, f"kernel-{os.getpid()}.json")
    with open(path, "w") as handle:
        json.dump(request["connection"], handle)
    os.chdir(request["cwd"])
    _reseed()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    from ipykernel import kernelapp

    sys.argv = ["ipykernel_launcher", "-f", path]
    kernelapp.launch_new_instance(argv=["-f", path])
    os._exit(0)


def _init(request: dict, report_fd: int) -> None:
    """PID 1 of the notebook's namespace: start the kernel, reap orphans, exit when it exits."""
    kernel = os.fork()
    if kernel == 0:
        try:
            _run_kernel(request, report_fd)
        finally:
            os._exit(70)
    os.close(report_fd)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        if pid == kernel:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _spawn(request: dict, tmp_bytes: int) -> dict:
    """Fork the namespace maker; it forks ``init``, which forks the kernel. Returns their pids."""
    read_end, write_end = os.pipe()
    maker = os.fork()
    if maker == 0:
        try:
            for fd in (read_end, *_CONTROL):
                os.close(fd)
            _isolate(tmp_bytes)
            init = os.fork()
            if init == 0:
                _init(request, write_end)
            os.write(write_end, f"init {init}\n".encode())
            os.close(write_end)
            _, status = os.waitpid(init, 0)
            os._exit(0)
        except BaseException as exc:  # noqa: BLE001 - reported to the runner, never raised here
            os.write(write_end, f"error {type(exc).__name__}: {exc}\n".encode())
        finally:
            os._exit(71)
    os.close(write_end)
    found: dict = {"maker": maker}
    deadline = time.monotonic() + 30
    with os.fdopen(read_end, "rb") as reader:
        for line in reader:  # ends when every writer (maker, init, kernel) has closed its end
            role, _, value = line.decode().strip().partition(" ")
            found[role] = value if role == "error" else int(value)
            if "error" in found or ("init" in found and "kernel" in found) or time.monotonic() > deadline:
                break
    if "kernel" not in found and "error" not in found:
        found["error"] = "the kernel did not start"
    return found


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


_CONTROL: list[int] = []  # the control socket's descriptor: closed in every child


def serve(sock: socket.socket, tmp_bytes: int) -> None:
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _CONTROL.append(sock.fileno())
    for name in PRELOAD:
        __import__(name)
    reader = sock.makefile("rb")
    sock.sendall((json.dumps(_probe(tmp_bytes)) + "\n").encode())
    for line in reader:
        _reap()
        request = json.loads(line)
        try:
            answer = _spawn(request, tmp_bytes)
        except OSError as exc:
            answer = {"error": f"fork failed: {exc}"}
        sock.sendall((json.dumps(answer) + "\n").encode())
    os._exit(0)


def _probe(tmp_bytes: int) -> dict:
    """Can this machine create the namespaces? A child tries, the zygote waits for its answer."""
    child = os.fork()
    if child == 0:
        try:
            _isolate(tmp_bytes)
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return {"ready": True}
    return {"ready": False, "error": "cannot create user namespaces inside the sandbox"}


def main() -> None:
    fd, tmp_bytes = int(sys.argv[1]), int(sys.argv[2])
    sock = socket.socket(fileno=fd)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    serve(sock, tmp_bytes)


if __name__ == "__main__":
    main()
