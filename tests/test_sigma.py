"""Sigma export: one rule per hunt, valid for `sigma check` (sigma-cli, pySigma's validators), and
loadable by pySigma's Splunk and Elasticsearch backends."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sigma.backends.elasticsearch import ESQLBackend, LuceneBackend
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection

from harness.rules.attack import load_catalog
from harness.backends import logic as L
from harness.backends.sigma import SigmaBackend, escape, rule_uuid
from harness.release import sigma_pack

SIGMA = Path(sys.executable).parent / "sigma"
# Left out, and why: attacktag and d3_fendtag download MITRE data at run time (no network here or in
# CI; our loader checks every technique id against the bundled catalog instead, see the tag test);
# escaped_wildcard flags \* and \?, which we write on purpose (literal Suricata content).
EXCLUDED = ("attacktag", "d3_fendtag", "escaped_wildcard")


@pytest.fixture(scope="module")
def pack(repo_ruleset, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sigma")
    for name, text in sigma_pack.files([s.rule for s in repo_ruleset.active()], repo_ruleset.networks).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _rules(pack: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(pack.glob("*.yml"))}


def test_one_sigma_rule_per_hunt(pack, repo_ruleset):
    with_hunt = {s.rule.id for s in repo_ruleset.active() if L.hunt_plan(s.rule)[0] is not None}
    assert set(_rules(pack)) == with_hunt and len(with_hunt) >= 30
    assert "product: suricata, service: eve" in (pack / "README.txt").read_text(encoding="utf-8")


def test_sigma_check_passes(pack):
    assert SIGMA.exists(), "sigma-cli is missing: `make python` installs the [sigma] extra"
    command = [str(SIGMA), "check", "--fail-on-issues", *[a for v in EXCLUDED for a in ("-x", v)], str(pack)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Found 0 errors, 0 condition errors and 0 issues" in result.stdout


def test_sigma_check_catches_a_broken_rule(pack, tmp_path):
    text = (pack / "iot-outbound-ssh.yml").read_text(encoding="utf-8").replace("condition: ", "condition: sel99 and ")
    (tmp_path / "broken.yml").write_text(text, encoding="utf-8")
    result = subprocess.run([str(SIGMA), "check", "--fail-on-issues", *[a for v in EXCLUDED for a in ("-x", v)],
                             str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0


def test_tags_are_known_attack_techniques(pack):
    catalog = load_catalog()
    for name, text in _rules(pack).items():
        for doc in yaml.safe_load_all(text):
            for tag in doc.get("tags", []):
                assert tag.startswith("attack.t") and catalog.domain(tag.removeprefix("attack.").upper()), (name, tag)


@pytest.mark.parametrize("backend", [SplunkBackend, ESQLBackend, LuceneBackend], ids=lambda b: b.__name__)
def test_pysigma_backends_convert_the_rules(pack, backend):
    converted = 0
    for name, text in _rules(pack).items():
        collection = SigmaCollection.from_yaml(text)
        correlated = any(r.__class__.__name__ == "SigmaCorrelationRule" for r in collection.rules)
        if correlated and backend is LuceneBackend:      # Lucene queries cannot count; the backend says so
            with pytest.raises(NotImplementedError, match="correlation"):
                backend().convert(collection)
            continue
        queries = backend().convert(collection)
        assert queries and all(q for q in queries), name
        converted += 1
    assert converted >= 30


def test_the_guides_threshold_is_a_correlation(pack):
    base, correlation = yaml.safe_load_all((pack / "iot-vlan-unauthorized-access.yml").read_text(encoding="utf-8"))
    assert correlation["correlation"] == {"type": "event_count", "rules": [base["name"]], "group-by": ["src_ip"],
                                          "timespan": "60s", "condition": {"gte": 5}}
    assert base["id"] == rule_uuid("iot-vlan-unauthorized-access") != correlation["id"]
    assert base["logsource"] == {"product": "suricata", "service": "eve"}
    spl = SplunkBackend().convert(SigmaCollection.from_yaml((pack / "iot-vlan-unauthorized-access.yml").read_text()))
    assert "event_count >= 5" in spl[0] and "by _time src_ip" in spl[0]


def test_values_are_literal_in_sigma(repo_ruleset):
    rule = repo_ruleset.by_id("iot-exploit-dvr-shell-endpoint").rule      # startswith "/shell?"
    text = SigmaBackend().compile(rule, repo_ruleset.networks).text
    [doc] = yaml.safe_load_all(text)
    values = [v for k, v in doc["detection"].items() if k != "condition" and "http.url|startswith" in v]
    assert values == [{"http.url|startswith": escape("/shell?")}] and escape("/shell?") == "/shell\\?"
    [parsed] = SigmaCollection.from_yaml(text).rules
    [name] = [k for k, v in doc["detection"].items() if k != "condition" and "http.url|startswith" in v]
    [item] = parsed.detection.detections[name].detection_items
    [value] = item.value
    assert value.s[0] == "/shell?" and "WILDCARD_SINGLE" not in repr(value.s)    # a literal ?, no wildcard
