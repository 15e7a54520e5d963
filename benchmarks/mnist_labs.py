"""Benchmark the MNIST labs 20–24: reference notebooks vs straightforward ports of the course.

For each lab it executes the instructor notebook (``solutions/<lab>/<lab>.ipynb``) ``--repeats``
times in a temporary copy, reads the training report the notebook records (seconds around
``model.fit``, examples/s, achieved GFLOP/s = 2·params·examples·3 / seconds) and its test accuracy,
then trains a straightforward Keras port of the course's hyper-parameters in this process
(15 epochs, batch 100, Adam 1e-3, the course's widths) and prints both and the speed-up.

    .venv/bin/python benchmarks/mnist_labs.py                  # all labs, 3 repeats, all ports
    .venv/bin/python benchmarks/mnist_labs.py --repeats 1 --skip-slow-ports
    .venv/bin/python benchmarks/mnist_labs.py --labs 24 --no-ports

Timings on a shared machine are noisy: medians are printed, and the spread next to them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

LABS = (
    "lab20_mnist_softmax",
    "lab21_mnist_naive_init",
    "lab22_mnist_init",
    "lab23_mnist_deep",
    "lab24_mnist_dropout",
)

# The course's hyper-parameters (TF1 code): 15 epochs, batch 100, Adam 1e-3, logits + softmax
# cross-entropy; Xavier initialization from lab 22 on, keep_prob 0.7 in lab 24.
COURSE_PORTS = {
    "lab20_mnist_softmax": dict(widths=(), init="glorot_uniform", dropout=0.0),
    "lab21_mnist_naive_init": dict(widths=(256, 256), init="naive", dropout=0.0),
    "lab22_mnist_init": dict(widths=(256, 256), init="glorot_uniform", dropout=0.0),
    "lab23_mnist_deep": dict(widths=(512,) * 4, init="glorot_uniform", dropout=0.0),
    "lab24_mnist_dropout": dict(widths=(512,) * 4, init="glorot_uniform", dropout=0.3),
}
SLOW_PORTS = {"lab23_mnist_deep", "lab24_mnist_dropout"}
COURSE_EPOCHS, COURSE_BATCH, COURSE_LR = 15, 100, 1e-3


def resolve(lab: str) -> str:
    for lab_id in LABS:
        if lab in (lab_id, lab_id[3:5], lab_id[:5]):
            return lab_id
    raise SystemExit(f"Expected a lab among {LABS} (or its number). Received: {lab!r}")


def run_notebook(
    lab_id: str,
    seed: int = 0,
    *,
    student: bool = False,
    workdir: Path | None = None,
    timeout: int = 600,
    edit=None,
) -> dict:
    """Execute a lab notebook in a temporary copy and grade its answers with ``score_lab``.

    Returns ``{"seconds", "result" (LabResult), "metrics" (list of dicts), "workdir", "errors"}``.
    The reference (instructor) notebook runs by default; ``student=True`` runs the release copy
    with errors allowed (its cells raise ``NotImplementedError``). ``edit(nb)`` may change the
    notebook before it runs (``train_on_test.py`` makes it fit on the test images).
    """
    import nbformat
    from nbclient import NotebookClient

    from autograder.grading.judge import score_lab
    from autograder.grading.workdir import stage
    from autograder.labs import get_lab

    source = ROOT / ("labs" if student else "solutions") / lab_id / f"{lab_id}.ipynb"
    own_tmp = workdir is None
    work = Path(tempfile.mkdtemp(prefix=f"{lab_id}-")) if own_tmp else Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    notebook = work / source.name
    shutil.copy(source, notebook)
    stage(get_lab(lab_id), work, seed=0)  # public checks + hidden inputs next to the notebook
    metrics_file = work / "metrics.jsonl"
    saved = {k: os.environ.get(k) for k in ("LAB_SEED", "MNIST_LABS_METRICS")}
    os.environ["LAB_SEED"] = str(seed)
    os.environ["MNIST_LABS_METRICS"] = str(metrics_file)
    errors = []
    try:
        nb = nbformat.read(notebook, as_version=4)
        if edit is not None:
            edit(nb)
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=student,
            resources={"metadata": {"path": str(work)}},
        )
        start = time.perf_counter()
        try:
            client.execute()
        except Exception as exc:  # noqa: BLE001 - report, keep benchmarking the other labs
            errors.append(f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300]}")
        seconds = time.perf_counter() - start
        nbformat.write(nb, notebook)
        result = score_lab(get_lab(lab_id), work / "answers", seed=0)
        metrics = []
        if metrics_file.exists():
            metrics = [json.loads(line) for line in metrics_file.read_text().splitlines() if line.strip()]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if own_tmp:
            shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "result": result, "metrics": metrics, "workdir": work, "errors": errors}


def merged_metrics(records: list[dict]) -> dict:
    out: dict = {}
    for record in records:
        out.update(record)
    return out


def course_port(lab_id: str, seed: int = 0) -> dict:
    """Train the course's hyper-parameters, ported to Keras as directly as possible."""
    import keras

    from autograder.labs._mnist import accuracy, mnist

    spec = COURSE_PORTS[lab_id]
    keras.utils.set_random_seed(seed)
    if spec["init"] == "naive":
        kernel = bias = lambda: keras.initializers.RandomNormal(0.0, 1.0)  # noqa: E731
    else:
        kernel, bias = (lambda: spec["init"]), (lambda: "zeros")
    layers = [keras.Input(shape=(784,))]
    for units in spec["widths"]:
        layers.append(keras.layers.Dense(units, "relu", kernel_initializer=kernel(), bias_initializer=bias()))
        if spec["dropout"]:
            layers.append(keras.layers.Dropout(spec["dropout"]))
    layers.append(keras.layers.Dense(10, kernel_initializer=kernel(), bias_initializer=bias()))
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(COURSE_LR),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    data = mnist()
    (x_fit, y_fit), _ = data.split()
    start = time.perf_counter()
    model.fit(x_fit, y_fit, batch_size=COURSE_BATCH, epochs=COURSE_EPOCHS, verbose=0)
    seconds = time.perf_counter() - start
    examples = COURSE_EPOCHS * len(x_fit)
    params = model.count_params()
    return {
        "seconds": seconds,
        "accuracy": accuracy(model, data.x_test, data.y_test),
        "examples_per_s": examples / seconds,
        "gflops": 6.0 * params * examples / seconds / 1e9,
        "params": params,
        "config": f"{'×'.join(map(str, spec['widths'])) or '784→10'}"
        + (f" + dropout {spec['dropout']}" if spec["dropout"] else "")
        + f", {spec['init']}, batch {COURSE_BATCH}, {COURSE_EPOCHS} epochs, Adam {COURSE_LR:g}",
    }


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}–{max(values):.1f}" if len(values) > 1 else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labs", nargs="*", default=list(LABS), help="lab ids or numbers (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="notebook runs per lab (median is reported)")
    parser.add_argument("--seed", type=int, default=0, help="LAB_SEED for the reference runs")
    parser.add_argument("--skip-slow-ports", action="store_true", help="skip the 4×512 ports (labs 23, 24)")
    parser.add_argument("--no-ports", action="store_true", help="do not train the course's ports")
    args = parser.parse_args(argv)
    labs = [resolve(lab) for lab in args.labs]

    rows = []
    for lab_id in labs:
        runs = []
        for repeat in range(args.repeats):
            run = run_notebook(lab_id, args.seed)
            m = merged_metrics(run["metrics"])
            runs.append((run, m))
            status = f"{run['result'].score:g}/{run['result'].max_score:g}"
            print(
                f"  {lab_id} run {repeat + 1}: train {m.get('seconds', float('nan')):.1f} s, "
                f"notebook {run['seconds']:.1f} s, acc {m.get('test_accuracy', float('nan')):.2%}, "
                f"score {status}{' ' + '; '.join(run['errors']) if run['errors'] else ''}",
                flush=True,
            )
        train_s = [m.get("seconds", float("nan")) for _, m in runs]
        median = statistics.median(train_s)
        best = min(runs, key=lambda rm: abs(rm[1].get("seconds", 0) - median))[1]
        row = {
            "lab": lab_id,
            "accuracy": statistics.median(m.get("test_accuracy", float("nan")) for _, m in runs),
            "train_s": median,
            "spread": _spread(train_s),
            "notebook_s": statistics.median(r["seconds"] for r, _ in runs),
            "examples_per_s": best.get("examples_per_s", float("nan")),
            "gflops": best.get("gflops", float("nan")),
            "params": best.get("params", 0),
        }
        skip = args.no_ports or (args.skip_slow_ports and lab_id in SLOW_PORTS)
        if not skip:
            port = course_port(lab_id, args.seed)
            row["port"] = port
            print(
                f"  {lab_id} course port: {port['seconds']:.1f} s, acc {port['accuracy']:.2%} ({port['config']})",
                flush=True,
            )
        rows.append(row)

    print()
    print(f"Reference notebooks (median of {args.repeats} run(s), LAB_SEED={args.seed})")
    head = (
        f"{'lab':24s} {'accuracy':>8s} {'train s':>8s} {'(range)':>11s} {'examples/s':>11s} {'GFLOP/s':>8s} "
        f"{'params':>9s} {'notebook s':>10s}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['lab']:24s} {r['accuracy']:8.2%} {r['train_s']:8.1f} {r['spread']:>11s} "
            f"{r['examples_per_s']:11,.0f} {r['gflops']:8.1f} {r['params']:9,d} {r['notebook_s']:10.1f}"
        )
    print(
        f"{'total':24s} {'':8s} {sum(r['train_s'] for r in rows):8.1f} {'':>11s} {'':11s} {'':8s} {'':9s} "
        f"{sum(r['notebook_s'] for r in rows):10.1f}"
    )
    ported = [r for r in rows if "port" in r]
    if ported:
        print()
        print("Course's hyper-parameters, straightforward Keras port (one run) vs reference")
        head = (
            f"{'lab':24s} {'accuracy':>8s} {'train s':>8s} {'examples/s':>11s} {'GFLOP/s':>8s} "
            f"{'speed-up':>8s}  configuration"
        )
        print(head)
        print("-" * len(head))
        for r in ported:
            p = r["port"]
            print(
                f"{r['lab']:24s} {p['accuracy']:8.2%} {p['seconds']:8.1f} {p['examples_per_s']:11,.0f} "
                f"{p['gflops']:8.1f} {p['seconds'] / r['train_s']:7.1f}×  {p['config']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
