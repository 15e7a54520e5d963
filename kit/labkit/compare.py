"""Compare a received array with the expected one, and say *how* it is wrong.

Every message follows Keras' style: ``Expected …. Received: …``, then a diagnosis when one is
recognisable (flipped sign, transposed, the value of another quantity, wrong shape).

Messages are in the current language (``labkit.i18n``): the sentences here are this catalog's,
and the lab's labels — ``what``, ``hint`` and the names of ``others`` (``N_("…")`` in the lab's
grading code, or the same English read back from ``public_checks.json``) — are localized too.
"""

from __future__ import annotations

import numpy as np

from labkit.i18n import _, localize
from labkit.verdict import Verdict, fail, ok

# While the grader records a lab's public checks (``autograder.build.public_checks``, build time only),
# every comparison below appends ``(kind, arguments)`` here; otherwise this stays None.
RECORDING: list[tuple[str, dict]] | None = None


def _record(kind: str, **args) -> None:
    if RECORDING is not None:
        RECORDING.append((kind, args))


def _fmt(arr: np.ndarray, limit: int = 6) -> str:
    arr = np.asarray(arr, dtype=float)
    flat = arr.ravel()
    body = ", ".join(f"{v:.6g}" for v in flat[:limit])
    more = ", … " + _("({n} values)").format(n=flat.size) if flat.size > limit else ""
    if arr.ndim == 0:
        return f"{float(arr):.6g}"
    return _("[{values}] shape {shape}").format(values=body + more, shape=arr.shape)


def _tail(hint) -> str:
    """`` Hint: …`` after a failure message, or nothing."""
    return " " + _("Hint: {hint}").format(hint=localize(hint)) if hint else ""


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| / max(|a|, |b|, 1e-12): the measure used for gradient checks."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
    return float(np.max(np.abs(a - b) / denom)) if a.size else 0.0


def close(
    received,
    expected,
    what: str,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hint: str = "",
    others: dict[str, np.ndarray] | None = None,
) -> Verdict:
    """Verdict on ``received ≈ expected`` (``np.allclose`` with ``rtol``/``atol``)."""
    _record(
        "close",
        received=received,
        expected=expected,
        what=what,
        rtol=rtol,
        atol=atol,
        hint=hint,
        others=others,
    )
    exp = np.asarray(expected, dtype=float)
    label = localize(what)
    try:
        rec = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        return fail(
            _("Expected {what} as numbers. Received: {type}").format(what=label, type=type(received).__name__)
        )
    tail = _tail(hint)
    if rec.shape != exp.shape:
        if rec.size == exp.size and rec.ndim >= 1:
            if rec.ndim == 2 and rec.T.shape == exp.shape and np.allclose(rec.T, exp, rtol, atol):
                return fail(
                    _(
                        "Expected {what} with shape {expected}. Received: shape {received} — "
                        "it is the transpose of the right answer."
                    ).format(what=label, expected=exp.shape, received=rec.shape)
                    + tail
                )
        return fail(
            _("Expected {what} with shape {expected}. Received: shape {received}.").format(
                what=label, expected=exp.shape, received=rec.shape
            )
            + tail
        )
    if not np.all(np.isfinite(rec)):
        return fail(
            _("Expected finite {what}. Received: NaN or inf in {values}.").format(
                what=label, values=_fmt(rec)
            )
            + tail
        )
    if np.allclose(rec, exp, rtol=rtol, atol=atol):
        return ok(_("{what} correct").format(what=label))
    diagnosis = ""
    if np.allclose(rec, -exp, rtol=rtol, atol=atol) and np.any(np.abs(exp) > atol):
        diagnosis = " — " + _("the sign is flipped")
    elif rec.ndim == 2 and rec.shape == rec.T.shape and np.allclose(rec.T, exp, rtol, atol):
        diagnosis = " — " + _("it is the transpose of the right answer")
    else:
        for name, value in (others or {}).items():
            value = np.asarray(value, dtype=float)
            if value.shape == rec.shape and np.allclose(rec, value, rtol=rtol, atol=atol):
                diagnosis = " — " + _("that looks like {name}").format(name=localize(name))
                break
    return fail(
        _("Expected {what} ≈ {expected}. Received: {received}{diagnosis}.").format(
            what=label, expected=_fmt(exp), received=_fmt(rec), diagnosis=diagnosis
        )
        + tail
    )


def at_least(value: float, threshold: float, what: str, hint: str = "") -> Verdict:
    _record("at_least", received=value, threshold=threshold, what=what, hint=hint)
    label = localize(what)
    if np.isfinite(value) and value >= threshold:
        return ok(
            _("{what} = {value:.4g} ≥ {threshold:.4g}").format(what=label, value=value, threshold=threshold)
        )
    return fail(
        _("Expected {what} ≥ {threshold:.4g}. Received: {value:.4g}.").format(
            what=label, value=value, threshold=threshold
        )
        + _tail(hint)
    )


def at_most(value: float, threshold: float, what: str, hint: str = "") -> Verdict:
    _record("at_most", received=value, threshold=threshold, what=what, hint=hint)
    label = localize(what)
    if np.isfinite(value) and value <= threshold:
        return ok(
            _("{what} = {value:.4g} ≤ {threshold:.4g}").format(what=label, value=value, threshold=threshold)
        )
    return fail(
        _("Expected {what} ≤ {threshold:.4g}. Received: {value:.4g}.").format(
            what=label, value=value, threshold=threshold
        )
        + _tail(hint)
    )


def all_of(*verdicts: Verdict) -> Verdict:
    """Passed only if every verdict passed; the message lists the first failure."""
    for verdict in verdicts:
        if not verdict.passed:
            return verdict
    return ok("; ".join(localize(v.message) for v in verdicts))
