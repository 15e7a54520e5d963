"""Kernels for the runner: a cold one (``python -m ipykernel_launcher``, jupyter_client's default)
or a warm one forked by the zygote (``labkit.zygote``) through ``ForkProvisioner``.

``ForkProvisioner`` is a jupyter_client kernel provisioner: the KernelManager writes the
connection file and picks the ports as usual, then, instead of starting a process, the provisioner
asks the zygote for a fork. Interrupts (SIGINT) go to the kernel; a kill goes to the namespace's
``init``, which takes every process of the notebook with it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid

import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from traitlets import default

from labkit.sandbox import Limits

RECONNECT_MS = 10  # how often a kernel client retries a socket the forked kernel has not bound yet


class ZygoteUnavailable(RuntimeError):
    """The zygote could not start, or cannot isolate kernels on this machine."""


class Zygote:
    """The runner's handle on a ``labkit.zygote`` process (started here, over a socketpair)."""

    def __init__(self, tmp_bytes: int = Limits.tmp_bytes) -> None:
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "labkit.zygote", str(theirs.fileno()), str(tmp_bytes)],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.sock, self.reader = ours, ours.makefile("rb")
        hello = self._answer()
        if not hello.get("ready"):
            self.close()
            raise ZygoteUnavailable(hello.get("error", "the zygote did not start"))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _answer(self) -> dict:
        line = self.reader.readline()
        if not line:
            raise ZygoteUnavailable(f"the zygote exited (status {self.proc.poll()})")
        return json.loads(line)

    def spawn(self, connection: dict, cwd: str, env: dict) -> dict:
        request = {"connection": connection, "cwd": cwd, "env": env}
        self.sock.sendall((json.dumps(request) + "\n").encode())
        answer = self._answer()
        if "error" in answer:
            raise ZygoteUnavailable(f"the zygote could not start a kernel: {answer['error']}")
        return answer

    def close(self) -> None:
        self.reader.close()  # (a makefile keeps the socket open until it is closed too)
        self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class ForkProvisioner(LocalProvisioner):
    """A provisioner whose kernels are forks of the zygote (set ``zygote`` before launching)."""

    zygote: Zygote | None = None
    init: int | None = None
    maker: int | None = None

    @property
    def has_process(self) -> bool:
        return self.init is not None

    async def launch_kernel(self, cmd, **kwargs):
        info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in self.connection_info.items()}
        env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        answer = self.zygote.spawn(info, str(kwargs.get("cwd") or os.getcwd()), env)
        self.pid, self.init, self.maker = answer["kernel"], answer["init"], answer["maker"]
        self.pgid = None
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    def pids(self) -> set[int]:
        return {p for p in (self.pid, self.init, self.maker) if p}

    async def poll(self) -> int | None:
        return None if _alive(self.pid) else 0

    async def wait(self) -> int | None:
        while _alive(self.pid) or _alive(self.init):
            await asyncio.sleep(0.02)
        self.init = None
        return 0

    async def send_signal(self, signum: int) -> None:
        target = self.init if signum == signal.SIGKILL else self.pid
        for pid in (target, self.pid) if signum == signal.SIGKILL else (target,):
            try:
                os.kill(pid, signum)
            except (ProcessLookupError, TypeError):
                pass

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)
        # The kernel dies within milliseconds (its init took the namespace down); waiting for it
        # here spares jupyter_client's 100 ms liveness poll on every notebook's shutdown.
        for _ in range(250):
            if not _alive(self.pid):
                return
            await asyncio.sleep(0.002)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGTERM)


def use_zygote(km, zygote: Zygote) -> None:
    """Make the KernelManager ``km`` start its kernel by forking ``zygote``."""
    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    provisioner = ForkProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    provisioner.zygote = zygote
    km.provisioner = provisioner
    km.client_factory = QuickConnectClient


class QuickConnectClient(AsyncKernelClient):
    """A kernel client that connects to a forked kernel as soon as it has bound its sockets.

    Its channels connect right after the fork, before the kernel listens; ZeroMQ then retries
    every ``RECONNECT_IVL`` (100 ms by default), and a missed IOPub ``status`` makes
    ``wait_for_ready`` start over. A forked kernel binds within ~0.2 s; retrying every 10 ms
    answers a few hundredths of a second sooner (benchmarks/kernel_start.py).
    """

    @default("context")
    def _quick_context(self) -> zmq.asyncio.Context:
        self._created_context = True  # destroyed with the client, as jupyter_client's own
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        return context
