"""End to end: `dist` on a small project, checked with each platform's own tooling where it runs here."""
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from harness.version import version
from harness.suricata.workspace import write_harness_config
from harness.release import manifest
from harness.release.dist import DistOptions, dist
from tests.packaging_project import load, make_release_project

RELEASE = version()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_release_project(tmp_path_factory.mktemp("release") / "project")


@pytest.fixture(scope="module")
def project_pcaps(project):
    """The project with its case pcaps generated: `iotdetect dist` replays every case first. A
    fixture, not a step of the first test that needs it: with pytest-xdist the tests of a module can
    run on different workers, in any order."""
    assert _iotdetect(project, "pcaps").returncode == 0
    return project


@pytest.fixture(scope="module")
def built(project, tmp_path_factory):
    """The same project built twice into different folders."""
    ruleset = load(project)
    first = dist(ruleset, DistOptions(out=tmp_path_factory.mktemp("dist1")))
    second = dist(ruleset, DistOptions(out=tmp_path_factory.mktemp("dist2")))
    return first, second


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(built):
    first, second = built
    a, b = _files(first), _files(second)
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []
    assert f"suricata/iotdetect-{RELEASE}.rules.tar.gz" in a and f"splunk/iotdetect_app-{RELEASE}.tgz" in a


def test_release_tree_layout_and_sums(built):
    root = built[0]
    assert root.name == f"iotdetect-{RELEASE}"
    names = set(_files(root))
    for expected in ("suricata/iotdetect.rules", "suricata/iotdetect-vars.yaml", "suricata/sid-msg.map",
                     "sentinel/azuredeploy.json", "sentinel/azuredeploy-ingestion.json",
                     "sentinel/rules/iot-vlan-unauthorized-access.yaml", "navigator/iotdetect-enterprise.json",
                     "navigator/iotdetect-ics.json", "report/coverage.md", "report/coverage.html",
                     "CHANGELOG.md", "release.json", "SHA256SUMS"):
        assert expected in names
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=root, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    assert manifest.verify(root).ok


def test_version_is_stamped_into_every_pack(built):
    root = built[0]
    assert f"iotdetect {RELEASE}" in (root / "suricata/iotdetect.rules").read_text().splitlines()[0]
    with tarfile.open(root / f"splunk/iotdetect_app-{RELEASE}.tgz") as tar:
        assert f"version = {RELEASE}" in tar.extractfile("iotdetect_app/default/app.conf").read().decode()
    assert json.loads((root / "release.json").read_text())["version"] == RELEASE
    assert RELEASE in json.loads((root / "navigator/iotdetect-ics.json").read_text())["name"]
    assert json.loads((root / "sentinel/azuredeploy.json").read_text())["contentVersion"].startswith(RELEASE)
    assert (root / "CHANGELOG.md").read_text().startswith(f"## {RELEASE}")


def test_sid_msg_map_is_v2_and_lists_every_rule(built, project):
    """barnyard2 reads the v2 layout only after a first line `#v2` (else v1: sid || msg, so the gid
    1 would become every rule's sid)."""
    lines = (built[0] / "suricata/sid-msg.map").read_text().splitlines()
    assert lines[0] == "#v2"
    fields = [line.split(" || ") for line in lines[1:]]
    rules = {r.sid: r for r in load(project).rules}
    assert {int(f[1]) for f in fields} == set(rules)
    for gid, sid, rev, classtype, priority, msg, *refs in fields:
        rule = rules[int(sid)]
        assert (gid, int(rev), classtype) == ("1", rule.rev, rule.suricata.classtype)
        assert msg == f"IOTDETECT {rule.title}" and priority.isdigit()


def test_suricata_pack_readme_and_include_safe_fragment(built):
    folder = built[0] / "suricata"
    readme = (folder / "README.md").read_text()
    for step in ("suricata-update add-source iotdetect", "iotdetect sensor check", "iotdetect sensor configure",
                 "KV_MODE = json", "azuredeploy-ingestion.json", "--runmode single"):
        assert step in readme
    fragment = yaml.safe_load((folder / "iotdetect-address-groups.yaml").read_text())
    assert "IOT_NET" in fragment and "HOME_NET" not in fragment and "EXTERNAL_NET" not in fragment
    with tarfile.open(folder / f"iotdetect-{RELEASE}.rules.tar.gz") as tar:
        assert {"rules/iotdetect.rules", "rules/sid-msg.map", "rules/iotdetect-address-groups.yaml"} <= set(tar.getnames())


@pytest.mark.skipif(not shutil.which("suricata-update"), reason="suricata-update is not installed")
def test_suricata_update_merges_the_pack_as_a_source(built, project, tmp_path):
    tarball = built[0] / f"suricata/iotdetect-{RELEASE}.rules.tar.gz"
    config = tmp_path / "update.yaml"
    config.write_text("# no default sources, no enable/disable files\n")
    # The harness suricata.yaml defines the address groups, so the rules stay enabled.
    suricata_conf = write_harness_config(load(project), tmp_path / "conf")
    base = ["suricata-update", "--data-dir", str(tmp_path / "data"), "-c", str(config)]
    subprocess.run(base + ["add-source", "iotdetect", f"file://{tarball}"], check=True, capture_output=True)
    run = subprocess.run(base + ["--suricata-conf", str(suricata_conf), "--no-test", "--no-reload"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    merged = (tmp_path / "data/rules/suricata.rules").read_text()
    enabled = {int(s) for s in re.findall(r"^alert .*?\bsid:(\d+);", merged, flags=re.M)}
    expected = {r.sid for r in load(project).rules}
    assert expected <= enabled, f"missing or disabled after merge: {sorted(expected - enabled)}"


def test_splunk_appinspect_precert_reports_no_failures(built, tmp_path):
    appinspect = shutil.which("splunk-appinspect") or str(Path(sys.executable).with_name("splunk-appinspect"))
    if not Path(appinspect).exists():
        pytest.skip("splunk-appinspect is not installed (pip install -e '.[dist]')")
    package = built[0] / f"splunk/iotdetect_app-{RELEASE}.tgz"
    report = tmp_path / "appinspect.json"
    subprocess.run([appinspect, "inspect", str(package), "--mode", "precert", "--output-file", str(report),
                    "--data-format", "json"], capture_output=True, text=True, timeout=600)
    summary = json.loads(report.read_text())["summary"]
    assert summary["failure"] == 0 and summary["error"] == 0, summary
    assert summary["success"] > 50, summary  # the checks really ran


def test_splunk_app_holds_both_searches_and_macros(built):
    with tarfile.open(built[0] / f"splunk/iotdetect_app-{RELEASE}.tgz") as tar:
        names = tar.getnames()
        searches = tar.extractfile("iotdetect_app/default/savedsearches.conf").read().decode()
        macros = tar.extractfile("iotdetect_app/default/macros.conf").read().decode()
        meta = tar.extractfile("iotdetect_app/metadata/default.meta").read().decode()
    assert {"iotdetect_app/LICENSE", "iotdetect_app/README.txt"} <= set(names)
    assert "[IoTDetect - iot-vlan-unauthorized-access - Rule]" in searches
    assert "[IoTDetect - iot-vlan-unauthorized-access - Hunt]" in searches
    assert "[IoTDetect - coap-payload-probe - Rule]" in searches
    assert "coap-payload-probe - Hunt" not in searches      # payload-only: no hunt search
    assert 'action.correlationsearch.annotations = {"mitre_attack": ["T1046", "T0846"]}' in searches
    assert "[iotdetect_eve]" in macros and "[iotdetect_net_IOT_NET(1)]" in macros
    assert "sc_admin" in meta and "admin" in meta


def test_sentinel_rules_are_within_limits_and_match_the_arm_template(built, project):
    from harness.formats.sentinel import check_limits, rule_uuid
    root = built[0]
    arm = json.loads((root / "sentinel/azuredeploy.json").read_text())
    by_name = {r["name"]: r for r in arm["resources"]}
    for rule in load(project).rules:
        doc = yaml.safe_load((root / f"sentinel/rules/{rule.id}.yaml").read_text())
        assert doc["id"] == rule_uuid(rule.id)
        assert check_limits(doc) == []
        assert f"== {rule.sid}" in doc["query"]
        resource = by_name[doc["id"]]
        assert resource["kind"] == "Scheduled"
        assert resource["properties"]["query"] == doc["query"]
        assert resource["properties"]["queryFrequency"] == "PT5M" and resource["properties"]["queryPeriod"] == "PT1H"


def test_navigator_layers_split_domains(built):
    enterprise = json.loads((built[0] / "navigator/iotdetect-enterprise.json").read_text())
    ics = json.loads((built[0] / "navigator/iotdetect-ics.json").read_text())
    assert enterprise["domain"] == "enterprise-attack" and ics["domain"] == "ics-attack"
    assert enterprise["versions"]["layer"] == "4.5"
    assert {t["techniqueID"] for t in enterprise["techniques"]} == {"T1046", "T1078"}
    t0846 = next(t for t in ics["techniques"] if t["techniqueID"] == "T0846")
    assert t0846["score"] == 2   # the scan rule and the CoAP probe


def test_report_covers_every_rule_and_framework(built, project):
    markdown = (built[0] / "report/coverage.md").read_text()
    html = (built[0] / "report/coverage.html").read_text()
    for rule in load(project).rules:
        assert rule.id in markdown and rule.id in html
    for framework in ("NIST CSF 2.0", "ISO/IEC 27001:2022", "NISTIR 8259A"):
        assert framework in markdown
    assert "| DE.CM-01 | iot-vlan-unauthorized-access |" in markdown
    assert "alert-based only: raw payload" in markdown
    assert "<script" not in html


def test_changelog_diffs_against_the_recorded_release(project, tmp_path):
    ruleset = load(project)
    releases = project.root / "releases"
    releases.mkdir(exist_ok=True)
    guide_rev = ruleset.by_id("iot-vlan-unauthorized-access").rule.rev   # unchanged since 0.0.1
    previous = {"version": "0.0.1", "rules": {
        "iot-vlan-unauthorized-access": {"sid": 9100001, "rev": guide_rev, "status": "stable", "title": "x", "sha256": ""},
        "coap-payload-probe": {"sid": 9100950, "rev": 1, "status": "experimental", "title": "x", "sha256": ""},
        "old-rule": {"sid": 9100999, "rev": 3, "status": "stable", "title": "x", "sha256": ""}}}
    (releases / "0.0.1.json").write_text(json.dumps(previous))
    try:
        root = dist(ruleset, DistOptions(out=tmp_path / "dist", record=True))
        text = (root / "CHANGELOG.md").read_text()
        assert "since 0.0.1" in text
        assert "### Added\n\n- `mqtt-admin-login`" in text
        assert "`coap-payload-probe` (sid 9100950): rev 1 → 2" in text
        assert "### Removed\n\n- `old-rule` (sid 9100999)" in text
        assert "iot-vlan-unauthorized-access" not in text
        assert (releases / f"{RELEASE}.json").read_bytes() == (root / "release.json").read_bytes()
    finally:
        shutil.rmtree(releases)


def _iotdetect(project, *args, env_extra=None):
    import os
    return subprocess.run([sys.executable, "-m", "harness.cli", "--root", str(project.root), *args],
                          capture_output=True, text=True, env={**os.environ, **(env_extra or {})}, timeout=300)


def test_signed_release_verifies_and_tampering_is_caught(project_pcaps, tmp_path):
    project = project_pcaps
    key, pub = tmp_path / "release.pem", tmp_path / "release.pub"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True)
    built = _iotdetect(project, "dist", "--out", str(tmp_path / "dist"), env_extra={"IOTDETECT_SIGNING_KEY": str(key)})
    assert built.returncode == 0, built.stderr
    root = tmp_path / "dist" / f"iotdetect-{RELEASE}"
    assert (root / "SHA256SUMS.sig").is_file()
    good = _iotdetect(project, "verify", str(root), "--pubkey", str(pub))
    assert good.returncode == 0 and "signature valid" in good.stdout, good.stdout + good.stderr
    rules = root / "suricata" / "iotdetect.rules"
    rules.write_text(rules.read_text().replace("alert ", "pass ", 1))
    bad = _iotdetect(project, "verify", str(root), "--pubkey", str(pub))
    assert bad.returncode == 1 and "suricata/iotdetect.rules: hash differs" in bad.stderr


def test_source_date_epoch_sets_archive_mtimes(project_pcaps, tmp_path):
    project = project_pcaps
    built = _iotdetect(project, "dist", "--out", str(tmp_path / "dist"), env_extra={"SOURCE_DATE_EPOCH": "1700000000"})
    assert built.returncode == 0, built.stderr
    with tarfile.open(tmp_path / "dist" / f"iotdetect-{RELEASE}" / "suricata" / f"iotdetect-{RELEASE}.rules.tar.gz") as tar:
        assert {m.mtime for m in tar.getmembers()} == {1_700_000_000}


def test_stale_installed_version_is_refused(tmp_path):
    from harness.release.dist import check_version_source
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "iotdetect"\nversion = "9.9.9"\n')
    with pytest.raises(RuntimeError, match="pip install -e"):
        check_version_source(tmp_path, "0.1.0")
    check_version_source(tmp_path, "9.9.9")


def test_kql_hunts_ship_as_sentinel_hunting_queries(built, project):
    """Each KQL hunt as an Azure-Sentinel `Hunting Queries/` YAML and a savedSearch in category
    "Hunting Queries" (Splunk already had its hunts; Sentinel had none)."""
    from harness.release.sentinel_hunting import CATEGORY, hunt_uuid
    from harness.release.siem_outputs import compile_siem
    ruleset = load(project)
    kql = compile_siem(ruleset, list(ruleset.rules)).kql
    hunted = sorted(r.id for r in ruleset.rules if kql[r.id].hunt)
    folder = built[0] / "sentinel"
    assert sorted(p.stem for p in (folder / "hunting").glob("*.yaml")) == hunted and hunted
    arm = json.loads((folder / "azuredeploy-hunting.json").read_text())
    searches = {r["name"]: r for r in arm["resources"]}
    assert len(searches) == len(hunted)
    for rule_id in hunted:
        doc = yaml.safe_load((folder / "hunting" / f"{rule_id}.yaml").read_text())
        assert doc["query"].strip() == kql[rule_id].hunt.strip() and doc["id"] == hunt_uuid(rule_id)
        assert {"id", "name", "description", "requiredDataConnectors", "tactics", "relevantTechniques", "query",
                "version"} <= set(doc)
        for mapping in doc.get("entityMappings", []):
            column = mapping["fieldMappings"][0]["columnName"]
            assert re.search(rf"\bby .*\b{column}\b", doc["query"].splitlines()[-2])   # returned by the hunt
        search = searches[f"[concat(parameters('workspace'), '/{doc['id']}')]"]
        assert search["type"] == "Microsoft.OperationalInsights/workspaces/savedSearches"
        assert search["properties"]["category"] == CATEGORY == "Hunting Queries"
        assert search["properties"]["query"] == doc["query"]
        tags = {t["name"]: t["value"] for t in search["properties"]["tags"]}
        assert tags["tactics"] == ",".join(doc["tactics"])
