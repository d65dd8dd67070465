import pytest

from harness.packaging import conf
from harness.packaging.splunk_app import cron


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
