"""The package layout reads as the data flow: no module imports a later stage.

Stages, first to last: rules (the model and its loading) and the shared version/templating modules;
backends and target formats; the Suricata engine side; test cases; SIEM checks; the feature packages
built on all of those (inventory, device baselines, sensor configs); release; deploy; the CLI.
A module may import its own stage or an earlier one, never a later one.
"""
from __future__ import annotations

import ast
from pathlib import Path

import harness

STAGES = [
    {"rules", "version", "templating"},
    {"backends", "formats"},
    {"suricata"},
    {"cases"},
    {"siem"},
    {"inventory", "baseline", "sensor"},
    {"release"},
    {"deploy"},
    {"cli", "scaffold"},
]
LEVEL = {name: level for level, names in enumerate(STAGES) for name in names}
PACKAGE = Path(harness.__file__).parent


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "harness" and len(parts) > 1 else None


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "harness":
                yield from ((node.lineno, f"harness.{alias.name}") for alias in node.names)
            else:
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        yield path, ".".join(relative.parts).removesuffix(".__init__")


def test_every_module_belongs_to_a_stage():
    unplaced = sorted({_stage(module) for _, module in _modules()} - set(LEVEL) - {None})
    assert unplaced == [], f"modules outside every stage: {unplaced} (add them to STAGES)"


def test_no_module_imports_a_later_stage():
    upward = []
    for path, module in _modules():
        own = _stage(module)
        if own is None:
            continue
        for line, imported in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = _stage(imported)
            if target in LEVEL and LEVEL[target] > LEVEL[own]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({own}) imports {imported} ({target})")
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path):
    tree = ast.parse("from harness.release.dist import dist\nfrom harness import cli\n")
    assert [name for _, name in _imports(tree)] == ["harness.release.dist", "harness.cli"]
    assert LEVEL[_stage("harness.release.dist")] > LEVEL["rules"]
