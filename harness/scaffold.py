"""`iotdetect new CATEGORY/ID`: a rule file, a generator stub and test cases to start from."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from harness.templating import environment
from harness.rules.errors import UsageError
from harness.rules.types import SID_MAX, SID_MIN

_NAME = re.compile(r"^([a-z][a-z0-9-]*)/([a-z0-9][a-z0-9-]{2,63})$")


def next_sid(used: set[int]) -> int:
    """The sid after the highest in use, or the first gap once the range's top is taken."""
    after_highest = max(used, default=SID_MIN - 1) + 1
    if after_highest <= SID_MAX:
        return after_highest
    free = next((s for s in range(SID_MIN, SID_MAX + 1) if s not in used), None)
    if free is None:
        raise UsageError("the sid range is full")
    return free


def scaffold(root: Path, name: str, used_sids: set[int], today: dt.date | None = None) -> list[Path]:
    match = _NAME.fullmatch(name)
    if not match:
        raise UsageError(f"{name!r}: expected CATEGORY/RULE-ID in lower-case-with-dashes")
    category, rule_id = match.groups()
    rule_path = root / "rules" / category / f"{rule_id}.yaml"
    module = rule_id.replace("-", "_")
    generator_path = root / "generators" / f"local_{module}.py"
    registry_path = root / "generators" / "registry.py"
    for path in (rule_path, generator_path):
        if path.exists():
            raise UsageError(f"{path} exists already")
    env = environment()
    context = {"rule_id": rule_id, "sid": next_sid(used_sids), "module": module,
               "today": (today or dt.date.today()).isoformat()}
    if not registry_path.is_file():
        raise UsageError(f"{registry_path} is missing: `iotdetect new` adds its generator stub to the project's"
                         " generators/ package")
    registry = registry_path.read_text(encoding="utf-8")
    anchor = "GENERATORS: dict[str, str] = {\n"
    if anchor not in registry:
        raise UsageError(f"cannot find the GENERATORS table in {registry_path}")
    rule_path.parent.mkdir(parents=True, exist_ok=True)
    rule_path.write_text(env.get_template("new_rule.yaml.j2").render(context), encoding="utf-8")
    generator_path.write_text(env.get_template("new_generator.py.j2").render(context), encoding="utf-8")
    registry_path.write_text(registry.replace(anchor, anchor + f'    "local.{module}": "local_{module}:scenario",\n'),
                             encoding="utf-8")
    return [rule_path, generator_path, registry_path]
