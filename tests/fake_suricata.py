"""A fake `suricata` for the fault-injection tests (tests/test_faults.py), selected by
$FAKE_SURICATA_MODE. It only stands in for faults the real Suricata 7 cannot be made to show on
demand; every behaviour that real Suricata has is tested against the real binary.

Modes: hang, segv, silent (exit 0, no output), garbage (exit 0, noise), and for the batch engine
serve-hang:N / serve-crash:N: a unix-socket server that replays nothing (an empty eve.json per
file) and, in the first server started only, hangs on / crashes at its N-th file; serve-crash-on:TEXT:
every server crashes on any file holding the bytes TEXT (a pcap that crashes Suricata whenever read).
A `-r` run in these modes is a server of one file (the merged engine reads its merged pcaps so).
Every process appends its PID to $FAKE_SURICATA_STATE/pids, so a test can check it was killed.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

STATE = Path(os.environ["FAKE_SURICATA_STATE"])
MODE = os.environ.get("FAKE_SURICATA_MODE", "hang")


def _arg(name: str) -> str | None:
    args = sys.argv[1:]
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _loaded() -> str:
    rules = Path(_arg("-S") or "/nonexistent")
    count = sum(1 for line in rules.read_text().splitlines() if line.startswith("alert "))
    return f"Info: detect: 1 rule files processed. {count} rules successfully loaded, 0 rules failed, 0"


def serve(fault_at: str, fault: str) -> None:
    first = not (STATE / "served").exists()
    (STATE / "served").write_text("1")
    print(_loaded(), flush=True)
    path = _arg("--unix-socket")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    conn, _ = server.accept()
    queue, done, current, started, announced = [], 0, None, 0.0, False
    buffer = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            message = json.loads(line)
            command = message.get("command")
            reply: object = None
            if announced:
                os.kill(os.getpid(), signal.SIGSEGV)   # after saying which file it is on, as Suricata would
            if command == "pcap-file":
                queue.append(message["arguments"])
            elif command in ("pcap-file-number", "pcap-current"):
                # Work through the queue: one file per poll, each gets an empty eve.json.
                if current is None and queue:
                    current, started = queue.pop(0), time.monotonic()
                    done += 1
                    poisoned = fault == "crash-on" and fault_at.encode() in Path(current["filename"]).read_bytes()
                    if poisoned:
                        pass    # stays current: the next command crashes
                    elif first and fault != "crash-on" and done == int(fault_at):
                        if fault == "crash":
                            os.kill(os.getpid(), signal.SIGSEGV)
                    else:
                        Path(current["output-dir"], "eve.json").write_text("")
                        current = None
                reply = len(queue) if command == "pcap-file-number" else (current["filename"] if current else "None")
                announced = command == "pcap-current" and fault == "crash-on" and current is not None
            elif command == "shutdown":
                conn.sendall(b'{"return": "OK", "message": "Closing Suricata"}\n')
                return
            conn.sendall(json.dumps({"return": "OK", "message": reply}).encode() + b"\n")


def main() -> None:
    with (STATE / "pids").open("a") as pids:
        pids.write(f"{os.getpid()}\n")
    if MODE == "hang":
        print("Info: loading...", flush=True)
        time.sleep(3600)
    elif MODE == "segv":
        print("Notice: about to crash", flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
    elif MODE == "silent":
        return
    elif MODE == "garbage":
        sys.stdout.buffer.write(bytes(range(256)) * 4 + b"\n{not json\n")
        return
    elif MODE.startswith("serve-"):
        fault, at = MODE.removeprefix("serve-").split(":", 1)
        if "-T" in sys.argv:
            print(_loaded())
            return
        if _arg("-r"):
            read(at, fault)
            return
        serve(at, fault)


def read(fault_at: str, fault: str) -> None:
    """`-r` of one file (the merged engine's merged pcaps): the first process started is the first
    server, its file the first file; otherwise the serve modes' faults, an empty eve.json if none."""
    first = not (STATE / "served").exists()
    (STATE / "served").write_text("1")
    print(_loaded(), flush=True)
    if fault == "crash-on" and fault_at.encode() in Path(_arg("-r")).read_bytes():
        os.kill(os.getpid(), signal.SIGSEGV)
    if first and fault != "crash-on" and fault_at == "1":
        if fault == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(3600)
    Path(_arg("-l"), "eve.json").write_text("")


if __name__ == "__main__":
    main()
