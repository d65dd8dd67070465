"""`iotdetect sensor check CONFIG`: what in a sensor's suricata.yaml stops a rule of the pack from
loading or from behaving as its test cases prove, rule by rule."""
from __future__ import annotations

import re
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from harness.sensor.conf import View, load_view, lookup, truthy
from harness.sensor.needs import OFF_BY_DEFAULT, PackNeeds, referenced
from harness.sensor.ports import GROUP_OF, compact, detection_ports, ports_of, var_groups

Level = Literal["error", "note"]


@dataclass(frozen=True)
class Finding:
    level: Level               # error: the rule does not load or does not work; note: worth knowing
    kind: str                  # address-var | parser | eve-type | setting | suricata
    subject: str               # IOT_NET, modbus, eve-log type dnp3, runmode ...
    message: str
    rules: tuple[str, ...] = ()

    def __str__(self) -> str:
        affected = f" [{len(self.rules)} rule(s): {', '.join(self.rules)}]" if self.rules else ""
        return f"{self.level}: {self.kind} {self.subject}: {self.message}{affected}"


@dataclass
class Report:
    config: Path
    files: list[Path]
    findings: list[Finding] = field(default_factory=list)
    rules_total: int = 0
    suricata: str | None = None          # what `suricata -T` said, when it ran

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    def affected(self) -> dict[str, list[Finding]]:
        """rule id -> its error findings."""
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            if finding.level == "error":
                for rule in finding.rules:
                    by_rule[rule].append(finding)
        return dict(by_rule)


def _users(needs: PackNeeds, kind: str) -> list[tuple[str, tuple[str, ...]]]:
    """(variable, the rules naming it) for the rules' address_vars or port_vars, by name."""
    users: dict[str, list[str]] = defaultdict(list)
    for rule in needs.rules:
        for name in getattr(rule, kind):
            users[name].append(rule.rule_id)
    return [(name, tuple(users[name])) for name in sorted(users)]


def check_vars(view: View, needs: PackNeeds) -> list[Finding]:
    defined = var_groups(view, "address-groups")
    findings = []
    for name, rules in _users(needs, "address_vars"):
        if name not in defined:
            findings.append(Finding("error", "address-var", name, "not defined in vars.address-groups; Suricata"
                                    " rejects the rules using it (suricata-update comments them out)", rules))
            continue
        missing = _undefined_refs(name, defined)
        if missing:
            findings.append(Finding("error", "address-var", name, f"refers to undefined ${', $'.join(missing)}", rules))
        ours = needs.group_value(name)
        if ours is not None and compact(defined[name]).strip("[]") != compact(ours).strip("[]"):
            findings.append(Finding("note", "address-var", name, f"is {defined[name]!r} here but {ours!r} in"
                                    " rules/networks.yaml, which the SIEM searches and the test cases use", rules))
    return findings


def check_port_vars(view: View, needs: PackNeeds) -> list[Finding]:
    defined = var_groups(view, "port-groups")
    findings = []
    for name, rules in _users(needs, "port_vars"):
        if name not in defined:
            findings.append(Finding("error", "port-var", name, "not defined in vars.port-groups; Suricata rejects"
                                    " the rules using it (suricata-update comments them out)", rules))
            continue
        bound = GROUP_OF.get(name)
        if bound is None:
            continue
        held, detected = ports_of(defined[name], defined), detection_ports(view, bound.protocol)
        if held is None or detected is None:
            findings.append(Finding("note", "port-var", name, f"cannot tell whether {defined[name]!r} holds every"
                                    f" port app-layer.protocols.{bound.protocol}.detection-ports detects on", rules))
        elif detected - held:
            findings.append(Finding("error", "port-var", name, f"leaves out port(s) {_listed(detected - held)}, where"
                                    f" app-layer.protocols.{bound.protocol}.detection-ports has Suricata parse"
                                    f" {bound.protocol}: the rules never look at those flows", rules))
    return findings


def _listed(ports: frozenset[int]) -> str:
    return ", ".join(map(str, sorted(ports)))


def _undefined_refs(name: str, defined: dict[str, str]) -> list[str]:
    seen, stack, missing = {name}, [name], []
    while stack:
        for ref in referenced(defined.get(stack.pop(), "")):
            if ref not in defined:
                missing.append(ref)
            elif ref not in seen:
                seen.add(ref)
                stack.append(ref)
    return sorted(set(missing))


def parser_state(view: View, protocol: str) -> str:
    """yes | no | detection-only, as Suricata reads app-layer.protocols.<protocol>."""
    node = lookup(view.tree, "app-layer", "protocols", protocol)
    value = node.get("enabled") if isinstance(node, dict) else None
    if value is None and protocol == "dns" and isinstance(node, dict):
        value = lookup(node, "udp", "enabled")
    if value is None:
        return "no" if protocol in OFF_BY_DEFAULT else "yes"
    if value.strip().lower() == "detection-only":
        return "detection-only"
    return "yes" if truthy(value) else "no"


def check_parsers(view: View, needs: PackNeeds) -> list[Finding]:
    users: dict[str, list[str]] = defaultdict(list)
    for rule in needs.rules:
        if rule.parser:
            users[rule.parser].append(rule.rule_id)
    findings = []
    for protocol in sorted(users):
        state = parser_state(view, protocol)
        if state != "yes":
            findings.append(Finding("error", "parser", protocol, f"app-layer.protocols.{protocol}.enabled is {state};"
                                    " the rules need the parser (their keywords and app_proto)", tuple(users[protocol])))
    return findings


def eve_outputs(view: View) -> list[dict]:
    outputs = view.tree.get("outputs")
    found = []
    for item in outputs if isinstance(outputs, list) else []:
        if isinstance(item, dict) and isinstance(item.get("eve-log"), dict) and truthy(item["eve-log"].get("enabled")):
            found.append(item["eve-log"])
    return found


def logged_types(eve: dict) -> set[str]:
    types = set()
    for item in eve.get("types") or []:
        if isinstance(item, str):
            types.add(item)
        elif isinstance(item, dict):
            for name, settings in item.items():
                if not isinstance(settings, dict) or settings.get("enabled") is None or truthy(settings["enabled"]):
                    types.add(name)
    return types


def check_eve(view: View, needs: PackNeeds) -> list[Finding]:
    outputs = eve_outputs(view)
    logged = set().union(*(logged_types(e) for e in outputs)) if outputs else set()
    users: dict[str, list[str]] = defaultdict(list)
    for rule in needs.rules:
        for event_type in rule.eve_types:
            users[event_type].append(rule.rule_id)
    findings = []
    if not outputs:
        return [Finding("error", "eve-type", "eve-log", "no enabled eve-log output: the SIEM searches see nothing",
                        tuple(r.rule_id for r in needs.rules))]
    for event_type in sorted(users):
        if event_type not in logged:
            what = "alert searches" if event_type == "alert" else "hunt searches"
            findings.append(Finding("error", "eve-type", event_type, f"no eve-log output logs event_type={event_type};"
                                    f" the rules' SIEM {what} read it", tuple(users[event_type])))
    return findings


def check_settings(view: View, needs: PackNeeds) -> list[Finding]:
    findings = []
    thresholded = tuple(r.rule_id for r in needs.rules if r.threshold)
    runmode = view.tree.get("runmode")
    if thresholded and (runmode or "autofp") != "single":
        findings.append(Finding(
            "note", "setting", "runmode",
            f"{runmode or 'unset (autofp for pcap files, workers for af-packet)'}: flows are spread over threads, and"
            " Suricata 7 counts an event older than a threshold window's first event into that window; the"
            " threshold cases are built so that no order across flows changes their verdict (proven on autofp)",
            thresholded))
    findings += _threshold_file(view, needs)
    return findings


_FILTER = re.compile(r"^\s*(suppress|threshold|event_filter|rate_filter)\b.*?\bsig_id\s+(\d+)", re.I)


def _threshold_file(view: View, needs: PackNeeds) -> list[Finding]:
    name = view.tree.get("threshold-file")
    if not name:
        return []
    path = Path(name) if Path(name).is_absolute() else view.files[0].parent / name
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return [Finding("note", "setting", "threshold-file", f"{path} cannot be read; not checked")]
    by_sid = {r.sid: r.rule_id for r in needs.rules}
    findings = []
    for number, line in enumerate(lines, 1):
        match = _FILTER.match(line)
        if match and (int(match.group(2)) in by_sid or match.group(2) == "0"):
            sid = int(match.group(2))
            rules = tuple(by_sid.values()) if sid == 0 else (by_sid[sid],)
            findings.append(Finding("error", "setting", f"{path}:{number}",
                                    f"`{match.group(1)}` changes when the rule alerts from what its cases prove", rules))
    return findings


_FAILED_SIGNATURE = re.compile(r'error parsing signature ".*" from file \S+ at line (\d+)')


def suricata_load(config: Path, rules_text: str, line_to_rule: dict[int, str], binary: str) -> tuple[str, list[str]]:
    """`suricata -T` of the pack with this config (no --init-errors-fatal, so every failing rule is named)."""
    with tempfile.TemporaryDirectory(prefix="iotdetect-sensor-") as tmp:
        rules = Path(tmp) / "iotdetect.rules"
        rules.write_text(rules_text, encoding="utf-8")
        result = subprocess.run([binary, "-T", "-v", "-c", str(config), "-S", str(rules), "-l", tmp],
                                capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    failed = [line_to_rule[int(m.group(1))] for m in _FAILED_SIGNATURE.finditer(output) if int(m.group(1)) in line_to_rule]
    loaded = re.search(r"(\d+) rules successfully loaded, (\d+) rules failed", output)
    summary = f"suricata -T: rc={result.returncode}" + (f", {loaded.group(1)} rules loaded, {loaded.group(2)} failed"
                                                          if loaded else "")
    if result.returncode != 0 and not failed:
        errors = [line for line in output.splitlines() if line.startswith(("E: ", "Error: "))]
        summary += "; " + ("; ".join(errors[-3:]) or output.strip()[-300:])
        failed = list(line_to_rule.values())    # nothing loaded: every rule is affected
    return summary, failed


def check(config: Path, needs: PackNeeds, suricata: tuple[str, str, dict[int, str]] | None = None) -> Report:
    """suricata: (binary, compiled rules text, line -> rule id) to also load the pack with the config."""
    view = load_view(config)
    report = Report(config, view.files, rules_total=len(needs.rules))
    for part in (check_vars, check_port_vars, check_parsers, check_eve, check_settings):
        report.findings += part(view, needs)
    if suricata:
        binary, text, lines = suricata
        report.suricata, failed = suricata_load(config, text, lines, binary)
        explained = set(report.affected())
        unexplained = tuple(r for r in dict.fromkeys(failed) if r not in explained)
        if unexplained:
            report.findings.append(Finding("error", "suricata", "load", "Suricata rejects these rules with this config"
                                           " (see `suricata -T -c CONFIG -S iotdetect.rules`)", unexplained))
    return report


def render(report: Report, needs: PackNeeds) -> str:
    lines = [f"config: {report.config}" + (f" (+ {len(report.files) - 1} included file(s))" if len(report.files) > 1 else "")]
    affected = report.affected()
    for rule in needs.rules:
        if rule.rule_id in affected:
            reasons = "; ".join(f"{f.kind} {f.subject}" for f in affected[rule.rule_id])
            lines.append(f"  {rule.rule_id} ({rule.sid}): {reasons}")
    for finding in report.findings:
        lines.append(str(finding))
    if report.suricata:
        lines.append(report.suricata)
    verdict = "ok" if report.ok else "FAILED"
    lines.append(f"{verdict}: {len(affected)} of {report.rules_total} rules affected"
                 + ("" if report.ok else "; run `iotdetect sensor configure CONFIG` for the fix"))
    return "\n".join(lines)
