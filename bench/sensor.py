"""Sensor cost of the ruleset: Suricata's throughput on a large IoT-VLAN mix with no rules and with
the whole pack, side by side in one run, then the most expensive rules by leave-one-out.

    .venv/bin/python bench/sensor.py [--repeat 5] [--top 10] [--candidates 20] [--no-loo]
                                     [--instructions] [--work DIR]

- Traffic: bench/sensor_mix.py writes a deterministic mix (cameras, MQTT, Modbus, DNS, NTP, HTTPS,
  HTTP, SNMP and the committed case pcaps as attack traffic), 346 MB, cached under
  .iotdetect-cache/sensorbench/ (never committed; rebuilt when the generator or the pcaps change).
- Sensor: Debian's own /etc/suricata/suricata.yaml after `iotdetect sensor configure --write` (what
  an operator runs), the real Suricata in pcap-file mode (`-r`), its stock runmode (autofp), EVE
  on as configured. `unix-command` is switched off so that runs never share the stock socket.
  "No rules" is an empty rules file given with -S (the stock rule path is not read either).
- Figures: Suricata's own "time elapsed" (engine start to end of the file, rule loading excluded)
  and the process's CPU seconds minus those of the same start and stop on one packet, median of
  --repeat runs, the two configurations interleaved (A B A B ...) so that a load change on the
  shared machine hits both. --instructions adds instruction counts on the whole mix (valgrind),
  which do not depend on what else runs.
- Leave-one-out, grouped (see leave_one_out): the pack minus each group of rules that Suricata
  runs the same way, then minus each rule of the costliest groups, `--runmode single`. By CPU
  seconds on a 15 s slice of the same generator (every 8th case pcap), three runs each, start-up
  included; with --instructions by instruction counts on the whole mix, one run each, start and
  stop subtracted (~80 s a run here under valgrind, ~45 min for 33 runs). A 3 s slice was tried
  first: Suricata's timer-driven flow work spread its counts by 16 M, as much as most rules cost,
  so it ranked noise; on the whole mix a configuration repeats within ~10 M of ~5 G.

Prints figures; asserts nothing. The machine is shared: compare columns of one run, not runs.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import sensor_mix  # noqa: E402

STOCK = Path("/etc/suricata/suricata.yaml")
FULL = sensor_mix.Mix()                                     # 120 s, 346 MB
SAMPLE = sensor_mix.Mix(duration=15.0, case_share=0.125)    # leave-one-out by CPU: 1/8 of the mix
_ELAPSED = re.compile(r"time elapsed ([0-9.]+)s")
_READ = re.compile(r"read 1 file, (\d+) packets, (\d+) bytes")
_ALERTS = re.compile(r"Alerts: (\d+)")


@dataclass(frozen=True)
class Run:
    elapsed: float       # Suricata's own: engine start to the end of the file
    cpu: float           # user + sys of the process (startup included)
    wall: float
    packets: int
    size: int
    alerts: int


def suricata(config: Path, rules: Path, pcap: Path, out: Path, *extra: str) -> Run:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    argv = ["suricata", "-c", str(config), "-S", str(rules), "-r", str(pcap), "-l", str(out), "-v",
            "--set", "unix-command.enabled=no", *extra]
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timer = threading.Timer(600, process.kill)      # by its PID, should it ever hang
    timer.start()
    try:
        output = process.stdout.read().decode(errors="replace")
        # wait4: this child's own rusage, in microseconds (os.times() counts 10 ms ticks)
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
        process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    if process.returncode != 0:
        raise SystemExit(f"suricata exited {process.returncode}:\n{output[-3000:]}")
    elapsed, read, alerts = _ELAPSED.search(output), _READ.search(output), _ALERTS.search(output)
    if not (elapsed and read):
        raise SystemExit(f"suricata printed no timing:\n{output[-3000:]}")
    return Run(float(elapsed.group(1)), cpu, wall, int(read.group(1)), int(read.group(2)),
               int(alerts.group(1)) if alerts else 0)


def content_digest(pcaps_dir: Path) -> str:
    digest = hashlib.sha256((BENCH / "sensor_mix.py").read_bytes())
    for path in sorted(pcaps_dir.rglob("*.pcap")):
        digest.update(str(path.relative_to(pcaps_dir)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def mix_pcap(mix: sensor_mix.Mix, networks: dict, pcaps_dir: Path, cache: Path) -> tuple[Path, float | None]:
    """The cached mix, written first when missing; (path, seconds it took to write or None)."""
    path = cache / f"mix-{mix.key()}.pcap"
    if path.is_file():
        return path, None
    for old in cache.parent.glob("*/mix-*.pcap"):    # mixes of older generators or pcaps
        if old.parent != cache or old.name not in {f"mix-{m.key()}.pcap" for m in (FULL, SAMPLE)}:
            old.unlink()
    started = time.perf_counter()
    sensor_mix.write_mix(mix, networks, pcaps_dir, path)
    return path, time.perf_counter() - started


def configured_stock(folder: Path) -> Path:
    """Debian's stock suricata.yaml after `iotdetect sensor configure --write`, as an operator does."""
    if not STOCK.is_file():
        raise SystemExit(f"needs Debian's suricata package ({STOCK})")
    config = folder / "suricata.yaml"
    shutil.copyfile(STOCK, config)
    iotdetect = Path(sys.executable).parent / "iotdetect"
    subprocess.run([str(iotdetect), "--root", str(ROOT), "sensor", "configure", str(config), "--write"],
                   check=True, capture_output=True, timeout=300)
    return config


def pack(folder: Path):
    """The release's Suricata rules (what `iotdetect build`/`dist` ship) written to folder, and
    {rule id: (sid, rule line)}."""
    from harness.version import version
    from harness.suricata.ruleset import compile_rules
    from harness.rules.loader import load_project
    from harness.rules.project import Project
    ruleset = load_project(Project(ROOT))
    compiled = compile_rules(ruleset, version())
    lines = compiled.text.splitlines()
    rules = {}
    for number, source in compiled.line_sources.items():
        rules[source.rule.id] = (source.rule.sid, lines[number - 1])
    path = folder / "pack.rules"
    path.write_text(compiled.text)
    return ruleset, path, rules


def one_packet(pcap: Path, path: Path) -> Path:
    """The first packet of ``pcap`` alone: a run on it is Suricata's start and stop."""
    with open(pcap, "rb") as source:
        head = source.read(24 + 16)
        caplen = int.from_bytes(head[32:36], "little")
        path.write_bytes(head + source.read(caplen))
    return path


def throughput(config: Path, rules: Path, empty: Path, pcap: Path, work: Path, repeat: int,
               *extra: str) -> dict[str, tuple[list[Run], list[Run]]]:
    """(runs on the mix, runs on one packet) per configuration, the configurations interleaved."""
    tiny = one_packet(pcap, work / "one-packet.pcap")
    runs: dict[str, tuple[list[Run], list[Run]]] = {"no rules": ([], []), "the pack": ([], [])}
    for _ in range(repeat):
        for label, rules_file in (("no rules", empty), ("the pack", rules)):
            runs[label][0].append(suricata(config, rules_file, pcap, work / "out", *extra))
            runs[label][1].append(suricata(config, rules_file, tiny, work / "out", *extra))
    return runs


def print_throughput(runs: dict[str, tuple[list[Run], list[Run]]], rule_count: int) -> dict[str, float]:
    """Elapsed: Suricata's own engine time (wall, shared machine). CPU: the process's CPU seconds
    minus those of the same start and stop on one packet (rule loading, Hyperscan compilation)."""
    medians = {}
    for label, (rows, starts) in runs.items():
        medians[label] = (statistics.median(r.elapsed for r in rows),
                          statistics.median(r.cpu for r in rows) - statistics.median(r.cpu for r in starts),
                          statistics.median(r.cpu for r in starts))
    base, base_cpu, _ = medians["no rules"]
    print(f"{'':<12}{'rules':>6}{'elapsed s':>10}{'packets/s':>11}{'Mbit/s':>8}{'slower':>8}"
          f"{'CPU s':>7}{'packets/CPU s':>15}{'Mbit/CPU s':>12}{'slower':>8}{'start CPU s':>13}{'alerts':>8}")
    for label, (rows, _) in runs.items():
        elapsed, cpu, start = medians[label]
        first = rows[0]
        print(f"{label:<12}{rule_count if label == 'the pack' else 0:>6}{elapsed:>10.2f}"
              f"{first.packets / elapsed:>11,.0f}{first.size * 8 / elapsed / 1e6:>8,.0f}"
              f"{100 * (elapsed / base - 1):>7.1f}%{cpu:>7.2f}{first.packets / cpu:>15,.0f}"
              f"{first.size * 8 / cpu / 1e6:>12,.0f}{100 * (cpu / base_cpu - 1):>7.1f}%{start:>13.2f}{first.alerts:>8}")
    for label, (rows, _) in runs.items():
        print(f"  {label} elapsed s of each run: {', '.join(f'{r.elapsed:.2f}' for r in rows)};"
              f" CPU s: {', '.join(f'{r.cpu:.2f}' for r in rows)}")
    return {label: 100 * (m[1] / base_cpu - 1) for label, m in medians.items()}


class CpuCounter:
    """CPU seconds of the process, `--runmode single`; noisy on a shared machine, so every rule
    is measured once and the most expensive ones again, with the full pack re-measured around."""
    unit, scale, repeats = "CPU ms", 1000.0, 3
    note = ", start and stop included"

    def __init__(self, config: Path, pcap: Path, work: Path) -> None:
        self.config, self.pcap, self.out = config, pcap, work / "out"

    def __call__(self, rules: Path) -> float:
        return suricata(self.config, rules, self.pcap, self.out, "--runmode", "single").cpu


class InstructionCounter(CpuCounter):
    """Instructions executed (valgrind's cachegrind, no cache simulation) on the mix minus those on
    its first packet alone: nearly the same count for the same input whatever else runs on the
    machine (measured: within ~10-17 M of ~5 G on the whole mix, 16 M of ~290 M on a 3 s slice:
    Suricata's flow threads wake on wall-clock timers, so a loaded machine, which stretches a run
    under valgrind, adds some), at ~30x the time, so one run a configuration. Start
    and stop (rule loading, Hyperscan compilation: 451 M with no rules, 558 M with the pack) are
    subtracted: they would rank rules by their loading cost."""
    unit, scale, repeats = "M instr", 1e-6, 1
    note = ", start and stop subtracted"

    def __init__(self, config: Path, pcap: Path, work: Path) -> None:
        super().__init__(config, pcap, work)
        self.tiny = one_packet(pcap, work / "first-packet.pcap")

    def __call__(self, rules: Path) -> float:
        return self.count(rules, self.pcap) - self.count(rules, self.tiny)

    def count(self, rules: Path, pcap: Path) -> float:
        if self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        argv = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--branch-sim=no",
                "--cachegrind-out-file=/dev/null", "suricata", "-c", str(self.config), "-S", str(rules),
                "-r", str(pcap), "-l", str(self.out), "--runmode", "single", "--set", "unix-command.enabled=no"]
        run = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
        match = re.search(r"I\s+refs:\s+([0-9,]+)", run.stderr)
        if run.returncode != 0 or not match:
            raise SystemExit(f"valgrind suricata failed ({run.returncode}):\n{run.stderr[-3000:]}")
        return float(match.group(1).replace(",", ""))


_STICKY = re.compile(r"(?:^|; )(?:http\.|dns\.|tls\.|ssh\.|snmp\.|mqtt\.|dnp3\.data|file\.data|ja3)")


def group_of(line: str) -> str:
    """How Suricata runs a rule, which decides what it costs: raw content/pcre on the reassembled
    TCP stream (of any protocol, or of one app-layer protocol), on single packets, or app-layer
    keywords and header fields only."""
    proto = line.split()[1]
    body = line[line.index("(") + 1:]
    raw = ("content:" in body or "pcre:" in body) and not _STICKY.search(body)
    if raw and proto in ("tcp", "ftp", "mqtt"):
        if "no_stream" in body:
            return "tcp packet payload (no_stream)"
        return "tcp stream payload, any protocol" if proto == "tcp" else "tcp stream payload, ftp/mqtt only"
    if raw:
        return f"{proto} payload"
    if proto in ("modbus", "dnp3", "enip"):
        return "OT app-layer keywords (modbus, dnp3, enip)"
    if proto in ("http", "dns"):
        return f"{proto} app-layer keywords"
    if proto in ("tcp", "udp", "icmp", "ip"):
        return "header fields (flags, stream_size, icmp)"
    return "other app-layer keywords (mqtt, snmp, tls ...)"


@dataclass(frozen=True)
class LeaveOneOut:
    groups: list[tuple[str, list[str], float]]      # group, its rule ids, cost of leaving it out
    costs: list[tuple[str, float, list[float]]]     # rule id, cost, pack-minus-rule measurements
    reference: list[float]                          # the pack
    nothing: list[float]                            # no rules
    runs: int
    seconds: float


def leave_one_out(measure: CpuCounter, rules: dict[str, tuple[int, str]], work: Path, candidates: int) -> LeaveOneOut:
    """Grouped leave-one-out: first the pack minus each group of rules that Suricata runs the same
    way (~12 groups), then the pack minus each rule of the costliest groups, up to `candidates`
    rules. cost = median(the pack) - median(the pack without it). Grouping keeps it to ~40 runs
    instead of one a rule, and shows costs that no single rule carries (raw stream reassembly is
    kept for a direction while any stream rule applies to it: leaving out one of several costs
    nothing)."""
    empty, full = work / "empty.rules", work / "pack.rules"
    ids = sorted(rules, key=lambda rule_id: rules[rule_id][0])
    started, runs = time.perf_counter(), 0

    def without(left_out: set[str]) -> float:
        nonlocal runs
        path = work / "loo.rules"
        path.write_text("".join(rules[other][1] + "\n" for other in ids if other not in left_out))
        runs += 1
        return measure(path)

    reference = [measure(full) for _ in range(measure.repeats)]
    nothing = [measure(empty) for _ in range(measure.repeats)]
    by_group: dict[str, list[str]] = {}
    for rule_id in ids:
        by_group.setdefault(group_of(rules[rule_id][1]), []).append(rule_id)
    group_minus = {name: [without(set(members)) for _ in range(measure.repeats)] for name, members in by_group.items()}
    reference.append(measure(full))
    ref = statistics.median(reference)
    groups = sorted(((name, by_group[name], ref - statistics.median(values)) for name, values in group_minus.items()),
                    key=lambda group: -group[2])
    chosen: list[str] = []
    for _, members, _ in groups:
        if len(members) > 1 and len(chosen) < candidates:
            chosen += members[:candidates - len(chosen)]
    minus = {rule_id: [without({rule_id}) for _ in range(measure.repeats)] for rule_id in chosen}
    for name, members, _ in groups:        # a group of one rule: its group figure is the rule's
        if len(members) == 1:
            minus[members[0]] = group_minus[name]
    reference.append(measure(full))
    ref = statistics.median(reference)
    costs = sorted(((rule_id, ref - statistics.median(values), values) for rule_id, values in minus.items()),
                   key=lambda cost: -cost[1])
    return LeaveOneOut(groups, costs, reference, nothing, runs + len(reference) + len(nothing),
                       time.perf_counter() - started)


def print_leave_one_out(loo: LeaveOneOut, measure: CpuCounter, rules: dict, mix: sensor_mix.Mix, top: int) -> None:
    ref, base = statistics.median(loo.reference), statistics.median(loo.nothing)
    scaled = measure.scale
    spread = (max(loo.reference) - min(loo.reference)) * scaled
    print(f"\nleave-one-out on {measure.pcap.stat().st_size / 1e6:.0f} MB (the mix's generator for {mix.duration:.0f} s, "
          f"{mix.case_share:.1%} of the case pcaps), --runmode single, {measure.unit}: no rules {base * scaled:,.0f}, "
          f"the pack {ref * scaled:,.0f} (+{100 * (ref / base - 1):.1f}%{measure.note}); the pack measured "
          f"{len(loo.reference)} times, spread {spread:,.0f}; {loo.runs} runs, {loo.seconds:.0f} s")
    extra = ref - base
    print(f"{'group (the pack minus the whole group)':<46}{'rules':>6}{measure.unit:>10}{'of the pack':>13}")
    for name, members, cost in loo.groups:
        print(f"{name:<46}{len(members):>6}{cost * scaled:>10,.0f}{100 * cost / extra:>12.1f}%")
    measured = {rule_id for rule_id, _, _ in loo.costs}
    print(f"the {top} costliest of the {len(measured)} rules measured one by one (every rule of the costliest groups):")
    print(f"{'rule (the pack minus the rule)':<46}{'sid':>9}{measure.unit:>10}{'of the pack':>13}  group")
    for rule_id, cost, _ in loo.costs[:top]:
        print(f"{rule_id:<46}{rules[rule_id][0]:>9}{cost * scaled:>10,.0f}{100 * cost / extra:>12.1f}%"
              f"  {group_of(rules[rule_id][1])}")


def print_instructions(config: Path, pcap: Path, rules: Path, empty: Path, work: Path, packets: int) -> None:
    """The slowdown in instructions on the whole mix (one run each: the count repeats within 1%),
    start and stop (the first packet alone) subtracted."""
    counter = InstructionCounter(config, pcap, work)
    counts = {label: counter(rules_file) for label, rules_file in (("no rules", empty), ("the pack", rules))}
    base = counts["no rules"]
    print("instructions on the whole mix, --runmode single, start and stop subtracted (valgrind):")
    for label, count in counts.items():
        print(f"  {label:<10}{count / 1e9:>8.2f} G  {count / packets:>8,.0f} a packet  "
              f"{100 * (count / base - 1):>6.1f}% more than no rules")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    version = subprocess.run(["suricata", "-V"], capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; {version}; "
            f"load average at start {load[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--candidates", type=int, default=20, help="rules re-measured in leave-one-out")
    parser.add_argument("--no-loo", action="store_true", help="throughput only")
    parser.add_argument("--instructions", action="store_true",
                        help="leave-one-out by instruction counts (valgrind), not CPU seconds")
    parser.add_argument("--work", help="keep the rules, config and EVE output here")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)      # progress shows under make and tee
    if not shutil.which("suricata"):
        raise SystemExit("suricata is not installed (make setup)")
    import yaml
    networks = yaml.safe_load((ROOT / "rules" / "networks.yaml").read_text())
    cache = ROOT / ".iotdetect-cache" / "sensorbench" / content_digest(ROOT / "pcaps")
    with tempfile.TemporaryDirectory(prefix="iotdetect-sensorbench-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"machine: {machine()}")
        big, took = mix_pcap(FULL, networks, ROOT / "pcaps", cache)
        print(f"mix: {big} ({big.stat().st_size / 1e6:,.0f} MB)" + (f", written in {took:.0f} s" if took else ", cached"))
        config = configured_stock(work)
        ruleset, rules_file, rules = pack(work)
        empty = work / "empty.rules"
        empty.write_text("")
        print(f"sensor: {STOCK} after `iotdetect sensor configure --write`, stock runmode (autofp), -r")
        runs = throughput(config, rules_file, empty, big, work, args.repeat)
        first = runs["no rules"][0][0]
        print(f"\nthroughput on {first.packets:,} packets, {first.size / 1e6:,.0f} MB "
              f"({first.size / first.packets:.0f} B a packet, {FULL.duration:.0f} s of traffic):")
        print_throughput(runs, len(rules))
        if args.instructions and not shutil.which("valgrind"):
            raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
        if args.instructions:
            print_instructions(config, big, rules_file, empty, work, first.packets)
        if args.no_loo:
            return
        mix = FULL if args.instructions else SAMPLE
        sample, _ = mix_pcap(mix, networks, ROOT / "pcaps", cache)
        counter = (InstructionCounter if args.instructions else CpuCounter)(config, sample, work)
        loo = leave_one_out(counter, rules, work, args.candidates)
        print_leave_one_out(loo, counter, rules, mix, args.top)


if __name__ == "__main__":
    main()
