"""A synthetic project of N rules with one test case each, written to a folder the way a user's
library looks: rules/<category>/<id>.yaml, rules/networks.yaml, baselines/, pcaps/, rules.lock.

Every synthetic rule matches a token of its own (in an HTTP URL, a DNS name or a raw TCP payload),
so its positive case fires exactly its own sid once (its near miss nothing) and no other synthetic rule; the three shapes exercise
the sticky-buffer, `where` and payload paths of every backend.

    .venv/bin/python bench/synth.py OUT --rules 10000 [--no-pcaps]
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_SID = 9_120_000   # the iotdetect sid range ends at 9,199,999

_HEAD = """id: {id}
sid: {sid}
rev: 1
title: Synthetic detection {n} ({shape})
description: >-
  A synthetic rule for the benchmark; it matches the token {token} and nothing else.
response: >-
  None: benchmark content.
severity: {severity}
status: stable
created: 2026-11-25
updated: 2026-11-25
attack: [T1071]
references:
  - https://example.org/bench/{id}
"""

_SHAPES = {
    "http": """detection:
  protocol: http
  source: $IOT_NET
  destination: any
  where:
    - {{field: http.url, contains: "/{token}"}}
suricata:
  classtype: bad-unknown
tests:
  - name: the token in a url
    traffic: {{generator: http.request, args: {{src: 192.168.200.10, dst: 203.0.113.10, path: "/{token}/x"}}}}
    expect: {{alerts: 1}}
  - name: a near miss
    traffic: {{generator: http.request, args: {{src: 192.168.200.10, dst: 203.0.113.10, path: "/x-{token}"}}}}
    expect: {{alerts: 0}}
""",
    "dns": """detection:
  protocol: dns
  source: $IOT_NET
  destination: any
  where:
    - {{field: dns.rrname, endswith: ".{token}.example"}}
suricata:
  classtype: bad-unknown
tests:
  - name: the token in a dns name
    traffic: {{generator: dns.query, args: {{qname: "a.{token}.example"}}}}
    expect: {{alerts: 1}}
  - name: a near miss
    traffic: {{generator: dns.query, args: {{qname: "a.{token}.example.net"}}}}
    expect: {{alerts: 0}}
""",
    "tcp": """detection:
  protocol: tcp
  source: $IOT_NET
  destination: any
  destination_port: 4444
  flow: [established, to_server]
  payload:
    - {{content: "{token}"}}
suricata:
  classtype: trojan-activity
tests:
  - name: the token in a tcp payload
    traffic: {{generator: extra_payload.text_exchange, args: {{client: ["hello {token}\\r\\n"]}}}}
    expect: {{alerts: 1}}
  - name: a near miss
    traffic: {{generator: extra_payload.text_exchange, args: {{client: ["hello {token}"], dport: 4445}}}}
    expect: {{alerts: 0}}
""",
}
_SEVERITIES = ("low", "medium", "high", "critical")


def rule_text(index: int) -> tuple[str, str]:
    """(category, YAML text) of synthetic rule `index`."""
    shape = tuple(_SHAPES)[index % len(_SHAPES)]
    token = f"synth{index:06d}"
    fields = {"id": f"synthetic-{shape}-{index:06d}", "sid": FIRST_SID + index, "n": index, "shape": shape,
              "token": token, "severity": _SEVERITIES[index % len(_SEVERITIES)]}
    return f"synthetic-{shape}", _HEAD.format(**fields) + _SHAPES[shape].format(**fields)


def write_project(out: Path, count: int, *, pcaps: bool = True) -> Path:
    """Write the project (replacing `out`), then its lock and pcaps with the real CLI code."""
    if out.exists():
        shutil.rmtree(out)
    (out / "rules").mkdir(parents=True)
    shutil.copy(ROOT / "rules" / "networks.yaml", out / "rules" / "networks.yaml")
    shutil.copytree(ROOT / "baselines", out / "baselines")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, out / name)
    for index in range(count):
        category, text = rule_text(index)
        folder = out / "rules" / category
        folder.mkdir(exist_ok=True)
        (folder / f"synthetic-{category.split('-')[1]}-{index:06d}.yaml").write_text(text, encoding="utf-8")
    from harness.rules import lock
    from harness.cli import main as iotdetect
    from harness.rules.loader import load_project
    from harness.rules.project import Project
    ruleset = load_project(Project(out), check_lock=False)
    lock.update([(s.rule, s.path, s.lines) for s in ruleset.sources], ruleset.project.lock_file)
    if pcaps:   # as a user does: `iotdetect pcaps` (every case and the baseline, pcaps/generators.lock)
        assert iotdetect(["--root", str(out), "pcaps"]) == 0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--no-pcaps", action="store_true", help="rules and lock only (validate then asks for pcaps)")
    args = parser.parse_args()
    write_project(Path(args.out), args.rules, pcaps=not args.no_pcaps)
    print(f"wrote {args.rules} rules to {args.out}")


if __name__ == "__main__":
    main()


_SIGMA = {
    "http": ("category: proxy", "c-uri|contains: /{token}"),
    "dns": ("category: dns", "query|endswith: .{token}.example"),
    "tcp": ("category: firewall", "dst_port: 4444\n    payload|contains: {token}"),
}


def sigma_text(index: int) -> str:
    """The Sigma rule equivalent to synthetic rule `index` (same match, generic field names)."""
    shape = tuple(_SHAPES)[index % len(_SHAPES)]
    logsource, selection = _SIGMA[shape]
    token = f"synth{index:06d}"
    return (f"title: Synthetic detection {index} ({shape})\n"
            f"id: 5f1e4d0c-0000-4000-8000-{index:012d}\nstatus: test\n"
            f"description: A synthetic rule for the benchmark; it matches the token {token}.\n"
            f"logsource:\n  {logsource}\ndetection:\n  selection:\n    {selection.format(token=token)}\n"
            f"  condition: selection\nlevel: {_SEVERITIES[index % len(_SEVERITIES)]}\ntags: [attack.t1071]\n")
