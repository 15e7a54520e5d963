"""Find, verify and load MNIST in the Keras layout.

Search order (the first that exists wins; it is then *verified*, never silently skipped):

1. the ``path`` argument;
2. the environment variable ``AUTOGRADER_MNIST``;
3. ``datasets/mnist.npz`` in the course checkout when there is one (``./run`` links the offline
   copy there), then ``./mnist.npz`` and ``./datasets/mnist.npz`` next to the notebook;
4. the Keras cache: ``$KERAS_HOME/datasets/mnist.npz`` or ``~/.keras/datasets/mnist.npz``;
5. a download of the official file into the Keras cache, where a network exists.

A file is accepted when its sha256 is one of the known digests (the official Keras file, or the
course's offline copy), or when every array has the expected shape, dtype and content digest.
Loading always uses ``allow_pickle=False``. Nothing here ever overwrites a file a user put down:
downloads go to a ``.part`` file and are renamed only into an empty place.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from labkit.i18n import N_, _, localize

ENV_VAR = "AUTOGRADER_MNIST"
MANIFEST = Path(__file__).resolve().parent / "mnist_manifest.json"  # shipped inside the kit
# A course checkout (kit/labkit/ inside it, editable install): its datasets/ folder is searched too.
_CHECKOUT = Path(__file__).resolve().parent.parent.parent
PIXELS = 784
CLASSES = 10
N_TRAIN = 55_000  # the course's split: 55,000 for training, the last 5,000 for validation
N_TRAIN_EVAL = 10_000  # train accuracy: first 10,000 training images
N_STATS = 512  # statistics at initialization: first 512 test images
EVAL_BATCH = 10_000  # one forward pass over the whole test set
_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


class DatasetError(RuntimeError):
    """A data file is missing or is not the file it claims to be."""


def _manifest() -> dict:
    if not MANIFEST.exists():
        raise DatasetError(
            _(
                "Expected the dataset manifest at {path}. Received: no such file "
                "(reinstall the student kit: `pip install ./kit` from the course repository)."
            ).format(path=MANIFEST)
        )
    return json.loads(MANIFEST.read_text())["mnist.npz"]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class CheckReport:
    """What ``verify_mnist`` found: ``ok`` plus one line per fact checked."""

    path: Path
    ok: bool
    how: str = ""
    lines: list[str] = field(default_factory=list)


def candidate_paths(path: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The places searched, in order, as ``(why, path)`` pairs (``why``: English ``Text``)."""
    out: list[tuple[str, Path]] = []
    if path is not None:
        out.append((N_("path argument"), Path(path)))
    if os.environ.get(ENV_VAR):
        out.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR])))
    if (_CHECKOUT / "kit" / "labkit").is_dir():
        out.append((N_("project datasets/"), _CHECKOUT / "datasets" / "mnist.npz"))
    out.append((N_("next to the notebook"), Path("mnist.npz")))
    out.append((N_("datasets/ next to the notebook"), Path("datasets") / "mnist.npz"))
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    out.append((N_("Keras cache"), keras_home / "datasets" / "mnist.npz"))
    return out


def verify_mnist(path: str | os.PathLike) -> CheckReport:
    """Check that ``path`` is a real MNIST ``.npz`` (official file or the offline copy).

    Returns a ``CheckReport``; never raises for a bad file (the report says why).
    """
    path = Path(path)
    manifest = _manifest()
    report = CheckReport(path=path, ok=False)
    if not path.exists():
        report.lines.append(_("{path}: no such file").format(path=path))
        return report
    if path.is_dir():
        report.lines.append(_("{path}: expected a .npz file, received a directory").format(path=path))
        return report
    size = path.stat().st_size
    file_digest = _sha256_file(path)
    report.lines.append(_("size {size:,} bytes, sha256 {digest}").format(size=size, digest=file_digest))
    for name, known in manifest["file_sha256"].items():
        if file_digest == known:
            report.lines.append(_("file digest matches the {name} MNIST file").format(name=name))
    if not zipfile.is_zipfile(path):
        report.lines.append(
            _(
                "Expected a NumPy .npz archive (a zip file). Received: a file that is not a zip "
                "archive (truncated download or wrong file?)"
            )
        )
        return report
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in _ARRAYS if k not in data.files]
            if missing:
                report.lines.append(
                    _("Expected arrays {expected}. Received: {received} (missing {missing})").format(
                        expected=list(_ARRAYS), received=sorted(data.files), missing=missing
                    )
                )
                return report
            bad = False
            for key in _ARRAYS:
                want = manifest["arrays"][key]
                arr = data[key]
                problems = []
                if list(arr.shape) != want["shape"]:
                    problems.append(
                        _("shape {expected} vs received {received}").format(
                            expected=tuple(want["shape"]), received=arr.shape
                        )
                    )
                if str(arr.dtype) != want["dtype"]:
                    problems.append(
                        _("dtype {expected} vs received {received}").format(
                            expected=want["dtype"], received=arr.dtype
                        )
                    )
                if key.startswith("y") and arr.size and (arr.min() < 0 or arr.max() > 9):
                    problems.append(
                        _("labels in 0..9 vs received {low}..{high}").format(low=arr.min(), high=arr.max())
                    )
                if not problems:
                    digest = hashlib.sha256(arr.tobytes()).hexdigest()
                    if digest not in want["sha256"] and file_digest not in manifest["file_sha256"].values():
                        problems.append(
                            _("content digest {expected}… vs {received}…").format(
                                expected=want["sha256"][0][:12], received=digest[:12]
                            )
                        )
                if problems:
                    bad = True
                    report.lines.append(
                        _("{key}: expected {problems}").format(key=key, problems="; ".join(problems))
                    )
                else:
                    report.lines.append(f"{key}: {arr.shape} {arr.dtype} ok")
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        report.lines.append(
            _("Expected a readable .npz archive. Received: unreadable ({error})").format(error=exc)
        )
        return report
    if bad:
        return report
    report.ok = True
    report.how = "digest" if file_digest in manifest["file_sha256"].values() else "arrays"
    return report


def _download(dest: Path) -> None:  # pragma: no cover - no network in CI
    url = _manifest()["url"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        from tqdm import tqdm

        with urllib.request.urlopen(url, timeout=30) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length", 0)) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc="MNIST") as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise DatasetError(
            _(
                "MNIST was not found locally and the download from {url} failed ({error}). "
                "Fix: put mnist.npz at {path} or set {variable}=/path/to/mnist.npz "
                "(in this course's machines: ../shared/datasets/mnist.npz)."
            ).format(url=url, error=exc, path=dest, variable=f"${ENV_VAR}")
        ) from exc
    if dest.exists():  # someone put a file there meanwhile: never overwrite it
        part.unlink(missing_ok=True)
        return
    part.rename(dest)


def find_mnist(path: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Return the verified path of MNIST, searching (and downloading) as the module doc says."""
    searched = []
    for why, candidate in candidate_paths(path):
        searched.append(f"{localize(why)}: {candidate}")
        if candidate.exists():
            report = verify_mnist(candidate)
            if not report.ok:
                raise DatasetError(
                    _("{path} (from {why}) is not a valid MNIST file:").format(
                        path=candidate, why=localize(why)
                    )
                    + "\n  "
                    + "\n  ".join(report.lines)
                    + "\n"
                    + _(
                        "Fix: replace it with the official Keras mnist.npz or the course's "
                        "offline copy (../shared/datasets/mnist.npz). It was left untouched."
                    )
                )
            return candidate
        if why in ("path argument", f"${ENV_VAR}"):
            raise DatasetError(
                _("Expected an MNIST file at {path} (from {why}). Received: no such file.").format(
                    path=candidate, why=localize(why)
                )
            )
    if not download:
        raise DatasetError(_("MNIST not found. Searched:") + "\n  " + "\n  ".join(searched))
    dest = candidate_paths()[-1][1]
    _download(dest)
    return find_mnist(dest, download=False)


def load_mnist(path: str | os.PathLike | None = None, download: bool = True):
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Shapes/dtypes: ``x_train`` (60000, 28, 28) uint8, ``y_train`` (60000,) uint8,
    ``x_test`` (10000, 28, 28) uint8, ``y_test`` (10000,) uint8 — exactly
    ``keras.datasets.mnist.load_data()``.
    """
    found = find_mnist(path, download=download)
    with np.load(found, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


# -- prepared data and evaluation, the same for every MNIST lab ----------------------------------
def prepare_images(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 (N, 784) in [0, 1]: what every MNIST lab feeds its network."""
    images = np.asarray(images)
    out = images.reshape(len(images), PIXELS).astype(np.float32)
    out /= np.float32(255.0)  # in place: one 188 MB allocation for the training set, not two
    return out


@dataclass(frozen=True)
class Mnist:
    """Prepared MNIST (read-only arrays, shared inside one process)."""

    x_train: np.ndarray  # (60000, 784) float32
    y_train: np.ndarray  # (60000,) int32
    x_test: np.ndarray  # (10000, 784) float32
    y_test: np.ndarray  # (10000,) int32

    def split(self):
        """``(x_fit, y_fit), (x_val, y_val)``: the first 55,000 and the last 5,000 training images."""
        return (self.x_train[:N_TRAIN], self.y_train[:N_TRAIN]), (
            self.x_train[N_TRAIN:],
            self.y_train[N_TRAIN:],
        )

    def train_eval(self):
        """The fixed training subset used for "train accuracy" (first 10,000 images)."""
        return self.x_train[:N_TRAIN_EVAL], self.y_train[:N_TRAIN_EVAL]

    def stats_batch(self):
        """The fixed batch for statistics at initialization (first 512 test images)."""
        return self.x_test[:N_STATS], self.y_test[:N_STATS]


@lru_cache(maxsize=1)
def mnist() -> Mnist:
    """Load, verify and prepare MNIST once per process."""
    (x_train, y_train), (x_test, y_test) = load_mnist()
    arrays = [
        prepare_images(x_train),
        y_train.astype(np.int32),
        prepare_images(x_test),
        y_test.astype(np.int32),
    ]
    for arr in arrays:
        arr.setflags(write=False)  # shared by every caller in this process: nobody may edit it
    return Mnist(*arrays)


# --------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------
def outputs(model, x: np.ndarray, batch_size: int = EVAL_BATCH, training: bool = False) -> np.ndarray:
    """The model's outputs (logits or probabilities) in large batches, as a float32 array."""
    chunks = [
        np.asarray(model(x[i : i + batch_size], training=training)) for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(chunks) if chunks else np.zeros((0, CLASSES), np.float32)


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    out = outputs(model, x)
    if out.ndim != 2 or out.shape[1] != CLASSES:
        raise ValueError(
            _("Expected outputs of shape (N, {classes}). Received: {shape}").format(
                classes=CLASSES, shape=out.shape
            )
        )
    return float(np.mean(np.argmax(out, axis=1) == y))
