"""Gaming cases: monkeypatches, lying answers, hostile answer files, edited notebooks, planted answers."""

from __future__ import annotations

import copy
from pathlib import Path

from . import cells as C
from .lab import Lab, code, insert_after, insert_before, nbg, write
from .registry import (
    NotApplicable,
    _not_applicable,
    _notebook,
    case,
    group,
)


# ==================================================================== gaming: in-kernel monkeypatches
@group("patched")
def build_patched(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    insert_after(nb, "setup", *[code(src, f"hostile_{name}") for name, src in C.PATCHES.items()])
    for answer in lab.prefix_answers:
        insert_after(nb, answer, code(C.wrong_answers(lab.functions_of(answer)), f"hostile_wrong_{answer}"))
    return _notebook(lab, folder, nb)


def _all_prefix_fail(lab: Lab) -> dict[str, str]:
    return {t: "failed" for t in lab.prefix_tests}


for _patch in C.PATCHES:
    case(
        _patch,
        "patched",
        "gaming",
        lambda lab: 0.0,
        r"Expected",
        statuses=_all_prefix_fail,
        absent=(r"patched",),
    )
case("ndarray_subclass_lies", "patched", "gaming", lambda lab: 0.0, r"Expected", statuses=_all_prefix_fail)


def _model_questions(lab: Lab) -> list[str]:
    return [t for t in lab.prefix_tests if "model" in lab.cell(t).source or "net" in t]


case(
    "model_wrong_shape",
    "patched",
    "gaming",
    lambda lab: 0.0 if _model_questions(lab) else _not_applicable("the honest part saves no model"),
    r"Expected",
    statuses=lambda lab: {t: "failed" for t in _model_questions(lab)},
)


# ==================================================================== gaming: hostile answer files
FILE_ATTACKS = {
    "pickle_npz": r"unusable answer: answer file \w+\.npz is unreadable: .*allow_pickle=False",
    "lambda_layer": r"contains a Lambda layer or other code, which grading refuses to load \(safe_mode\)",
    "text_model": r"Expected a Keras \.keras model archive in \w+\.evil\.keras\. Received: a file that is not a zip",
}


def _attacked(lab: Lab) -> dict[str, str]:
    """Question -> attack, round-robin over the honest part's questions."""
    names = [t.removeprefix("test_") for t in lab.prefix_tests]
    return {name: attack for name, attack in zip(names, FILE_ATTACKS)}


@group("answer_files")
def build_answer_files(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    insert_after(nb, "setup", code(C.file_attacks(_attacked(lab), env.canary), "hostile_file_attacks"))
    return _notebook(lab, folder, nb)


def _file_attack_score(attack: str):
    def score(lab: Lab) -> float | None:
        hit = [q for q, a in _attacked(lab).items() if a == attack]
        if not hit:
            raise NotApplicable(f"the honest part of {lab.lab_id} has too few questions for {attack}")
        return lab.honest_points - sum(lab.points[f"test_{q}"] for q in _attacked(lab))

    return score


for _attack, _message in FILE_ATTACKS.items():
    case(_attack, "answer_files", "gaming", _file_attack_score(_attack), _message)


# ==================================================================== gaming: notebook edits, answers/ written directly
@group("edited")
def build_edited(lab: Lab, env: C.Env, folder: Path) -> Path:
    nb = lab.honest()
    del nb.metadata["kernelspec"]
    first, last = lab.prefix_tests[0], lab.prefix_answers[-1]
    lab.cell(first, nb).source = "print('✔ all checks pass')  # the check, edited away"
    nbg(lab.cell(first, nb))["points"] = 1000
    lab.cell("setup", nb).source += "\nprint('edited')"
    nb.cells = [c for c in nb.cells if c.get("id") != lab.prefix_tests[-1]]  # a test cell deleted
    dup = copy.deepcopy(lab.cell(lab.prefix_answers[0], nb))
    dup.source = "raise RuntimeError('a second copy of the answer cell')"
    insert_after(nb, lab.prefix_answers[0], dup)  # duplicate cell id and grade id
    fake = code("print('free points')", "hostile_fake_test")
    fake.metadata["nbgrader"] = {"grade": True, "grade_id": "test_free_points", "points": 50, "locked": True}
    # answers/ written directly: the last answer's right values, computed with the reference's code
    # outside the answer cell, which now returns objects whose __eq__ is always True
    sources = [lab.cell(t).source for t in lab.tests_of_answer(last)]
    insert_before(nb, last, code(C.plant_answers(lab.cell(last).source, sources), "hostile_plant"))
    lab.cell(last, nb).source = C.liar_answer(lab.functions_of(last))
    nb.cells += [fake, code(C.OVERWRITE_ANSWERS, "hostile_overwrite")]
    write(nb, folder / lab.spec.notebook)
    write(copy.deepcopy(nb), folder / f"{lab.lab_id} (copy).ipynb")  # a second notebook, same lab
    (folder / "secrets").symlink_to(env.root / "solutions")  # symlinks pointing outside
    (folder / "reference.ipynb").symlink_to(env.root / "solutions" / lab.lab_id / lab.spec.notebook)
    (folder / "answers").mkdir()
    (folder / "answers" / f"{first[5:]}.npz").write_bytes(b"planted in the submission")
    return folder


def _edited(lab: Lab) -> float:
    """Every edit is undone by restore; the last answer (liar objects) earns nothing."""
    return lab.honest_points - sum(lab.points[t] for t in lab.tests_of_answer(lab.prefix_answers[-1]))


case(
    "edit_locked_test_cell",
    "edited",
    "gaming",
    _edited,
    r"locked cell `test_\w+` was edited: restored from the source",
)
case(
    "edit_locked_cell",
    "edited",
    "gaming",
    _edited,
    r"locked cell `setup` was edited: restored from the source",
)
case(
    "delete_test_cell",
    "edited",
    "gaming",
    _edited,
    r"test cell `test_\w+` was deleted: restored from the source",
)
case(
    "duplicate_cell_ids",
    "edited",
    "gaming",
    _edited,
    r"duplicate cell id `\w+`: only the first copy was kept",
)
case(
    "change_points",
    "edited",
    "gaming",
    _edited,
    r"nbgrader metadata of `test_\w+` was changed: the source's points",
)
case(
    "fake_test_cell",
    "edited",
    "gaming",
    _edited,
    r"cell `test_free_points` is not part of \w+: its grading metadata",
)
case("missing_kernelspec", "edited", "broken", _edited, r"re-scored in a fresh process")
case(
    "two_notebooks_same_lab",
    "edited",
    "broken",
    _edited,
    r"2 notebooks for \w+: graded \S+\.ipynb, ignored .*\(copy\)",
)
case(
    "duplicate_is_reported",
    "edited",
    "broken",
    lambda lab: 0.0,
    r"ignored: another notebook for \w+ \(\S+\.ipynb\) was graded",
    result="duplicate",
)
case(
    "symlink_in_submission",
    "edited",
    "breakout",
    lambda lab: 0.0,
    r"reference\.ipynb is a symbolic link \(not followed\)",
    result="unknown",
)
case("answers_in_submission", "edited", "gaming", _edited)
case(
    "answers_written_directly",
    "edited",
    "gaming",
    _edited,
    r"answers/extra_credit\.npz was not written by its test cell: ignored",
    r"not attempted",
)
case("answers_overwritten_later", "edited", "gaming", _edited, r"was changed after its test cell ran")
case("eq_always_true", "edited", "gaming", _edited, r"not attempted")
