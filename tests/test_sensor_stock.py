"""The pack on Debian's own packaged /etc/suricata/suricata.yaml (never a copy edited by us):
`sensor check` fails and names the affected rules, `sensor configure --write` fixes a copy, and then
the pack loads whole, suricata-update disables nothing, and every case gives the harness verdict in
the stock runmode (autofp), the threshold cases many times over."""
import collections
import difflib
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.suricata.ruleset import compile_rules
from harness.suricata.engine import BatchEngine, Job, alerts, read_eve
from harness.rules.loader import load_project
from harness.release import suricata_pack
from harness.cases.pcaps import all_refs, ensure
from harness.rules.project import Project
from harness.suricata.workspace import prepare_workspace
from harness.sensor import check, configure
from harness.sensor.needs import pack_needs
from harness.cases.traffic import plan_for, stage_capture

STOCK = Path("/etc/suricata/suricata.yaml")
ROOT = Path(__file__).resolve().parents[1]
THRESHOLD_REPEATS = 10

pytestmark = pytest.mark.skipif(not STOCK.is_file() or not shutil.which("suricata"),
                                reason="needs Debian's suricata package (/etc/suricata/suricata.yaml)")


@pytest.fixture(scope="module")
def ruleset():
    return load_project(Project(ROOT))


@pytest.fixture(scope="module")
def configured(tmp_path_factory, ruleset):
    """A copy of the stock file after `iotdetect sensor configure --write` (the CLI itself)."""
    folder = tmp_path_factory.mktemp("sensor")
    copy = folder / "suricata.yaml"
    shutil.copyfile(STOCK, copy)
    run = _cli("sensor", "configure", str(copy), "--write")
    assert run.returncode == 0, run.stderr
    return copy


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", "--root", str(ROOT), *args],
                          capture_output=True, text=True, timeout=300)


def _active(ruleset):
    return [s.rule for s in ruleset.sources if s.rule.status != "deprecated"]


def test_stock_file_is_the_packaged_one():
    """dpkg's recorded hash of the conffile: the tests below run on the file Debian ships."""
    if not shutil.which("dpkg-query"):
        pytest.skip("not a dpkg system")
    conffiles = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "suricata"], capture_output=True, text=True).stdout
    recorded = dict(line.split()[:2] for line in conffiles.splitlines() if line.strip())
    assert hashlib.md5(STOCK.read_bytes()).hexdigest() == recorded[str(STOCK)]


def _suricata_rejects(config: Path, ruleset, tmp_path) -> set[str]:
    """The rules the real Suricata refuses with this config (no --init-errors-fatal: it names all)."""
    compiled = compile_rules(ruleset)
    rules = tmp_path / "iotdetect.rules"
    rules.write_text(compiled.text)
    out = subprocess.run(["suricata", "-T", "-c", str(config), "-S", str(rules), "-l", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    lines = [int(n) for n in re.findall(r"from file \S+ at line (\d+)", out.stdout + out.stderr)]
    return {compiled.line_sources[n].rule.id for n in lines}


def test_check_fails_on_stock_and_names_every_rule_suricata_rejects(ruleset, tmp_path):
    needs = pack_needs(ruleset)
    report = check.check(STOCK, needs)
    assert not report.ok
    rejected = _suricata_rejects(STOCK, ruleset, tmp_path)
    load_failures = {r for f in report.findings if f.level == "error" and f.kind in ("address-var", "port-var", "parser")
                     for r in f.rules}
    assert load_failures == rejected and len(rejected) > 30
    # Hunts over modbus/dnp3 records: loaded fine, silent in the SIEM without those EVE types.
    eve = {f.subject: set(f.rules) for f in report.findings if f.kind == "eve-type"}
    assert set(eve) == {"modbus", "dnp3"}
    assert "modbus-diagnostics-non-engineering" in eve["modbus"]
    # Issue 9 counted 44 of 58: the rules that do not load, plus the OT hunts without their EVE types.
    assert set(report.affected()) == rejected | {r for rules in eve.values() for r in rules}


def test_check_cli_exit_codes_and_per_rule_lines(configured, ruleset):
    stock = _cli("sensor", "check", str(STOCK), "--no-suricata")   # Suricata's view: the test above
    assert stock.returncode == 1, stock.stderr
    assert "  iot-vlan-unauthorized-access (9100001): address-var IOT_NET; address-var MGMT_NET" in stock.stdout
    affected = len(check.check(STOCK, pack_needs(ruleset)).affected())
    assert f"FAILED: {affected} of {len(_active(ruleset))} rules affected" in stock.stdout
    fixed = _cli("sensor", "check", str(configured))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "ok: 0 of" in fixed.stdout and "suricata -T: rc=0" in fixed.stdout


def test_configure_only_adds_and_enables(configured, ruleset):
    before = STOCK.read_text().splitlines()
    after = configured.read_text().splitlines()
    backup = configured.with_name("suricata.yaml.iotdetect-backup")
    assert backup.read_bytes() == STOCK.read_bytes()
    removed = [line[1:] for line in difflib.ndiff(before, after) if line.startswith("- ")]
    assert sorted(line.strip() for line in removed) == ["enabled: no"] * 3      # modbus, dnp3, enip
    for site in ('    HOME_NET: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"', '    EXTERNAL_NET: "!$HOME_NET"',
                 "    TEREDO_PORTS: 3544"):
        assert site in after                                   # the site's vars untouched
    assert '    IOT_NET: "[192.168.200.0/24]"' in after
    again = configure.plan(configured, pack_needs(ruleset), "test")
    assert again.changes == () and again.diff() == ""


def test_configured_stock_loads_every_rule_with_init_errors_fatal(configured, ruleset, tmp_path):
    rules = tmp_path / "iotdetect.rules"
    rules.write_text(compile_rules(ruleset).text)
    out = subprocess.run(["suricata", "-T", "-v", "--init-errors-fatal", "-c", str(configured), "-S", str(rules),
                          "-l", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    count = len(_active(ruleset))
    assert f"{count} rules successfully loaded, 0 rules failed" in out.stdout + out.stderr


@pytest.mark.skipif(not shutil.which("suricata-update"), reason="suricata-update is not installed")
def test_suricata_update_disables_no_rule_with_configured_stock(configured, ruleset, tmp_path):
    suricata_pack.stage(ruleset, tmp_path / "pack", "test", 1_700_000_000)
    tarball = tmp_path / "pack" / "suricata" / suricata_pack.tarball_name("test")
    update_conf = tmp_path / "update.yaml"
    update_conf.write_text("# no default sources, no enable/disable files\n")
    base = ["suricata-update", "--data-dir", str(tmp_path / "data"), "-c", str(update_conf)]
    subprocess.run(base + ["add-source", "iotdetect", f"file://{tarball}"], check=True, capture_output=True, timeout=120)
    results = {}
    for name, conf in (("stock", STOCK), ("configured", configured)):
        out = tmp_path / name
        run = subprocess.run(base + ["--suricata-conf", str(conf), "--output", str(out), "--no-reload"],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]    # exits 0 either way: hence the count below
        text = (out / "suricata.rules").read_text()
        results[name] = (len(re.findall(r"^alert .*sid:91\d{5};", text, re.M)),
                         len(re.findall(r"^# alert .*sid:91\d{5};", text, re.M)))
    count = len(_active(ruleset))
    rejected = len(_suricata_rejects(STOCK, ruleset, tmp_path))
    assert results["stock"] == (count - rejected, rejected)   # the silent failure the check catches
    assert results["configured"] == (count, 0)


def test_every_case_gives_the_harness_verdict_on_configured_stock_in_autofp(configured, ruleset, tmp_path):
    """The whole sweep once, plus every threshold rule's cases THRESHOLD_REPEATS times, in one batch
    (each replay days after the previous one, so no state counts across them)."""
    text = configured.read_text()
    assert not re.search(r"^runmode:", text, re.M)           # the stock default: autofp for pcap files
    refs = all_refs(ruleset)
    # type limit, count 1 alerts once per window in any order; the counting types are what order can flip.
    thresholded = {s.rule.id for s in ruleset.sources
                   if s.rule.detection.threshold and s.rule.detection.threshold.type != "limit"}
    jobs_refs = [(ref, 0) for ref in refs]
    jobs_refs += [(ref, n) for n in range(1, THRESHOLD_REPEATS + 1) for ref in refs
                  if ref.suite != "baseline" and ref.key.split("/")[0] in thresholded]
    workspace = prepare_workspace(ruleset, tmp_path / "engine", config=configured)
    # The pcaps exactly as run_cases stages them (captures rewritten onto the site plan's hosts).
    project, plan = ruleset.project, plan_for(ruleset.project, ruleset.networks)
    ensure(refs, project, plan)
    pcaps = {ref.key: stage_capture(ref, plan, ref.pcap_path(project.generated_dir, project.pcaps_dir),
                                    tmp_path / "captures", project.root) for ref in refs}
    jobs = [Job(f"{ref.key}#{n}", pcaps[ref.key], tmp_path / "cases" / f"{i:05d}")
            for i, (ref, n) in enumerate(jobs_refs)]
    BatchEngine().run(workspace, jobs)
    wrong = []
    for (ref, n), job in zip(jobs_refs, jobs):
        actual = dict(collections.Counter(r["alert"]["signature_id"] for r in alerts(read_eve(job.outdir))))
        if actual != ref.expected(ruleset):
            wrong.append(f"{job.key}: expected {ref.expected(ruleset)}, got {actual}")
    assert len(jobs) >= len(refs) + 20 * THRESHOLD_REPEATS
    assert wrong == []


def test_cli_replays_cases_with_the_operators_config(configured, ruleset, tmp_path):
    ok = _cli("test", "iot-vlan-unauthorized-access", "modbus-write-non-engineering", "--config", str(configured))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "0 failed" in ok.stdout + ok.stderr
    # Unconfigured: every rule Suricata rejects is named against its YAML file, nothing is replayed.
    stock = _cli("test", "modbus-write-non-engineering", "--config", str(STOCK))
    rejected = len(_suricata_rejects(STOCK, ruleset, tmp_path))
    assert stock.returncode == 2 and f"{rejected} problem(s)" in stock.stderr, stock.stderr[-800:]
    assert 'Variable "IOT_NET" is not defined' in stock.stderr
