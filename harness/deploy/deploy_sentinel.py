"""`iotdetect deploy sentinel`: create or update the analytics rules with azure-mgmt-securityinsight.

Authentication is azure-identity's DefaultAzureCredential (environment, managed identity, Azure CLI
login, ...): this module never sees a secret, and prints only rule names and actions.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from harness.rules.errors import EnvironmentFailure
from harness.rules.model import Rule
from harness.deploy import plan
from harness.formats import sentinel
from harness.release.siem_outputs import SiemOutputs

KIND = "analytics rule"
# The properties we set and therefore compare; the service adds lastModifiedUtc, etag and defaults.
COMPARED = ("displayName", "description", "severity", "enabled", "query", "queryFrequency", "queryPeriod",
            "triggerOperator", "triggerThreshold", "tactics", "entityMappings", "customDetails",
            "suppressionEnabled", "suppressionDuration")


@dataclass(frozen=True)
class SentinelTarget:
    subscription_id: str
    resource_group: str
    workspace: str

    @classmethod
    def from_env(cls, environ, subscription=None, resource_group=None, workspace=None) -> "SentinelTarget":
        values = {"AZURE_SUBSCRIPTION_ID": subscription or environ.get("AZURE_SUBSCRIPTION_ID", ""),
                  "AZURE_RESOURCE_GROUP": resource_group or environ.get("AZURE_RESOURCE_GROUP", ""),
                  "SENTINEL_WORKSPACE": workspace or environ.get("SENTINEL_WORKSPACE", "")}
        missing = [k for k, v in values.items() if not v]
        if missing:
            raise EnvironmentFailure(f"set {', '.join(missing)} (or the matching --subscription/--resource-group/--workspace)")
        return cls(*values.values())


def desired_models(rules: list[Rule], siem: SiemOutputs) -> dict[str, object]:
    """Analytics-rule id (deterministic UUID) -> ScheduledAlertRule model."""
    tactics = sentinel.load_tactics()
    models = {}
    for rule in sorted(rules, key=lambda r: r.sid):
        doc = sentinel.detection(rule, siem.kql[rule.id].alert, tactics)
        models[doc["id"]] = sentinel.sdk_rule(doc, rule)
    return models


def settings_of(serialized: dict) -> dict:
    properties = serialized.get("properties", {})
    return {k: properties.get(k) for k in COMPARED}


def make_plan(want: dict[str, object], existing: dict[str, dict]) -> list[plan.Step]:
    """existing: rule id -> serialized rule (`model.serialize()` shape), as listed from the workspace."""
    desired = {rule_id: settings_of(model.serialize()) for rule_id, model in want.items()}
    return plan.diff(KIND, desired, {rule_id: settings_of(body) for rule_id, body in existing.items()})


@contextmanager
def talking_to(target: SentinelTarget, doing: str):
    """Azure SDK and identity errors as one line naming the workspace, the error kind and the HTTP
    status: azure-identity's own message lists every credential it tried over many lines."""
    try:
        yield
    except EnvironmentFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - azure-core, azure-identity and network errors vary
        from azure.core.exceptions import ClientAuthenticationError
        status = getattr(exc, "status_code", None)
        if isinstance(exc, ClientAuthenticationError):
            detail = ("Azure authentication failed (az login, a managed identity, or AZURE_TENANT_ID/"
                      "AZURE_CLIENT_ID/AZURE_CLIENT_SECRET)")
        else:
            detail = type(exc).__name__
        raise EnvironmentFailure(f"Sentinel workspace {target.workspace} ({target.resource_group}): {doing} failed:"
                                 f" {detail}" + (f" (HTTP {status})" if status else "")) from None


def client(target: SentinelTarget):
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.securityinsight import SecurityInsights
    # The SDK defaults to its own 2021-10-01; the rules carry 2024-09-01 fields (ICS tactics, techniques).
    return SecurityInsights(DefaultAzureCredential(), target.subscription_id, api_version=sentinel.API_VERSION)


def fetch_existing(api, target: SentinelTarget, want: dict[str, object]) -> dict[str, dict]:
    found = {}
    for rule in api.alert_rules.list(target.resource_group, target.workspace):
        if rule.name in want:
            found[rule.name] = rule.serialize()
    return found


def apply(api, target: SentinelTarget, want: dict[str, object], steps: list[plan.Step]) -> None:
    for step in steps:
        if step.action != "unchanged":
            api.alert_rules.create_or_update(target.resource_group, target.workspace, step.name, want[step.name])
