"""Pcap digests kept across processes (harness/suricata/digests.py): found again by the file's stat
stamp without reading it, and never for a file that changed."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from harness.rules.answers import cache_file
from harness.suricata import digests


@pytest.fixture
def fresh(monkeypatch):
    """A process that has hashed nothing yet."""
    monkeypatch.setattr(digests, "_KNOWN", {})
    monkeypatch.setattr(digests, "_USED", {})
    monkeypatch.setattr(digests, "_hashed", 0)


def _old_file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    past = path.stat().st_mtime - 60          # older than RACY: its digest may be kept
    os.utime(path, (past, past))
    return path


def _next_process(monkeypatch, root: Path) -> None:
    monkeypatch.setattr(digests, "_KNOWN", {})
    digests.remember(root)


def test_a_later_process_finds_the_digest_without_reading_the_file(tmp_path, monkeypatch, fresh):
    pcap = _old_file(tmp_path / "pcaps" / "a.pcap", b"one")
    assert digests.file_sha256(pcap) == hashlib.sha256(b"one").hexdigest()
    digests.save(tmp_path)
    _next_process(monkeypatch, tmp_path)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    assert digests.file_sha256(pcap) == hashlib.sha256(b"one").hexdigest()


def test_a_rewritten_file_is_hashed_again(tmp_path, monkeypatch, fresh):
    pcap = _old_file(tmp_path / "pcaps" / "a.pcap", b"one")
    digests.file_sha256(pcap)
    digests.save(tmp_path)
    _next_process(monkeypatch, tmp_path)
    stamp = pcap.stat()
    pcap.write_bytes(b"two")                              # same size, then its mtime set back as it was:
    os.utime(pcap, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))   # the ctime still moved
    assert digests.file_sha256(pcap) == hashlib.sha256(b"two").hexdigest()


def test_a_damaged_cache_is_an_empty_one(tmp_path, monkeypatch, fresh):
    pcap = _old_file(tmp_path / "pcaps" / "a.pcap", b"one")
    where = cache_file(tmp_path, digests.CACHE_NAME)
    where.parent.mkdir(parents=True)
    where.write_bytes(b'{"' + str(pcap).encode() + b'\\u00001\\u00002": "x", "broken')
    digests.remember(tmp_path)
    assert digests.file_sha256(pcap) == hashlib.sha256(b"one").hexdigest()


def test_only_files_below_the_project_are_kept(tmp_path, monkeypatch, fresh):
    inside = _old_file(tmp_path / "project" / "pcaps" / "a.pcap", b"one")
    outside = _old_file(tmp_path / "tmp" / "copy.pcap", b"one")
    digests.file_sha256(inside), digests.file_sha256(outside)
    digests.save(tmp_path / "project")
    kept = cache_file(tmp_path / "project", digests.CACHE_NAME).read_text()
    assert str(inside) in kept and str(outside) not in kept
