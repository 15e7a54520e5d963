"""Re-score answer folders in a fresh Python process that no student code has touched.

``python -m autograder.grading.rescore_process JOB.json --report-fd 3`` where the job is
``{"seed": int, "labs": [{"lab": id, "answers": dir}, …]}``. It writes a JSON list of LabResult
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
        result = score_lab(spec, item["answers"], seed=job.get("seed"))
        data = result.to_dict()
        data["rescore_seconds"] = round(time.monotonic() - started, 3)
        out.append(data)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("job")
    parser.add_argument("--report-fd", type=int, default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
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
