"""Suricata backend: a rule model becomes one line of Suricata 7 rule text."""
from __future__ import annotations

import re

from harness.backends import suricata_text as esc
from harness.backends.detection_ports import PORT_BOUND, port_groups
from harness.backends.suricata_literal import first_byte_test, required_literal
from harness.backends.flow import default_flow
from harness.backends.settings import SiemSettings
from harness.rules.model import Condition, PayloadMatch, Rule
from harness.rules.networks import Networks
from harness.templating import environment

SIGNATURE_SEVERITY = {"low": "Minor", "medium": "Major", "high": "Major", "critical": "Critical"}
PRIORITY = {"critical": 1, "high": 2, "medium": 3, "low": 4}


def address(items: tuple[str, ...]) -> str:
    # Suricata turns a list of negations alone into the complement within the negated items'
    # address families: `!$MGMT_NET` (IPv4 ranges) then matches no IPv6 address at all (measured on
    # 7.0.10). The model means "anything but these": say so with `any` first.
    if all(item.startswith("!") for item in items):
        items = ("any",) + tuple(items)
    return items[0] if len(items) == 1 else "[" + ",".join(items) + "]"


def _condition_options(cond: Condition, anchor: bool = False) -> list[str]:
    """The condition's options; with `anchor`, also a content the condition implies, as the rule's
    fast pattern (the caller gives it to one condition of a rule that has none)."""
    spec = cond.eve
    op, value = cond.operator, cond.value
    if spec.kind == "int_keyword":
        if op == "exists":
            return []
        sign = {"equals": "", "gt": ">", "lt": "<"}[op]
        options = [f"{spec.keyword}:{sign}{int(value)};"]
        if anchor:
            # dnp3.data is the request's reassembled application layer: byte 0 the application
            # control, byte 1 the function code that dnp3_func compares (the tx's header).
            options += ["dnp3.data;", f'content:"|{int(value):02x}|";', "offset:1;", "depth:1;"]
        return options
    if spec.kind == "modbus_function":
        return [f"modbus: function {int(value)};"]
    if spec.kind == "stream_size":
        sign = {"equals": "=", "gt": ">", "lt": "<"}.get(op)
        return [] if sign is None else [f"stream_size:client,{sign},{int(value)};"]
    if spec.lowercase and isinstance(value, str):
        value = value.lower()
    if spec.lowercase and op == "in":
        value = tuple(v.lower() if isinstance(v, str) else v for v in value)
    options = [f"{spec.keyword};"]
    if op == "exists":
        return options + ["bsize:>0;"]
    if op in ("regex", "in"):
        pattern = _pattern(cond)
        flags = "i" if cond.nocase else ""
        negation = "!" if cond.negate else ""
        if anchor:
            literal, any_case = required_literal(pattern)
            options += [f'content:"{esc.content(literal)}";'] + (["nocase;"] if any_case or cond.nocase else [])
        return options + [f'pcre:{negation}"/{esc.pcre(pattern)}/{flags}";']
    negation = "!" if cond.negate else ""
    options.append(f'content:{negation}"{esc.content(str(value))}";')
    if cond.nocase:
        options.append("nocase;")
    if op in ("equals", "startswith") and not cond.negate:
        options.append("startswith;")
    if op in ("equals", "endswith") and not cond.negate:
        options.append("endswith;")
    if cond.negate and op != "contains":
        # A negated anchored match has no content modifier form: fall back to a negated pcre.
        options = [f"{spec.keyword};", f'pcre:!"/{esc.pcre(_anchored(op, str(value)))}/{"i" if cond.nocase else ""}";']
    return options


def _pattern(cond: Condition) -> str:
    """The pcre of a regex or `in` condition, after the buffer's lower-casing."""
    value = cond.value
    if cond.eve.lowercase:
        value = value.lower() if isinstance(value, str) else tuple(v.lower() if isinstance(v, str) else v for v in value)
    return value if cond.operator == "regex" else "^(?:" + "|".join(re.escape(str(v)) for v in value) + ")$"


def _anchor_length(cond: Condition) -> int:
    """How long a fast pattern the condition implies (0: none). A sticky-buffer pcre implies the
    literal every match contains (suricata_literal); a DNP3 function code its byte in dnp3.data."""
    if cond.negate:
        return 0
    if cond.eve.kind == "sticky" and cond.operator in ("regex", "in"):
        found = required_literal(_pattern(cond))
        return len(found[0]) if found else 0
    if cond.eve.keyword == "dnp3_func" and cond.operator == "equals" and 0 <= int(cond.value) <= 0xFF:
        return 1
    return 0


def _anchored(op: str, value: str) -> str:
    body = re.escape(value)
    return {"equals": f"^{body}$", "startswith": f"^{body}", "endswith": f"{body}$"}[op]


def _payload_options(match: PayloadMatch) -> list[str]:
    options = [f"{match.buffer};"] if match.buffer else []
    negation = "!" if match.negate else ""
    if match.pcre is not None:
        return options + [f'pcre:{negation}"/{esc.pcre(match.pcre)}/{"i" if match.nocase else ""}";']
    options.append(f'content:{negation}"{esc.content(match.content)}";')
    if match.nocase:
        options.append("nocase;")
    for name in ("offset", "depth", "distance", "within"):
        number = getattr(match, name)
        if number is not None:
            options.append(f"{name}:{number};")
    return options


def _first_byte(match: PayloadMatch) -> list[str]:
    """A byte_test of the first byte every match of an anchored payload pcre starts with
    (suricata_literal.first_byte_test), to run before it; [] when there is none."""
    if match.pcre is None or match.negate or match.buffer is not None:
        return []
    found = first_byte_test(esc.pcre(match.pcre), match.nocase)
    if found is None:
        return []
    mask, value = found
    shift = (mask & -mask).bit_length() - 1   # Suricata shifts the masked byte right by the mask's trailing zeros
    return [f"byte_test:1,=,{value >> shift},0,bitmask 0x{mask:02x};"]


def _has_fast_pattern(rule: Rule) -> bool:
    """Whether Suricata can give the rule a fast pattern (a positive content), which would make
    it a pattern-matcher rule: a rule has one prefilter, and that one is better."""
    det = rule.detection
    if any(m.content is not None and not m.negate for m in det.payload):
        return True
    return any(c.eve.kind == "sticky" and not c.negate and c.operator in ("equals", "contains", "startswith", "endswith")
               for c in det.where)


def _metadata(rule: Rule) -> str:
    pairs = [("created_at", rule.created.strftime("%Y_%m_%d")), ("updated_at", rule.updated.strftime("%Y_%m_%d")),
             ("signature_severity", SIGNATURE_SEVERITY[rule.severity]),
             ("attack_target", rule.suricata.attack_target), ("deployment", "Internal"),
             ("iotdetect_id", rule.id), ("iotdetect_status", rule.status)]
    pairs += [("mitre_technique_id", technique) for technique in rule.attack]
    return "metadata:" + ", ".join(f"{k} {v}" for k, v in pairs) + ";"


def rule_options(rule: Rule) -> list[str]:
    det = rule.detection
    options = [f'msg:"{esc.msg("IOTDETECT " + rule.title)}";']
    flow = default_flow(rule)
    if flow:
        options.append("flow:" + ",".join(flow) + ";")
    fast = _has_fast_pattern(rule)
    # A rule without a fast pattern sits in the non-prefilter list of its port groups, walked for
    # every packet (~3 M instructions a rule on the sensor mix, bench/sensor.py), unless one of its
    # conditions implies a content (below) or a keyword engine takes it (`prefilter`).
    lengths = [] if fast else [_anchor_length(cond) for cond in det.where]
    anchor = lengths.index(max(lengths)) if lengths and max(lengths) > 0 else None
    if det.tcp_flags:
        options.append(f"flags:{det.tcp_flags};")
        if not fast and anchor is None and not set("SFR") & set(det.tcp_flags.split(",")[0]):
            # Flags with SYN, FIN or RST need none: Suricata walks a SYN rule on SYN packets only
            # and skips a FIN/RST rule by the packet's flag mask, both cheaper than a flags engine
            # run on every TCP packet (measured: -43 M). Other flags (`0`, the null scan) have no
            # mask bit: their engine admits the rule only to packets with those flags.
            options.append("prefilter;")
    # A sticky buffer stays selected until another is named. Naming the selected one again makes a
    # second instance of it, which Suricata 7 warns about ("duplicate instance"): name it once.
    current: str | None = None
    for index, cond in enumerate(det.where):
        cond_options = _condition_options(cond, anchor=index == anchor)
        if cond.eve.kind == "stream_size" and cond_options and not det.tcp_flags and not fast and anchor is None:
            cond_options.append("prefilter;")     # only packets past the size
        if cond.eve.kind == "sticky":
            if current == cond.eve.keyword and cond_options and cond_options[0] == f"{cond.eve.keyword};":
                cond_options = cond_options[1:]
            current = cond.eve.keyword
        if "dnp3.data;" in cond_options:
            current = "dnp3.data"
        options += cond_options
    # A payload match without a buffer after a buffer-based condition must go back to the
    # packet/stream data, or it would search that buffer.
    for match in det.payload:
        if match.buffer is None and current is not None:
            options.append("pkt_data;")
        payload_options = _payload_options(match)
        if match.buffer is not None and match.buffer == current:
            payload_options = payload_options[1:]
        current = match.buffer
        if not fast and anchor is None:
            payload_options = _first_byte(match) + payload_options
        options += payload_options
    for raw in rule.suricata.options:
        options.append(f"{raw.keyword}:{raw.value};" if raw.value is not None else f"{raw.keyword};")
    if det.threshold:
        t = det.threshold
        options.append(f"threshold: type {t.type}, track {t.track}, count {t.count}, seconds {t.seconds};")
    elif det.budget_option:
        options.append(det.budget_option)
    options.append(f"classtype:{rule.suricata.classtype};")
    options.append(f"priority:{PRIORITY[rule.severity]};")
    options += [f"reference:url,{re.sub(r'^https?://', '', url)};" for url in rule.references]
    options.append(_metadata(rule))
    options += [f"sid:{rule.sid};", f"rev:{rule.rev};"]
    return options


def header_ports(rule: Rule) -> tuple[str, str]:
    """(source port, destination port) of the rule header. A protocol Suricata detects only on
    configured ports (detection_ports) gets its port group on the server's side when the rule
    leaves that side `any` and its flow says which side the server is."""
    det = rule.detection
    source, destination = address(det.source_port.items), address(det.destination_port.items)
    bound = PORT_BOUND.get(det.protocol)
    flow = default_flow(rule)
    if bound is None or det.bidirectional:
        return source, destination
    if {"to_server", "from_client"} & set(flow) and destination == "any":
        destination = f"${bound.group}"
    elif {"to_client", "from_server"} & set(flow) and source == "any":
        source = f"${bound.group}"
    return source, destination


class SuricataBackend:
    name = "suricata"
    title = "Suricata"
    lexer = "text"

    def __init__(self) -> None:
        self._template = environment().get_template("suricata_rule.j2")

    def compile(self, rule: Rule, networks: Networks | None = None, settings: SiemSettings | None = None) -> str:
        """One rule line. Addresses stay variables (vars.address-groups), so networks are not needed."""
        det = rule.detection
        source_port, destination_port = header_ports(rule)
        return self._template.render(
            action="alert", protocol=det.protocol,
            source=address(det.source.items), source_port=source_port,
            direction="<>" if det.bidirectional else "->",
            destination=address(det.destination.items), destination_port=destination_port,
            options=rule_options(rule),
        ).rstrip("\n")


def address_groups(networks: Networks) -> list[tuple[str, str]]:
    """(name, value) for vars.address-groups; always bracketed, which Suricata wants for a single
    negated variable and accepts everywhere else."""
    return [(name, f"[{','.join(items)}]") for name, items in sorted(networks.groups.items())]


def render_vars(networks: Networks, version: str) -> str:
    return environment().get_template("suricata_vars.yaml.j2").render(
        groups=address_groups(networks), port_groups=port_groups(), version=version)
