"""Deploy plans: what exists on the target vs what the release would deploy, object by object."""
from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    kind: str        # "saved search", "macro", "analytics rule", "app"
    name: str
    action: str      # "create", "update" or "unchanged"
    changed: tuple[str, ...] = ()   # keys that differ, for updates

    def __str__(self) -> str:
        detail = f" ({', '.join(self.changed)})" if self.changed else ""
        return f"{self.action:9} {self.kind}: {self.name}{detail}"


def diff(kind: str, desired: dict[str, dict[str, str]], existing: dict[str, dict[str, str]]) -> list[Step]:
    """desired/existing: object name -> settings. Only keys we deploy are compared: the server adds
    many defaults of its own, which are not changes."""
    steps = []
    for name, settings in sorted(desired.items()):
        have = existing.get(name)
        if have is None:
            steps.append(Step(kind, name, "create"))
            continue
        changed = tuple(sorted(k for k, v in settings.items() if _norm(have.get(k)) != _norm(v)))
        steps.append(Step(kind, name, "update" if changed else "unchanged", changed))
    return steps


def _norm(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return str(value).strip()


def summary(steps: list[Step]) -> str:
    counts = {a: sum(1 for s in steps if s.action == a) for a in ("create", "update", "unchanged")}
    return ", ".join(f"{n} {a}" for a, n in counts.items())
