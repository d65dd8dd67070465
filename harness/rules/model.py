"""The rule model: one frozen pydantic model per rule file, validated once at load, unknown keys rejected."""
from __future__ import annotations

import functools
import ipaddress
import re
from datetime import date
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator,
                      model_validator)

from harness.rules import fields as eve_fields
from harness.rules.types import (AttackId, Duration, Line, Rev, RuleId, Severity, Sid, Status, Text, Url, duration_seconds,
                           safe_printable)


class LocatedError(ValueError):
    """A model-level check that knows which nested key is wrong; the loader reports that key's line."""

    def __init__(self, message: str, subpath: tuple = ()):
        super().__init__(message)
        self.subpath = subpath


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


# Transport protocols and the Suricata 7 app-layer protocols the rules may name.
TRANSPORTS = ("ip", "tcp", "udp", "icmp")
APP_PROTOCOLS_TCP = ("http", "tls", "ssh", "ftp", "telnet", "mqtt", "modbus", "dnp3", "enip", "smb", "rdp",
                     "sip")
APP_PROTOCOLS_UDP = ("dns", "snmp", "tftp", "ntp", "dhcp")
PROTOCOLS = TRANSPORTS + APP_PROTOCOLS_TCP + APP_PROTOCOLS_UDP
Protocol = Literal[PROTOCOLS]  # type: ignore[valid-type]

# Matched with fullmatch: `$` would also accept a trailing newline ("1883\n").
_ADDRESS_ITEM = re.compile(r"!?(any|\$[A-Z][A-Z0-9_]*|[0-9A-Fa-f:.]+(/\d{1,3})?)")
_PORT_ITEM = re.compile(r"!?(any|\d{1,5}|\d{1,5}:\d{0,5}|:\d{1,5})")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, (str, int)) else value


def check_address_item(item: str) -> str:
    if not _ADDRESS_ITEM.fullmatch(item):
        raise ValueError(f"{item!r} is not a CIDR, an IP, 'any' or a $VARIABLE (optionally negated with !)")
    bare = item.lstrip("!")
    if item.startswith("!") and bare == "any":
        raise ValueError("'!any' matches nothing (Suricata rejects it)")
    if bare != "any" and not bare.startswith("$"):
        try:
            ipaddress.ip_network(bare, strict=True)
        except ValueError as exc:
            raise ValueError(f"invalid CIDR {bare!r}: {exc}") from None
    return item


def check_port_item(item: str) -> str:
    text = str(item)
    if not _PORT_ITEM.fullmatch(text):
        raise ValueError(f"{text!r} is not a port, a range lo:hi or 'any' (optionally negated with !)")
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    for number in numbers:
        if not 0 <= number <= 65535:
            raise ValueError(f"port {number} is outside 0-65535")
    if len(numbers) == 2 and numbers[0] > numbers[1]:
        raise ValueError(f"port range {text!r} runs backwards")
    return text


class _ItemList(Frozen):
    """A YAML scalar or list of items, OR-ed like a Suricata group ("$IOT_NET", ["80", "!8080"])."""
    items: tuple[str, ...]
    kind: ClassVar[str]

    @classmethod
    def check_item(cls, item: str) -> str:
        raise NotImplementedError

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, value: Any) -> Any:
        if isinstance(value, (str, int, list, tuple)):
            return {"items": [str(v) for v in _as_list(value)]}
        return value

    @field_validator("items")
    @classmethod
    def _check(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        if not items:
            raise ValueError(f"{cls.kind} list is empty")
        return tuple(cls.check_item(i) for i in items)


class Address(_ItemList):
    kind = "address"

    @classmethod
    def check_item(cls, item: str) -> str:
        return check_address_item(item)


class Ports(_ItemList):
    kind = "port"

    @classmethod
    def check_item(cls, item: str) -> str:
        return check_port_item(item)


ScalarValue = Union[int, Annotated[str, StringConstraints(min_length=1, max_length=1024)]]
Operator = Literal["equals", "contains", "startswith", "endswith", "regex", "in", "exists", "gt", "lt"]


class Condition(Frozen):
    """One condition on an EVE field; exactly one operator key is given."""
    field: str
    equals: ScalarValue | None = None
    contains: ScalarValue | None = None
    startswith: ScalarValue | None = None
    endswith: ScalarValue | None = None
    regex: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    in_: tuple[ScalarValue, ...] | None = Field(default=None, alias="in")
    exists: Literal[True] | None = None
    gt: int | None = None
    lt: int | None = None
    nocase: bool = False
    negate: bool = False

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("field")
    @classmethod
    def _known_field(cls, path: str) -> str:
        eve_fields.lookup(path)
        return path

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"regex does not compile: {exc}") from None
        return pattern

    @model_validator(mode="after")
    def _one_operator(self) -> "Condition":
        given = [op for op in self.operators_given()]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(Operator.__args__)}; got {given or 'none'}")
        spec = eve_fields.lookup(self.field)
        op = given[0]
        if spec.value_type == "int" and op not in ("equals", "gt", "lt", "exists"):
            raise ValueError(f"{self.field} is numeric: use equals, gt, lt or exists")
        if spec.value_type == "str" and op in ("gt", "lt"):
            raise ValueError(f"{self.field} is a string: gt/lt do not apply")
        if spec.kind == "modbus_function" and op != "equals":
            raise ValueError(f"{self.field} takes equals only (Suricata's modbus keyword names one function);"
                             " for a set use the raw option `modbus: access write` with covered_by_where")
        if self.negate and op in ("exists", "in"):
            raise ValueError(f"negate is not supported with {op}")
        if self.nocase and spec.lowercase and op in ("equals", "contains", "startswith", "endswith"):
            # Suricata 7 refuses the rule ("specifying nocase is redundant"); the value is lower-cased.
            raise LocatedError(f"Suricata's {spec.keyword} buffer is lower-case already and refuses nocase;"
                               " drop it (matching is case-insensitive anyway)", ("nocase",))
        return self

    def operators_given(self) -> list[str]:
        names = {"in_": "in"}
        return [names.get(k, k) for k in ("equals", "contains", "startswith", "endswith", "regex", "in_",
                                          "exists", "gt", "lt") if getattr(self, k) is not None]

    @property
    def operator(self) -> str:
        return self.operators_given()[0]

    @property
    def value(self) -> Any:
        return getattr(self, "in_" if self.operator == "in" else self.operator)

    @property
    def eve(self) -> eve_fields.EveField:
        return eve_fields.lookup(self.field)


# Sticky buffers a raw payload match may name (Suricata 7 keywords with no EVE field to search).
PAYLOAD_BUFFERS = ("http.uri", "http.uri.raw", "http.header", "http.request_body", "http.response_body",
                   "http.cookie", "file.data", "http.request_line", "dns.query", "tls.sni")
# The rule protocols each buffer's app-layer allows (measured with suricata -T: a buffer of another
# app-layer fails "can't set rule app proto"; file.data needs a TCP protocol carrying files).
_HTTP_BUFFER_PROTOCOLS = ("http",) + TRANSPORTS
BUFFER_PROTOCOLS = {**{name: _HTTP_BUFFER_PROTOCOLS for name in PAYLOAD_BUFFERS if name.startswith("http.")},
                    "file.data": ("http", "smb", "tcp", "ip"), "dns.query": ("dns",) + TRANSPORTS,
                    "tls.sni": ("tls",) + TRANSPORTS}


class PayloadMatch(Frozen):
    """A raw content or pcre match: IDS only, SIEMs have no field holding the bytes."""
    content: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    pcre: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    buffer: Literal[PAYLOAD_BUFFERS] | None = None  # type: ignore[valid-type]
    nocase: bool = False
    negate: bool = False
    offset: Annotated[int, Field(ge=0, le=65535)] | None = None
    depth: Annotated[int, Field(ge=1, le=65535)] | None = None
    distance: Annotated[int, Field(ge=-65535, le=65535)] | None = None
    within: Annotated[int, Field(ge=1, le=65535)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "PayloadMatch":
        if (self.content is None) == (self.pcre is None):
            raise ValueError("give exactly one of content or pcre")
        if self.pcre is not None:
            if any(v is not None for v in (self.offset, self.depth, self.distance, self.within)):
                raise ValueError("offset/depth/distance/within apply to content, not pcre")
            try:
                re.compile(self.pcre)
            except re.error as exc:
                raise LocatedError(f"pcre does not compile: {exc}", ("pcre",)) from None
        return self


class Threshold(Frozen):
    type: Literal["both", "threshold", "limit"] = "both"
    track: Literal["by_src", "by_dst"]
    count: Annotated[int, Field(ge=1, le=100_000)]
    seconds: Annotated[int, Field(ge=1, le=86_400)]


class Budget(Frozen):
    """The alert budget: at most one alert per tracked key (default: source and destination) per window.

    Applied as Suricata `threshold: type limit` to every rule without a threshold of its own, so a
    brute force or a walk raises one alert per pair and hour, not one per packet. The SIEM searches
    group by the same pair over their lookback. `unlimited` opts out and must say why every match
    needs its own alert.
    """
    track: Literal["by_both", "by_src", "by_dst", "by_rule"] = "by_both"
    seconds: Annotated[int, Field(ge=1, le=86_400)] = 3600
    unlimited: Line | None = None


FlowOption = Literal["established", "not_established", "stateless", "to_server", "to_client",
                     "from_server", "from_client", "only_stream", "no_stream"]


class Detection(Frozen):
    protocol: Protocol
    source: Address = Address(items=("any",))
    source_port: Ports = Ports(items=("any",))
    destination: Address = Address(items=("any",))
    destination_port: Ports = Ports(items=("any",))
    bidirectional: bool = False
    flow: tuple[FlowOption, ...] | None = None   # default: established,to_server for TCP app protocols
    tcp_flags: Annotated[str, StringConstraints(pattern=r"^[FSRPAUCE0]+(,[FSRPAUCE0]+)?$")] | None = None
    where: tuple[Condition, ...] = ()
    payload: tuple[PayloadMatch, ...] = ()
    threshold: Threshold | None = None
    budget: Budget = Budget()

    @model_validator(mode="after")
    def _budget_fits_threshold(self) -> "Detection":
        if self.threshold is None:
            return self
        if self.threshold.type == "threshold" and self.budget.unlimited is None:
            raise LocatedError("threshold type `threshold` alerts every count-th match without bound: use"
                               " `both` or `limit`, or say why in budget.unlimited", ("threshold", "type"))
        if "budget" in self.model_fields_set and self.budget.unlimited is None:
            raise LocatedError("a rule with a threshold has its budget in the threshold (type both/limit"
                               " alert once per window): drop `budget`", ("budget",))
        return self

    @property
    def budget_option(self) -> str | None:
        """The Suricata threshold the budget adds, or None (own threshold, or opted out)."""
        if self.threshold is not None or self.budget.unlimited is not None:
            return None
        return f"threshold: type limit, track {self.budget.track}, count 1, seconds {self.budget.seconds};"

    @model_validator(mode="after")
    def _fields_fit_protocol(self) -> "Detection":
        for index, cond in enumerate(self.where):
            if self.protocol not in cond.eve.protocols:
                raise LocatedError(f"field {cond.field} belongs to protocol {'/'.join(cond.eve.protocols)},"
                                   f" not {self.protocol}", ("where", index, "field"))
        for index, match in enumerate(self.payload):
            allowed = BUFFER_PROTOCOLS.get(match.buffer or "", PROTOCOLS)
            if self.protocol not in allowed:
                raise LocatedError(f"Suricata refuses buffer {match.buffer} in a {self.protocol} rule (it takes"
                                   f" {', '.join(allowed)})", ("payload", index, "buffer"))
        return self


# Options the neutral form lacks, passed through verbatim after validation (the escape hatch).
RAW_OPTION_KEYWORDS = ("dsize", "ttl", "itype", "icode", "ack", "seq", "window", "urilen", "isdataat",
                       "byte_test", "byte_jump", "stream_size", "app-layer-event", "modbus", "dnp3_func",
                       "dnp3_ind", "dnp3_obj", "enip_command", "cip_service", "ssh.proto", "tls.version",
                       "fast_pattern", "flowbits", "detection_filter", "snmp.pdu_type", "ip_proto",
                       "tcp.mss", "fragbits", "id", "ipopts", "xbits")
RawKeyword = Literal[RAW_OPTION_KEYWORDS]  # type: ignore[valid-type]


class RawOption(Frozen):
    keyword: RawKeyword
    value: Annotated[str, StringConstraints(max_length=200)] | None = None
    # The author states the rule's `where` conditions express this option for the SIEMs; the DuckDB
    # evaluation over the test cases then proves it. Without it, a rule with raw options is IDS-only.
    covered_by_where: bool = False

    @field_validator("value")
    @classmethod
    def _cannot_end_option(cls, value: str | None) -> str | None:
        # The value is pasted verbatim after `keyword:`; these characters would end or escape the option.
        if value is not None and not safe_printable(value, ';"\\'):
            raise ValueError("must be printable ASCII without `;`, `\"` or a backslash: the value is copied"
                             " verbatim into the Suricata rule, where these (or a line break or NUL) would end"
                             " the option or the rule")
        return value


class SuricataExtras(Frozen):
    classtype: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")] = "policy-violation"
    options: tuple[RawOption, ...] = ()
    attack_target: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]+$")] = "IoT"


class Suppress(Frozen):
    by: tuple[Literal["src_ip", "dest_ip", "dest_port"], ...] = ("src_ip",)
    for_: Duration = Field(default="1h", alias="for")
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# Sentinel's scheduled rules run every 5m-14d over a period of 5m-14d, period >= frequency (DESIGN §5).
SIEM_SECONDS = (300, 14 * 86_400)


class Siem(Frozen):
    schedule: Duration = "5m"
    lookback: Duration = "1h"
    suppress: Suppress = Suppress()

    @model_validator(mode="after")
    def _sentinel_limits(self) -> "Siem":
        low, high = SIEM_SECONDS
        for name in ("schedule", "lookback"):
            if not low <= duration_seconds(getattr(self, name)) <= high:
                raise LocatedError(f"{name} must lie within 5m-14d (Sentinel's limits)", (name,))
        if duration_seconds(self.lookback) < duration_seconds(self.schedule):
            raise LocatedError("lookback is shorter than schedule: events between runs would be missed", ("lookback",))
        return self


class Traffic(Frozen):
    generator: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")] | None = None
    args: dict[str, Any] = {}
    pcap: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./-]+\.pcap(ng)?$")] | None = None
    # A capture's own addresses -> the roles (or addresses) they take on the site plan, rewritten at replay.
    hosts: dict[str, Annotated[str, StringConstraints(pattern=r"^(\$[A-Z][A-Z0-9_]*(\[[1-9][0-9]*\])?|[0-9A-Fa-f:.]+)$")]] = {}

    @field_validator("hosts")
    @classmethod
    def _literal_keys(cls, hosts: dict[str, str]) -> dict[str, str]:
        for address, target in hosts.items():
            for value in (address, target) if not target.startswith("$") else (address,):
                try:
                    ipaddress.ip_address(value)
                except ValueError:
                    raise ValueError(f"{value!r} is not an IP address (hosts maps a capture's addresses to roles)") from None
        return hosts

    @model_validator(mode="after")
    def _one_source(self) -> "Traffic":
        if (self.generator is None) == (self.pcap is None):
            raise ValueError("give exactly one of generator or pcap")
        if self.pcap is not None and (self.pcap.startswith("/") or ".." in self.pcap.split("/")):
            raise ValueError("pcap must be a path inside the repository's pcaps/ folder")
        if self.hosts and self.pcap is None:
            raise ValueError("hosts maps the addresses of a capture: give it with pcap, not with a generator")
        return self


class Expect(Frozen):
    alerts: Annotated[int, Field(ge=0, le=10_000)]
    # Other rules that are declared to fire on this case too: rule id -> alert count.
    also: dict[RuleId, Annotated[int, Field(ge=1)]] = {}
    # The SIEM hunt search is expected to flag the case (default: alerts > 0).
    hunt: bool | None = None


def _case_name(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9 _-]{0,79}", value):
        raise ValueError("test case names are one line of lower-case letters, digits, spaces, `_` and `-`"
                         " (at most 80 characters)")
    return value


CaseName = Annotated[str, AfterValidator(_case_name)]


@functools.cache   # a few distinct names ("positive", "near miss") over 20,000 cases, asked several times each
def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-")


class TestCase(Frozen):
    name: CaseName
    traffic: Traffic
    expect: Expect

    @property
    def slug(self) -> str:
        return _slug(self.name)


class Rule(Frozen):
    id: RuleId
    sid: Sid
    rev: Rev
    title: Line
    description: Text
    response: Text
    severity: Severity
    status: Status
    created: date
    updated: date
    attack: tuple[AttackId, ...] = ()
    compliance: dict[Literal["nist-csf-2.0", "iso27001-2022", "nistir-8259a"], tuple[Line, ...]] = {}
    references: tuple[Url, ...] = ()
    detection: Detection
    suricata: SuricataExtras = SuricataExtras()
    siem: Siem = Siem()
    # At least two cases, enforced by _cases (a positive and a negative one): a min_length here would
    # add a second, misleading finding whenever one case is invalid.
    tests: tuple[TestCase, ...]

    @field_validator("title")
    @classmethod
    def _sid_msg_map_field(cls, title: str) -> str:
        if "||" in title:
            raise ValueError("must not contain `||`: sid-msg.map separates its fields with it")
        return title

    @model_validator(mode="after")
    def _cases(self) -> "Rule":
        names = [case.name for case in self.tests]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            second = names.index(dupes[0], names.index(dupes[0]) + 1)
            raise LocatedError(f"duplicate test case names: {dupes}", ("tests", second, "name"))
        if not any(c.expect.alerts > 0 for c in self.tests):
            raise LocatedError("tests need at least one positive case (expect.alerts > 0)", ("tests",))
        if not any(c.expect.alerts == 0 for c in self.tests):
            raise LocatedError("tests need at least one negative case (expect.alerts: 0)", ("tests",))
        if self.updated < self.created:
            raise LocatedError("updated is before created", ("updated",))
        return self

    def hunt_unavailable_reason(self) -> str | None:
        """Why the SIEM hunt search cannot express this rule, or None when it can."""
        if self.detection.payload:
            return "raw payload matches have no EVE field the SIEMs could search"
        uncovered = list(dict.fromkeys(o.keyword for o in self.suricata.options if not o.covered_by_where))
        if uncovered:
            return f"Suricata options {', '.join(uncovered)} have no EVE equivalent"
        return None


class Baseline(Frozen):
    """Benign traffic on which the whole rule set must raise no alert (baselines/<name>.yaml)."""
    name: RuleId
    description: Text
    traffic: Traffic
