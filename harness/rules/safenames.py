"""Names taken from the file system, not from YAML values: category folders and rule file names.

They end up in `# id (path)` comments of iotdetect.rules, in the coverage report and in findings, so
they are restricted to a character set no target treats specially (a folder name holding a newline
once put a working `pass` rule into the release).
"""
from __future__ import annotations

import re
from pathlib import Path

from harness.rules.errors import Finding

FOLDER = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def printable(text: str) -> str:
    """text with every non-printable character shown as an escape, safe on one line anywhere."""
    if text.isprintable():   # nearly always (every rule's path in iotdetect.rules): no walk per character
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def path_findings(path: Path, rules_dir: Path, shown: str) -> list[Finding]:
    """Findings for a rule file whose folders fall outside the safe character set (the file name
    itself must equal the rule id, which the loader checks)."""
    text, base = str(path), str(rules_dir)
    if base != "/" and text.startswith(base + "/"):   # the usual case, without relative_to's parsing
        parts = tuple(text[len(base) + 1:].split("/"))
    else:
        try:
            parts = path.relative_to(rules_dir).parts
        except ValueError:
            return []
    findings = []
    for folder in parts[:-1]:
        if not FOLDER.fullmatch(folder):
            findings.append(Finding(printable(shown), 1, "", f"category folder {printable(folder)!r} must be lower-case"
                                    " letters, digits, `_` and `-` (at most 64): it is written into every target"))
    return findings
