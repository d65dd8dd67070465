"""The per-rule-file memo (harness/rules/memo.py): a warm load answers from it, and nothing about
it can hide an error or serve a stale rule: an edited file, a changed code digest, a truncated,
flipped or planted pack all give a fresh load with the same findings."""
from __future__ import annotations

import pickle

import pytest

from harness.backends.settings import SiemSettings
from harness.rules import loader, memo
from harness.rules.errors import RuleErrors
from harness.rules.loader import load_project
from harness.rules.project import CACHE, Project
from harness.siem.targets import compile_all
from harness.suricata.ruleset import compile_rules
from tests.tmp_project import GOOD_RULE, good_rule_text, write_rule


def _packs(root, stage="rule"):
    return sorted((root / CACHE).glob(f"memo-{stage}-*.pickle"))


def _count_parses(monkeypatch) -> list:
    parsed = []
    real = loader.yamlsource.parse
    def counting(text):
        if "\nsid:" in text:   # rule files only (networks.yaml is parsed every run)
            parsed.append(text)
        return real(text)
    monkeypatch.setattr(loader.yamlsource, "parse", counting)
    return parsed


def test_a_warm_load_answers_from_the_memo_and_equals_a_fresh_one(tmp_project, monkeypatch):
    fresh = load_project(Project(tmp_project))
    assert len(_packs(tmp_project)) == 1
    parsed = _count_parses(monkeypatch)
    warm = load_project(Project(tmp_project))
    assert parsed == []   # not parsed again
    assert [s.rule for s in warm.sources] == [s.rule for s in fresh.sources]
    assert dict(warm.sources[0].lines) == dict(fresh.sources[0].lines)
    assert warm.sources[0].line("detection", "where") == fresh.sources[0].line("detection", "where") > 1
    assert warm.sources[0].digest == fresh.sources[0].digest != ""


def test_an_edited_rule_is_loaded_again_not_served_from_the_memo(tmp_project, monkeypatch):
    load_project(Project(tmp_project))
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("title: MQTT login as admin", "title: MQTT login as root")))
    parsed = _count_parses(monkeypatch)
    ruleset = load_project(Project(tmp_project))
    assert len(parsed) == 1
    assert ruleset.sources[0].rule.title.startswith("MQTT login as root")


def test_an_edit_that_breaks_the_rule_is_reported_with_its_line_every_run(tmp_project):
    load_project(Project(tmp_project))
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("severity: high", "severity: extreme")))
    for _ in range(2):   # a failure is never stored: the second run reports it again
        with pytest.raises(RuleErrors) as caught:
            load_project(Project(tmp_project))
        assert [(f.path, f.line, f.field) for f in caught.value.findings] == [(GOOD_RULE, 7, "severity")]
    write_rule(tmp_project, GOOD_RULE, good_rule_text())   # back to the memoised bytes: a hit again
    assert load_project(Project(tmp_project)).sources[0].rule.severity == "high"


def test_an_unbumped_detection_change_still_fails_the_lock_check_on_a_warm_run(tmp_project):
    changed = good_rule_text(("equals: admin", "equals: root"))
    write_rule(tmp_project, GOOD_RULE, changed)
    for _ in range(2):   # the first run memoises the rule (it loads); the lock check must still fail
        with pytest.raises(RuleErrors) as caught:
            load_project(Project(tmp_project))
        assert [(f.field, f.line) for f in caught.value.findings] == [("rev", 3)]
        assert "bump rev" in caught.value.findings[0].message


def test_another_code_digest_is_another_pack(tmp_project, monkeypatch):
    load_project(Project(tmp_project))
    first = _packs(tmp_project)
    monkeypatch.setattr(memo, "code_digest", lambda: "0" * 64)   # e.g. an upgraded harness
    parsed = _count_parses(monkeypatch)
    load_project(Project(tmp_project))
    assert len(parsed) == 1
    assert len(_packs(tmp_project)) == 2 and first[0] in _packs(tmp_project)


def test_the_code_digest_covers_templates_and_changes_with_them(tmp_path, monkeypatch):
    package = tmp_path / "harness"
    (package / "rules").mkdir(parents=True)
    (package / "templates").mkdir()
    (package / "rules" / "memo.py").write_text("x = 1\n")
    (package / "templates" / "a.j2").write_text("{{ a }}\n")
    monkeypatch.setattr(memo, "__file__", str(package / "rules" / "memo.py"))
    memo.code_digest.cache_clear()
    try:
        before = memo.code_digest()
        (package / "templates" / "a.j2").write_text("{{ b }}\n")
        memo.code_digest.cache_clear()
        assert memo.code_digest() != before
    finally:
        memo.code_digest.cache_clear()


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_a_damaged_pack_gives_a_fresh_load_not_a_traceback(tmp_project, monkeypatch, damage):
    load_project(Project(tmp_project))
    pack = _packs(tmp_project)[0]
    data = pack.read_bytes()
    pack.write_bytes({"truncate": data[:len(data) // 2], "empty": b"",
                      "flip": data[:-10] + bytes([data[-10] ^ 0x01]) + data[-9:],
                      "garbage": b"\x00" * 500}[damage])
    parsed = _count_parses(monkeypatch)
    ruleset = load_project(Project(tmp_project))
    assert len(parsed) == 1 and ruleset.sources[0].rule.id == "mqtt-admin-login"
    assert memo.Memo(tmp_project, "rule").known   # the fresh load wrote a sound pack again


def test_a_pack_naming_another_callable_is_refused(tmp_project, monkeypatch):
    """A planted pack (right header and checksum) that would call os.system is a miss, not a call."""
    load_project(Project(tmp_project))
    pack = _packs(tmp_project)[0]
    fingerprint = memo.Memo(None, "rule").fingerprint

    class Evil:
        def __reduce__(self):
            import os
            return os.system, ("touch " + str(tmp_project / "pwned"),)
    body = pickle.dumps({"k": Evil()})
    import hashlib
    pack.write_bytes(memo.MAGIC + fingerprint.encode() + hashlib.sha256(body).digest() + body)
    assert memo.Memo(tmp_project, "rule").known == {}
    assert not (tmp_project / "pwned").exists()
    with pytest.raises(pickle.UnpicklingError):
        memo.unpack(body)


def test_compiled_targets_are_memoised_and_follow_the_site_plan(tmp_project, monkeypatch):
    ruleset = load_project(Project(tmp_project))
    settings = SiemSettings()
    first, text = compile_all(ruleset, settings), compile_rules(ruleset).text
    assert _packs(tmp_project, "siem") and _packs(tmp_project, "suricata")
    from harness.backends import suricata
    monkeypatch.setattr(suricata.SuricataBackend, "compile", lambda *a: pytest.fail("compiled again"))
    from harness.backends.base import TemplateBackend
    monkeypatch.setattr(TemplateBackend, "compile_planned", lambda *a: pytest.fail("compiled again"))
    assert compile_all(ruleset, settings) == first and compile_rules(ruleset).text == text
    # the searches depend on the site plan (Elastic inlines the CIDRs): another plan is compiled afresh
    monkeypatch.undo()
    plan = tmp_project / "rules" / "networks.yaml"
    plan.write_text(plan.read_text().replace("192.168.200.0/24", "10.199.0.0/16"))
    replanned = load_project(Project(tmp_project))
    calls = []
    real = TemplateBackend.compile_planned
    monkeypatch.setattr(TemplateBackend, "compile_planned", lambda *a: calls.append(1) or real(*a))
    fresh = compile_all(replanned, settings)
    assert calls
    assert fresh == compile_all(replanned, settings) and len(calls) == len(fresh)   # then memoised


def test_role_resolution_is_memoised_per_plan_and_failures_repeat(tmp_project, monkeypatch):
    from harness.cases import traffic
    from harness.cases.pcaps import all_refs, role_findings
    from harness.rules.networks import Networks
    ruleset = load_project(Project(tmp_project))
    refs = [r for r in all_refs(ruleset) if hasattr(r, "source")]
    assert role_findings(refs, ruleset.project, ruleset.networks) == []
    calls = []
    real = traffic.resolve
    monkeypatch.setattr(traffic, "resolve", lambda *a: calls.append(1) or real(*a))
    assert role_findings(refs, ruleset.project, ruleset.networks) == [] and calls == []   # memoised
    # a plan without the broker's variable: every case fails, on every run, at its file:line
    groups = {k: v for k, v in ruleset.networks.groups.items() if k != "MQTT_BROKERS"}
    for _ in range(2):
        found = role_findings(refs, ruleset.project, Networks(groups))
        assert len(found) == len(refs) == 2 and all(f.path == GOOD_RULE and f.line > 1 for f in found)
    assert len(calls) == 4


def test_traffic_keys_are_memoised_and_follow_the_version_and_the_plan(tmp_project, monkeypatch):
    """The lock check's traffic keys (traffic.Resolved.traffic_key) equal the unmemoised ones, are
    not hashed again by a later process, and another generator version or site plan misses."""
    from harness.cases import traffic
    from harness.cases.pcaps import all_refs
    from harness.rules.networks import Networks
    ruleset = load_project(Project(tmp_project))
    plan = traffic.plan_for(ruleset.project, ruleset.networks)
    refs = [r for r in all_refs(ruleset) if r.traffic.generator]
    fresh = [traffic.traffic_key(r, plan, tmp_project, "v1") for r in refs]   # no Resolved: computed
    first = traffic.Resolved(plan, tmp_project)
    assert [traffic.traffic_key(r, plan, tmp_project, "v1", first) for r in refs] == fresh
    first.save()
    with monkeypatch.context() as patched:
        patched.setattr(traffic, "_traffic_key", lambda *a: pytest.fail("hashed again"))
        again = traffic.Resolved(plan, tmp_project)
        assert [traffic.traffic_key(r, plan, tmp_project, "v1", again) for r in refs] == fresh
    other = traffic.Resolved(plan, tmp_project)
    upgraded = [traffic.traffic_key(r, plan, tmp_project, "v2", other) for r in refs]
    assert upgraded == [traffic.traffic_key(r, plan, tmp_project, "v2") for r in refs] and set(upgraded).isdisjoint(fresh)
    moved = traffic.plan_for(ruleset.project, Networks({**ruleset.networks.groups, "MQTT_BROKERS": ("192.168.200.3",)}))
    replanned = traffic.Resolved(moved, tmp_project)
    keys = [traffic.traffic_key(r, moved, tmp_project, "v1", replanned) for r in refs]
    assert keys == [traffic.traffic_key(r, moved, tmp_project, "v1") for r in refs] and keys != fresh


def test_resolved_arguments_are_memoised_and_every_input_of_a_resolution_is_in_the_key(tmp_project, monkeypatch):
    """traffic.Resolved (what `test` asks for every case's concrete hosts): a warm run resolves
    nothing, and a changed plan, a changed case or changed code gives what a fresh resolve gives."""
    from harness.cases import traffic
    from harness.cases.pcaps import all_refs
    from harness.cases.roles import Plan
    from harness.rules.networks import Networks
    ruleset = load_project(Project(tmp_project))
    refs = [r for r in all_refs(ruleset) if r.traffic.generator]
    plan = Plan(ruleset.networks)
    fresh = [traffic.resolve(ref, plan, tmp_project)[0] for ref in refs]
    cold = traffic.Resolved(plan, tmp_project)
    assert [cold.args(ref) for ref in refs] == fresh
    cold.save()
    calls = []
    real = traffic.resolve
    monkeypatch.setattr(traffic, "resolve", lambda *a: calls.append(a[0].key) or real(*a))
    assert [traffic.Resolved(plan, tmp_project).args(ref) for ref in refs] == fresh and calls == []
    # another plan: the broker moves; the memo answers with the new plan's hosts
    groups = {**ruleset.networks.groups, "MQTT_BROKERS": ("192.168.200.77",)}
    moved = Plan(Networks(groups))
    again = [traffic.Resolved(moved, tmp_project).args(ref) for ref in refs]
    assert again == [real(ref, moved, tmp_project)[0] for ref in refs] and again != fresh and calls
    # a case whose arguments changed (same plan): resolved afresh
    calls.clear()
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("args: {username: admin}", 'args: {username: admin, src: "$CORP_NET"}')))
    edited = [r for r in all_refs(load_project(Project(tmp_project))) if r.traffic.generator]
    answers = [traffic.Resolved(plan, tmp_project).args(ref) for ref in edited]
    assert answers == [real(ref, plan, tmp_project)[0] for ref in edited] and answers != fresh
    assert calls == [edited[0].key]                            # only the edited case
    # other code (an edited generator's role defaults, a changed harness): another pack, resolved afresh
    calls.clear()
    monkeypatch.setattr(memo, "code_digest", lambda: "1" * 64)
    assert [traffic.Resolved(plan, tmp_project).args(ref) for ref in refs] == fresh and len(calls) == len(refs)
