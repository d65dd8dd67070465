"""JUnit XML for CI: one testcase per rule case."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.cases.runner import Verdict


def write(verdicts: list[Verdict], path: Path, suite_name: str = "iotdetect") -> None:
    failures = sum(not v.passed for v in verdicts)
    suite = ET.Element("testsuite", name=suite_name, tests=str(len(verdicts)), failures=str(failures), errors="0")
    for verdict in verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"rules.{verdict.ref.suite}",
                             name=verdict.ref.name)
        if not verdict.passed:
            failure = ET.SubElement(case, "failure", message=verdict.explain().splitlines()[0])
            failure.text = verdict.explain()
    path.parent.mkdir(parents=True, exist_ok=True)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
