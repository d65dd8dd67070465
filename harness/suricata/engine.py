"""Run pcaps through Suricata. One interface, three engines (registry at the bottom).

Every engine loads the whole compiled rule set with the harness config and writes one eve.json
per case into that case's own output folder; results are attributed by folder, never by the
pcap_filename field (wrong for records created on a file's first packet).

Faults are findings, never hangs or tracebacks: every Suricata runs under a start-up and a per-case
time-out in its own process group, and is killed by its PID when it hangs. A case whose Suricata
hangs, crashes or writes no eve.json is reported with Suricata's last log lines; the other cases
still run (the batch engine re-queues them on a fresh server) and the run then fails with exit 3.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

from harness.suricata.ruleset import RULES_FILENAME, CompiledRules, check_loaded_count, map_suricata_errors
from harness.rules.errors import EngineError, EnvironmentFailure, tail
from harness.suricata import eve
from harness.suricata.flush import FLUSH_AFTER, append_flush, drop_flush_records
from harness.suricata.pcapshift import shift_pcap, time_span

# Where the batch engine's first case starts (the generators' own start, 2023-11-14).
TIME_ORIGIN = 1_700_000_000
CONTAINER_IMAGE = "docker.io/jasonish/suricata:7.0.10"
# Seconds. A case takes ~20-200 ms; loading the rule set ~0.3 s (a container: its start-up too).
CASE_TIMEOUT = 60.0
STARTUP_TIMEOUT = 120.0
# A run stops starting Suricata after this many faulty cases in a row: the engine itself is broken.
MAX_CONSECUTIVE_FAULTS = 3


@dataclass(frozen=True)
class Job:
    key: str          # "<rule-id>/<case-slug>"
    pcap: Path
    outdir: Path


@dataclass(frozen=True)
class Workspace:
    """A folder holding suricata.yaml, iotdetect.rules and the classification files."""
    folder: Path
    compiled: CompiledRules
    project_root: Path
    # A sensor's own suricata.yaml (iotdetect sensor, tests on the stock config); None: the harness's.
    config_file: Path | None = None

    @property
    def config(self) -> Path:
        return self.config_file or self.folder / "suricata.yaml"

    @property
    def rules(self) -> Path:
        return self.folder / RULES_FILENAME


class SuricataMissing(EnvironmentFailure):
    pass


class EngineFaults(EngineError):
    """One or more cases could not be replayed; each with its reason and Suricata's last log lines."""

    def __init__(self, faults: list[tuple[str, EngineError]]):
        self.faults = faults
        lines = [f"suricata failed on {len(faults)} case(s); their verdicts are unknown:"]
        for key, error in faults:
            lines.append(f"  {key}: " + str(error).replace("\n", "\n    "))
        super().__init__("\n".join(lines))


def suricata_binary() -> str:
    path = shutil.which(os.environ.get("SURICATA", "suricata"))
    if not path:
        raise SuricataMissing("suricata is not installed: run `make setup` (Debian: scripts/install-suricata.sh)"
                              " or use --engine container")
    return path


def _seconds(name: str, default: float) -> float:
    """A time-out from the environment (IOTDETECT_CASE_TIMEOUT, IOTDETECT_STARTUP_TIMEOUT), read
    when an engine is made, not at import."""
    text = os.environ.get(name, "")
    try:
        value = float(text) if text else default
    except ValueError:
        raise EnvironmentFailure(f"{name}={text!r} is not a number of seconds") from None
    if value <= 0:
        raise EnvironmentFailure(f"{name} must be positive")
    return value


def suricata_args(config: str, rules: str, log_dir: str, *, pcap: str | None = None,
                  unix_socket: str | None = None, test: bool = False) -> list[str]:
    """Suricata's arguments, built once for every engine. -v makes it report how many rules it
    loaded, which is checked against how many were written."""
    args = (["-T"] if test else []) + ["-v", "--init-errors-fatal", "-c", config, "-S", rules, "-l", log_dir]
    if pcap:
        args += ["-r", pcap]
    if unix_socket:
        args.append(f"--unix-socket={unix_socket}")
    return args if test else args + ["-k", "none"]


def read_eve(outdir: Path) -> list[dict]:
    path = outdir / "eve.json"
    if not path.exists():
        return []
    # Split on "\n" only: str.splitlines also breaks at U+2028, U+0085 and \x1c-\x1e, which EVE
    # carries raw inside JSON strings (a username holding one is still one record).
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        return [eve.loads(line) for line in text.split("\n") if line.strip()]
    except ValueError as exc:
        raise EngineError(f"{path} is not EVE JSON ({exc})") from None


def kill_group(process: subprocess.Popen) -> None:
    """Kill the process group we started the process in (by its PID), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def run_command(command: list[str], timeout: float, what: str, on_timeout=None) -> tuple[int, str]:
    """(returncode, stdout+stderr) of a command in its own process group; killed after timeout."""
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   text=True, errors="replace", start_new_session=True)
    except OSError as exc:
        raise EngineError(f"cannot run {command[0]}: {exc.strerror}") from None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if on_timeout:
            on_timeout()
        kill_group(process)
        try:
            output, _ = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:   # a grandchild outside the group still holds the pipe
            output = ""
        raise EngineError(f"{Path(command[0]).name} did not finish {what} within {timeout:g} s; killed",
                          tail(output or "")) from None
    return process.returncode, output


def _failure(returncode: int, output: str, workspace: Workspace, what: str) -> Exception:
    if returncode < 0:   # a crash says nothing about the rules
        return EngineError(f"suricata {_describe_exit(returncode)} {what}", tail(output))
    error = map_suricata_errors(output, workspace.compiled, workspace.project_root)
    if isinstance(error, EngineError):   # not about a rule: say what happened, then Suricata's words
        reason = str(error).split("\n", 1)[0].removeprefix("Suricata failed")
        return EngineError(f"suricata {_describe_exit(returncode)} {what}{reason}", error.log_tail)
    return error


def check_rules(workspace: Workspace, timeout: float | None = None, binary: str | None = None) -> str:
    """suricata -T with --init-errors-fatal; raises RuleErrors mapped back to the YAML files, or
    EngineError when Suricata fails for another reason or loads fewer rules than were written.
    Returns Suricata's output (its warnings are findings for validate)."""
    timeout = timeout or _seconds("IOTDETECT_STARTUP_TIMEOUT", STARTUP_TIMEOUT)
    returncode, output = run_command(
        [binary or suricata_binary()] + suricata_args(str(workspace.config), str(workspace.rules),
                                                      str(workspace.folder), test=True),
        timeout, "loading the rules")
    if returncode != 0:
        raise _failure(returncode, output, workspace, "loading the rules")
    check_loaded_count(output, workspace.rules)
    return output


class Engine(Protocol):
    name: str
    # Where the engine's Suricata sees the workspace's classification/reference files; None: in place.
    config_data_dir: Path | None

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        """Process every job's pcap, leaving eve.json in job.outdir; EngineFaults when any failed."""


def _advance(progress, job: Job) -> None:
    if progress:
        progress(job)


def _check_output(job: Job, output: str = "") -> None:
    # Suricata opens eve.json at start-up: a run that leaves none did not really run.
    if not (job.outdir / "eve.json").is_file():
        raise EngineError("suricata finished without writing eve.json", tail(output))


def read_pcap(command: list[str], workspace: Workspace, job: Job, timeout: float, what: str,
              on_timeout=None, returncode=lambda code: code, run=run_command) -> str:
    """One Suricata command reading job.pcap into job.outdir; its output. A failure is raised in
    Suricata's words (_failure: EngineError for a fault, RuleErrors for a rule it refused).
    returncode maps the command's exit code to Suricata's own (a container runtime's); run is
    run_command or one with its signature (follow.run_following)."""
    job.outdir.mkdir(parents=True, exist_ok=True)
    code, output = run(command, timeout, what, on_timeout)
    code = returncode(code)
    if code != 0:
        raise _failure(code, output, workspace, what)
    _check_output(job, output)
    return output


class _OneProcessPerCase:
    """Shared by the process and container engines: one command per case, faults collected the same way."""
    case_timeout: float

    def command(self, workspace: Workspace, job: Job) -> list[str]:
        raise NotImplementedError

    def cleanup(self, job: Job) -> None:
        """Called when a case times out, before its process group is killed."""

    def returncode(self, code: int) -> int:
        """The command's exit code as Suricata's own (negative: killed by that signal)."""
        return code

    def run_jobs(self, workspace: Workspace, jobs: list[Job], progress) -> None:
        faults: list[tuple[str, EngineError]] = []
        in_a_row = 0
        folder = workspace.folder / "pcaps"
        folder.mkdir(exist_ok=True)
        for index, job in enumerate(jobs):
            # Each case ends with the flush packet, as on every engine (harness/suricata/flush.py).
            _, last = time_span(job.pcap)
            staged, name = folder / f"{index:05d}.pcap", job.pcap.name
            shift_pcap(job.pcap, staged, 0)
            append_flush(staged, last + FLUSH_AFTER)
            job = Job(job.key, staged, job.outdir)
            if in_a_row >= MAX_CONSECUTIVE_FAULTS:
                faults += [(j.key, EngineError(f"not run: the previous {in_a_row} cases failed"))
                           for j in jobs[index:]]
                break
            try:
                read_pcap(self.command(workspace, job), workspace, job, self.case_timeout, f"on {name}",
                          lambda: self.cleanup(job), self.returncode)
                drop_flush_records(job.outdir / "eve.json")
            except EngineError as error:
                faults.append((job.key, error))
                in_a_row += 1
                continue
            in_a_row = 0
            _advance(progress, job)
        if faults:
            raise EngineFaults(faults)


@dataclass
class ProcessEngine(_OneProcessPerCase):
    """A fresh Suricata process per case: simple, slow (~0.1-0.2 s a case plus rule loading)."""
    name: str = "process"
    config_data_dir: Path | None = None
    case_timeout: float = field(default_factory=lambda: _seconds("IOTDETECT_CASE_TIMEOUT", CASE_TIMEOUT))
    startup_timeout: float = field(default_factory=lambda: _seconds("IOTDETECT_STARTUP_TIMEOUT", STARTUP_TIMEOUT))

    def command(self, workspace: Workspace, job: Job) -> list[str]:
        return [suricata_binary()] + suricata_args(str(workspace.config), str(workspace.rules), str(job.outdir),
                                                   pcap=str(job.pcap))

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        check_rules(workspace, self.startup_timeout)
        self.run_jobs(workspace, jobs, progress)


class SocketClient:
    """Suricata's unix-socket protocol: newline-terminated JSON commands, one JSON reply each."""

    MAX_REPLY = 1 << 20

    def __init__(self, path: Path, timeout: float = 30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(str(path))
            self.send({"version": "0.2"})
        except BaseException:
            self.sock.close()
            raise

    def send(self, message: dict) -> dict:
        """One request, one reply: read until the bytes received form a complete JSON document."""
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        received = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("suricata closed the unix socket")
            received += chunk
            if len(received) > self.MAX_REPLY:
                raise ConnectionError("suricata's reply is not JSON")
            try:
                reply = json.loads(received.decode("utf-8", errors="replace"))
            except ValueError:
                continue
            if not isinstance(reply, dict):
                raise ConnectionError(f"suricata's reply is not a JSON object: {received[:80]!r}")
            return reply

    def command(self, name: str, **arguments) -> object:
        message = {"command": name, **({"arguments": arguments} if arguments else {})}
        reply = self.send(message)
        if reply.get("return") != "OK":
            raise ConnectionError(f"suricata {name} failed: {reply.get('message')}")
        return reply.get("message")

    def close(self) -> None:
        self.sock.close()


class _ServerDied(Exception):
    """A batch server hung or crashed after `finished` jobs of its queue were done."""

    def __init__(self, finished: int, error: EngineError):
        super().__init__(str(error))
        self.finished = finished      # the index of the job it failed on; those before it are done
        self.error = error


@dataclass
class BatchEngine:
    """Suricata in unix-socket mode fed every case.

    Suricata's unix-socket loop starts a file only on its 10 ms tick and tears the pipeline down
    after each file (~20 ms a file whatever its size), so `workers` Suricata processes (one per
    core, at most 4) each take a share of the cases. It does not reliably clear the host table
    between files, so each case is replayed 2 days after the previous one ended (eve.json
    timestamps differ from the pcap's; time only moves forward on a server). A server that hangs or dies is killed; the case
    it was on is a fault and the rest of its share goes to a fresh server.
    """
    name: str = "batch"
    config_data_dir: Path | None = None
    poll_interval: float = 0.002
    startup_timeout: float = field(default_factory=lambda: _seconds("IOTDETECT_STARTUP_TIMEOUT", STARTUP_TIMEOUT))
    case_timeout: float = field(default_factory=lambda: _seconds("IOTDETECT_CASE_TIMEOUT", CASE_TIMEOUT))
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    max_restarts: int = MAX_CONSECUTIVE_FAULTS

    # Between one case's last packet and the next case's first (see harness/suricata/pcapshift.py): more
    # than the longest threshold window the model allows (1 day), so no state counts across cases.
    case_time_stride: int = 2 * 86_400

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        jobs = self._time_separated(workspace, jobs)
        shares = [jobs[index::self.workers] for index in range(self.workers)]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = [pool.submit(self._run_share, workspace, share, progress, index)
                       for index, share in enumerate(shares) if share or index == 0]  # 0 jobs: still load-test
            faults = [fault for future in futures for fault in future.result()]
        if faults:
            order = {job.key: index for index, job in enumerate(jobs)}
            raise EngineFaults(sorted(faults, key=lambda fault: order.get(fault[0], 0)))

    def _time_separated(self, workspace: Workspace, jobs: list[Job]) -> list[Job]:
        """Each case moved so that it starts case_time_stride after the previous case ended. Time
        must only move forward on a server: real captures carry their own (later) clock, and a case
        replayed after one of them would otherwise lie in its past, inside its threshold windows."""
        staged_jobs, start = [], TIME_ORIGIN
        folder = workspace.folder / "pcaps"
        folder.mkdir(exist_ok=True)
        for index, job in enumerate(jobs):
            first, last = time_span(job.pcap)
            staged = folder / f"{index:05d}.pcap"
            shift_pcap(job.pcap, staged, start - first)
            append_flush(staged, start + (last - first) + FLUSH_AFTER)
            staged_jobs.append(Job(job.key, staged, job.outdir))
            start += (last - first) + self.case_time_stride
        return staged_jobs

    def _run_share(self, workspace: Workspace, jobs: list[Job], progress, worker: int) -> list[tuple[str, EngineError]]:
        faults: list[tuple[str, EngineError]] = []
        pending, attempt = list(jobs), 0
        while True:
            try:
                self._serve(workspace, pending, progress, worker, attempt)
                break
            except _ServerDied as died:
                faults.append((pending[died.finished].key, died.error))
                pending = pending[died.finished + 1:]
                attempt += 1
                if not pending:
                    break
                if attempt > self.max_restarts:
                    faults += [(job.key, EngineError(f"not run: {attempt} Suricata servers failed")) for job in pending]
                    break
        done = {key for key, _ in faults}
        for job in jobs:
            if job.key not in done and not (job.outdir / "eve.json").is_file():
                faults.append((job.key, EngineError("suricata finished the case without writing eve.json")))
            elif job.key not in done:
                try:
                    drop_flush_records(job.outdir / "eve.json")
                except EngineError as error:
                    faults.append((job.key, error))
        return faults

    def _serve(self, workspace: Workspace, jobs: list[Job], progress, worker: int, attempt: int) -> None:
        """All jobs on one fresh server. Start-up failures raise RuleErrors/EngineError (nothing can
        run); a hang or crash while replaying raises _ServerDied."""
        # No separate `suricata -T`: startup with --init-errors-fatal fails the same way and its
        # log is mapped back to the rules.
        socket_path = workspace.folder / f"suricata-{worker}-{attempt}.socket"
        log_path = workspace.folder / f"batch-{worker}-{attempt}.log"
        socket_path.unlink(missing_ok=True)   # an earlier run's server in a kept folder (a killed one leaves it)
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [suricata_binary()] + suricata_args(str(workspace.config), str(workspace.rules), str(workspace.folder),
                                                    unix_socket=str(socket_path)),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                client = self._connect(socket_path, process, workspace, log_path)
                try:
                    check_loaded_count(log_path.read_text(errors="replace"), workspace.rules)
                    self._replay(client, jobs, progress, process, log_path)
                    client.command("shutdown")
                except (OSError, ConnectionError) as exc:
                    raise _ServerDied(0, EngineError(f"suricata stopped answering on its unix socket ({exc})",
                                                     tail(log_path.read_text(errors="replace")))) from None
                finally:
                    client.close()
                try:
                    process.wait(timeout=self.case_timeout)
                except subprocess.TimeoutExpired:
                    pass   # every case is done; a slow shutdown is not a fault
            finally:
                if process.poll() is None:
                    kill_group(process)

    def _replay(self, client: SocketClient, jobs: list[Job], progress, process: subprocess.Popen, log_path: Path) -> None:
        # Queue the whole share at once: Suricata works through the queue, each file logging
        # into its own output folder.
        for job in jobs:
            job.outdir.mkdir(parents=True, exist_ok=True)
            client.command("pcap-file", filename=str(job.pcap.resolve()), **{"output-dir": str(job.outdir.resolve())})
        self._wait_done(client, jobs, progress, process, log_path)

    def _connect(self, path: Path, process: subprocess.Popen, workspace: Workspace, log_path: Path) -> SocketClient:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = log_path.read_text(errors="replace")
                raise _failure(process.returncode, output, workspace, "at start-up")
            if path.exists():
                try:
                    return SocketClient(path, timeout=min(self.case_timeout, 30.0))
                except (ConnectionRefusedError, FileNotFoundError):
                    pass
                except (OSError, ConnectionError) as exc:
                    kill_group(process)
                    raise EngineError(f"suricata's unix socket does not answer ({exc})",
                                      tail(log_path.read_text(errors="replace"))) from None
            time.sleep(0.02)
        kill_group(process)
        raise EngineError(f"suricata did not open its unix socket within {self.startup_timeout:g} s; killed",
                          tail(log_path.read_text(errors="replace")))

    def _wait_done(self, client: SocketClient, jobs: list[Job], progress, process: subprocess.Popen,
                   log_path: Path) -> None:
        """Poll until nothing is queued and nothing is current, reporting finished jobs on the way;
        _ServerDied when the server exits, stops answering or spends case_timeout on one file."""
        index_of = {str(job.pcap.resolve()): index for index, job in enumerate(jobs)}
        reported, current, since = 0, None, time.monotonic()
        queued = len(jobs)

        def died(message: str) -> _ServerDied:
            # The file it was on: the current one when known, else the first not yet started then.
            at = index_of.get(current, len(jobs) - queued) if current != "None" else len(jobs) - queued
            return _ServerDied(min(max(at, reported), len(jobs) - 1),
                               EngineError(message, tail(log_path.read_text(errors="replace"))))

        while True:
            if process.poll() is not None:
                raise died(f"suricata {_describe_exit(process.returncode)} while replaying")
            try:
                answer = client.command("pcap-file-number")
                if not isinstance(answer, int):
                    raise ConnectionError(f"pcap-file-number answered {answer!r}")
                queued = answer
                now = client.command("pcap-current")
            except (OSError, ConnectionError) as exc:
                try:   # a closed socket usually means it died: say how
                    process.wait(timeout=1)
                    raise died(f"suricata {_describe_exit(process.returncode)} while replaying") from None
                except subprocess.TimeoutExpired:
                    raise died(f"suricata stopped answering on its unix socket ({exc})") from None
            busy = now != "None"
            finished = len(jobs) - queued - (1 if busy else 0)
            for job in jobs[reported:max(finished, reported)]:
                _advance(progress, job)
            reported = max(finished, reported)
            if queued == 0 and not busy:
                return
            if now != current:
                current, since = now, time.monotonic()
            elif time.monotonic() - since > self.case_timeout:
                raise died(f"suricata spent more than {self.case_timeout:g} s on one case; killed")
            time.sleep(self.poll_interval)


@dataclass
class ContainerEngine(_OneProcessPerCase):
    """docker/podman run of a pinned Suricata 7 image, one container per case."""
    name: str = "container"
    config_data_dir: Path | None = Path("/iotdetect")   # the workspace mount in command()
    runtime: str = field(default_factory=lambda: shutil.which("podman") and "podman" or "docker")
    image: str = CONTAINER_IMAGE
    # A container's start-up counts against the case: give it the start-up time-out.
    case_timeout: float = field(default_factory=lambda: _seconds("IOTDETECT_STARTUP_TIMEOUT", STARTUP_TIMEOUT))

    def container_name(self, job: Job) -> str:
        return f"iotdetect-{os.getpid()}-{abs(hash(job.key)) % 10**8}"

    def command(self, workspace: Workspace, job: Job) -> list[str]:
        return [self.runtime, "run", "--rm", "--network=none", "--name", self.container_name(job),
                "-v", f"{workspace.folder.resolve()}:{self.config_data_dir}:ro",
                "-v", f"{job.pcap.resolve()}:/input.pcap:ro",
                "-v", f"{job.outdir.resolve()}:/output",
                self.image] + suricata_args(f"{self.config_data_dir}/suricata.yaml",
                                            f"{self.config_data_dir}/{RULES_FILENAME}", "/output", pcap="/input.pcap")

    def returncode(self, code: int) -> int:
        # docker/podman run exit with 128 + n when the container's process died of signal n.
        return -(code - 128) if 128 < code < 160 else code

    def cleanup(self, job: Job) -> None:
        # Killing the client does not stop the container: stop it by the name we gave it.
        try:
            subprocess.run([self.runtime, "kill", self.container_name(job)], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass   # the client is killed next either way; the fault is reported

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        if not shutil.which(self.runtime):
            raise SuricataMissing(f"{self.runtime} is not installed; the container engine needs docker or podman")
        self.run_jobs(workspace, jobs, progress)


ENGINES: dict[str, type] = {"process": ProcessEngine, "batch": BatchEngine, "container": ContainerEngine}
# `iotdetect test`, `dist` and the pytest sweep: gave the batch engine's verdicts on every case of
# all four site plans (bench/run.py and tests/test_merged_engine.py compare them).
DEFAULT_ENGINE = "merged"


def engines() -> dict[str, type]:
    """Every engine by name; the merged engine lives in its own module (it builds on BatchEngine)."""
    from harness.suricata.merged import MergedEngine
    return {**ENGINES, "merged": MergedEngine}


def make_engine(name: str) -> Engine:
    from harness.rules.errors import UsageError
    registry = engines()
    try:
        return registry[name]()
    except KeyError:
        raise UsageError(f"unknown engine {name!r}; choose from {', '.join(registry)}") from None


def alerts(records: Iterable[dict]) -> list[dict]:
    return [r for r in records if r.get("event_type") == "alert"]
