"""Deploy plans (create/update/unchanged) from what exists vs what we would deploy; secrets stay out."""
import json
import os
import subprocess
import sys

import pytest

from harness.rules.errors import EnvironmentFailure
from harness.deploy import deploy_sentinel, deploy_splunk
from harness.release.siem_outputs import compile_siem
from tests.packaging_project import load, make_release_project

TOKEN = "s3cr3t-splunk-token-do-not-print"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_release_project(tmp_path_factory.mktemp("deploy") / "project")


@pytest.fixture(scope="module")
def release(project):
    ruleset = load(project)
    rules = list(ruleset.rules)
    return rules, compile_siem(ruleset, rules)


def test_splunk_plan_creates_everything_on_an_empty_server(release):
    want = deploy_splunk.desired(*release)
    steps = deploy_splunk.make_plan(want, {})
    assert {s.action for s in steps} == {"create"}
    assert ("app", "iotdetect_app") in {(s.kind, s.name) for s in steps}
    assert ("saved search", "IoTDetect - iot-vlan-unauthorized-access - Rule") in {(s.kind, s.name) for s in steps}
    assert ("macro", "iotdetect_net_IOT_NET(1)") in {(s.kind, s.name) for s in steps}


def test_splunk_plan_spots_updates_and_ignores_server_defaults(release):
    want = deploy_splunk.desired(*release)
    existing = json.loads(json.dumps(want))
    rule = "IoTDetect - iot-vlan-unauthorized-access - Rule"
    existing["saved search"][rule]["cron_schedule"] = "*/15 * * * *"
    existing["saved search"][rule]["max_concurrent"] = "1"           # a server default we never set
    del existing["macro"]["iotdetect_net_MGMT_NET(1)"]
    steps = {(s.kind, s.name): s for s in deploy_splunk.make_plan(want, existing)}
    assert steps[("saved search", rule)].action == "update"
    assert steps[("saved search", rule)].changed == ("cron_schedule",)
    assert steps[("macro", "iotdetect_net_MGMT_NET(1)")].action == "create"
    assert steps[("macro", "iotdetect_eve")].action == "unchanged"
    assert steps[("app", "iotdetect_app")].action == "unchanged"


def test_sentinel_plan(release):
    want = deploy_sentinel.desired_models(*release)
    assert {s.action for s in deploy_sentinel.make_plan(want, {})} == {"create"}
    existing = {rule_id: model.serialize() for rule_id, model in want.items()}
    assert {s.action for s in deploy_sentinel.make_plan(want, existing)} == {"unchanged"}
    first = sorted(existing)[0]
    existing[first]["properties"]["query"] = "Suricata_CL | take 1"
    existing[first]["properties"]["lastModifiedUtc"] = "2026-01-01T00:00:00Z"   # server-side, not compared
    steps = {s.name: s for s in deploy_sentinel.make_plan(want, existing)}
    assert steps[first].action == "update" and steps[first].changed == ("query",)


def _cli(project, *args, env_extra):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "harness.cli", "--root", str(project.root), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_dry_run_prints_the_plan_and_never_the_token(project, release, tmp_path):
    existing = tmp_path / "existing.json"
    existing.write_text(json.dumps({"app": {"iotdetect_app": {}}}))
    run = _cli(project, "deploy", "splunk", "--dry-run", "--existing", str(existing),
               env_extra={"SPLUNK_URL": "https://127.0.0.1:1", "SPLUNK_TOKEN": TOKEN})
    assert run.returncode == 0, run.stderr
    assert "create    saved search: IoTDetect - iot-vlan-unauthorized-access - Rule" in run.stdout
    assert "unchanged app: iotdetect_app" in run.stdout
    assert "(dry run, nothing changed)" in run.stdout
    assert TOKEN not in run.stdout + run.stderr


def test_connection_errors_do_not_leak_the_token(project):
    run = _cli(project, "deploy", "splunk", "--dry-run",
               env_extra={"SPLUNK_URL": "https://127.0.0.1:1", "SPLUNK_TOKEN": TOKEN})
    assert run.returncode != 0
    assert "127.0.0.1" in run.stderr
    assert TOKEN not in run.stdout + run.stderr


def test_target_repr_hides_the_token():
    target = deploy_splunk.SplunkTarget.from_env({"SPLUNK_URL": "https://splunk:8089", "SPLUNK_TOKEN": TOKEN})
    assert TOKEN not in repr(target) and target.verify_tls
    assert not deploy_splunk.SplunkTarget.from_env({"SPLUNK_URL": "https://s:8089"}, insecure=True).verify_tls


def test_sentinel_target_needs_its_settings():
    with pytest.raises(EnvironmentFailure, match="AZURE_SUBSCRIPTION_ID"):
        deploy_sentinel.SentinelTarget.from_env({})


def test_http_splunk_url_is_refused_unless_asked_for(project):
    run = _cli(project, "deploy", "splunk", "--dry-run", env_extra={"SPLUNK_URL": "http://127.0.0.1:1", "SPLUNK_TOKEN": TOKEN})
    assert run.returncode == 3 and "cleartext" in run.stderr and "--insecure-http" in run.stderr
    assert "Traceback" not in run.stderr and TOKEN not in run.stdout + run.stderr
    # Asked for: it goes on to connect (to a closed loopback port) and fails there, in one line.
    run = _cli(project, "deploy", "splunk", "--dry-run", "--insecure-http",
               env_extra={"SPLUNK_URL": "http://127.0.0.1:1", "SPLUNK_TOKEN": TOKEN})
    assert run.returncode == 3 and "Splunk at http://127.0.0.1:1: reading saved searches and macros failed: ConnectionRefusedError" in run.stderr
    assert "Traceback" not in run.stderr and TOKEN not in run.stdout + run.stderr
    with pytest.raises(EnvironmentFailure, match="must look like"):
        deploy_splunk.SplunkTarget.from_env({"SPLUNK_URL": "ftp://splunk:8089"})


def test_azure_authentication_failure_is_one_line_exit_3(project, monkeypatch, capsys):
    """The SDK cannot reach Azure here: a client whose first call fails as azure-identity's does."""
    from azure.core.exceptions import ClientAuthenticationError
    from harness.cli import main

    class Rules:
        def list(self, *_):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token.\n"
                                            "Attempted credentials:\n\tEnvironmentCredential: ...\n\t...")

    class Api:
        alert_rules = Rules()
    monkeypatch.setattr(deploy_sentinel, "client", lambda target: Api())
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000000")
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", "rg")
    monkeypatch.setenv("SENTINEL_WORKSPACE", "ws")
    assert main(["--root", str(project.root), "deploy", "sentinel", "--dry-run"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Azure authentication failed" in err and "Sentinel workspace ws (rg)" in err
