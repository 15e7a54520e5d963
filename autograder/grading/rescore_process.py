"""Re-score answer folders in a fresh Python process that no student code has touched.

``python -m autograder.grading.rescore_process JOB.json --report-fd 3`` where the job is
``{"seed": int, "labs": [{"lab": id, "answers": dir, "language": "en" | "ko"}, …]}`` (each lab's
feedback is written in its ``language``; English when absent). It writes a JSON list of LabResult
dicts. One process serves every lab of a submission, so TensorFlow is imported once (this is what
keeps re-scoring all labs within seconds). It only *reads* ``.npz`` files without pickles and
``.keras`` files in Keras ``safe_mode``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def rescore(job: dict) -> list[dict]:
    from autograder.grading.judge import score_lab
    from autograder.labs import get_lab

    out = []
    for item in job["labs"]:
        started = time.monotonic()
        spec = get_lab(item["lab"])
        result = score_lab(spec, item["answers"], seed=job.get("seed"), language=item.get("language", "en"))
        data = result.to_dict()
        data["rescore_seconds"] = round(time.monotonic() - started, 3)
        out.append(data)
    return out


def serve(report_fd: int) -> int:
    """``--serve``: import TensorFlow, Keras and every lab's grading code once, say ``{"ready":
    true}``; then for each job line on stdin fork a child that judges it (a fresh copy of this
    untouched process: nothing of one submission's judging reaches the next) and writes its
    results to the report descriptor; answer ``{"done": exit status}``."""
    import keras  # noqa: F401 - imported here once, inherited by every fork
    import tensorflow  # noqa: F401

    from autograder.grading import judge  # noqa: F401
    from autograder.labs import all_labs

    all_labs()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        child = os.fork()
        if child == 0:
            try:
                data = json.dumps(rescore(job)).encode()
                os.ftruncate(report_fd, 0)
                os.pwrite(report_fd, data, 0)
                os._exit(0)
            finally:
                os._exit(1)
        _, status = os.waitpid(child, 0)
        print(json.dumps({"done": os.waitstatus_to_exitcode(status)}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("job", nargs="?")
    parser.add_argument("--report-fd", type=int, default=None)
    parser.add_argument("--serve", action="store_true", help="warm: judge every job line of stdin")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.serve:
        return serve(args.report_fd)
    with open(args.job) as handle:
        job = json.load(handle)
    data = json.dumps(rescore(job)).encode()
    if args.report_fd is not None:
        with os.fdopen(args.report_fd, "wb") as handle:
            handle.write(data)
    else:
        sys.stdout.write(data.decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
