import pytest

from harness.formats import conf
from harness.release.splunk_app import cron


@pytest.mark.parametrize("schedule, line", [("5m", "*/5 * * * *"), ("1m", "* * * * *"), ("30s", "* * * * *"),
                                            ("1h", "0 * * * *"), ("6h", "0 */6 * * *"), ("1d", "0 0 * * *")])
def test_cron_from_schedule(schedule, line):
    assert cron(schedule) == line


def test_multi_line_spl_becomes_one_conf_line():
    search = "`iotdetect_eve` event_type=alert\n| stats count BY src_ip\n| eval x=\"a | b\"\n"
    assert conf.search(search) == '`iotdetect_eve` event_type=alert | stats count BY src_ip | eval x="a | b"'


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "ends with \\"])
def test_values_that_would_change_meaning_are_refused(bad):
    with pytest.raises(ValueError):
        conf.render([("stanza", [("search", bad)])])


def test_render_writes_stanzas_in_order():
    text = conf.render([("one", [("a", "1"), ("b", "x = y")]), ("two", [("c", "")])])
    assert text == "[one]\na = 1\nb = x = y\n\n[two]\nc = \n"


def test_stanza_names_with_brackets_are_refused():
    with pytest.raises(ValueError):
        conf.render([("bad]name", [])])


def test_correlation_searches_ship_disabled_and_the_readme_says_how_to_enable(tmp_path):
    """Splunk's own ES content ships `disabled = 1`; an enabled-by-default app starts alerting on install."""
    import tarfile

    from harness.release.dist import DistOptions, dist
    from tests.packaging_project import load, make_release_project
    root = dist(load(make_release_project(tmp_path / "project")), DistOptions(out=tmp_path / "dist"))
    with tarfile.open(next((root / "splunk").glob("*.tgz"))) as tar:
        searches = tar.extractfile("iotdetect_app/default/savedsearches.conf").read().decode()
        readme = tar.extractfile("iotdetect_app/README.txt").read().decode()
    stanzas = {block.split("]", 1)[0]: block for block in searches.split("\n[")}
    rules = {name: body for name, body in stanzas.items() if name.endswith(" - Rule")}
    assert rules and all("\ndisabled = 1\n" in body and "\nenableSched = 1\n" in body for body in rules.values())
    for step in ("Content Management", "disabled = 0", "KV_MODE = json", "iotdetect sensor configure"):
        assert step in readme


def test_suppress_fields_must_be_returned_by_the_alert_search(tmp_project, capsys):
    """The defect of iot-internet-unexpected-port: suppressing on dest_port, which the search drops."""
    from harness.cli import EXIT_INVALID, main
    from tests.tmp_project import GOOD_RULE, good_rule_text, write_lock, write_rule
    text = good_rule_text()
    if "siem:" not in text:
        text = text.replace("tests:", "siem: {schedule: 5m, lookback: 1h, suppress: {by: [src_ip, dest_port], for: 1h}}\ntests:", 1)
    else:
        text = text.replace("[src_ip", "[src_ip, dest_port", 1)
    write_rule(tmp_project, GOOD_RULE, text)
    write_lock(tmp_project)
    assert main(["--root", str(tmp_project), "validate", "--no-suricata"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "[siem.suppress.by] dest_port is not returned by the alert search" in err


def test_output_fields_of_the_alert_template():
    from harness.siem.spl_fields import output_fields
    search = ('`e` event_type=alert | stats count AS alerts min(_time) AS first_seen BY src_ip dest_ip'
              ' | eval iotdetect_rule="a | b=c", t=1 | rename t AS tee')
    assert output_fields(search) == {"alerts", "first_seen", "src_ip", "dest_ip", "iotdetect_rule", "tee"}
    assert output_fields("`e` event_type=alert | where x=1") is None
