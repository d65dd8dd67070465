"""`iotdetect deploy splunk`: create or update the app's saved searches and macros over splunk-sdk.

Credentials come from the environment (SPLUNK_URL, SPLUNK_TOKEN) and are only ever handed to the SDK:
they are not printed, logged or written, and errors are reported without the request details.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

from harness.rules.errors import EnvironmentFailure
from harness.rules.model import Rule
from harness.deploy import plan
from harness.release import splunk_app
from harness.release.siem_outputs import SiemOutputs


@dataclass(frozen=True)
class SplunkTarget:
    url: str                 # https://splunk.example:8089
    token: str = ""          # never printed; repr hides it
    verify_tls: bool = True
    app: str = splunk_app.APP

    def __repr__(self) -> str:
        return f"SplunkTarget(url={self.url!r}, app={self.app!r}, verify_tls={self.verify_tls})"

    @classmethod
    def from_env(cls, environ, insecure: bool = False, insecure_http: bool = False) -> "SplunkTarget":
        url = environ.get("SPLUNK_URL", "")
        if not url:
            raise EnvironmentFailure("SPLUNK_URL is not set (e.g. https://splunk.example:8089)")
        parsed = urlparse(url)
        if parsed.scheme not in ("https", "http") or not parsed.hostname:
            raise EnvironmentFailure("SPLUNK_URL must look like https://splunk.example:8089")
        if parsed.scheme == "http" and not insecure_http:
            # The bearer token would cross the network in cleartext.
            raise EnvironmentFailure("SPLUNK_URL is http://: the token would be sent in cleartext; use https://,"
                                     " or pass --insecure-http for a lab server you trust")
        return cls(url=url, token=environ.get("SPLUNK_TOKEN", ""), verify_tls=not insecure)


KINDS = ("app", "saved search", "macro")


def desired(rules: list[Rule], siem: SiemOutputs, app: str = splunk_app.APP) -> dict[str, dict[str, dict]]:
    """kind -> name -> settings: exactly the keys the packaged app holds."""
    searches: dict[str, dict] = {}
    for rule in sorted(rules, key=lambda r: r.sid):
        name, pairs = splunk_app.alert_stanza(rule, siem.spl[rule.id].alert)
        searches[name] = dict(pairs)
        if siem.spl[rule.id].hunt:
            name, pairs = splunk_app.hunt_stanza(rule, siem.spl[rule.id].hunt)
            searches[name] = dict(pairs)
    macros = {(f"{n}({len(args)})" if args else n): {"definition": d, **({"args": ",".join(args)} if args else {})}
              for n, (d, args) in siem.spl_macros.items()}
    return {"app": {app: {}}, "saved search": searches, "macro": macros}


def make_plan(want: dict[str, dict[str, dict]], existing: dict[str, dict[str, dict]]) -> list[plan.Step]:
    """existing: the same shape as `desired`, holding what the server has (fetched, or given in tests).
    A search the operator enabled (or disabled) stays so: `disabled` is only set when creating."""
    searches = dict(want["saved search"])
    for name, settings in existing.get("saved search", {}).items():
        if name in searches and "disabled" in settings and "disabled" in searches[name]:
            searches[name] = {**searches[name], "disabled": settings["disabled"]}
    want = {**want, "saved search": searches}
    return [step for kind in KINDS for step in plan.diff(kind, want[kind], existing.get(kind, {}))]


@contextmanager
def talking_to(target: SplunkTarget, doing: str):
    """Turn SDK and network errors into one line naming the server and the error kind (plus the HTTP
    status): never the request, its headers or a traceback, which is where a token could surface."""
    parsed = urlparse(target.url)
    try:
        yield
    except Exception as exc:   # noqa: BLE001 - SDK/network errors vary; report the kind, not the request
        status = getattr(exc, "status", None)
        detail = f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")
        raise EnvironmentFailure(f"Splunk at {parsed.scheme}://{parsed.hostname}:{parsed.port or 8089}: {doing} failed:"
                           f" {detail}") from None


def connect(target: SplunkTarget):
    import splunklib.client as client
    parsed = urlparse(target.url)
    with talking_to(target, "connecting"):
        return client.connect(host=parsed.hostname, port=parsed.port or 8089, scheme=parsed.scheme or "https",
                              splunkToken=target.token, verify=target.verify_tls, owner="nobody", app=target.app,
                              autologin=False)


def fetch_existing(service, want: dict[str, dict[str, dict]]) -> dict[str, dict[str, dict]]:
    collections = {"app": service.apps, "saved search": service.saved_searches, "macro": service.macros}
    found: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
    for kind, objects in want.items():
        for name, settings in objects.items():
            if name in collections[kind]:
                content = collections[kind][name].content
                found[kind][name] = {k: content.get(k) for k in settings}
    return found


def apply(service, want: dict[str, dict[str, dict]], steps: list[plan.Step]) -> None:
    for step in steps:
        if step.action == "unchanged":
            continue
        settings = dict(want[step.kind][step.name])
        if step.kind == "app":
            service.apps.create(step.name, visible=False, label="IoT Detect")
        elif step.kind == "saved search":
            search = settings.pop("search")
            if step.action == "create":
                service.saved_searches.create(step.name, search, **settings)
            else:
                service.saved_searches[step.name].update(search=search, **settings)
        else:
            definition = settings.pop("definition")
            if step.action == "create":
                service.macros.create(step.name, definition, **settings)
            else:
                service.macros[step.name].update(definition=definition, **settings)
