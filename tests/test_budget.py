"""The alert budget: every rule without a threshold of its own alerts at most once per (source,
destination) and hour in Suricata, unless it opts out with a reason; floods prove the count."""
from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from harness.backends.suricata import SuricataBackend
from harness.rules.model import Rule
from tests.tmp_project import GOOD_RULE, TEMPLATE


def _rule(**detection) -> Rule:
    data = yaml.safe_load((TEMPLATE / GOOD_RULE).read_text(encoding="utf-8"))
    data["detection"] = {k: v for k, v in {**data["detection"], **detection}.items() if v is not None}
    return Rule.model_validate(data)


def test_default_budget_is_one_alert_per_pair_and_hour():
    text = SuricataBackend().compile(_rule(threshold=None))
    assert "threshold: type limit, track by_both, count 1, seconds 3600;" in text


def test_budget_can_track_the_source_over_another_window():
    text = SuricataBackend().compile(_rule(threshold=None, budget={"track": "by_src", "seconds": 600}))
    assert "threshold: type limit, track by_src, count 1, seconds 600;" in text


def test_opting_out_needs_a_reason_and_drops_the_threshold():
    text = SuricataBackend().compile(_rule(threshold=None, budget={"unlimited": "each write is a change to the process"}))
    assert "threshold:" not in text
    with pytest.raises(ValidationError):
        _rule(budget={"unlimited": ""})


def test_an_own_threshold_is_the_budget():
    text = SuricataBackend().compile(_rule(threshold={"type": "both", "track": "by_src", "count": 5, "seconds": 60}))
    assert text.count("threshold:") == 1 and "type both, track by_src, count 5, seconds 60" in text
    with pytest.raises(ValidationError, match="drop `budget`"):
        _rule(threshold={"type": "both", "track": "by_src", "count": 5, "seconds": 60}, budget={"seconds": 60})


def test_threshold_type_threshold_is_unbounded_without_a_reason():
    with pytest.raises(ValidationError, match="without bound"):
        _rule(threshold={"type": "threshold", "track": "by_src", "count": 5, "seconds": 60})
    _rule(threshold={"type": "threshold", "track": "by_src", "count": 5, "seconds": 60},
          budget={"unlimited": "every fifth attempt is reported on purpose"})
