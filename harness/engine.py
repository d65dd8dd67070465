"""Run pcaps through Suricata. One interface, three engines (registry at the bottom).

Every engine loads the whole compiled rule set with the harness config and writes one eve.json
per case into that case's own output folder; results are attributed by folder, never by the
pcap_filename field (wrong for records created on a file's first packet).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

from harness.compile import RULES_FILENAME, CompiledRules, map_suricata_errors
from harness.pcapshift import shift_pcap

CONTAINER_IMAGE = "docker.io/jasonish/suricata:7.0.10"


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

    @property
    def config(self) -> Path:
        return self.folder / "suricata.yaml"

    @property
    def rules(self) -> Path:
        return self.folder / RULES_FILENAME


class SuricataMissing(RuntimeError):
    pass


def suricata_binary() -> str:
    path = shutil.which(os.environ.get("SURICATA", "suricata"))
    if not path:
        raise SuricataMissing("suricata is not installed: run `make setup` (Debian: scripts/install-suricata.sh)"
                              " or use --engine container")
    return path


def read_eve(outdir: Path) -> list[dict]:
    path = outdir / "eve.json"
    if not path.exists():
        return []
    # Split on "\n" only: str.splitlines also breaks at U+2028, U+0085 and \x1c-\x1e, which EVE
    # carries raw inside JSON strings (a username holding one is still one record).
    text = path.read_text(encoding="utf-8", errors="replace")
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def check_rules(workspace: Workspace) -> None:
    """suricata -T with --init-errors-fatal; raises RuleErrors mapped back to the YAML files."""
    result = subprocess.run([suricata_binary(), "-T", "--init-errors-fatal", "-c", str(workspace.config),
                             "-S", str(workspace.rules), "-l", str(workspace.folder)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise map_suricata_errors(result.stdout + result.stderr, workspace.compiled, workspace.project_root)


class Engine(Protocol):
    name: str
    # Where the engine's Suricata sees the workspace's classification/reference files; None: in place.
    config_data_dir: Path | None

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        """Process every job's pcap, leaving eve.json in job.outdir."""


def _advance(progress, job: Job) -> None:
    if progress:
        progress(job)


@dataclass
class ProcessEngine:
    """A fresh Suricata process per case: simple, slow (~0.1-0.2 s a case plus rule loading)."""
    name: str = "process"
    config_data_dir: Path | None = None

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        check_rules(workspace)
        binary = suricata_binary()
        for job in jobs:
            job.outdir.mkdir(parents=True, exist_ok=True)
            result = subprocess.run([binary, "--init-errors-fatal", "-c", str(workspace.config), "-S",
                                     str(workspace.rules), "-r", str(job.pcap), "-l", str(job.outdir), "-k", "none"],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"suricata failed on {job.pcap}: {result.stderr.strip()[-800:]}")
            _advance(progress, job)


class SocketClient:
    """Suricata's unix-socket protocol: newline-terminated JSON commands, one JSON reply each."""

    def __init__(self, path: Path, timeout: float = 30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.send({"version": "0.2"})

    def send(self, message: dict) -> dict:
        """One request, one reply: read until the bytes received form a complete JSON document."""
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        received = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("suricata closed the unix socket")
            received += chunk
            try:
                return json.loads(received.decode())
            except ValueError:
                continue

    def command(self, name: str, **arguments) -> object:
        message = {"command": name, **({"arguments": arguments} if arguments else {})}
        reply = self.send(message)
        if reply.get("return") != "OK":
            raise RuntimeError(f"suricata {name} failed: {reply.get('message')}")
        return reply.get("message")

    def close(self) -> None:
        self.sock.close()


@dataclass
class BatchEngine:
    """Suricata in unix-socket mode fed every case; state is reset between pcap files.

    Suricata's unix-socket loop starts a file only on its 10 ms tick and tears the pipeline down
    after each file (~20 ms a file whatever its size), so `workers` Suricata processes (one per
    core by default) each take a share of the cases. It does not reliably clear the host table
    between files, so each case is replayed days after the previous one (eve.json timestamps of
    case n are n * 2 days later than the pcap's).
    """
    name: str = "batch"
    config_data_dir: Path | None = None
    poll_interval: float = 0.002
    startup_timeout: float = 60.0
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))

    # Case n's packets are moved n * this many seconds later (see harness/pcapshift.py): more than
    # the longest threshold window the model allows (1 day), so no state can count across cases.
    case_time_stride: int = 2 * 86_400

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        jobs = [self._time_separated(workspace, index, job) for index, job in enumerate(jobs)]
        shares = [jobs[index::self.workers] for index in range(self.workers)]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = [pool.submit(self._run_share, workspace, share, progress, index)
                       for index, share in enumerate(shares) if share or index == 0]  # 0 jobs: still load-test
            for future in futures:
                future.result()

    def _time_separated(self, workspace: Workspace, index: int, job: Job) -> Job:
        if index == 0:
            return job
        staged = workspace.folder / "pcaps" / f"{index:05d}.pcap"
        staged.parent.mkdir(exist_ok=True)
        shift_pcap(job.pcap, staged, index * self.case_time_stride)
        return Job(job.key, staged, job.outdir)

    def _run_share(self, workspace: Workspace, jobs: list[Job], progress, worker: int) -> None:
        # No separate `suricata -T`: startup with --init-errors-fatal fails the same way and its
        # log is mapped back to the rules.
        socket_path = workspace.folder / f"suricata-{worker}.socket"
        log_path = workspace.folder / f"batch-{worker}.log"
        log = log_path.open("w")
        process = subprocess.Popen([suricata_binary(), "--init-errors-fatal", "-c", str(workspace.config), "-S",
                                    str(workspace.rules), f"--unix-socket={socket_path}", "-l",
                                    str(workspace.folder), "-k", "none"], stdout=log, stderr=subprocess.STDOUT)
        try:
            client = self._connect(socket_path, process, workspace, log_path)
            # Queue the whole share at once: Suricata works through the queue, each file logging
            # into its own output folder.
            for job in jobs:
                job.outdir.mkdir(parents=True, exist_ok=True)
                client.command("pcap-file", filename=str(job.pcap.resolve()), **{"output-dir": str(job.outdir.resolve())})
            self._wait_done(client, jobs, progress)
            client.command("shutdown")
            client.close()
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()

    def _connect(self, path: Path, process: subprocess.Popen, workspace: Workspace, log_path: Path) -> SocketClient:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = log_path.read_text()
                raise map_suricata_errors(output, workspace.compiled, workspace.project_root)
            if path.exists():
                try:
                    return SocketClient(path)
                except (ConnectionRefusedError, FileNotFoundError):
                    pass
            time.sleep(0.02)
        raise TimeoutError("suricata did not open its unix socket")

    def _wait_done(self, client: SocketClient, jobs: list[Job], progress) -> None:
        """Poll until nothing is queued and nothing is current, reporting finished jobs on the way."""
        reported = 0
        while True:
            queued = client.command("pcap-file-number")
            busy = client.command("pcap-current") != "None"
            finished = len(jobs) - queued - (1 if busy else 0)
            for job in jobs[reported:max(finished, reported)]:
                _advance(progress, job)
            reported = max(finished, reported)
            if queued == 0 and not busy:
                return
            time.sleep(self.poll_interval)


@dataclass
class ContainerEngine:
    """docker/podman run of a pinned Suricata 7 image, one container per case."""
    name: str = "container"
    config_data_dir: Path | None = Path("/iotdetect")   # the workspace mount in command()
    runtime: str = field(default_factory=lambda: shutil.which("podman") and "podman" or "docker")
    image: str = CONTAINER_IMAGE

    def command(self, workspace: Workspace, job: Job) -> list[str]:
        return [self.runtime, "run", "--rm", "--network=none",
                "-v", f"{workspace.folder.resolve()}:{self.config_data_dir}:ro",
                "-v", f"{job.pcap.resolve()}:/input.pcap:ro",
                "-v", f"{job.outdir.resolve()}:/output",
                self.image, "--init-errors-fatal", "-c", f"{self.config_data_dir}/suricata.yaml",
                "-S", f"{self.config_data_dir}/{RULES_FILENAME}", "-r", "/input.pcap", "-l", "/output", "-k", "none"]

    def run(self, workspace: Workspace, jobs: list[Job], progress=None) -> None:
        if not shutil.which(self.runtime):
            raise SuricataMissing(f"{self.runtime} is not installed; the container engine needs docker or podman")
        for job in jobs:
            job.outdir.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(self.command(workspace, job), capture_output=True, text=True)
            if result.returncode != 0:
                raise map_suricata_errors(result.stdout + result.stderr, workspace.compiled, workspace.project_root)
            _advance(progress, job)


ENGINES: dict[str, type] = {"process": ProcessEngine, "batch": BatchEngine, "container": ContainerEngine}


def make_engine(name: str) -> Engine:
    try:
        return ENGINES[name]()
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}") from None


def alerts(records: Iterable[dict]) -> list[dict]:
    return [r for r in records if r.get("event_type") == "alert"]
