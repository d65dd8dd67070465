"""`iotdetect sensor configure CONFIG [--write]`: the smallest edit of a sensor's suricata.yaml that
makes `sensor check` pass.

ruamel.yaml reads the file and tells where every key and item sits; the edit is then a few inserted
or replaced lines at those places. A full ruamel dump would keep comments and order too, but it
re-indents every block to one style, and Debian's stock file mixes styles (logging.outputs,
libhtp): the diff would touch hundreds of lines the operator never asked us to change. The result
is parsed again and checked before anything is written.
"""
from __future__ import annotations

import difflib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from harness.sensor.check import eve_outputs, logged_types, parser_state
from harness.sensor.conf import ConfigError, View, load_document, load_view, lookup, parse_text
from harness.sensor.needs import OFF_BY_DEFAULT, PARSER_SETTINGS, SITE_GROUPS, PackNeeds
from harness.sensor.ports import wanted_port_groups


@dataclass
class Patch:
    """Line edits of one text: inserts after a 0-based line (-1: at the top), replacements of a span."""
    lines: list[str]
    inserts: dict[int, list[str]] = field(default_factory=dict)
    replaced: dict[int, str] = field(default_factory=dict)
    appended: list[str] = field(default_factory=list)     # new top-level sections, after everything

    def insert_after(self, line: int, new: list[str]) -> None:
        self.inserts.setdefault(line, []).extend(new)

    def replace_token(self, line: int, col: int, new: str) -> None:
        text = self.replaced.get(line, self.lines[line])
        end = col
        while end < len(text) and not text[end].isspace() and text[end] != "#":
            end += 1
        self.replaced[line] = text[:col] + new + text[end:]

    def apply(self) -> str:
        out = list(self.inserts.get(-1, []))
        for number, line in enumerate(self.lines):
            out.append(self.replaced.get(number, line))
            out += self.inserts.get(number, [])
        out += self.appended
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)


@dataclass(frozen=True)
class Plan:
    config: Path
    before: str
    after: str
    changes: tuple[str, ...]          # one line per change, for the operator

    def diff(self) -> str:
        name = str(self.config)
        return "".join(difflib.unified_diff(self.before.splitlines(True), self.after.splitlines(True),
                                            f"{name} (before)", f"{name} (iotdetect sensor configure)"))


def _end_line(node) -> int:
    """Last line a round-trip node spans (0-based)."""
    last = node.lc.line if hasattr(node, "lc") else -1
    if isinstance(node, dict):
        for key in node:
            line, _ = node.lc.key(key)
            last = max(last, line, _end_line(node[key]))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            last = max(last, node.lc.item(index)[0], _end_line(item))
    return last


def _child_indent(mapping, default: int) -> int:
    for key in mapping:
        return mapping.lc.key(key)[1]
    return default


def _scalar(value: str) -> str:
    return json.dumps(value)   # a YAML double-quoted scalar; the value can never break out of it


def _groups_edit(doc, view: View, needs: PackNeeds, patch: Patch, site_groups: bool, version: str) -> list[str]:
    defined = lookup(view.tree, "vars", "address-groups") or {}
    wanted = [(n, v) for n, v in needs.groups if n not in defined]   # HOME_NET/EXTERNAL_NET too, when absent
    replaced = [(n, v) for n, v in needs.groups if site_groups and n in SITE_GROUPS and n in defined]
    return _vars_edit(doc, view, patch, "address-groups", wanted, replaced,
                      f"# iotdetect {version}: address groups of the pack's rules (rules/networks.yaml)")


def _port_groups_edit(doc, view: View, needs: PackNeeds, patch: Patch, version: str) -> list[str]:
    wanted, widened = wanted_port_groups(view, needs)
    return _vars_edit(doc, view, patch, "port-groups", wanted, widened,
                      f"# iotdetect {version}: ports the pack's rules look at a protocol on (its detection-ports)")


def _vars_edit(doc, view: View, patch: Patch, section: str, wanted: list[tuple[str, str]],
               replaced: list[tuple[str, str]], comment: str) -> list[str]:
    """Add `wanted` to vars.<section> and set `replaced` there, as (name, value)."""
    if not wanted and not replaced:
        return []
    vars_node = doc.get("vars")
    groups = vars_node.get(section) if isinstance(vars_node, dict) else None
    if isinstance(groups, dict):
        indent = _child_indent(groups, 4)
        for name, value in replaced:
            if name not in groups:
                raise ConfigError(f"{view.files[0]}: vars.{section}.{name} comes from an included file; set it to"
                                  f" {value} there")
            patch.replace_token(groups.lc.value(name)[0], groups.lc.value(name)[1], _scalar(value))
        if wanted:
            at = max(groups.lc.key(k)[0] for k in groups) if groups else groups.lc.line
            patch.insert_after(at, [" " * indent + comment] + [" " * indent + f"{n}: {_scalar(v)}" for n, v in wanted])
    elif lookup(view.tree, "vars", section):
        raise ConfigError(f"{view.files[0]}: vars.{section} comes from an included file; add"
                          f" {', '.join(n for n, _ in wanted)} there (a second {section} here would replace it)")
    elif isinstance(vars_node, dict):
        indent = _child_indent(vars_node, 2)
        at = doc.lc.key("vars")[0]
        patch.insert_after(at, [" " * indent + f"{section}:"] + [" " * (indent * 2) + f"{n}: {_scalar(v)}"
                                                                 for n, v in wanted])
    else:
        if "vars:" not in patch.appended:      # the address groups' edit may have started it
            patch.appended += ["", comment, "vars:"]
        patch.appended += [f"  {section}:"] + [f"    {n}: {_scalar(v)}" for n, v in wanted]
    return [f"vars.{section}: add {', '.join(n for n, _ in wanted)}" if wanted else "",
            *(f"vars.{section}.{n}: set to {v}" for n, v in replaced)]


def _parsers_edit(doc, view: View, needs: PackNeeds, patch: Patch) -> list[str]:
    protocols_wanted = sorted({r.parser for r in needs.rules if r.parser and parser_state(view, r.parser) != "yes"})
    if not protocols_wanted:
        return []
    protocols = lookup(doc, "app-layer", "protocols")
    if not isinstance(protocols, dict):
        raise ConfigError(f"{view.files[0]}: no app-layer.protocols section to enable"
                          f" {', '.join(protocols_wanted)} in (it may come from an include: enable them there)")
    changes = []
    indent = _child_indent(protocols, 4)
    for name in protocols_wanted:
        node = protocols.get(name)
        if isinstance(node, dict) and "enabled" in node:
            line, col = node.lc.value("enabled")
            patch.replace_token(line, col, "yes")
        elif name in protocols and (node is None or isinstance(node, dict)):
            sub = _child_indent(node, indent + 2) if isinstance(node, dict) and node else indent + 2
            patch.insert_after(protocols.lc.key(name)[0], [" " * sub + "enabled: yes"])
        elif name in protocols:
            raise ConfigError(f"{view.files[0]}:{protocols.lc.key(name)[0] + 1}: app-layer.protocols.{name} is not a mapping")
        else:
            body = [" " * indent + f"{name}:", " " * (indent + 2) + "enabled: yes"]
            for key, value in PARSER_SETTINGS.get(name, {}).items() if name in OFF_BY_DEFAULT else ():
                if isinstance(value, dict):
                    body += [" " * (indent + 2) + f"{key}:"] + [" " * (indent + 4) + f"{k}: {v}" for k, v in value.items()]
                else:
                    body.append(" " * (indent + 2) + f"{key}: {value}")
            patch.insert_after(_end_line(protocols), body)
        changes.append(f"app-layer.protocols.{name}.enabled: yes")
    return changes


def _eve_edit(doc, view: View, needs: PackNeeds, patch: Patch) -> list[str]:
    merged = eve_outputs(view)
    logged = set().union(*(logged_types(e) for e in merged)) if merged else set()
    wanted = sorted({t for r in needs.rules for t in r.eve_types} - logged)
    if not wanted:
        return []
    outputs = doc.get("outputs")
    targets = [item["eve-log"] for item in outputs if isinstance(item, dict) and isinstance(item.get("eve-log"), dict)
               and str(item["eve-log"].get("enabled", "")).lower() in ("yes", "true", "on", "1")] \
        if isinstance(outputs, list) else []
    if not targets:
        raise ConfigError(f"{view.files[0]}: no enabled eve-log output here to log {', '.join(wanted)}"
                          " (an include may define it: add the types there)")
    eve = targets[0]
    types = eve.get("types")
    if not isinstance(types, list) or not types:
        raise ConfigError(f"{view.files[0]}:{eve.lc.line + 1}: the eve-log output has no types list to extend")
    changes = []
    for name in wanted:
        existing = next((i for i, item in enumerate(types) if isinstance(item, dict) and name in item), None)
        if existing is not None and isinstance(types[existing][name], dict) and "enabled" in types[existing][name]:
            line, col = types[existing][name].lc.value("enabled")
            patch.replace_token(line, col, "yes")
            changes.append(f"eve-log types: enable {name}")
            continue
    additions = [n for n in wanted if not any(isinstance(i, dict) and n in i for i in types)]
    if additions:
        first_line = types.lc.item(0)[0]
        text = patch.lines[first_line]
        dash = len(text) - len(text.lstrip())
        patch.insert_after(_end_line(types), [" " * dash + f"- {name}" for name in additions])
        changes.append(f"eve-log types: add {', '.join(additions)}")
    return changes


def plan(config: Path, needs: PackNeeds, version: str, site_groups: bool = False) -> Plan:
    """site_groups: also set HOME_NET/EXTERNAL_NET to the pack's values when the config has them."""
    config = config.resolve()
    before = config.read_text(encoding="utf-8")
    doc = load_document(config)
    view = load_view(config)
    patch = Patch(before.splitlines(True))
    changes = [c for c in _groups_edit(doc, view, needs, patch, site_groups, version) if c]
    changes += [c for c in _port_groups_edit(doc, view, needs, patch, version) if c]
    changes += _parsers_edit(doc, view, needs, patch)
    changes += _eve_edit(doc, view, needs, patch)
    after = patch.apply() if changes else before
    if changes:
        _recheck(config, after)
    return Plan(config, before, after, tuple(changes))


def _recheck(config: Path, text: str) -> None:
    """The patched text must still be YAML (a bug here must never reach the sensor's file)."""
    try:
        parse_text(text, config)
    except ConfigError as exc:
        raise ConfigError(f"internal error: the edit of {config} would not be valid YAML ({exc}); nothing written") from None


def write(result: Plan) -> Path | None:
    """Write the change, keeping the old file as CONFIG.iotdetect-backup[-N]; None when nothing changes."""
    if result.after == result.before:
        return None
    backup = result.config.with_name(result.config.name + ".iotdetect-backup")
    number = 1
    while backup.exists():
        backup = result.config.with_name(f"{result.config.name}.iotdetect-backup-{number}")
        number += 1
    shutil.copy2(result.config, backup)
    temporary = result.config.with_name(f".{result.config.name}.iotdetect-new")
    temporary.write_text(result.after, encoding="utf-8")
    shutil.copymode(result.config, temporary)
    temporary.replace(result.config)
    return backup
