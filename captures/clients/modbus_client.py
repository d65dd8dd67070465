"""Modbus/TCP clients for the capture lab: the pymodbus client, and a raw-socket function-code sweep
(as sweep tools such as smod's or Metasploit's modbus modules do: one request per code, no library).

`modbus_client.py HOST ACTION [N]`; ACTION is one of ACTIONS. One TCP connection per run."""
import socket
import struct
import sys

from pymodbus.client import ModbusTcpClient


def _client(host: str) -> ModbusTcpClient:
    client = ModbusTcpClient(host, port=502, timeout=2, retries=0)
    if not client.connect():
        raise SystemExit(f"no connection to {host}:502")
    return client


def write(host: str, _n: int) -> None:
    with _client(host) as c:
        c.write_register(40, 9999)
        c.write_coil(3, True)
        c.write_registers(100, [1, 2, 3, 4])


def read(host: str, n: int) -> None:
    # n reads of 10 holding registers each, walking the map (a register-map scan when n is large)
    with _client(host) as c:
        for i in range(n):
            c.read_holding_registers((i * 10) % 190, count=10)


def report_id(host: str, _n: int) -> None:
    with _client(host) as c:
        c.report_device_id()


def device_id(host: str, _n: int) -> None:
    with _client(host) as c:
        c.read_device_information(read_code=1, object_id=0)


def diagnostics(host: str, _n: int) -> None:
    with _client(host) as c:
        c.diag_query_data(b"\x12\x34")
        c.diag_read_diagnostic_register()


def bad_address(host: str, n: int) -> None:
    # n reads past the end of the register map: exception 02 (illegal data address), not a sweep
    with _client(host) as c:
        for i in range(n):
            c.read_holding_registers(5000 + i, count=2)


def sweep(host: str, n: int) -> None:
    # function codes 1..n, each with a 4-byte body, on one connection; answers read and discarded
    with socket.create_connection((host, 502), timeout=2) as s:
        for tid, fc in enumerate(range(1, n + 1), 1):
            s.sendall(struct.pack(">HHHBB", tid, 0, 6, 1, fc) + b"\x00\x00\x00\x01")
            try:
                s.recv(260)
            except socket.timeout:
                pass


ACTIONS = {"write": write, "read": read, "report-id": report_id, "device-id": device_id,
           "diagnostics": diagnostics, "bad-address": bad_address, "sweep": sweep}

if __name__ == "__main__":
    ACTIONS[sys.argv[2]](sys.argv[1], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
