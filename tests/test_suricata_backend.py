"""The Suricata backend: escaping holds against injection, and every compiled rule round-trips
through idstools (msg, sid, rev, classtype, metadata match the model)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from idstools import rule as idsrule

from harness.backends.suricata import SuricataBackend
from harness.suricata.engine import check_rules, make_engine
from harness.rules.loader import load_project, load_rule_file
from harness.rules.model import Rule
from harness.cases.pcaps import case_refs, write_all
from harness.rules.project import Project
from harness.cases.runner import run_cases
from harness.suricata.workspace import prepare_workspace
from tests.tmp_project import GOOD_RULE, TEMPLATE, copy_template, write_lock

REPO = Path(__file__).resolve().parent.parent
EVIL = ['x"; sid:1; pcre:"/.*/', 'semi;colon', 'back\\slash', 'pi|pe', 'new\nline', 'sl/ash',
        'trailing\\', '|41 42|', 'esc\\"; sid:2;', 'paren) (sid:3;', 'nul\x00byte', 'vt\x0bff\x0c',
        'esc\x1b[31m', 'ls\u2028nel\x85']


def _unescape_msg(value: str) -> str:
    """Suricata's msg unescaping: a backslash takes the next character literally."""
    return re.sub(r"\\(.)", r"\1", value)


def _content_bytes(quoted: str) -> bytes:
    """Decode a content:"..." value: |hex| groups back to bytes."""
    body = quoted[1:-1]
    out = bytearray()
    for index, part in enumerate(body.split("|")):
        out += bytes.fromhex(part) if index % 2 else part.encode()
    return bytes(out)


def _base() -> dict:
    return yaml.safe_load((TEMPLATE / GOOD_RULE).read_text(encoding="utf-8"))


def _evil_rule(evil: str, index: int = 0) -> dict:
    data = _base()
    data.update(id=f"injection-{index:02d}", sid=9100950 + index,
                title="inj " + ascii(evil))   # titles refuse control characters: shown escaped
    data["detection"] = dict(data["detection"], where=[
        {"field": "mqtt.connect.username", "equals": evil},
        {"field": "mqtt.connect.username", "regex": "^" + re.escape(evil) + "$"},
    ], payload=[{"content": evil}])
    data["tests"] = [
        {"name": "evil username", "traffic": {"generator": "mqtt.connect", "args": {"username": evil}},
         "expect": {"alerts": 1}},
        {"name": "evil username plus one", "traffic": {"generator": "mqtt.connect",
                                                        "args": {"username": evil + "x"}},
         "expect": {"alerts": 0}},
    ]
    return data


# The option keywords the model of _evil_rule implies, in order; an injected sid/pcre adds to it.
# The two conditions share one sticky buffer, named once (a second naming is a Suricata warning).
EXPECTED_KEYWORDS = ["msg", "flow", "mqtt.connect.username", "content", "startswith", "endswith",
                     "pcre", "pkt_data", "content", "threshold", "classtype", "priority",
                     "metadata", "sid", "rev"]


@pytest.mark.parametrize("evil", EVIL, ids=[repr(e) for e in EVIL])
def test_injection_cannot_add_options(evil):
    rule = Rule.model_validate(_evil_rule(evil))
    parsed = idsrule.parse(SuricataBackend().compile(rule))
    assert parsed is not None
    assert [o["name"] for o in parsed["options"]] == EXPECTED_KEYWORDS
    assert (parsed["sid"], parsed["rev"]) == (rule.sid, rule.rev)
    assert _unescape_msg(parsed["msg"]) == "IOTDETECT " + rule.title
    contents = [o["value"] for o in parsed["options"] if o["name"] == "content"]
    assert [_content_bytes(c) for c in contents] == [evil.encode()] * 2


def _case(name, username, alerts, also=None):
    return {"name": name, "traffic": {"generator": "mqtt.connect", "args": {"username": username}},
            "expect": {"alerts": alerts, **({"also": also} if also else {})}}


def _engine_rules(evil: str, index: int) -> list[dict]:
    """Two rules per value: `where` conditions on the MQTT username (equals + anchored regex), and
    raw payload content + pcre on the TCP stream. Each case declares the other rule's alert."""
    field_rule, payload_rule = _evil_rule(evil, 2 * index), _evil_rule(evil, 2 * index + 1)
    field_rule["detection"].pop("payload")
    payload_rule["detection"] = {"protocol": "tcp", "source": "$IOT_NET", "destination_port": [1883],
                                 "payload": [{"content": evil}, {"pcre": re.escape(evil)}]}
    field_rule["tests"] = [_case("evil username", evil, 1, {payload_rule["id"]: 1}),
                           _case("evil username plus one", evil + "x", 0, {payload_rule["id"]: 1})]
    payload_rule["tests"] = [_case("evil username", evil, 1, {field_rule["id"]: 1}),
                             _case("benign username", "sensor", 0)]
    return [field_rule, payload_rule]


def test_injected_rules_load_and_match_exactly_their_value(tmp_path):
    """Real engine: every escaped value still means itself (fires on it, not on it plus one byte)."""
    root = copy_template(tmp_path / "project")
    (root / GOOD_RULE).unlink()
    for index, evil in enumerate(EVIL):
        for data in _engine_rules(evil, index):
            path = root / "rules" / "iot" / f"{data['id']}.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    write_lock(root)
    ruleset = load_project(Project(root))
    check_rules(prepare_workspace(ruleset, tmp_path / "check"))   # suricata -T --init-errors-fatal
    refs = case_refs(ruleset)
    write_all(refs, ruleset.project.pcaps_dir)
    verdicts = run_cases(ruleset, refs, make_engine("batch"), tmp_path / "run")
    failed = [v.explain() for v in verdicts if not v.passed]
    assert not failed, "\n".join(failed)
    assert sum(sum(v.actual.values()) for v in verdicts) == 5 * len(EVIL)


def test_payload_after_a_buffer_condition_goes_back_to_packet_data():
    data = _base()
    data["detection"] = {"protocol": "http", "where": [{"field": "http.hostname", "equals": "cam.local"}],
                         "payload": [{"content": "GET"}, {"content": "x", "buffer": "http.uri"}, {"content": "y"}]}
    names = [o["name"] for o in idsrule.parse(SuricataBackend().compile(Rule.model_validate(data)))["options"]]
    start = names.index("endswith") + 1
    assert names[start:start + 6] == ["pkt_data", "content", "http.uri", "content", "pkt_data", "content"]
    data["detection"].pop("where")
    data["detection"]["payload"] = [{"content": "MQTT"}]
    assert "pkt_data;" not in SuricataBackend().compile(Rule.model_validate(data))


def test_prefilter_on_flags_without_syn_fin_rst_or_on_stream_size_without_a_fast_pattern():
    """`prefilter` goes on flags that have no SYN, FIN or RST (Suricata's packet flag mask cannot
    skip those rules), else on stream_size, and never on a rule with a fast pattern or on flags
    with SYN/FIN/RST (Suricata walks those on SYN packets only or skips them by the mask)."""
    def options(detection: dict) -> list[str]:
        data = _base()
        data["detection"] = detection
        return [o["name"] for o in idsrule.parse(SuricataBackend().compile(Rule.model_validate(data)))["options"]]

    names = options({"protocol": "tcp", "tcp_flags": "0"})
    assert names[names.index("flags") + 1] == "prefilter" and names.count("prefilter") == 1
    for flags in ("S,CE", "F,CE", "FPU,CE", "R,CE", "SA"):
        assert "prefilter" not in options({"protocol": "tcp", "tcp_flags": flags}), flags
    size = {"protocol": "tcp", "flow": ["established", "to_server"],
            "where": [{"field": "flow.bytes_toserver", "gt": 1000000}]}
    names = options(size)
    assert names[names.index("stream_size") + 1] == "prefilter"
    names = options(dict(size, tcp_flags="A"))                           # one prefilter a rule
    assert names.count("prefilter") == 1 and names[names.index("flags") + 1] == "prefilter"
    assert "prefilter" not in options(dict(size, tcp_flags="S"))
    assert "prefilter" not in options({"protocol": "tcp", "tcp_flags": "0", "payload": [{"content": "MQTT"}]})
    assert options({"protocol": "tcp", "tcp_flags": "0", "payload": [{"content": "MQTT", "negate": True}]}).count("prefilter") == 1


@pytest.mark.parametrize("key, value", [
    ("title", "two\nlines"), ("title", "nul\x00byte"), ("title", "cr\rreturn"),
])
def test_one_line_fields_reject_line_breaks(tmp_path, key, value):
    data = _base()
    data[key] = value
    _assert_single_finding(tmp_path, data, key, "must be a single line")


def test_case_names_reject_line_breaks(tmp_path):
    data = _base()
    data["tests"][0]["name"] = "admin\nlogin"
    _assert_single_finding(tmp_path, data, "tests.0.name", "one line")


def test_compliance_items_reject_line_breaks(tmp_path):
    data = _base()
    data["compliance"] = {"nist-csf-2.0": ["DE.CM-01\nx"]}
    _assert_single_finding(tmp_path, data, "compliance.nist-csf-2.0.0", "must be a single line")


def _assert_single_finding(tmp_path, data, field, message):
    path = tmp_path / "rules" / "iot" / "mqtt-admin-login.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    source, findings = load_rule_file(path, tmp_path)
    assert source is None
    assert [f.field for f in findings] == [field]
    assert message in findings[0].message


# -- the content sweep: every rule of the real library through idstools ------------------------------

_LIBRARY = {path.stem: path for path in Project(REPO).rule_files()}


@pytest.mark.parametrize("rule_id", sorted(_LIBRARY))
def test_library_rule_round_trips_through_idstools(rule_id):
    # One file at a time, so one broken rule fails its own test, not the collection of all.
    source, findings = load_rule_file(_LIBRARY[rule_id], REPO)
    assert source is not None, "\n".join(map(str, findings))
    rule = source.rule
    parsed = idsrule.parse(SuricataBackend().compile(rule))
    assert parsed is not None, "idstools cannot parse the compiled rule"
    assert _unescape_msg(parsed["msg"]) == "IOTDETECT " + rule.title
    assert (parsed["sid"], parsed["rev"], parsed["gid"]) == (rule.sid, rule.rev, 1)
    assert parsed["classtype"] == rule.suricata.classtype
    assert parsed["proto"] == rule.detection.protocol
    metadata = [tuple(item.split(" ", 1)) for item in parsed["metadata"]]
    assert [v for k, v in metadata if k == "mitre_technique_id"] == list(rule.attack)
    assert dict(metadata)["iotdetect_id"] == rule.id
    assert dict(metadata)["created_at"] == rule.created.strftime("%Y_%m_%d")
    assert len(parsed["references"]) == len(rule.references)
    names = [o["name"] for o in parsed["options"]]
    for once in ("msg", "sid", "rev", "classtype", "metadata", "priority"):
        assert names.count(once) == 1, once
    assert names.count("threshold") == (1 if rule.detection.threshold or rule.detection.budget_option else 0)
    assert names.count("pcre") + names.count("content") >= len(rule.detection.payload)
