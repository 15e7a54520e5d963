"""Answer files: what a notebook hands to the grader, and nothing else.

A graded answer is written next to the notebook as ``answers/<name>.npz`` (NumPy arrays, no
pickles) plus ``answers/<name>.<key>.keras`` for each Keras model in it. Only plain data crosses
from the student's kernel to the grader: an object whose ``__eq__`` lies, or a NumPy subclass,
becomes an ordinary float64/int64 array on the way out (``np.asarray`` then ``np.save``).

Shapes: an answer is a value or a ``dict[str, value]``; a value is a number, a nested list, an
``np.ndarray`` or a ``keras.Model``. Loading returns ``dict[str, np.ndarray | keras.Model]`` (a
single value is stored under the key ``"value"``).
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np

from labkit.i18n import _

ANSWERS_DIR = "answers"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


class AnswerError(ValueError):
    """An answer could not be stored or read back."""


def _is_model(value) -> bool:
    return (
        type(value).__module__.startswith("keras") or hasattr(value, "get_config") and hasattr(value, "save")
    )


def _plain_array(key: str, value) -> np.ndarray:
    # np.array(copy) of a *base-class* view: drops ndarray subclasses and their overridden methods.
    try:
        if isinstance(value, np.ndarray):
            arr = np.array(value.view(np.ndarray), copy=True)
        elif hasattr(value, "numpy"):  # tf / keras tensors
            arr = np.array(value.numpy())
        else:
            arr = np.array(value)
    except Exception as exc:  # noqa: BLE001 - any student object may fail to convert
        raise AnswerError(
            _("Expected a number or an array for `{key}`. Received: {type} ({error})").format(
                key=key, type=type(value).__name__, error=exc
            )
        ) from exc
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise AnswerError(
            _("Expected numbers for `{key}`. Received: an array of dtype {dtype} (type {type})").format(
                key=key, dtype=arr.dtype, type=type(value).__name__
            )
        )
    return arr.astype(np.float64) if arr.dtype.kind == "f" else arr


def save_answer(directory: str | os.PathLike, name: str, value) -> list[Path]:
    """Write ``value`` as answer ``name`` under ``directory``; returns the files written."""
    if not _NAME.match(name):
        raise AnswerError(
            _("Expected an answer name of letters, digits and _. Received: {name}").format(name=repr(name))
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    items = value if isinstance(value, dict) else {"value": value}
    arrays, written = {}, []
    for old in directory.glob(f"{name}.*"):
        if old.name.startswith(name + ".") and old.suffix in (".npz", ".keras"):
            old.unlink()
    for key, item in items.items():
        if not _NAME.match(str(key)):
            raise AnswerError(
                _("Expected keys of letters, digits and _. Received: {key}").format(key=repr(key))
            )
        if _is_model(item):
            target = directory / f"{name}.{key}.keras"
            # Keras' own NumPy-2 `__array__` DeprecationWarning: nothing the student can act on.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                item.save(target)
            written.append(target)
        else:
            arrays[key] = _plain_array(key, item)
    target = directory / f"{name}.npz"
    tmp = directory / f".{name}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, target)
    written.append(target)
    return written


def has_answer(directory: str | os.PathLike, name: str) -> bool:
    return (Path(directory) / f"{name}.npz").is_file()


def load_answer(directory: str | os.PathLike, name: str, models: bool = True) -> dict:
    """Read answer ``name`` back; models are loaded with Keras ``safe_mode=True``.

    Raises ``FileNotFoundError`` when it was never written and ``AnswerError`` when it is unreadable.
    """
    directory = Path(directory)
    path = directory / f"{name}.npz"
    if not path.is_file() or path.is_symlink():
        raise FileNotFoundError(path)
    out: dict = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                out[key] = data[key]
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise AnswerError(
            _("answer file {file} is unreadable: {error}").format(file=path.name, error=exc)
        ) from exc
    if models:
        for model_path in sorted(directory.glob(f"{name}.*.keras")):
            key = model_path.name[len(name) + 1 : -len(".keras")]
            out[key] = load_model_safely(model_path)
    return out


def load_model_safely(path: Path):
    """Load a ``.keras`` file with ``safe_mode=True`` (no Lambda/pickled code) and ``compile=False``."""
    if path.is_symlink() or not path.is_file():
        raise AnswerError(_("model file {file} is not a regular file").format(file=path.name))
    if not zipfile.is_zipfile(path):
        raise AnswerError(
            _(
                "Expected a Keras .keras model archive in {file}. Received: a file that is not "
                "a zip archive (was it saved with model.save('….keras')?)"
            ).format(file=path.name)
        )
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - report any loader failure as a verdict
        text = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        if "safe_mode" in str(exc) or "Lambda" in str(exc):
            text = _("it contains a Lambda layer or other code, which grading refuses to load (safe_mode)")
        raise AnswerError(
            _("model file {file} could not be loaded: {reason}").format(file=path.name, reason=text)
        ) from exc
