"""The merged engine's pcaps in .iotdetect-cache/merged/ (harness/suricata/mergecache.py): a hit is
exactly what a fresh build writes, a changed pcap misses, a damaged entry is built again."""
from __future__ import annotations

from pathlib import Path

from generators.pcapio import write_pcap
from harness.cases.pcaps import generate
from harness.rules.project import CACHE
from harness.suricata import mergecache
from harness.suricata.engine import Job, Workspace
from harness.suricata.merged import MergedEngine


def _jobs(tmp_path: Path) -> list[Job]:
    jobs = []
    for n, ports in enumerate(([22, 23], [80], [443, 8443, 8080])):
        pcap = tmp_path / "in" / f"{n}.pcap"
        write_pcap(generate("tcp.syn_scan", {"src": "10.1.1.50", "dst": "192.168.200.10", "dports": ports}), pcap)
        jobs.append(Job(f"case/{n}", pcap, tmp_path / "out" / str(n)))
    return jobs


def _layout(tmp_path: Path, jobs: list[Job], name: str, cache: bool = True):
    """(shape, bytes of every merged file, the files' folders) of one _merge."""
    (tmp_path / name).mkdir()
    files = MergedEngine(workers=2, cache=cache)._merge(Workspace(tmp_path / name, None, tmp_path), jobs)
    shape = [(worker, [(c.job.key, c.first_us, c.last_us, c.packets_before, c.flush_second) for c in f.cases])
             for worker, f in files]
    return shape, [f.path.read_bytes() for _, f in files], {f.path.parent for _, f in files}


def test_a_repeat_run_reads_the_cached_files_and_they_are_a_fresh_build(tmp_path):
    jobs = _jobs(tmp_path)
    fresh = _layout(tmp_path, jobs, "fresh", cache=False)
    first = _layout(tmp_path, jobs, "first")
    again = _layout(tmp_path, jobs, "again")
    assert fresh[:2] == first[:2] == again[:2]
    assert all(CACHE in folder.parts for folder in again[2])          # read where they are kept
    assert not any(CACHE in folder.parts for folder in first[2])      # built in the workspace, then stored


def test_a_changed_pcap_misses(tmp_path):
    jobs = _jobs(tmp_path)
    _layout(tmp_path, jobs, "first")
    write_pcap(generate("tcp.syn_scan", {"src": "10.1.1.51", "dst": "192.168.200.10", "dports": [80]}), jobs[1].pcap)
    fresh = _layout(tmp_path, jobs, "fresh", cache=False)
    again = _layout(tmp_path, jobs, "again")
    assert again[:2] == fresh[:2]
    assert not any(CACHE in folder.parts for folder in again[2])
    assert len(list((tmp_path / CACHE / "merged").iterdir())) == 2


def test_a_damaged_entry_is_built_again(tmp_path):
    jobs = _jobs(tmp_path)
    fresh = _layout(tmp_path, jobs, "fresh", cache=False)
    _layout(tmp_path, jobs, "first")
    (entry,) = (tmp_path / CACHE / "merged").iterdir()
    merged = sorted(entry.glob("merged-*.pcap"))[0]
    data = bytearray(merged.read_bytes())
    data[-1] ^= 0xFF                                                    # one flipped bit of packet data
    merged.write_bytes(bytes(data))
    again = _layout(tmp_path, jobs, "again")
    assert again[:2] == fresh[:2] and not any(CACHE in folder.parts for folder in again[2])
    assert mergecache.load(tmp_path, _key(jobs)) is not None           # and stored whole again
    (entry / "meta.json").write_text("{not json", encoding="utf-8")
    assert _layout(tmp_path, jobs, "broken-meta")[:2] == fresh[:2]
    (entry / "meta.json").write_text('{"key": "%s", "files": {}, "files_of": [{"worker": "x"}]}' % _key(jobs))
    assert _layout(tmp_path, jobs, "wrong-shape")[:2] == fresh[:2]


def _key(jobs: list[Job]) -> str:
    from harness.suricata.engine import TIME_ORIGIN
    engine = MergedEngine(workers=2)
    return mergecache.key([job.pcap.read_bytes() for job in jobs],
                          (engine.workers, engine.max_file_bytes, engine.case_time_stride, TIME_ORIGIN))
