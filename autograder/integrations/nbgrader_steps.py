"""nbgrader's ``autograde``, scored by this grader: two preprocessors around nbgrader's Execute.

nbgrader scores a test cell by its outputs (an error: 0; else full points, or the number a cell
returns). In a student's kernel the kit cannot judge hidden tests or model questions (it holds no
reference), so the kernel's word must not be the score:

* ``GraderInputs`` (before ``Execute``): draws this run's hidden seed (random unless
  ``--GraderInputs.seed`` is given), writes the hidden inputs and the lab's public checks next to
  the notebook, and deletes any ``answers/`` the student shipped (answers come from executing);
* ``RescoreTests`` (after ``Execute``): judges the answer files with the grader, in this process
  (instructor side), and rewrites every autograded test cell's outputs to its verdict — one line
  for a pass, the score as the cell's value for partial credit, an error for a failed test (a cell
  that already failed keeps the kit's own ✘ line: it scores 0 either way).

Both subclass nbgrader's ``NbGraderPreprocessor``: nbconvert's own ``Preprocessor`` is disabled
unless configured, and would silently do nothing.

Ordering: ``GraderInputs`` must precede ``Execute`` (the hidden cells read its files) and
``RescoreTests`` must follow it and precede ``SaveAutoGrades`` (which reads the outputs).
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from autograder.grading.judge import score_lab
from autograder.grading.notebooks import identify_lab
from autograder.grading.workdir import stage
from autograder.i18n import lab_language
from autograder.labs import get_lab

_SEED_KEY = "autograder_hidden_seed"


def _lab_and_dir(nb, resources) -> tuple[str | None, Path]:
    lab = (nb.metadata.get("autograder") or {}).get("lab") or identify_lab(
        nb, Path(resources.get("unique_key", "x"))
    )
    return lab, Path((resources.get("metadata") or {}).get("path") or ".")


class GraderInputs(NbGraderPreprocessor):  # (nbconvert's own Preprocessor is disabled by default)
    seed = Integer(-1, help="hidden seed for reproducible re-grades (-1: a random one per run)").tag(
        config=True
    )

    def preprocess(self, nb, resources):
        lab, where = _lab_and_dir(nb, resources)
        if not lab:
            self.log.warning("GraderInputs: not a lab notebook (no lab id in its metadata): left alone")
            return nb, resources
        spec = get_lab(lab)
        seed = self.seed if self.seed >= 0 else secrets.randbelow(2**31)
        resources[_SEED_KEY] = seed
        shutil.rmtree(where / "answers", ignore_errors=True)
        shutil.rmtree(where / "hidden_inputs", ignore_errors=True)
        stage(spec, where, seed)
        self.log.info("%s: hidden seed %d", spec.lab_id, seed)
        return nb, resources


class RescoreTests(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        lab, where = _lab_and_dir(nb, resources)
        if not lab or _SEED_KEY not in resources:
            return nb, resources
        spec = get_lab(lab)
        # the verdicts in the notebook's language: its edition, unless $LABKIT_LANGUAGE says otherwise
        language, _note = lab_language(None, (nb.metadata.get("autograder") or {}).get("language"))
        result = score_lab(spec, where / "answers", seed=resources[_SEED_KEY], language=language)
        tests = {t.name: t for t in result.tests}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader") or {}
            test = tests.get(str(meta.get("grade_id")))
            if cell.cell_type != "code" or not meta.get("grade") or test is None:
                continue
            if test.score >= test.max_score:
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"✔ {test.output}\n")]
            elif test.score > 0:
                cell.outputs = [
                    nbformat.v4.new_output("stream", name="stdout", text=f"◐ {test.output}\n"),
                    nbformat.v4.new_output(
                        "execute_result", data={"text/plain": repr(test.score)}, execution_count=None
                    ),
                ]
            elif not any(out.get("output_type") == "error" for out in cell.outputs):
                cell.outputs = [
                    nbformat.v4.new_output(
                        "error", ename="CheckFailed", evalue=test.output, traceback=[f"✘ {test.output}"]
                    )
                ]
            # else: 0 points, and the kernel's own ✘ line (the kit's, friendlier) stays
        nb.metadata.setdefault("autograder", {})["hidden_seed"] = resources[_SEED_KEY]
        return nb, resources
