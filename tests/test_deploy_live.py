"""Live deploys: run only when credentials for a real Splunk / Sentinel are in the environment."""
import os

import pytest

from harness.deploy.deploy import DeployOptions, deploy
from tests.packaging_project import load, make_release_project


@pytest.mark.skipif(not (os.environ.get("SPLUNK_URL") and os.environ.get("SPLUNK_TOKEN")),
                    reason="SPLUNK_URL and SPLUNK_TOKEN are not set")
def test_splunk_deploy_then_nothing_left_to_do(tmp_path):
    ruleset = load(make_release_project(tmp_path / "project"))
    insecure = os.environ.get("SPLUNK_INSECURE") == "1"
    http = os.environ.get("SPLUNK_INSECURE_HTTP") == "1"
    deploy("splunk", ruleset, os.environ, DeployOptions(dry_run=False, insecure=insecure, insecure_http=http),
           echo=lambda _: None)
    again = deploy("splunk", ruleset, os.environ, DeployOptions(dry_run=True, insecure=insecure, insecure_http=http),
                   echo=lambda _: None)
    assert {s.action for s in again} == {"unchanged"}


@pytest.mark.skipif(not all(os.environ.get(k) for k in ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP",
                                                        "SENTINEL_WORKSPACE")),
                    reason="AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and SENTINEL_WORKSPACE are not set")
def test_sentinel_deploy_then_nothing_left_to_do(tmp_path):
    ruleset = load(make_release_project(tmp_path / "project"))
    deploy("sentinel", ruleset, os.environ, DeployOptions(dry_run=False), echo=lambda _: None)
    again = deploy("sentinel", ruleset, os.environ, DeployOptions(dry_run=True), echo=lambda _: None)
    assert {s.action for s in again} == {"unchanged"}
