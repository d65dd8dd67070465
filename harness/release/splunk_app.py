"""The Splunk app `iotdetect_app`: saved searches (ES correlation searches), macros, metadata."""
from __future__ import annotations

from harness.rules.model import Rule
from harness.formats import conf
from harness.formats.archive import tar_gz
from harness.version import version_key
from harness.rules.types import duration_seconds

APP = "iotdetect_app"
# Splunk's alert.severity scale: 1 debug, 2 info, 3 low, 4 medium, 5 high, 6 critical.
ALERT_SEVERITY = {"low": "3", "medium": "4", "high": "5", "critical": "6"}
RISK_SCORE = {"low": 25, "medium": 50, "high": 75, "critical": 100}


def cron(schedule: str) -> str:
    """A cron line running every `schedule`; durations that do not divide the hour/day are rounded down."""
    seconds = max(duration_seconds(schedule), 60)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days >= 1:
        return f"0 0 */{days} * *" if days > 1 else "0 0 * * *"
    if hours >= 1:
        return f"0 */{hours} * * *" if hours > 1 else "0 * * * *"
    return f"*/{minutes} * * * *" if minutes > 1 else "* * * * *"


def search_names(rule: Rule) -> tuple[str, str]:
    """(alert, hunt) saved-search names; ES lists correlation searches as '<domain> - <name> - Rule'."""
    return f"IoTDetect - {rule.id} - Rule", f"IoTDetect - {rule.id} - Hunt"


def _common(rule: Rule) -> list[tuple[str, str]]:
    return [("description", conf.one_line(rule.description)),
            ("dispatch.earliest_time", f"-{rule.siem.lookback}"), ("dispatch.latest_time", "now")]


def alert_stanza(rule: Rule, search: str) -> conf.Stanza:
    suppress = rule.siem.suppress
    title = f"IoTDetect - {rule.title}"
    pairs = [("search", conf.search(search)), *_common(rule),
             ("cron_schedule", cron(rule.siem.schedule)), ("enableSched", "1"),
             # Shipped disabled, as Splunk's own ES content is: the operator enables what fits (README).
             ("disabled", "1"),
             ("schedule_window", "auto"),
             ("counttype", "number of events"), ("relation", "greater than"), ("quantity", "0"),
             ("alert.track", "1"), ("alert.severity", ALERT_SEVERITY[rule.severity]), ("alert.digest_mode", "0"),
             ("alert.suppress", "1"), ("alert.suppress.fields", ",".join(suppress.by)),
             ("alert.suppress.period", suppress.for_),
             ("action.correlationsearch.enabled", "1"), ("action.correlationsearch.label", title),
             ("action.correlationsearch.annotations", conf.compact_json({"mitre_attack": list(rule.attack)})),
             ("action.notable", "1"),
             ("action.notable.param.rule_title", title),
             ("action.notable.param.rule_description", conf.one_line(rule.description)),
             ("action.notable.param.security_domain", "network"),
             ("action.notable.param.severity", rule.severity),
             ("action.notable.param.recommended_actions", ""),
             ("action.notable.param.next_steps", conf.compact_json({"version": 1, "data": conf.one_line(rule.response)})),
             ("action.risk", "1"),
             ("action.risk.param._risk", conf.compact_json([{"risk_object_field": "src_ip", "risk_object_type": "system",
                                                            "risk_score": RISK_SCORE[rule.severity]}])),
             ("action.risk.param._risk_message", f"{rule.title} from $src_ip$ to $dest_ip$"),
             ("action.risk.param.verbose", "0")]
    return search_names(rule)[0], pairs


def hunt_stanza(rule: Rule, search: str) -> conf.Stanza:
    # Hunts run on demand over raw EVE protocol events; the scheduled Rule stanza is what alerts.
    return search_names(rule)[1], [("search", conf.search(search)), *_common(rule), ("enableSched", "0"), ("disabled", "0")]


def app_files(rules: list[Rule], queries: dict, macros: dict[str, tuple[str, tuple[str, ...]]],
              release: str, env) -> dict[str, bytes]:
    """Archive path -> bytes for the whole app. queries: rule id -> SiemQueries(alert, hunt, hunt_unavailable)."""
    searches: list[conf.Stanza] = []
    for rule in sorted(rules, key=lambda r: r.sid):
        searches.append(alert_stanza(rule, queries[rule.id].alert))
        if queries[rule.id].hunt:
            searches.append(hunt_stanza(rule, queries[rule.id].hunt))
    macro_stanzas = [(f"{name}({len(args)})" if args else name,
                      [("definition", definition)] + ([("args", ",".join(args))] if args else []) + [("iseval", "0")])
                     for name, (definition, args) in sorted(macros.items())]
    build = "".join(f"{n:03d}" for n in (version_key(release) + (0, 0, 0))[:3]).lstrip("0") or "0"
    hunts_missing = [(r.id, queries[r.id].hunt_unavailable) for r in sorted(rules, key=lambda r: r.sid)
                     if not queries[r.id].hunt]
    rendered = {
        "default/app.conf": env.get_template("splunk_app.conf.j2").render(app=APP, release=release, build=build),
        "default/savedsearches.conf": conf.render(searches),
        "default/macros.conf": conf.render(macro_stanzas),
        "metadata/default.meta": env.get_template("splunk_default.meta.j2").render(),
        "README.txt": env.get_template("splunk_readme.txt.j2").render(
            app=APP, release=release, rules=sorted(rules, key=lambda r: r.sid), hunts_missing=hunts_missing,
            macros=sorted(macros), eve_types=_hunt_event_types(rules, queries)),
    }
    return {f"{APP}/{path}": text.encode("utf-8") for path, text in rendered.items()}


def _hunt_event_types(rules: list[Rule], queries: dict) -> list[str]:
    from harness.backends.logic import hunt_plan
    return sorted({plan.event_type for rule in rules if queries[rule.id].hunt
                   for plan, _ in [hunt_plan(rule)] if plan is not None})


def package(files: dict[str, bytes], license_text: bytes, mtime: int) -> bytes:
    return tar_gz({**files, f"{APP}/LICENSE": license_text}, mtime)
