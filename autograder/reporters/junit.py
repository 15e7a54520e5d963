"""JUnit XML for CI: one ``<testsuite>`` per lab, one ``<testcase>`` per graded test (its text in
the lab's language; names and ids are the grader's, in every language)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from autograder.i18n import _
from autograder.results import SubmissionResult


def to_junit(result: SubmissionResult, language: str | None = None, **_ignored) -> str:
    suites = ET.Element(
        "testsuites", name="autograder", tests=str(sum(len(lab.tests) for lab in result.labs))
    )
    for lab in result.labs:
        failures = sum(t.status == "failed" for t in lab.tests)
        errors = sum(t.status == "error" for t in lab.tests)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=lab.lab,
            tests=str(len(lab.tests)),
            failures=str(failures),
            errors=str(errors),
            time=f"{lab.execution_time:.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="score", value=f"{lab.score:g}")
        ET.SubElement(props, "property", name="max_score", value=f"{lab.max_score:g}")
        for test in lab.tests:
            case = ET.SubElement(suite, "testcase", classname=lab.lab, name=test.name, time="0")
            if test.status == "failed":
                ET.SubElement(case, "failure", message=test.output[:500]).text = test.output
            elif test.status == "error":
                ET.SubElement(case, "error", message=test.output[:500]).text = test.output
            ET.SubElement(case, "system-out").text = _(
                "{score:g}/{max_score:g} points", language or lab.language
            ).format(score=test.score, max_score=test.max_score)
        if lab.errors or lab.notes:
            ET.SubElement(suite, "system-err").text = "\n".join(lab.errors + lab.notes)
    for error in result.errors:
        suite = ET.SubElement(suites, "testsuite", name="submission", tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname="submission", name="grading")
        ET.SubElement(case, "error", message=error[:500]).text = error
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
