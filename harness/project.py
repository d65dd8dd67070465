"""Where a project's files live; passed explicitly instead of module-level globals."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def rules_dir(self) -> Path:
        return self.root / "rules"

    @property
    def networks_file(self) -> Path:
        return self.rules_dir / "networks.yaml"

    @property
    def lock_file(self) -> Path:
        return self.root / "rules.lock"

    @property
    def pcaps_dir(self) -> Path:
        return self.root / "pcaps"

    def rule_files(self) -> list[Path]:
        return sorted(p for p in self.rules_dir.rglob("*.yaml") if p != self.networks_file)

    @classmethod
    def find(cls, start: Path | None = None) -> "Project":
        """The nearest folder at or above start holding rules/networks.yaml."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "rules" / "networks.yaml").is_file():
                return cls(folder)
        return cls(here)
