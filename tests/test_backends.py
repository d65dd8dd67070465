"""The backend layer: one registry of every target, one logic-tree recursion, imports that only point
down the pipeline, and the deprecated filter applied to every target."""
from __future__ import annotations

import ast
import json
from pathlib import Path

from harness.backends import base
from harness.backends.kql import KqlRenderer
from harness.backends.registry import BACKENDS, SIEM_BACKENDS, published_siem
from harness.backends.settings import SiemSettings
from harness.backends.spl import SplRenderer
from harness.backends.sql import SqlRenderer
from harness.cli import EXIT_OK, main
from harness.suricata.ruleset import compile_rules
from harness.rules.loader import load_project
from harness.cases.pcaps import case_refs
from harness.rules.project import Project
from harness.siem import golden
from harness.siem.targets import compile_all
from tests.tmp_project import good_rule_text, write_lock, write_rule

BACKENDS_DIR = Path(base.__file__).resolve().parent
# What a backend may build on: the rule model and its parts, templating. Never a later stage
# (siem checks, packaging, engines, runner, cli), which all consume backend output.
ALLOWED = {"harness.rules.model", "harness.rules.types", "harness.rules.fields", "harness.rules.networks", "harness.templating",
           "harness.rules.errors", "harness.rules.yamlsource", "harness"}


def test_registry_lists_every_target_with_its_facts():
    assert list(BACKENDS) == ["suricata", "spl", "kql", "eql", "sql", "sigma"]
    for name, backend in BACKENDS.items():
        assert backend.name == name and backend.title and backend.lexer
    for backend in SIEM_BACKENDS.values():
        assert "{}" in backend.comment and isinstance(backend.published, bool)
    assert published_siem() == ("spl", "kql", "eql")      # sql only proves the logic; it is not shipped


def test_every_backend_compiles_through_the_one_interface(repo_ruleset):
    source = repo_ruleset.by_id("iot-mqtt-cleartext-credentials")
    for backend in BACKENDS.values():
        out = backend().compile(source.rule, repo_ruleset.networks, SiemSettings())
        text = out if isinstance(out, str) else getattr(out, "text", None) or out.alert + (out.hunt or "")
        assert "9100" in text or "mqtt" in text


def test_the_logic_tree_recursion_is_written_once():
    for renderer in (SplRenderer, KqlRenderer, SqlRenderer):
        assert renderer.expr is base.TextRenderer.expr, renderer
    for path in BACKENDS_DIR.glob("*.py"):
        if path.name not in ("base.py", "logic.py"):
            assert "case L.All" not in path.read_text(encoding="utf-8"), f"{path.name} recurses over the tree itself"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "harness"}


def test_backends_import_nothing_downstream():
    for path in sorted(BACKENDS_DIR.glob("*.py")):
        wrong = {m for m in _imports(path) if m not in ALLOWED and not m.startswith("harness.backends")}
        assert not wrong, f"harness/backends/{path.name} imports {sorted(wrong)}"


def _with_deprecated(root: Path) -> None:
    write_rule(root, "rules/iot/mqtt-old-login.yaml", good_rule_text(
        ("id: mqtt-admin-login", "id: mqtt-old-login"), ("sid: 9100900", "sid: 9100901"),
        ("status: test", "status: deprecated")))
    write_lock(root)


def test_a_deprecated_rule_appears_in_no_target(tmp_project, tmp_path):
    _with_deprecated(tmp_project)
    ruleset = load_project(Project(tmp_project))
    assert [s.rule.id for s in ruleset.active()] == ["mqtt-admin-login"]
    assert "sid:9100901;" not in compile_rules(ruleset).text and "sid:9100900;" in compile_rules(ruleset).text
    for language, by_rule in compile_all(ruleset, SiemSettings(), tuple(SIEM_BACKENDS)).items():
        assert list(by_rule) == ["mqtt-admin-login"], language
    assert not [name for name in golden.render(ruleset, SiemSettings()) if "mqtt-old-login" in name]
    assert {ref.source.rule.id for ref in case_refs(ruleset)} == {"mqtt-admin-login"}
    out = tmp_path / "out"
    assert main(["--root", str(tmp_project), "build", "--out", str(out)]) == EXIT_OK
    written = [p for p in out.rglob("*") if p.is_file()]
    assert any("mqtt-admin-login" in p.name for p in written)
    assert not [p for p in written if "mqtt-old-login" in p.name or "9100901" in p.read_text(encoding="utf-8")]
    assert list(json.loads((out / "siem" / "index.json").read_text(encoding="utf-8"))) == ["mqtt-admin-login"]
