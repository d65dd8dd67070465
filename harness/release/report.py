"""The coverage report (Markdown and HTML) rendered from one context dict."""
from __future__ import annotations

from collections import defaultdict

from harness.rules.attack import AttackCatalog
from harness.rules.loader import RuleSet

FRAMEWORKS = {"nist-csf-2.0": "NIST CSF 2.0", "iso27001-2022": "ISO/IEC 27001:2022", "nistir-8259a": "NISTIR 8259A"}


def context(ruleset: RuleSet, catalog: AttackCatalog, release: str, hunts: dict[str, str | None],
            baseline: dict | None = None, behaviour: dict | None = None) -> dict:
    """hunts: rule id -> why the SIEM hunt search is unavailable (None = available).
    baseline: optional {"name", "events", "alerts", "passed"} from the benign-baseline run.
    behaviour: optional harness.baseline.proof summary plus "svg" (the alerts-per-day plot)."""
    sources = sorted(ruleset.sources, key=lambda s: (s.category, s.rule.sid))
    categories: dict[str, list] = defaultdict(list)
    techniques: dict[str, list[str]] = defaultdict(list)
    compliance: dict[str, dict[str, list[str]]] = {name: defaultdict(list) for name in FRAMEWORKS}
    for source in sources:
        rule = source.rule
        categories[source.category].append(rule)
        for technique in rule.attack:
            techniques[technique].append(rule.id)
        for framework, controls in rule.compliance.items():
            for control in controls:
                compliance[framework][control].append(rule.id)
    return {
        "release": release,
        "rule_count": len(sources),
        "active_count": sum(1 for s in sources if s.rule.status != "deprecated"),
        "categories": [{"name": name, "rules": rules} for name, rules in sorted(categories.items())],
        "techniques": [{"id": t, "name": catalog.name(t), "domain": catalog.domain(t) or "unknown", "rules": ids}
                       for t, ids in sorted(techniques.items())],
        "frameworks": [{"name": label, "controls": sorted(compliance[key].items())}
                       for key, label in FRAMEWORKS.items()],
        "tests": [{"id": s.rule.id, "cases": [{"name": c.name, "alerts": c.expect.alerts} for c in s.rule.tests],
                   "positive": sum(1 for c in s.rule.tests if c.expect.alerts > 0),
                   "negative": sum(1 for c in s.rule.tests if c.expect.alerts == 0)} for s in sources],
        "hunts": [{"id": s.rule.id, "reason": hunts.get(s.rule.id)} for s in sources],
        "hunt_available": sum(1 for s in sources if hunts.get(s.rule.id) is None),
        "baseline": baseline,
        "behaviour": behaviour,
    }


def render(env, ctx: dict) -> dict[str, str]:
    """File name -> text for both report formats."""
    return {"coverage.md": env.get_template("report_md.j2").render(**ctx),
            "coverage.html": env.get_template("report_html.j2").render(**ctx)}
