"""Run Suricata and hand on what it writes to a file while it runs.

The merged engine's split costs Python about half of what Suricata spends reading the packets.
Suricata writes eve.json as it goes, so reading the records while it runs puts that work on the
other core instead of after it: the run takes about as long as Suricata does. feed() gets the new
bytes as they appear (any cut: a line may arrive in two pieces) and, after the exit, the rest."""
from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from harness.rules.errors import EngineError, tail
from harness.suricata.engine import kill_group

# How long to wait for more output before looking again: Suricata writes ~50 MB/s of EVE here,
# so a few ms lets it write a block per look without the reader spinning.
POLL = 0.005


def run_following(command: list[str], timeout: float, what: str, on_timeout=None, *, path: Path,
                  feed) -> tuple[int, str]:
    """run_command's (returncode, stdout+stderr) and time-out, feeding path's bytes as they come."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
        try:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        except OSError as exc:
            raise EngineError(f"cannot run {command[0]}: {exc.strerror}") from None
        handle = None
        deadline = time.monotonic() + timeout
        try:
            while True:
                finished = process.poll() is not None    # before the last read: it sees everything
                if handle is None:
                    try:
                        handle = open(path, "rb")
                    except FileNotFoundError:
                        pass
                data = handle.read() if handle is not None else b""
                if data:
                    feed(data)
                if finished:
                    break
                if time.monotonic() > deadline:
                    if on_timeout:
                        on_timeout()
                    kill_group(process)
                    log.seek(0)
                    raise EngineError(f"{Path(command[0]).name} did not finish {what} within {timeout:g} s; killed",
                                      tail(log.read()))
                if not data:
                    time.sleep(POLL)
        finally:
            if handle is not None:
                handle.close()
            if process.poll() is None:
                kill_group(process)
        log.seek(0)
        return process.returncode, log.read()
