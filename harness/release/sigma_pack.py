"""The Sigma pack of a release: one rule file per hunt search (sigma/<rule-id>.yml) and a README
naming the log source and the field names the rules expect."""
from __future__ import annotations

from harness.backends.sigma import LOGSOURCE, SigmaBackend
from harness.rules.model import Rule
from harness.rules.networks import Networks

README = """\
iotdetect Sigma rules
=====================

One Sigma rule per iotdetect hunt search: the rule's own logic (networks, ports, protocol, field
conditions) over Suricata EVE records. Rules whose logic lives in raw payload have no hunt and no
Sigma rule; use the Suricata rules for them.

Log source: product: {product}, service: {service}
  Suricata's EVE JSON (eve.json) as Suricata 7 writes it, one record per line. Field names are the
  EVE paths: event_type (selects the record kind: flow, http, dns, tls, mqtt, snmp, ssh, modbus,
  dnp3), src_ip, dest_ip, src_port, dest_port, proto (TCP/UDP/ICMP), app_proto, and the protocol
  objects' dotted paths (http.url, http.http_method, dns.rrname, tcp.tcp_flags_ts, ...).
  For a SIEM that renames EVE fields (Elastic ECS, Splunk CIM) add a pySigma processing pipeline
  that maps them.

Semantics kept and lost:
  - strings match case-insensitively (Sigma's default; several backends cannot do otherwise), so
    on case these rules are a superset of the Suricata rule;
  - regexes are Suricata's PCREs (`|re`), searched anywhere in the value;
  - thresholds are an event_count correlation rule (group-by the tracked address, timespan, gte
    count) over the base rule; correlations count per time span, a fixed window, where Suricata
    counts from the first event.

Checked with `sigma check` (pySigma validators) on every release; converted in the test suite
with pySigma's Splunk and Elasticsearch (Lucene, ES|QL) backends.
"""


def files(rules: list[Rule], networks: Networks) -> dict[str, str]:
    """File name -> text, for the given (active) rules that have a hunt search."""
    backend = SigmaBackend()
    found = {"README.txt": README.format(**LOGSOURCE)}
    for rule in sorted(rules, key=lambda r: r.sid):
        compiled = backend.compile(rule, networks)
        if compiled.text:
            found[f"{rule.id}.yml"] = compiled.text
    return found
