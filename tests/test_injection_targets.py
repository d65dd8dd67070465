"""Property tests (issue 11): a hostile value in any field either is refused by the model, or every
target built from it keeps it inside its string, so it can never start a new line or a new option:
Suricata rule text and its comments, sid-msg.map, savedsearches.conf, Sentinel YAML and ARM JSON
(SPL, KQL and SQL literals: tests/test_siem_escaping.py). And Suricata itself loads exactly the
number of rules written, whatever values they carry (a NUL once made the last rule vanish)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from idstools import rule as idsrule
from pydantic import ValidationError

from harness.backends.suricata import SuricataBackend
from harness.suricata.ruleset import RULES_FILENAME, compile_rules
from harness.suricata.workspace import write_harness_config
from harness.suricata.engine import SuricataMissing, Workspace, check_rules, suricata_binary
from harness.rules.loader import RuleSet, RuleSource
from harness.formats import conf, sentinel
from harness.release import splunk_app, suricata_pack
from harness.release.siem_outputs import compile_siem
from harness.rules.project import Project
from harness.templating import environment
from tests.siem_helpers import NETWORKS, make_rule

SPECIALS = list("\"'\\|`\n\r\t;:$()[]{}#/ ") + ["||", "$x$", "\x00", "\x0b", "\x0c", "\x1b", "\x1c", "\x7f",
                                                  "\x85", "\u2028", "\u2029", "\u202e", "\ufeff", "é", "😀"]
hostile = st.lists(st.sampled_from(SPECIALS) | st.characters(exclude_categories=("Cs",)), min_size=1,
                   max_size=24).map("".join)


def _ruleset(rules, root: Path) -> RuleSet:
    sources = tuple(RuleSource(rule, root / "rules" / "iot" / f"{rule.id}.yaml", "iot", {}) for rule in rules)
    return RuleSet(Project(root), NETWORKS, sources)


def _conf_pairs(text: str) -> list[tuple[str, dict[str, str]]]:
    """Parse a .conf file the way Splunk does: a line is a [stanza], `key = value`, or blank."""
    stanzas: list[tuple[str, dict[str, str]]] = []
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            stanzas.append((line[1:-1], {}))
            continue
        key, sep, value = line.partition(" = ")
        assert sep and re.fullmatch(r"[a-z][a-zA-Z0-9_.]*", key), f"not a key = value line: {line!r}"
        assert not value.endswith("\\")
        stanzas[-1][1][key] = value
    return stanzas


def _prose_rule(title: str, description: str, response: str, compliance: str):
    try:
        return make_rule({"protocol": "http", "where": [{"field": "http.url", "contains": "/x"}]}, title=title,
                         description=description, response=response, compliance={"nist-csf-2.0": [compliance]})
    except ValidationError:
        return None   # refused at load, with a located finding: nothing reaches a target


@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile, description=hostile, response=hostile, compliance=hostile)
def test_prose_fields_stay_inside_every_target(tmp_path_factory, title, description, response, compliance):
    rule = _prose_rule(title, description, response, compliance)
    if rule is None:
        return
    ruleset = _ruleset([rule], tmp_path_factory.getbasetemp())
    # Suricata: one comment line and one rule line; idstools reads the title back.
    text = compile_rules(ruleset, "1.0.0").text
    lines = [line for line in text.split("\n") if line]
    assert len(lines) == 3 and lines[1].startswith("# ") and lines[2].startswith("alert ")
    assert len(text.splitlines()) == len(text.split("\n")) - 1   # no other line breaks for other tools
    parsed = idsrule.parse(lines[2])
    assert re.sub(r"\\(.)", r"\1", parsed["msg"]) == "IOTDETECT " + title
    # sid-msg.map: one line, six fields before the references, msg intact.
    [entry] = [line for line in suricata_pack.sid_msg_map(text).splitlines() if line and not line.startswith("#")]
    assert entry.split(" || ")[:6] == ["1", str(rule.sid), str(rule.rev), "policy-violation", "3", parsed["msg"]]
    # Splunk savedsearches.conf: only stanzas and key = value lines; values read back.
    siem = compile_siem(ruleset, [rule])
    files = splunk_app.app_files([rule], siem.spl, siem.spl_macros, "1.0.0", environment())
    stanzas = dict(_conf_pairs(files["iotdetect_app/default/savedsearches.conf"].decode()))
    alert = stanzas[f"IoTDetect - {rule.id} - Rule"]
    assert len(stanzas) == 2
    assert alert["description"] == conf.one_line(description)
    assert alert["action.notable.param.rule_title"] == conf.value(f"IoTDetect - {title}")
    assert json.loads(alert["action.notable.param.next_steps"])["data"] == conf.one_line(response)
    # Sentinel: the YAML reads back as the document, the ARM JSON carries the same strings.
    doc = sentinel.detection(rule, siem.kql[rule.id].alert, sentinel.load_tactics())
    assert yaml.safe_load(sentinel.render_yaml(doc)) == doc
    arm = json.loads(json.dumps(sentinel.arm_template([(doc, rule)], "1.0.0")))
    assert arm["resources"][0]["properties"]["displayName"] == doc["name"] == f"IoTDetect - {title}"


def _value_rules(value: str, index: int) -> list:
    """Every place a condition or payload value reaches the Suricata rule text."""
    escaped = re.escape(value)
    where = [{"field": "mqtt.connect.username", op: value, "negate": negate, "nocase": nocase}
             for op in ("equals", "contains", "startswith", "endswith") for negate in (False, True) for nocase in (False, True)]
    where += [{"field": "mqtt.connect.username", "in": [value, "other"], "nocase": True},
              {"field": "mqtt.connect.username", "regex": escaped}]
    rules = [make_rule({"protocol": "mqtt", "where": [condition]}, id=f"value-{index}-{n}", sid=9150000 + index * 40 + n)
             for n, condition in enumerate(where)]
    rules.append(make_rule({"protocol": "dns", "where": [{"field": "dns.rrname", "equals": value, "negate": True}]},
                           id=f"value-{index}-dns", sid=9150000 + index * 40 + 30))
    rules.append(make_rule({"protocol": "tcp", "payload": [{"content": value}, {"content": value, "negate": True},
                                                           {"pcre": escaped, "nocase": True}]},
                           id=f"value-{index}-raw", sid=9150000 + index * 40 + 31))
    return rules


def _option_names(rule) -> list[str]:
    parsed = idsrule.parse(SuricataBackend().compile(rule))
    assert parsed is not None and (parsed["sid"], parsed["rev"]) == (rule.sid, rule.rev)
    return [option["name"] for option in parsed["options"]]


def _without_anchor(names: list[str]) -> list[str]:
    """The names without the content the backend derives from a pcre (suricata_literal): whether
    a value has a literal to derive depends on the value (a placeholder has one, `\\x00` none)."""
    out = list(names)
    if "pcre" in out:
        at = out.index("pcre")
        if out[at - 2:at] == ["content", "nocase"]:
            del out[at - 2:at]
        elif out[at - 1:at] == ["content"]:
            del out[at - 1]
    return out


@hsettings(max_examples=60, deadline=None)
@given(value=hostile)
def test_condition_values_cannot_add_options(value):
    for hostile_rule, plain_rule in zip(_value_rules(value, 0), _value_rules("placeholder", 0)):
        text = SuricataBackend().compile(hostile_rule)
        assert all(c.isprintable() for c in text), f"raw non-printable in {text!r}"
        hostile_names, plain_names = _option_names(hostile_rule), _option_names(plain_rule)
        assert _without_anchor(hostile_names) == _without_anchor(plain_names)
        assert abs(hostile_names.count("content") - plain_names.count("content")) <= 1


@hsettings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(hostile, min_size=20, max_size=20, unique=True))
def test_suricata_loads_every_rule_written(tmp_path, values):
    """Real Suricata -T -v: `N rules successfully loaded` must equal the rules written (check_rules)."""
    try:
        suricata_binary()
    except SuricataMissing as exc:
        pytest.skip(str(exc))
    rules = [rule for index, value in enumerate(values) for rule in _value_rules(value, index)]
    ruleset = _ruleset(rules, tmp_path)
    folder = tmp_path / "ws"
    write_harness_config(ruleset, folder)
    compiled = compile_rules(ruleset)
    (folder / RULES_FILENAME).write_text(compiled.text, encoding="utf-8")
    assert len(compiled.line_sources) == len(rules)
    check_rules(Workspace(folder, compiled, tmp_path))


# --- any value in any field, end to end ------------------------------------------------------------

FIELD_PATHS = [("title",), ("description",), ("response",), ("id",), ("sid",), ("created",), ("attack", 0),
               ("references",), ("compliance", "nist-csf-2.0", 0), ("siem", "schedule"), ("siem", "lookback"),
               ("siem", "suppress", "for"), ("detection", "protocol"), ("detection", "source"),
               ("detection", "destination_port", 0), ("detection", "where", 0, "field"),
               ("detection", "where", 0, "equals"), ("detection", "where", 0, "negate"),
               ("detection", "payload", 0, "content"), ("detection", "payload", 0, "pcre"),
               ("suricata", "classtype"), ("suricata", "attack_target"), ("suricata", "options", 0, "value"),
               ("tests", 0, "name"), ("tests", 0, "traffic", "generator"), ("tests", 0, "expect", "alerts")]
any_value = hostile | st.integers(-2**70, 2**70) | st.none() | st.booleans() | st.lists(hostile, max_size=3)


def _set(data, path, value):
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(FIELD_PATHS), value=any_value)
def test_any_value_in_any_field_is_refused_at_validate_or_builds(tmp_path_factory, path, value):
    """Whatever a target would refuse is refused by `validate` (exit 2, located); what validate
    accepts, `build` (every target, plus Suricata's own load test) accepts too. Never exit 3."""
    from harness.cli import main
    from tests.tmp_project import GOOD_RULE, make_project, write_lock
    root = make_project(tmp_path_factory.mktemp("field") / "project")
    data = yaml.safe_load((root / GOOD_RULE).read_text(encoding="utf-8"))
    data["detection"]["payload"] = [{"content": "MQTT"}]
    data["suricata"]["options"] = [{"keyword": "fast_pattern"}]
    data["references"] = ["https://example.com/a"]
    data["compliance"] = {"nist-csf-2.0": ["PR.DS-02"]}
    data["siem"] = {"schedule": "5m", "lookback": "1h", "suppress": {"for": "1h"}}
    if path[-1] == "pcre":
        data["detection"]["payload"][0].pop("content")
    _set(data, path, value)
    (root / GOOD_RULE).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    write_lock(root)
    code = main(["--root", str(root), "validate", "--no-siem"])   # with Suricata's load test
    assert code in (0, 2)
    if code == 0:
        assert main(["--root", str(root), "build", "--out", str(root / "out")]) == 0
