"""Every line a student sees comes from the message catalogs, in the notebook's language.

The catalogs (``kit/labkit/locale``: the kit's and the labs' comparison texts; ``autograder/locale``:
the grader's) stay true to the code: every message id has a Korean translation that is neither
empty nor fuzzy, with the same ``{placeholders}``; the message ids are exactly what Babel extracts
from the code now (a new English text without a translation fails, an obsolete entry fails); each
committed ``.mo`` is the compiled ``.po``. Then the behaviour: a Korean ``Lab`` prints Korean ✔/✘,
summary and "not attempted" lines and an English one the very same English as always;
``$LABKIT_LANGUAGE`` overrides the edition; an unknown language is a clear error; the grader's
feedback and reports follow each result's language. Fast: no TensorFlow, no notebook runs.
"""

from __future__ import annotations

import gettext
import io
import json
import string
from pathlib import Path

import numpy as np
import pytest
from labkit import Lab, checks, i18n
from labkit.answers import load_answer, save_answer
from labkit.lab import CheckFailed
from labkit.sandbox import Limits

from autograder.build import catalogs
from autograder.grading import processes
from autograder.grading.judge import score_lab
from autograder.i18n import lab_language, localize
from autograder.labs import get_lab
from autograder.options import Options
from autograder.reporters import to_gradescope, to_markdown, to_text
from autograder.reporters.text import check_footer
from autograder.results import LabResult, SubmissionResult
from autograder.results import TestResult as Outcome  # (not a pytest class)

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = tuple(catalogs.LOCALEDIRS)
CASES = [(domain, language) for domain in DOMAINS for language in catalogs.TRANSLATIONS]
LAB18 = ROOT / "solutions" / "lab18_xor_sigmoid"
SIGMOID_Z = np.array([-1000.0, -40.0, -5.0, -1.0, 0.0, 1.0, 5.0, 40.0, 1000.0])


@pytest.fixture(autouse=True)
def _english_afterwards(monkeypatch):
    """Each test starts without $LABKIT_LANGUAGE and leaves the kit speaking English."""
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    yield
    i18n._.language = i18n.DEFAULT


def _po(domain: str, language: str):
    return catalogs.read_catalog(catalogs.po_path(domain, language))


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _fields(text: str) -> set[tuple[str, str, str | None]]:
    """The ``{name:spec!conversion}`` fields of a ``str.format`` template (raises if malformed)."""
    return {
        (name, spec, conversion)
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


# ---------------------------------------------------------------- the catalogs themselves
@pytest.mark.parametrize(("domain", "language"), CASES)
def test_every_message_is_translated(domain, language):
    catalog = _po(domain, language)
    missing = [m.id for m in catalog if m.id and (m.fuzzy or not all(s.strip() for s in _strings(m)))]
    assert not missing, (
        f"{len(missing)} message(s) of {domain} without a {language} translation: {missing[:5]}"
    )
    assert not catalog.obsolete, f"obsolete entries in {domain}.po: {list(catalog.obsolete)[:5]}"


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_placeholders_match(domain, language):
    for message in _po(domain, language):
        if not message.id:
            continue
        expected = _fields(_ids(message)[-1])  # the plural form's fields (Korean has one form)
        for translation in _strings(message):
            assert _fields(translation) == expected, (message.id, translation)


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_catalog_is_in_sync_with_the_code(domain, language):
    """The message ids are what Babel extracts from the code now (babel.cfg), no more, no less."""
    extracted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogs.template(domain) if m.id}
    committed = {m.id if isinstance(m.id, str) else tuple(m.id) for m in _po(domain, language) if m.id}
    new, stale = extracted - committed, committed - extracted
    hint = "run `python -m autograder build --catalogs`, then translate"
    assert not new, (
        f"{len(new)} new message(s) in the code not in {domain}.po ({hint}): {sorted(map(str, new))[:5]}"
    )
    assert not stale, (
        f"{len(stale)} message(s) of {domain}.po no longer in the code ({hint}): {sorted(map(str, stale))[:5]}"
    )


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_committed_mo_is_the_compiled_po(domain, language):
    path = catalogs.po_path(domain, language)
    committed = gettext.GNUTranslations(io.BytesIO(path.with_suffix(".mo").read_bytes()))
    fresh = gettext.GNUTranslations(io.BytesIO(catalogs.mo_bytes(catalogs.read_catalog(path))))
    assert {k: v for k, v in committed._catalog.items() if k != ""} == {
        k: v for k, v in fresh._catalog.items() if k != ""
    }, f"{path.with_suffix('.mo')} is stale: run `python -m autograder build --catalogs`"
    assert committed.info().get("language") == language


def test_the_catalogs_are_packaged():
    for pyproject in (ROOT / "pyproject.toml", ROOT / "kit" / "pyproject.toml"):
        text = pyproject.read_text(encoding="utf-8")
        assert "locale/*/LC_MESSAGES/*.mo" in text, pyproject
    assert '"babel>=' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the kit: Lab in a notebook's language
def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _run_lab(tmp_path, capsys, language=None) -> list[str]:
    """The lines a short session of lab 18 prints: ✔, ✘ (wrong and not attempted), ℹ, summary."""
    lab = Lab("lab18_xor_sigmoid", answers_dir=tmp_path / "answers", checks_dir=LAB18, language=language)
    s = _sigmoid(SIGMOID_Z)
    lab.check("sigmoid", lambda: {"sigmoid": s, "sigmoid_prime": s * (1 - s)})
    lines = capsys.readouterr().out.splitlines()
    for name, answer in (
        ("chain_rule", lambda: {"grad_f": np.array([-2.0, 5.0, 1.0]), "grad_E": -130.0}),
        ("backprop_loss", lambda: undefined_here),  # noqa: F821 - a step not written yet
        ("backprop_dW1", lambda: np.zeros((2, 2))),
    ):
        with pytest.raises(CheckFailed) as failed:
            lab.check(name, answer)
        lines.append(f"✘ {failed.value}")
    lab.hidden_notice("chain_rule_hidden")
    lab.summary()
    return lines + capsys.readouterr().out.splitlines()


def test_an_english_lab_prints_the_english_it_always_did(tmp_path, capsys):
    lines = _run_lab(tmp_path, capsys)
    assert lines[0] == "✔ sigmoid [1 pt]: sigmoid(z) correct; sigmoid_prime(z) correct"
    assert lines[1] == (
        "✘ chain_rule [1 pt]: Expected grad_f = (∂f/∂w, ∂f/∂x, ∂f/∂b) ≈ [5, -2, 1] shape (3,). Received: "
        "[-2, 5, 1] shape (3,) — that looks like (∂f/∂x, ∂f/∂w, ∂f/∂b): ∂f/∂w and ∂f/∂x are swapped. "
        "Hint: for f = w·x + b, ∂f/∂w = x, ∂f/∂x = w and ∂f/∂b = 1."
    )
    assert lines[2] == (
        "✘ backprop_loss [1 pt]: not attempted yet — `undefined_here` is not defined: run the cells above "
        "first (Run → Run All Cells)"
    )
    assert lines[3].endswith(
        "Hint: dW1 is compared with the grader's float64 backprop (relative error ≤ 1e-07); compute it in "
        "NumPy float64, not in float32."
    )
    assert lines[4] == "ℹ chain_rule_hidden [1 pt]: a hidden test runs here at grading"
    assert lines[5].startswith(
        "1/11 public checks pass (1/13 points); 3 hidden tests run at grading; 1 written answer(s) are "
        "graded by hand. Not run yet: backprop_db1"
    )


def test_a_korean_lab_prints_korean(tmp_path, capsys):
    lines = _run_lab(tmp_path, capsys, language="ko")
    assert lines[0] == "✔ sigmoid [1점]: sigmoid(z) 정답; sigmoid_prime(z) 정답"
    assert lines[1].startswith(
        "✘ chain_rule [1점]: 기댓값: grad_f = (∂f/∂w, ∂f/∂x, ∂f/∂b) ≈ [5, -2, 1] 모양 (3,). "
    )
    assert "받은 값: [-2, 5, 1] 모양 (3,)" in lines[1] and "∂f/∂w와 ∂f/∂x가 뒤바뀌었습니다" in lines[1]
    assert "힌트: f = w·x + b이면" in lines[1]
    assert lines[2].startswith(
        "✘ backprop_loss [1점]: 아직 시도하지 않음 — `undefined_here`이(가) 정의되지 않았습니다"
    )
    # a hint recorded as a template (its message id and arguments in public_checks.json)
    assert "힌트: dW1은(는) 채점기의 float64 역전파 결과와 비교합니다(상대 오차 ≤ 1e-07)" in lines[3]
    assert lines[4] == "ℹ chain_rule_hidden [1점]: 채점할 때 여기서 숨은 테스트가 실행됩니다"
    assert lines[5].startswith(
        "공개 검사 1/11개 통과 (1/13점); 숨은 테스트 3개는 채점할 때 실행; 서술형 답 1개는 직접 채점. "
        "아직 실행하지 않음: backprop_db1"
    )
    text = "\n".join(lines)
    for english in ("Expected", "Received", "Hint", "not attempted", "public checks", " pt]"):
        assert english not in text, english


def test_labkit_language_overrides_the_edition(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(i18n.ENV_VAR, "ko")
    assert _run_lab(tmp_path / "a", capsys)[0].startswith("✔ sigmoid [1점]")  # English edition, Korean wanted
    monkeypatch.setenv(i18n.ENV_VAR, "en")
    assert _run_lab(tmp_path / "b", capsys, language="ko")[0].startswith("✔ sigmoid [1 pt]")


def test_an_unknown_language_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(i18n.UnknownLanguage, match=r"Expected a language out of en, ko .*Received: 'fr'"):
        Lab("lab18_xor_sigmoid", answers_dir=tmp_path, checks_dir=LAB18, language="fr")
    monkeypatch.setenv(i18n.ENV_VAR, "klingon")
    with pytest.raises(i18n.UnknownLanguage, match=r"\$LABKIT_LANGUAGE\)\. Received: 'klingon'"):
        Lab("lab18_xor_sigmoid", answers_dir=tmp_path, checks_dir=LAB18)
    with pytest.raises(ValueError, match="Received: 'fr'"):
        Options(language="fr")
    assert Options(language="KO").language == "ko"


def test_the_kit_replays_every_recorded_label_in_korean(tmp_path):
    """Each recorded comparison of every lab, failed on purpose, reads in Korean (labels from the
    kit's catalog, templated ones from their recorded message ids) and in the old English."""
    replayed = 0
    for path in sorted(ROOT.glob("solutions/lab*/public_checks.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["questions"]:
            if entry.get("mode") != "replay":
                continue
            for call in entry["calls"]:
                if call["kind"] != "close" or not call.get("hint"):
                    continue
                source = call["source"]
                shape = entry["shapes"][f"{source['answer']}.{source['key']}"]
                answers = {name_key.split(".")[0]: {} for name_key in entry["shapes"]}
                for name_key, key_shape in entry["shapes"].items():
                    name, key = name_key.split(".", 1)
                    answers[name][key] = np.full(key_shape, 1e6)
                answers[source["answer"]][source["key"]] = np.full(shape, 1e6)
                folder = tmp_path / path.parent.name / entry["name"]
                for name, values in answers.items():
                    save_answer(folder, name, values)
                loaded = {a: load_answer(folder, a, models=False) for a in answers}
                english = checks.replay(entry, loaded).message
                with i18n._.using("ko"):
                    korean = checks.replay(entry, loaded).message
                assert english.startswith("Expected ") and "Received: " in english, english
                assert korean.startswith("기댓값: ") and "받은 값: " in korean, korean
                if "Hint: " in english:
                    assert "힌트: " in korean and "Hint:" not in korean, korean
                replayed += 1
    assert replayed > 40


# ---------------------------------------------------------------- the grader: feedback and reports
def _lab16_answers(folder: Path) -> Path:
    save_answer(folder, "linear", {"forward": np.array([1.0, 2.0]), "grads": np.array([5.0, -2.0, 1.0])})
    save_answer(folder, "grad_mul", {"p0": 1.0, "p1": 1.0, "w0": 0.0, "x0": 0.0, "w1": 0.0, "x1": 0.0})
    return folder


def test_grader_feedback_speaks_the_results_language(tmp_path):
    spec = get_lab("lab16_chain_rule")
    answers = _lab16_answers(tmp_path)
    english = score_lab(spec, answers, seed=1)
    korean = score_lab(spec, answers, seed=1, language="ko")
    assert english.language == "en" and korean.language == "ko"
    by_name = {t.name: t.output for t in korean.tests}
    assert by_name["test_linear"].startswith("기댓값: 순전파 값 (q, f) = (w·x, q + b) ≈ [-10, -7] 모양 (2,).")
    assert by_name["test_sigmoid_forward"].startswith("시도하지 않음: 답 `sigmoid_forward`")
    assert "힌트: ∂p0/∂w0 = x0이고" in by_name["test_grad_mul"]
    english_by_name = {t.name: t.output for t in english.tests}
    assert english_by_name["test_linear"].startswith("Expected the forward values (q, f) = (w·x, q + b) ≈")
    assert english_by_name["test_sigmoid_forward"].startswith("not attempted: no answer `sigmoid_forward`")
    assert i18n._.language == "en"  # scoring in Korean left the process speaking English


def test_cell_problems_and_notes_speak_the_labs_language():
    report = {"cells": [{"status": "timeout", "index": 2, "id": "train", "restarted": True}]}
    (cell, text), *_ = processes.cell_messages(report, Limits(cell_seconds=60))
    assert cell == "train"
    assert text == (
        "cell 3 (`train`) exceeded the 60 s time limit and ignored the interrupt: the kernel was restarted, "
        "later cells ran without its state"
    )
    assert localize(text, "ko").startswith("3번째 셀(`train`)이(가) 제한 시간 60초를 넘기고")
    assert localize(text, "en") == text


@pytest.mark.parametrize(("n", "english"), [(1, "1 process"), (3, "3 processes")])
def test_a_plural_message_with_more_placeholders_than_n(n, english):
    report = {"cells": [{"status": "ok", "index": 0, "id": "spawn", "stray_processes": n}]}
    (cell, text), *_ = processes.cell_messages(report, Limits(cell_seconds=60))
    assert cell == "spawn"
    assert text == f"cell 1 (`spawn`) left {english} running: stopped by the grader"
    assert "{" not in localize(text, "ko") and "`spawn`" in localize(text, "ko")
    late = i18n.lazy_ngettext("{at}: {n} file", "{at}: {n} files", 2)  # filled in two steps
    assert late == "{at}: 2 files" and late.format(at="cell 1") == "cell 1: 2 files"


def test_the_notebooks_edition_decides_unless_the_instructor_does(monkeypatch):
    assert lab_language(None, "ko") == ("ko", None)
    assert lab_language("en", "ko") == ("en", None)
    assert lab_language(None, None) == ("en", None)
    language, note = lab_language(None, "fr")  # a notebook cannot stop its own grading
    assert language == "en" and "Received: 'fr'" in note
    monkeypatch.setenv(i18n.ENV_VAR, "ko")
    assert lab_language(None, "en") == ("ko", None)


def _result(language: str) -> SubmissionResult:
    lab = LabResult(
        lab="lab16_chain_rule",
        language=language,
        execution_time=1.5,
        tests=[
            Outcome("test_linear", 1.0, 1.0, "passed", "ok"),
            Outcome("test_linear_hidden", 0.0, 1.0, "failed", "wrong", hidden=True),
        ],
        notes=["a note"],
        isolation="bubblewrap",
    )
    lab.total()
    return SubmissionResult(labs=[lab])


def test_the_text_report_of_a_korean_result_is_korean():
    text = to_text(_result("ko"))
    assert text.splitlines()[0].split() == ["실습", "통과한", "테스트", "점수", "정확도", "초"]
    assert "  ✘ test_linear_hidden (숨은 테스트) 0/1: wrong" in text
    assert "  참고: a note" in text and "  격리: bubblewrap" in text and "합계" in text
    assert "| 실습 | 통과한 테스트 | 점수 | 정확도 | 초 |" in to_markdown(_result("ko"))
    assert "<summary>고칠 점</summary>" in to_markdown(_result("ko"))
    assert "참고: a note" in json.loads(to_gradescope(_result("ko")))["output"]
    assert check_footer(_result("ko")).startswith(
        "공개 검사 1/1개 통과 (1/1점); 숨은 테스트 2개는 채점할 때 실행"
    )


def test_the_text_report_of_an_english_result_is_unchanged():
    assert to_text(_result("en")) == (
        "lab               tests passed  points  accuracy  seconds\n"
        "----------------  ------------  ------  --------  -------\n"
        "lab16_chain_rule  1/2           1/2     —         1.5\n"
        "total                           1/2               1.5\n"
        "\n"
        "lab16_chain_rule\n"
        "  ✔ test_linear 1/1: ok\n"
        "  ✘ test_linear_hidden (hidden) 0/1: wrong\n"
        "  note: a note\n"
        "  isolation: bubblewrap\n"
    )
    assert to_text(_result("ko"), language="en") == to_text(_result("en"))  # `report --language`


def test_old_results_without_a_language_load_as_english():
    data = _result("ko").labs[0].to_dict()
    assert data["language"] == "ko"
    assert LabResult.from_dict(data).language == "ko"
    del data["language"]
    assert LabResult.from_dict(data).language == "en"
