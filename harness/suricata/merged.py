"""The merged engine: each worker's Suricata reads one pcap holding its whole share of the cases.

The batch engine pays Suricata's unix-socket cost per case (a file starts only on a 10 ms tick and
the pipeline is torn down after it, ~20 ms a case). Here the cases of a worker's share are
concatenated into one pcap instead, each case placed exactly where the batch engine places it (its
first packet 2 days after the previous case's last, see BatchEngine._time_separated), so a case's
packets, timestamps and threshold windows are the batch engine's. Suricata reads each merged file
with `-r` (one start-up and one teardown per worker) and its eve.json is split back into the
cases' own folders (evesplit.py: by the flow's start, the packet's time, or the flow_id still open). No
state can count across cases: a threshold window is at most 1 day, every flow has timed out long
before the next case, and Suricata moves a timed-out flow out of its hash before a packet of the
next case can land in it (flow-hash.c, 7.0.10).

What differs from a file per case, and what is done about it:
- Every case ends with its flush packets (harness/suricata/flush.py), exactly as the batch engine's
  staged copy does: they end every flow of the case, inspecting what is left on pseudo-packets in
  the case's own time (between its last packet and the next case's first), so Suricata does the
  same work at the same times as when the case is a file of its own. Flow records carry the flush
  time and reason "timeout" in both. `pcap_cnt` is counted from the case's own first packet again.
- A record of a case stamped after its flush (or, for a capture without one, after its last packet)
  is a sign that the case and the case whose time it carries may have influenced each other: both
  are replayed again, each in a file of its own (the batch engine's way), and those results replace
  the merged ones. None is, on any of the four site plans; the check stays as the safety net.
- A capture Suricata must read on its own (pcapng, another link type or time precision than its
  neighbours, a truncated last record) forms a file of its own in the same server.
- The runner replays every failing case alone before reporting it (harness/cases/runner.py), so a
  neighbour is never why a case fails.
"""
from __future__ import annotations

import functools
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.rules.errors import EngineError
from harness.suricata import evesplit, mergecache
from harness.suricata.engine import (TIME_ORIGIN, BatchEngine, EngineFaults, Job, Workspace, read_pcap, suricata_args,
                                    suricata_binary)
from harness.suricata.ruleset import check_loaded_count
from harness.suricata.flush import (FLUSH_AFTER, append_flush, flows_upper_bound, frame,
                                    record as flush_record)
from harness.suricata.follow import run_following
from harness.suricata.pcapshift import shift_pcap, time_span

_GLOBAL_HEADER, _RECORD_HEADER = 24, 16
_ORDER = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}
_NANOSECONDS = {b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}
# Merged files stay below this size: a worker's share is cut into several files when it is larger.
MAX_FILE_BYTES = 256 << 20
CASES_PER_TIMEOUT = 20


@dataclass
class _Case:
    """One case inside a merged file: its packets' time span (µs) and where its packets start."""
    job: Job                    # job.pcap: the case's own shifted pcap (written when it is read alone)
    first_us: int
    last_us: int
    packets_before: int = 0     # packets of the file before this case's first
    source: Path | None = None  # the case's pcap and the seconds it is moved by, to write job.pcap
    shift: int = 0
    flush_second: int | None = None   # when its flush packet ends its flows (None: it has none)

    @property
    def end_us(self) -> int:
        """Its records' latest own time: the flush packet's, else its last packet's."""
        return self.last_us if self.flush_second is None else self.flush_second * 1_000_000

    def write_own(self) -> Path:
        """The case's own shifted pcap (for reading it alone), written on first use: the batch
        engine's staged copy, flush packet included."""
        if self.source is not None and not self.job.pcap.exists():
            shift_pcap(self.source, self.job.pcap, self.shift)
            if self.flush_second is not None:
                append_flush(self.job.pcap, self.flush_second)
        return self.job.pcap


@dataclass
class _File:
    """One pcap Suricata reads as a whole: a run of cases of one share, in time order."""
    header: bytes = b""
    cases: list[_Case] = field(default_factory=list)
    size: int = 0
    packets: int = 0
    alone: bool = False
    path: Path | None = None


def _classic(data: bytes) -> tuple[str, bool] | None:
    """(struct byte order, nanosecond timestamps) of a classic pcap; None for anything else."""
    order = _ORDER.get(data[:4])
    return (order, data[:4] in _NANOSECONDS) if order and len(data) >= _GLOBAL_HEADER else None


def _shifted_records(data: bytes, order: str, seconds: int) -> tuple[bytes, int, int, int] | None:
    """(records with every timestamp `seconds` later, packets, first, last (sec, sub-second
    units)); None when the last record is cut short (Suricata must read such a file on its own)."""
    out = bytearray(data[_GLOBAL_HEADER:])
    offset, packets, first, last = 0, 0, None, None
    while offset + _RECORD_HEADER <= len(out):
        ts_sec, ts_sub, captured, _ = struct.unpack_from(order + "IIII", out, offset)
        if offset + _RECORD_HEADER + captured > len(out):
            return None
        struct.pack_into(order + "I", out, offset, ts_sec + seconds)
        stamp = (ts_sec + seconds, ts_sub)
        first = stamp if first is None else min(first, stamp)
        last = stamp if last is None else max(last, stamp)
        offset += _RECORD_HEADER + captured
        packets += 1
    if offset != len(out) or first is None:
        return None
    return bytes(out), packets, first, last


def _micros(stamp: tuple[int, int], nanoseconds: bool) -> int:
    return stamp[0] * 1_000_000 + (stamp[1] // 1000 if nanoseconds else stamp[1])


@dataclass
class MergedEngine(BatchEngine):
    """Every worker reads its share of the cases as one merged pcap (see the module docstring)."""
    name: str = "merged"
    max_file_bytes: int = MAX_FILE_BYTES
    # Merged pcaps are kept in the project's .iotdetect-cache/merged/ (mergecache.py).
    cache: bool = True
    # Each case's eve.json written to its folder; without, only results() holds what the split found
    # (the runner when nothing is kept: ~1,400 folders less to make and remove).
    write_eve: bool = True
    # Flush packets after each case (flush.py); off only for bench/run.py's floor (the cases' own packets).
    flush: bool = True
    parsed: dict = field(default_factory=dict, compare=False, repr=False)
    # The keys of the last run's cases that were replayed alone (what the tests and bench look at).
    replayed: set[str] = field(default_factory=set, compare=False)
    # How many Suricatas read the merged files; None: servers() decides.
    suricatas: int | None = None

    def servers(self) -> int:
        """Suricatas to start: one per core but one, at most `workers`. The split (Python: one
        thread at a time for all of them) reads the EVE while Suricata writes it and costs about
        what Suricata spends on the same packets, so it needs a core of its own: on the 2-core
        build machine one Suricata beside the split was faster and cheaper than two (median of 8
        alternated runs of the 694 cases: 0.61 s wall and 0.89 s CPU against 0.67 s and 1.09 s;
        also at 2x and 4x the cases, 2.7 s against 2.9 s and 4.6 s against 5.1 s wall)."""
        if self.suricatas:
            return self.suricatas
        return max(1, min(self.workers, len(os.sched_getaffinity(0)) - 1))

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        self.replayed, self.parsed = set(), {}
        if workspace.config_file is not None:
            # A sensor's own config may not log flows (or may open its own unix socket): no split
            # could be trusted, so such a run is the batch engine's.
            super().run(workspace, jobs, progress)
            return
        servers = self.servers()
        files = self._merge(workspace, jobs, servers)
        shares = [[f for w, f in files if w == worker] for worker in range(servers)]
        faults, replay = [], set()
        with ThreadPoolExecutor(max_workers=servers) as pool:
            futures = [pool.submit(self._run_files, workspace, share, progress, worker)
                       for worker, share in enumerate(shares) if share or worker == 0]  # 0 jobs: still load-test
            for future in futures:
                share_faults, share_replay = future.result()
                faults += share_faults
                replay |= share_replay
        self.replayed = replay
        if replay:
            faults += self._replay_alone(workspace, [c for _, f in files for c in f.cases if c.job.key in replay],
                                         progress)
        if faults:
            order = {job.key: n for n, job in enumerate(jobs)}
            raise EngineFaults(sorted(faults, key=lambda fault: order.get(fault[0], 0)))

    def _replay_alone(self, workspace: Workspace, cases: list[_Case], progress) -> list:
        """Cases that may have influenced each other, or whose merged file failed: each in a file of
        its own on one server, in time order (the batch engine's way). Their results replace the
        merged ones; a case that fails alone is a fault of its own."""
        cases = sorted(cases, key=lambda case: case.first_us)
        for case in cases:
            self.parsed.pop(case.job.key, None)
            case.write_own()
            (case.job.outdir / "eve.json").unlink(missing_ok=True)    # Suricata appends to eve.json
        return BatchEngine._run_share(self, workspace, [case.job for case in cases], progress, self.workers)

    # -- building the merged files --------------------------------------------------------------

    def _merge(self, workspace: Workspace, jobs: list[Job], workers: int | None = None) -> list[tuple[int, _File]]:
        """(worker, file) for every file of `workers` shares (default: self.workers), each case
        shifted exactly as the batch engine shifts it (a case replayed alone later reads the same
        bytes the batch engine would); read from the project's cache when these cases were laid
        out so before (harness/suricata/mergecache.py: then no case's pcap is read, only hashed
        unless this process knows it unchanged)."""
        workers = workers or self.workers
        root = workspace.project_root
        entry = mergecache.key(None, (workers, self.max_file_bytes, self.case_time_stride, TIME_ORIGIN)
                               + (() if self.flush else ("no flush",)), [job.pcap for job in jobs])
        meta = mergecache.load(root, entry) if self.cache else None
        if meta is not None:
            try:
                return self._from_meta(meta, mergecache.folder(root, entry), workspace, jobs)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                pass    # an entry of another shape: built again below
        files = self._build(workspace, jobs, [job.pcap.read_bytes() for job in jobs], workers)
        if self.cache:
            index = {job.key: n for n, job in enumerate(jobs)}
            meta = {"files_of": [{"worker": worker, "alone": merged.alone, "header": merged.header.hex(),
                                  "size": merged.size, "packets": merged.packets,
                                  "path": (merged.cases[0].job.pcap if merged.alone else merged.path).name,
                                  "cases": [[index[case.job.key], case.first_us, case.last_us, case.packets_before,
                                             case.shift, case.flush_second] for case in merged.cases]}
                                 for worker, merged in files]}
            mergecache.store(root, entry, meta, [merged.cases[0].job.pcap if merged.alone else merged.path
                                                 for _, merged in files])
        return files

    def _from_meta(self, meta: dict, where, workspace: Workspace, jobs: list[Job]) -> list[tuple[int, _File]]:
        """The files of a cache entry, read where they are (Suricata only reads them)."""
        folder = workspace.folder / "merged"
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for item in meta["files_of"]:
            cases = []
            for index, first_us, last_us, before, shift, flush_second in item["cases"]:
                job = jobs[index]
                if item["alone"]:
                    cases.append(_Case(Job(job.key, where / item["path"], job.outdir), first_us, last_us,
                                       flush_second=flush_second))
                else:
                    cases.append(_Case(Job(job.key, folder / f"{index:05d}.pcap", job.outdir), first_us, last_us,
                                       before, source=job.pcap, shift=shift, flush_second=flush_second))
            files.append((int(item["worker"]), _File(header=bytes.fromhex(item["header"]), cases=cases,
                                                     size=item["size"], packets=item["packets"], alone=item["alone"],
                                                     path=None if item["alone"] else where / item["path"])))
        if len(files) and sorted(c.job.key for _, f in files for c in f.cases) != sorted(j.key for j in jobs):
            raise ValueError("the entry does not hold these cases")
        return files

    def _build(self, workspace: Workspace, jobs: list[Job], pcaps: list[bytes], workers: int) -> list[tuple[int, _File]]:
        folder = workspace.folder / "merged"
        folder.mkdir(parents=True, exist_ok=True)
        current: dict[int, _File] = {}
        files: list[tuple[int, _File]] = []
        writing: dict[int, object] = {}     # worker -> open file of its current merged pcap

        def close(worker: int) -> None:
            current.pop(worker, None)
            if worker in writing:
                writing.pop(worker).close()

        start = TIME_ORIGIN
        try:
            for index, job in enumerate(jobs):
                worker = index % workers
                staged = folder / f"{index:05d}.pcap"
                data = pcaps[index]
                form = _classic(data)
                shift = start - self._first_second(data, form[0]) if form else 0
                shifted = _shifted_records(data, form[0], shift) if form else None
                if shifted is None:
                    # pcapng (scapy converts it), or a last record cut short: read on its own, as the
                    # batch engine would; later cases go into a later file (time only moves forward).
                    first, last = time_span(job.pcap)
                    shift_pcap(job.pcap, staged, start - first)
                    flush = start + (last - first) + FLUSH_AFTER
                    case = _Case(Job(job.key, staged, job.outdir), start * 1_000_000,
                                 (start + last - first + 1) * 1_000_000,
                                 flush_second=flush if append_flush(staged, flush) else None)
                    files.append((worker, _File(cases=[case], alone=True)))
                    close(worker)
                    start += (last - first) + self.case_time_stride
                    continue
                records, packets, first, last = shifted
                case = _Case(Job(job.key, staged, job.outdir), _micros(first, form[1]), _micros(last, form[1]),
                             source=job.pcap, shift=shift)
                header = self._header(data)
                merged = current.get(worker)
                if merged is None or merged.header != header or merged.size + len(records) > self.max_file_bytes:
                    close(worker)
                    merged = current[worker] = _File(header=header, path=folder / f"merged-{len(files):04d}.pcap")
                    files.append((worker, merged))
                    writing[worker] = merged.path.open("wb")
                    writing[worker].write(header)
                linktype = self._linktype(header, form[0])
                flush = flush_record(form[0], linktype, last[0] + FLUSH_AFTER,
                                     flows_upper_bound(records, form[0], linktype, 0)) if frame(linktype) and self.flush else b""
                if flush:
                    case.flush_second = last[0] + FLUSH_AFTER
                case.packets_before = merged.packets
                merged.cases.append(case)
                writing[worker].write(records + flush)
                merged.size += len(records) + len(flush)
                merged.packets += packets + (len(flush) // (16 + len(frame(linktype))) if flush else 0)
                start += (last[0] - first[0]) + self.case_time_stride
        finally:
            for worker in list(writing):
                close(worker)
        return files

    @staticmethod
    def _header(data: bytes) -> bytes:
        """The global header a merged file shares with its cases: the snap length raised to the
        largest any capture may declare, so no case's record is longer than the file allows."""
        order = _ORDER[data[:4]]
        magic, major, minor, zone, sigfigs, _, linktype = struct.unpack_from(order + "IHHiIII", data, 0)
        return struct.pack(order + "IHHiIII", magic, major, minor, zone, sigfigs, 262144, linktype)

    @staticmethod
    def _linktype(header: bytes, order: str) -> int:
        return struct.unpack_from(order + "I", header, 20)[0]

    @staticmethod
    def _first_second(data: bytes, order: str) -> int:
        """The first packet's whole second (as pcapshift.time_span reads it)."""
        first, offset = None, _GLOBAL_HEADER
        while offset + _RECORD_HEADER <= len(data):
            ts_sec, _, captured, _ = struct.unpack_from(order + "IIII", data, offset)
            first = ts_sec if first is None else min(first, ts_sec)
            offset += _RECORD_HEADER + captured
        return first or 0

    # -- running them and splitting the output --------------------------------------------------

    def _run_files(self, workspace: Workspace, files: list[_File], progress, worker: int):
        """Each merged file read by a Suricata of its own (`-r`: nothing to poll, no 10 ms tick),
        captures read alone on one unix-socket server, then every file's eve.json split into its
        cases'. Returns (faults of cases read alone, keys of cases to replay alone). A merged file
        that hangs or crashes Suricata is replayed case by case, so the fault names its case."""
        jobs, owner = [], {}
        for number, merged in enumerate(files):
            job = merged.cases[0].job if merged.alone else Job(
                f"merged/{worker}/{number}", merged.path, workspace.folder / "merged" / f"out-{worker}-{number:04d}")
            jobs.append(job)
            owner[job.key] = merged
        largest = max((len(f.cases) for f in files), default=1)
        # A merged file gets the per-case time-out once for every CASES_PER_TIMEOUT cases in it.
        serving = replace(self, case_timeout=self.case_timeout * -(-largest // CASES_PER_TIMEOUT))
        faults, replay = [], set()
        failed = set()
        alone = [job for job in jobs if owner[job.key].alone]
        splits = {}
        for job in jobs:
            if not owner[job.key].alone:
                splits[job.key] = evesplit.Split(owner[job.key].cases, job.outdir / "eve.json", self.write_eve)
                if not self._read(workspace, job, serving.case_timeout, splits[job.key].feed):
                    failed.add(job.key)
                    replay |= {case.job.key for case in owner[job.key].cases}
        served = BatchEngine._run_share(serving, workspace, alone, None, worker) if alone or not jobs else []
        for key, error in served:
            failed.add(key)
            if owner[key].alone:
                faults.append((key, error))
            else:
                replay |= {case.job.key for case in owner[key].cases}
        for job in jobs:
            merged = owner[job.key]
            if job.key in failed:
                continue
            late = self._split(splits[job.key], merged) if not merged.alone else set()
            replay |= late
            for case in merged.cases:
                if progress and case.job.key not in late:
                    progress(case.job)
        return faults, replay

    @staticmethod
    def _read(workspace: Workspace, job: Job, timeout: float, feed) -> bool:
        """`suricata -r` of one merged file into job.outdir, its eve.json fed to feed as Suricata
        writes it; False when it hung or crashed (its cases are then replayed one by one). Rule
        errors are raised, as a server's start-up raises them."""
        command = [suricata_binary()] + suricata_args(str(workspace.config), str(workspace.rules), str(job.outdir),
                                                      pcap=str(job.pcap))
        eve_path = job.outdir / "eve.json"
        eve_path.unlink(missing_ok=True)     # Suricata appends: a kept folder's last run must not count again
        try:
            output = read_pcap(command, workspace, job, timeout, f"on {job.pcap.name}",
                               run=functools.partial(run_following, path=eve_path, feed=feed))
            check_loaded_count(output, workspace.rules)
        except EngineError:
            return False
        return True

    def _split(self, split: evesplit.Split, merged: _File) -> set[str]:
        """Each case's alerts and record count (and, with write_eve, its eve.json) from the file's
        split (evesplit.py); returns the keys of cases that may have influenced each other."""
        replay, results, lines = split.finish()
        for case, result, case_lines in zip(merged.cases, results, lines):
            self.parsed[case.job.key] = result
            if self.write_eve:
                case.job.outdir.mkdir(parents=True, exist_ok=True)
                (case.job.outdir / "eve.json").write_bytes(b"".join(line + b"\n" for line in case_lines))
        return replay

    def results(self, key: str) -> tuple[list[dict], int] | None:
        """(alert records, number of EVE records) of a case of the last run, as its eve.json
        holds them; None when the case was replayed alone (read its eve.json instead)."""
        return self.parsed.get(key)

