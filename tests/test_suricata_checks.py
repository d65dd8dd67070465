"""`validate` fails on Suricata's warnings about our rules and on suricata-check's performance
findings without a reviewed exemption; both run once for the whole set."""
import shutil

import pytest

from harness.suricata import checks as suricata_checks
from harness.cli import EXIT_INVALID, EXIT_OK, main
from harness.suricata.ruleset import compile_rules
from harness.rules.loader import load_project
from harness.rules.project import Project
from tests.tmp_project import GOOD_RULE, good_rule_text, write_lock, write_rule

needs_suricata = pytest.mark.skipif(not shutil.which("suricata"), reason="suricata is not installed")

SYN_ONLY = good_rule_text(("  protocol: mqtt", "  protocol: tcp"), ("  where:\n    - {field: mqtt.connect.username, equals: admin}\n",
                                                                     "  tcp_flags: S\n"))
# No literal is in every match (the backend would add one as a content: suricata_literal.py).
PCRE_ONLY = good_rule_text(("  where:\n    - {field: mqtt.connect.username, equals: admin}\n",
                            "  where:\n    - {field: mqtt.connect.username, regex: '^[a-z][0-9a-z]{3,15}$'}\n"))
PCRE_WITH_LITERAL = good_rule_text(("  where:\n    - {field: mqtt.connect.username, equals: admin}\n",
                                    "  where:\n    - {field: mqtt.connect.username, regex: '^adm[i1]n$'}\n"))


@needs_suricata
def test_syn_only_rule_without_direction_fails_validate(tmp_project, capsys):
    write_rule(tmp_project, GOOD_RULE, SYN_ONLY)
    write_lock(tmp_project)
    assert main(["--root", str(tmp_project), "validate", "--no-siem"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "rules/iot/mqtt-admin-login.yaml:" in err
    assert "Suricata warning: detect: rule 9100900: SYN-only to port(s) 1883:1883 w/o direction" in err


def test_duplicate_sticky_buffer_warning_is_mapped_to_the_rule(tmp_project):
    """The warning text Suricata 7.0.10 prints, attributed by the sid inside the quoted rule."""
    ruleset = load_project(Project(tmp_project))
    output = ("W: detect: duplicate instance for snmp.community in 'alert snmp any any -> any any"
              " (msg:\"x\"; snmp.community; content:\"a\"; snmp.community; content:\"b\"; sid:9100900; rev:1;)'\n"
              "W: detect: duplicate instance for http_uri in 'alert http any any -> any any (sid:2000001; rev:1;)'\n")
    findings = suricata_checks.warnings_in(output, ruleset, compile_rules(ruleset))
    assert [(f.path, f.field) for f in findings] == [("rules/iot/mqtt-admin-login.yaml", "suricata")]
    assert "duplicate instance for snmp.community" in findings[0].message and "alert snmp" not in findings[0].message


def test_pcre_without_content_needs_a_reviewed_exemption(tmp_project, capsys):
    write_rule(tmp_project, GOOD_RULE, PCRE_ONLY)
    write_lock(tmp_project)
    root = str(tmp_project)
    assert main(["--root", root, "validate", "--no-siem"]) == EXIT_INVALID
    assert "suricata-check S600: The rule uses the `pcre` option but has no `content` option set" in capsys.readouterr().err
    exemptions = tmp_project / suricata_checks.EXEMPTIONS_FILENAME
    exemptions.write_text("mqtt-admin-login: {S600: short}\n")
    assert main(["--root", root, "validate", "--no-siem"]) == EXIT_INVALID
    assert "needs a reason" in capsys.readouterr().err
    exemptions.write_text("mqtt-admin-login: {S600: anchored ^...$ on mqtt.connect.username only}\n")
    assert main(["--root", root, "validate", "--no-siem"]) == EXIT_OK
    assert "(1 reviewed exemptions)" in capsys.readouterr().out
    write_rule(tmp_project, GOOD_RULE, good_rule_text())       # the finding is gone: the entry is stale
    write_lock(tmp_project)
    assert main(["--root", root, "validate", "--no-siem"]) == EXIT_INVALID
    assert "stale exemption" in capsys.readouterr().err
    exemptions.unlink()                                    # a pcre with a literal gets it as content
    write_rule(tmp_project, GOOD_RULE, PCRE_WITH_LITERAL)
    write_lock(tmp_project)
    assert main(["--root", root, "validate", "--no-siem"]) == EXIT_OK


def test_the_library_passes_both_checks():
    ruleset = load_project(Project.find())
    findings, skipped, lint = suricata_checks.check(ruleset, shutil.which("suricata"))
    assert findings == []
    assert skipped == [] or all("cannot parse" in note for note in skipped)
    assert lint is not None and lint.exempted >= 7
