"""pycomm3 CIP requests for the capture lab: `enip_client.py HOST ACTION`.

Each action opens one EtherNet/IP session (RegisterSession) and sends unconnected CIP requests
(SendRRData, no route path) with pycomm3's generic_message, as its documentation shows for services
that have no helper. The server (cpppo) refuses most of them, and ends the session on the File
object's services it cannot parse: each request therefore gets a session of its own, and a refused
one is printed, not fatal. The requests are what the rules see."""
import sys

from pycomm3 import CIPDriver, CommError

IDENTITY, FILE = 0x01, 0x37      # CIP Identity object; File object (program upload/download, CIP Vol. 1 ch. 5)


def _send(host: str, service: int, cls: int, instance: int, attribute: bytes = b"", data: bytes = b"") -> None:
    try:
        with CIPDriver(host) as drv:
            tag = drv.generic_message(service=service, class_code=cls, instance=instance, attribute=attribute,
                                      request_data=data, connected=False, unconnected_send=False, route_path=False,
                                      name=f"service 0x{service:02x}")
            print(tag.tag, tag.error or "ok", flush=True)
    except CommError as err:
        print(f"service 0x{service:02x}: {err}", flush=True)


ACTIONS = {
    "get-attribute": lambda d: _send(d, 0x0E, IDENTITY, 1, b"\x07"),
    "set-attribute-list": lambda d: _send(d, 0x04, IDENTITY, 1, data=b"\x01\x00\x07\x00\x06hacked"),
    "reset": lambda d: _send(d, 0x05, IDENTITY, 1, data=b"\x00"),
    "start": lambda d: _send(d, 0x06, IDENTITY, 1),
    "stop": lambda d: _send(d, 0x07, IDENTITY, 1),
    "upload": lambda d: [_send(d, 0x4B, FILE, 1, data=b"\x00\x10"), *(_send(d, 0x4F, FILE, 1, data=bytes([i]))
                                                                        for i in range(3))],
    "download": lambda d: [_send(d, 0x4C, FILE, 1, data=b"\x00\x10\x00\x00"),
                           *(_send(d, 0x50, FILE, 1, data=bytes([i]) + b"\x00" * 16) for i in range(3))],
}

if __name__ == "__main__":
    for action in sys.argv[2:]:
        ACTIONS[action](sys.argv[1])
