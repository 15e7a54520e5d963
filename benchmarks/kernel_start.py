"""How long a warm kernel takes to start and to stop: the part of every notebook's overhead that
the zygote cannot import ahead of time.

    .venv/bin/python benchmarks/kernel_start.py [--kernels 10]

One zygote (``labkit.zygote``, on this host: no sandbox around it, its kernels still get their own
namespaces) forks ``--kernels`` kernels one after the other, each through nbclient exactly as the
runner drives it (``shutdown_kernel="immediate"``). Per kernel it times

* ``spawn``   the zygote's fork (namespace maker, init, kernel) until it reports the kernel's pid;
* ``ready``   until the kernel answered ``kernel_info`` with IOPub connected (``wait_for_ready``);
* ``cell``    one trivial cell;
* ``stop``    the kill and cleanup.

twice: as jupyter_client would do it alone (its kernel client, whose ZeroMQ sockets retry an
unbound port every 100 ms; a kill that returns at once, so the manager polls the kernel's death
every 100 ms) and as the runner does it (``labkit.kernels.QuickConnectClient``, retrying every
10 ms; ``ForkProvisioner.kill`` waiting the few milliseconds the kernel takes to die). The medians
are printed with the machine's load; compare the two rows of one run.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "kit"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import nbformat  # noqa: E402
from jupyter_client.asynchronous.client import AsyncKernelClient  # noqa: E402
from labkit.kernels import ForkProvisioner, QuickConnectClient, Zygote, use_zygote  # noqa: E402
from nbclient import NotebookClient  # noqa: E402


class KillOnly(ForkProvisioner):
    """``ForkProvisioner`` with jupyter_client's plain kill: signal, return, let the manager poll."""

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)


PATHS = {
    "jupyter_client alone": (AsyncKernelClient, KillOnly),
    "the runner's (quick connect, waited kill)": (QuickConnectClient, ForkProvisioner),
}


def one_kernel(zygote: Zygote, client_class, provisioner_class=ForkProvisioner) -> dict[str, float]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    client = NotebookClient(nb, kernel_name="python3", shutdown_kernel="immediate")
    t0 = time.perf_counter()
    client.km = client.create_kernel_manager()
    use_zygote(client.km, zygote)
    client.km.client_factory = client_class
    client.km.provisioner.__class__ = provisioner_class
    client.start_new_kernel()
    t1 = time.perf_counter()
    client.start_new_kernel_client()
    t2 = time.perf_counter()
    client.execute_cell(nb.cells[0], 0)
    t3 = time.perf_counter()
    client._cleanup_kernel()
    t4 = time.perf_counter()
    return {"spawn": t1 - t0, "ready": t2 - t1, "cell": t3 - t2, "stop": t4 - t3}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kernels", type=int, default=10, help="kernels per client kind")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    zygote = Zygote()
    try:
        one_kernel(zygote, QuickConnectClient)  # the first fork pays for page faults: not counted
        print("path | spawn s | ready s | cell s | stop s | total s (medians)")
        print("--- | --- | --- | --- | --- | ---")
        totals = {}
        for name, classes in PATHS.items():
            runs = [one_kernel(zygote, *classes) for _ in range(args.kernels)]
            median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            totals[name] = statistics.median(sum(run.values()) for run in runs)
            print(
                f"{name} | {median['spawn']:.3f} | {median['ready']:.3f} | {median['cell']:.3f} | "
                f"{median['stop']:.3f} | {totals[name]:.3f}"
            )
        slow, quick = totals.values()
        print(f"per notebook saved: {slow - quick:.3f} s ({slow / quick:.2f}×)")
    finally:
        zygote.close()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
