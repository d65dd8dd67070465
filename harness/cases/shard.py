"""`iotdetect test --shard K/N`: a deterministic split of the suite by rule id, so CI can spread a
large library over a matrix of N jobs. A rule's cases stay together (a case's expectations are the
rule's); baselines, which need every rule but belong to none, run in shard 1."""
from __future__ import annotations

import hashlib
import re

from harness.rules.errors import UsageError

_SPEC = re.compile(r"(\d+)/(\d+)")


def parse(spec: str) -> tuple[int, int]:
    """'K/N' with 1 <= K <= N; UsageError (exit 2) otherwise."""
    match = _SPEC.fullmatch(spec.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise UsageError(f"--shard {spec!r}: expected K/N with 1 <= K <= N, e.g. 2/4")
    return int(match.group(1)), int(match.group(2))


def shard_of(rule_id: str, count: int) -> int:
    """1-based shard of a rule: a hash of its id, the same on every machine and run, and stable
    when other rules are added (unlike splitting a sorted list)."""
    return int.from_bytes(hashlib.sha256(rule_id.encode()).digest()[:8], "big") % count + 1


def select(refs: list, shard: tuple[int, int]) -> list:
    """The refs (CaseRef / BaselineRef) of one shard."""
    index, count = shard
    return [ref for ref in refs
            if (shard_of(ref.source.rule.id, count) if hasattr(ref, "source") else 1) == index]
