"""rules/networks.yaml: loading, Suricata address semantics, and agreement with Suricata itself."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.suricata.engine import check_rules
from harness.rules.errors import RuleErrors
from harness.rules.loader import RuleSet, load_project
from harness.rules.networks import Networks, load
from harness.rules.project import Project
from harness.suricata.workspace import prepare_workspace
from tests.tmp_project import TESTS, make_project

NETS = Networks({"IOT_NET": ("192.168.200.0/24",), "MGMT_NET": ("10.10.0.0/24",),
                 "CORP_NET": ("10.0.0.0/8",), "HOME_NET": ("$IOT_NET", "$CORP_NET"),
                 "EXTERNAL_NET": ("!$HOME_NET",), "V6": ("2001:db8::/32",)})


@pytest.mark.parametrize("items, address, inside", [
    (("any",), "8.8.8.8", True),
    (("$IOT_NET",), "192.168.200.7", True),
    (("$IOT_NET",), "192.168.201.7", False),
    (("$HOME_NET",), "10.99.1.1", True),                      # nested variable
    (("$EXTERNAL_NET",), "10.99.1.1", False),                 # negated nested variable
    (("$EXTERNAL_NET",), "8.8.8.8", True),
    (("!$IOT_NET", "!$MGMT_NET"), "10.10.0.5", False),        # only negations: anything but those
    (("!$IOT_NET", "!$MGMT_NET"), "10.1.1.50", True),
    (("$CORP_NET", "!$MGMT_NET"), "10.10.0.5", False),        # a negation carves out of a positive item
    (("$CORP_NET", "!$MGMT_NET"), "10.20.0.5", True),
    (("$V6",), "192.168.200.7", False),                       # IPv4 is never inside an IPv6 network
    (("$V6",), "2001:db8::1", True),
])
def test_contains_follows_suricata_semantics(items, address, inside):
    assert NETS.contains(items, address) is inside


def test_split_and_references():
    assert NETS.split(("$A", "!$B", "10.0.0.0/8")) == (["$A", "10.0.0.0/8"], ["$B"])
    assert NETS.references(("!$HOME_NET", "10.0.0.0/8", "$IOT_NET")) == ["HOME_NET", "IOT_NET"]


def _load_text(tmp_path: Path, text: str):
    path = tmp_path / "rules" / "networks.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load(path, tmp_path)


def test_template_networks_load(tmp_path):
    nets, findings = load(TESTS / "fixtures/project/rules/networks.yaml")
    assert findings == []
    assert nets.groups["EXTERNAL_NET"] == ("!$HOME_NET",)


@pytest.mark.parametrize("text, line, field, message", [
    ("iot_net: [10.0.0.0/8]\n", 1, "iot_net", "UPPER_CASE"),
    ("IOT_NET: []\n", 1, "IOT_NET", "non-empty list"),
    ("IOT_NET: [10.0.0.0/8]\nOT_NET: {a: 1}\n", 2, "OT_NET", "non-empty list"),
    ("IOT_NET:\n  - 10.0.0.0/8\n  - 10.0.0.1/8\n", 3, "IOT_NET", "invalid CIDR"),
    ("IOT_NET: [10.0.0.0/8, $OT]\n", 1, "IOT_NET", "undefined network variable $OT"),
    ("A: [$B]\nB: [$C]\nC: [$A]\n", 1, "A", "cyclic network variable: $A -> $B -> $C -> $A"),
    ("A: [$A]\n", 1, "A", "cyclic network variable: $A -> $A"),
    ("- 10.0.0.0/8\n", 1, "", "expected a mapping"),
])
def test_bad_networks_yield_one_precise_finding(tmp_path, text, line, field, message):
    nets, findings = _load_text(tmp_path, text)
    assert nets is None
    assert [(f.path, f.line, f.field) for f in findings] == [("rules/networks.yaml", line, field)], findings
    assert message in findings[0].message


def test_repeat_is_reported_on_the_innermost_variable_only(tmp_path):
    # OUTER includes INNER, which repeats $IOT_NET: one finding on INNER, none on OUTER.
    nets, findings = _load_text(tmp_path, "IOT_NET: [10.0.0.0/8]\nCAMS: [$IOT_NET]\n"
                                          "INNER: [$CAMS, $IOT_NET]\nOUTER: [\"!$INNER\"]\n")
    assert [(f.line, f.field) for f in findings] == [(3, "INNER")]


def _ruleset_with_networks(root: Path, groups: dict[str, tuple[str, ...]]) -> RuleSet:
    """The template's rule set with networks the loader would refuse, to ask Suricata itself."""
    ruleset = load_project(Project(root))
    return RuleSet(ruleset.project, Networks(groups), ruleset.sources)


@pytest.mark.parametrize("case", ["variable-reached-twice", "cyclic-variable"])
def test_suricata_rejects_what_the_loader_rejects(tmp_path, case):
    # The corpus claims Suricata 7 refuses these networks; prove it on the real engine.
    root = make_project(tmp_path / "p")
    nets_text = (TESTS / "broken" / case / "rules/networks.yaml").read_text(encoding="utf-8")
    groups = {name: tuple(items) for name, items in yaml.safe_load(nets_text).items()}
    workspace = prepare_workspace(_ruleset_with_networks(root, groups), tmp_path / "ws")
    with pytest.raises(RuleErrors) as caught:
        check_rules(workspace)
    assert "loop in a address groups declaration" in str(caught.value), str(caught.value)


def test_suricata_accepts_the_template_networks(tmp_project, tmp_path):
    check_rules(prepare_workspace(load_project(Project(tmp_project)), tmp_path / "ws"))
