"""How `sensor check` reads includes, proven against the real Suricata's --dump-config, and how
`sensor configure` edits configs the stock file does not cover."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.sensor import check, configure
from harness.sensor.conf import ConfigError, load_view
from harness.sensor.needs import PackNeeds, RuleNeeds

STOCK = Path("/etc/suricata/suricata.yaml")
needs_suricata = pytest.mark.skipif(not STOCK.is_file() or not shutil.which("suricata"),
                                    reason="needs Debian's suricata package")

NEEDS = PackNeeds(
    rules=(RuleNeeds("r-iot", 9100900, ("IOT_NET", "HOME_NET"), (), None, ("alert",), False),
           RuleNeeds("r-modbus", 9100901, ("OT_NET",), ("MODBUS_PORTS",), "modbus", ("alert", "modbus"), True)),
    groups=(("HOME_NET", "[$IOT_NET,$OT_NET]"), ("IOT_NET", "[192.168.200.0/24]"), ("OT_NET", "[192.168.210.0/24]")))


def _dump(config: Path) -> dict[str, str]:
    out = subprocess.run(["suricata", "-c", str(config), "--dump-config"], capture_output=True, text=True,
                         timeout=60, cwd="/")
    return dict(re.findall(r"^vars\.address-groups\.(\S+) = (.*)$", out.stdout, re.M))


def _stock_with(tmp_path, old: str, new: str, extra: dict[str, str]) -> Path:
    text = STOCK.read_text()
    assert old in text
    config = tmp_path / "suricata.yaml"
    config.write_text(text.replace(old, new, 1))
    for name, content in extra.items():
        (tmp_path / name).write_text(content)
    return config


FRAGMENT = '%YAML 1.1\n---\nIOT_NET: "[192.168.200.0/24]"\nHOME_NET: "[10.99.0.0/16]"\n'
VARS_FILE = '%YAML 1.1\n---\nvars:\n  address-groups:\n    IOT_NET: "[192.168.200.0/24]"\n'


@needs_suricata
@pytest.mark.parametrize("old,new,files", [
    # nested include, first key: added, and the site's HOME_NET (later) wins over the fragment's
    ("  address-groups:\n", "  address-groups:\n    include: frag.yaml\n", {"frag.yaml": FRAGMENT}),
    # nested include, last key: the fragment's HOME_NET wins
    ('    ENIP_SERVER: "$HOME_NET"\n', '    ENIP_SERVER: "$HOME_NET"\n    include: frag.yaml\n', {"frag.yaml": FRAGMENT}),
    # top-level include of a vars file: the whole vars tree is replaced
    ("suricata-version: \"7.0\"\n", "suricata-version: \"7.0\"\ninclude: vars.yaml\n", {"vars.yaml": VARS_FILE}),
    ("#include:\n#  - include1.yaml\n", "include:\n  - vars.yaml\n", {"vars.yaml": VARS_FILE}),
    # !include replaces the node it tags
    ("  address-groups:\n    HOME_NET", "  address-groups: !include frag.yaml\n  unused-groups:\n    HOME_NET",
     {"frag.yaml": FRAGMENT}),
], ids=["nested-first", "nested-last", "top-level-before-vars", "top-level-at-end", "tag"])
def test_include_semantics_match_suricata(tmp_path, old, new, files):
    config = _stock_with(tmp_path, old, new, files)
    view = load_view(config)
    ours = {k: str(v) for k, v in (view.tree.get("vars", {}).get("address-groups") or {}).items()}
    assert ours == _dump(config)
    assert len(view.files) == 2


@needs_suricata
def test_top_level_vars_include_loses_stock_port_groups(tmp_path):
    """The defect the old vars file's advice caused, seen through check's view."""
    config = _stock_with(tmp_path, "#include:\n#  - include1.yaml\n", "include:\n  - vars.yaml\n", {"vars.yaml": VARS_FILE})
    assert "port-groups" not in load_view(config).tree["vars"]
    assert "HOME_NET" not in load_view(config).tree["vars"]["address-groups"]


MINIMAL = """%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      types:
        - alert
        - modbus:
            enabled: no
app-layer:
  protocols:
    http:
      enabled: yes
"""


def test_configure_builds_missing_sections_and_check_then_passes(tmp_path):
    config = tmp_path / "s.yaml"
    config.write_text(MINIMAL)
    report = check.check(config, NEEDS)
    assert set(report.affected()) == {"r-iot", "r-modbus"}
    plan = configure.plan(config, NEEDS, "t")
    assert "vars.address-groups: add HOME_NET, IOT_NET, OT_NET" in plan.changes     # absent: HOME_NET added
    assert "vars.port-groups: add MODBUS_PORTS" in plan.changes
    configure.write(plan)
    assert check.check(config, NEEDS).ok
    text = config.read_text()
    assert text.count("\nvars:\n") == 1 and '\n  port-groups:\n    MODBUS_PORTS: "502"\n' in text   # one vars section
    assert "modbus:\n            enabled: yes" in text                  # the disabled type re-enabled
    assert "    modbus:\n      enabled: yes\n      detection-ports:\n        dp: 502" in text
    assert MINIMAL.splitlines()[2] in text and (tmp_path / "s.yaml.iotdetect-backup").read_text() == MINIMAL
    assert configure.plan(config, NEEDS, "t").changes == ()


def test_configure_keeps_site_home_net_unless_asked(tmp_path):
    config = tmp_path / "s.yaml"
    config.write_text(MINIMAL + 'vars:\n  address-groups:\n    HOME_NET: "[10.0.0.0/8]"\n')
    kept = configure.plan(config, NEEDS, "t")
    assert '    HOME_NET: "[10.0.0.0/8]"' in kept.after and "HOME_NET" not in " ".join(kept.changes)
    assert 'vars:\n  port-groups:\n    MODBUS_PORTS: "502"\n  address-groups:\n' in kept.after
    asked = configure.plan(config, NEEDS, "t", site_groups=True)
    assert '    HOME_NET: "[$IOT_NET,$OT_NET]"' in asked.after


def test_groups_from_an_include_are_not_shadowed(tmp_path):
    (tmp_path / "groups.yaml").write_text('vars:\n  address-groups:\n    HOME_NET: "[10.0.0.0/8]"\n')
    config = tmp_path / "s.yaml"
    config.write_text(MINIMAL + "include: groups.yaml\n")
    with pytest.raises(ConfigError, match="comes from an included file"):
        configure.plan(config, NEEDS, "t")


def test_threshold_file_suppressing_a_pack_sid_fails_the_check(tmp_path):
    (tmp_path / "threshold.config").write_text("# site tuning\nsuppress gen_id 1, sig_id 9100901, track by_src, ip 10.0.0.1\n")
    config = tmp_path / "s.yaml"
    config.write_text(MINIMAL + "threshold-file: threshold.config\n")
    finding = next(f for f in check.check(config, NEEDS).findings if f.subject.endswith("threshold.config:2"))
    assert finding.level == "error" and finding.rules == ("r-modbus",)


def test_unreadable_or_broken_config_names_the_file_and_line(tmp_path):
    config = tmp_path / "s.yaml"
    config.write_text("vars:\n  address-groups: [\n")
    with pytest.raises(ConfigError, match=r"s\.yaml:\d+: not valid YAML"):
        load_view(config)
    with pytest.raises(ConfigError, match="cannot read"):
        load_view(tmp_path / "missing.yaml")
