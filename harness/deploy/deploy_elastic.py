"""`iotdetect deploy elastic`: create or update the Kibana detection rules through the detection
engine API (`/api/detection_engine/rules`), the same objects the NDJSON pack holds.

Environment: KIBANA_URL (https://kibana.example:5601), KIBANA_API_KEY (the encoded key Kibana shows,
sent as `Authorization: ApiKey ...`), optional KIBANA_SPACE. TLS is verified unless --insecure. The key
is only put in the request header: it is never printed, and errors name the server and the HTTP
status, not the request.
"""
from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from harness.rules.attack import load_catalog
from harness.rules.errors import EnvironmentFailure
from harness.rules.model import Rule
from harness.release import elastic_rules
from harness.deploy import plan
from harness.release.siem_outputs import SiemOutputs

KIND = "detection rule"
TAG = "iotdetect"
PAGE = 100


@dataclass(frozen=True)
class KibanaTarget:
    url: str
    api_key: str = ""
    space: str = ""
    verify_tls: bool = True

    def __repr__(self) -> str:
        return f"KibanaTarget(url={self.url!r}, space={self.space!r}, verify_tls={self.verify_tls})"

    @classmethod
    def from_env(cls, environ, insecure: bool = False) -> "KibanaTarget":
        url, key = environ.get("KIBANA_URL", ""), environ.get("KIBANA_API_KEY", "")
        if not url or not key:
            raise EnvironmentFailure("set KIBANA_URL (e.g. https://kibana.example:5601) and KIBANA_API_KEY")
        if urllib.parse.urlparse(url).scheme != "https" and not insecure:
            raise EnvironmentFailure("KIBANA_URL must be https:// (or pass --insecure)")
        return cls(url.rstrip("/"), key, environ.get("KIBANA_SPACE", ""), verify_tls=not insecure)

    def endpoint(self, path: str) -> str:
        space = f"/s/{urllib.parse.quote(self.space)}" if self.space else ""
        return f"{self.url}{space}/api/detection_engine/rules{path}"


def desired(rules: list[Rule], siem: SiemOutputs) -> dict[str, dict]:
    """rule_id -> Kibana rule object."""
    return {doc["rule_id"]: doc for doc in elastic_rules.kibana_rules(rules, siem.eql, load_catalog())}


def make_plan(want: dict[str, dict], existing: dict[str, dict]) -> list[plan.Step]:
    """existing: rule_id -> rule object as Kibana returns it (server fields are not compared)."""
    named = {doc["name"] + f" [{rule_id}]": doc for rule_id, doc in want.items()}
    have = {doc["name"] + f" [{rule_id}]": existing[rule_id] for rule_id, doc in want.items() if rule_id in existing}
    return plan.diff(KIND, named, have)


class Kibana:
    """The few detection-engine calls deploy needs, over urllib (TLS verified by default)."""

    def __init__(self, target: KibanaTarget):
        self.target = target
        self.context = ssl.create_default_context()
        if not target.verify_tls:
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE

    def call(self, method: str, path: str, body: dict | None = None, doing: str = "") -> dict:
        request = urllib.request.Request(self.target.endpoint(path), method=method,
                                         data=None if body is None else json.dumps(body).encode("utf-8"),
                                         headers={"Authorization": f"ApiKey {self.target.api_key}",
                                                  "kbn-xsrf": "iotdetect", "Content-Type": "application/json"})
        parsed = urllib.parse.urlparse(self.target.url)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            detail = type(getattr(exc, "reason", exc)).__name__
        raise EnvironmentFailure(f"Kibana at {parsed.scheme}://{parsed.hostname}:{parsed.port or 443}: {doing} failed:"
                           f" {detail}") from None

    def existing(self, want: dict[str, dict]) -> dict[str, dict]:
        found, page = {}, 1
        while True:
            query = urllib.parse.urlencode({"page": page, "per_page": PAGE,
                                            "filter": f'alert.attributes.tags:"{TAG}"'})
            answer = self.call("GET", f"/_find?{query}", doing="listing rules")
            for doc in answer.get("data", []):
                if doc.get("rule_id") in want:
                    found[doc["rule_id"]] = doc
            if page * PAGE >= answer.get("total", 0):
                return found
            page += 1

    def apply(self, want: dict[str, dict], steps: list[plan.Step]) -> None:
        by_name = {doc["name"] + f" [{rule_id}]": doc for rule_id, doc in want.items()}
        for step in steps:
            if step.action == "create":
                self.call("POST", "", by_name[step.name], doing=f"creating {step.name}")
            elif step.action == "update":
                self.call("PUT", "", by_name[step.name], doing=f"updating {step.name}")
