"""The multi-day proof: learn on normal days, then count alerts on held-out and anomalous days.

1. Replay the learning days through Suricata (no rules) and learn profiles from their flows (the
   demo site's own device networks, so the proof does not depend on the project's site plan).
2. Compile the profiles; replay every held-out and anomalous day with the baseline rules loaded.
3. Run the DuckDB form of both SIEM searches over each of those days' eve.json.
Per day and detector: alerts per device. Targets: 0 on every held-out device-day; on each
anomalous day an alert for the planted device (what `make test` asserts).
"""
from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness.baseline import learn as L, siem, suricata, traffic
from harness.baseline.profile import Profile
from harness.baseline.replay import replay
from harness.suricata.ruleset import compile_rules
from harness.rules.loader import RuleSet

DETECTORS = ("suricata", "volume", "fanout")


@dataclass(frozen=True)
class DayResult:
    day: traffic.Day
    alerts: dict[str, dict[str, int]]          # detector -> device -> alerts (SIEM: flagged hours)
    signatures: int = 0                        # alerts of the project's own rules, loaded alongside

    def total(self, detector: str) -> int:
        return sum(self.alerts[detector].values())

    def detected(self, detector: str) -> bool:
        return self.day.device is not None and self.alerts[detector].get(self.day.device, 0) > 0

    def others(self, detector: str) -> int:
        """Alerts on devices other than the planted one (all of them on a normal day)."""
        return sum(n for device, n in self.alerts[detector].items() if device != self.day.device)


@dataclass(frozen=True)
class ProofResult:
    profiles: list[Profile]
    days: list[DayResult]
    rules: str = ""

    @property
    def holdout(self) -> list[DayResult]:
        return [d for d in self.days if d.day.kind == "holdout"]

    @property
    def anomalous(self) -> list[DayResult]:
        return [d for d in self.days if d.day.kind == "anomaly"]

    def summary(self) -> dict:
        device_days = len(self.profiles) * len(self.holdout)
        return {
            "devices": len(self.profiles), "learn_days": len(traffic.LEARN_DAYS), "holdout_days": len(self.holdout),
            "holdout_device_days": device_days,
            "holdout_alerts": {d: sum(r.total(d) for r in self.holdout) for d in DETECTORS},
            "detected": {d: sum(r.detected(d) for r in self.anomalous) for d in DETECTORS},
            "anomalies": len(self.anomalous),
            "holdout_signature_alerts": sum(r.signatures for r in self.holdout),
            "days": [{"label": r.day.label, "kind": r.day.kind, "device": r.day.device, "signatures": r.signatures,
                      **{d: r.total(d) for d in DETECTORS},
                      "detected": {d: r.detected(d) for d in DETECTORS}} for r in self.days],
        }


def day_key(day: traffic.Day) -> str:
    return f"day-{day.index:02d}"


def run(ruleset: RuleSet, workdir: Path | None = None,
        inventory: dict[str, tuple[str, str | None]] | None = None) -> ProofResult:
    """`inventory` (learn.read_inventory): learn with names and classes, i.e. per-class allowlists."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="iotdetect-baseline-") as tmp:
            return run(ruleset, Path(tmp), inventory)
    pcaps_dir = ruleset.project.pcaps_dir
    days = traffic.plan()
    learn_days = [d for d in days if d.kind == "learn"]
    tested = [d for d in days if d.kind != "learn"]
    # the learner reads the eve.json files from disk, as `iotdetect baseline learn` does
    replay(ruleset, {day_key(d): traffic.normal_file(pcaps_dir, d.index) for d in learn_days}, workdir / "learn")
    profiles = L.learn([workdir / "learn" / "out" / day_key(d) / "eve.json" for d in learn_days], ruleset.networks,
                       L.LearnOptions(device_networks=traffic.multiday.DEVICE_NETWORKS), inventory)
    # The project's signature rules ride along: they must stay silent on normal days too, and the
    # anomaly rows show what they alone would have caught.
    rules = suricata.compile_rules(profiles) + compile_rules(ruleset).text
    pcaps = {day_key(d): traffic.compose(pcaps_dir, d, workdir / "composed" / f"{day_key(d)}.pcap") for d in tested}
    eve = replay(ruleset, pcaps, workdir / "test", rules, suricata.dataset_files(profiles))
    sids = suricata.sid_devices(profiles)
    searches = siem.render(profiles)
    results = [DayResult(d, {d0: {} for d0 in DETECTORS}) for d in learn_days]
    for d in tested:
        path = workdir / "test" / "out" / day_key(d) / "eve.json"
        counts = {"suricata": dict(Counter(sids[e["alert"]["signature_id"]] for e in eve[day_key(d)]
                                           if e.get("event_type") == "alert" and e["alert"]["signature_id"] in sids))}
        for search in siem.SEARCHES:
            counts[search] = dict(Counter(row["device"] for row in siem.evaluate(searches[search]["sql"], path)))
        signatures = sum(1 for e in eve[day_key(d)] if e.get("event_type") == "alert"
                         and e["alert"]["signature_id"] not in sids)
        results.append(DayResult(d, counts, signatures))
    return ProofResult(profiles, results, rules)


def passed(result: ProofResult) -> bool:
    """The issue's bar: no alert on any held-out day, every anomaly found by a SIEM search."""
    quiet = all(r.total(d) == 0 for r in result.holdout for d in DETECTORS)
    return quiet and all(r.detected("volume") or r.detected("fanout") for r in result.anomalous)
