"""The multi-day proof's traffic: which day is learned, held out or anomalous, and its pcaps.

Committed pcaps (pcaps/multiday/): one per normal day, one per anomaly holding only the anomaly's
packets. An anomalous day is composed at replay time from a held-out normal day moved to the
anomaly's date plus the anomaly's packets, so its normal part is traffic already shown to raise
nothing and every alert on it is the anomaly's doing. Generating a normal day with scapy takes
seconds (every packet is built and re-dissected), hence committed files rather than test-time
generation; `iotdetect baseline pcaps --check` proves they are still what the generator makes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from generators import multiday
from generators.pcapio import pcap_bytes

FOLDER = "multiday"           # under pcaps/
LEARN_DAYS = (0, 1, 2, 3, 4)
HOLDOUT_DAYS = (5, 6, 7, 8, 9, 10, 11)
SEED = 16


@dataclass(frozen=True)
class Day:
    index: int                # days after multiday.START
    kind: str                 # learn | holdout | anomaly
    anomaly: str | None = None
    base: int | None = None   # the held-out day whose normal traffic an anomalous day reuses

    @property
    def label(self) -> str:
        return self.anomaly or f"day {self.index}"

    @property
    def device(self) -> str | None:
        return multiday.ANOMALIES[self.anomaly][0] if self.anomaly else None


def plan() -> list[Day]:
    days = [Day(i, "learn") for i in LEARN_DAYS] + [Day(i, "holdout") for i in HOLDOUT_DAYS]
    first = max(HOLDOUT_DAYS) + 1
    for offset, name in enumerate(sorted(multiday.ANOMALIES)):
        days.append(Day(first + offset, "anomaly", name, HOLDOUT_DAYS[offset % len(HOLDOUT_DAYS)]))
    return days


def normal_file(folder: Path, index: int) -> Path:
    return folder / FOLDER / f"day-{index:02d}.pcap"


def anomaly_file(folder: Path, name: str) -> Path:
    return folder / FOLDER / f"anomaly-{name}.pcap"


def expected_files() -> dict[str, Callable[[], bytes]]:
    """File name under pcaps/multiday -> function producing its bytes."""
    out = {f"day-{i:02d}.pcap": (lambda i=i: pcap_bytes(multiday.normal(index=i, seed=SEED)))
           for i in LEARN_DAYS + HOLDOUT_DAYS}
    for day in plan():
        if day.anomaly:
            out[f"anomaly-{day.anomaly}.pcap"] = (
                lambda d=day: pcap_bytes(multiday.anomaly(name=d.anomaly, index=d.index, seed=SEED)))
    return out


def write(pcaps_dir: Path, names: list[str] | None = None) -> list[Path]:
    written = []
    for name, make in expected_files().items():
        if names and name not in names:
            continue
        path = pcaps_dir / FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = make()
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
    return written


def check(pcaps_dir: Path, names: list[str] | None = None) -> list[str]:
    """Problems: committed files missing or differing from what the generator makes now."""
    problems = []
    for name, make in expected_files().items():
        if names and name not in names:
            continue
        path = pcaps_dir / FOLDER / name
        if not path.is_file():
            problems.append(f"{path}: missing (run `iotdetect baseline pcaps`)")
        elif path.read_bytes() != make():
            problems.append(f"{path}: differs from the generator's output (run `iotdetect baseline pcaps`)")
    return problems


_HEADER = 24


def _records(data: bytes, shift_us: int = 0) -> list[tuple[int, bytes]]:
    out, offset = [], _HEADER
    while offset + 16 <= len(data):
        sec, usec, captured, _ = struct.unpack_from("<IIII", data, offset)
        frame = data[offset + 16:offset + 16 + captured]
        out.append((sec * 1_000_000 + usec + shift_us, frame))
        offset += 16 + captured
    return out


def compose(pcaps_dir: Path, day: Day, target: Path) -> Path:
    """The pcap Suricata replays for ``day``: committed as is, or (anomalous) a held-out day moved
    to this date merged by time with the anomaly's packets."""
    if day.anomaly is None:
        return normal_file(pcaps_dir, day.index)
    base = normal_file(pcaps_dir, day.base).read_bytes()
    records = _records(base, (day.index - day.base) * multiday.DAY * 1_000_000)
    records += _records(anomaly_file(pcaps_dir, day.anomaly).read_bytes())
    records.sort(key=lambda r: r[0])   # stable: equal times keep the base day's packets first
    body = b"".join(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(f), len(f)) + f for t, f in records)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base[:_HEADER] + body)
    return target
