"""Fake IoT device services for the inventory lab (scripts/inventory-lab/run.sh): listen on the
addresses given, answer like the device would, and serve until killed. Runs only inside the lab's
network namespace; run.sh starts it under `timeout` and stops it by its PID."""
import socket
import sys
import threading

HTTP = ("HTTP/1.1 200 OK\r\nServer: {server}\r\nContent-Type: text/html\r\nContent-Length: {n}\r\n"
        "Connection: close\r\n\r\n{body}")
RTSP = ("RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: {server}\r\n"
        "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n")


def reply(kind: str, text: str, data: bytes) -> bytes:
    if kind == "http":
        body = f"<html><title>{text}</title></html>"
        return HTTP.format(server=text, n=len(body), body=body).encode()
    if kind == "rtsp":
        cseq = b"1"
        for line in data.split(b"\r\n"):
            if line.lower().startswith(b"cseq:"):
                cseq = line.split(b":", 1)[1].strip()
        return RTSP.format(server=text).replace("CSeq: 1", "CSeq: " + cseq.decode()).encode()
    if kind == "modbus":   # exception "illegal function" for whatever was asked
        return data[:2] + b"\x00\x00\x00\x03" + (data[6:7] or b"\x01") + b"\x81\x01" if len(data) >= 7 else b""
    return b""


def handle(conn: socket.socket, kind: str, text: str) -> None:
    with conn:
        conn.settimeout(5)
        try:
            if kind == "banner":        # talks first, like telnet/ftp daemons
                conn.sendall(text.encode() + b"\r\n")
                conn.recv(1024)
                return
            data = conn.recv(4096)
            if data:
                conn.sendall(reply(kind, text, data))
        except OSError:
            pass


def serve(ip: str, port: int, kind: str, text: str) -> None:
    sock = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((ip, port))
    sock.listen(16)
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handle, args=(conn, kind, text), daemon=True).start()


def main(specs: list[str]) -> None:
    # spec: ip,port,kind,text   (kind: http | rtsp | banner | modbus)
    for spec in specs:
        ip, port, kind, text = spec.split(",", 3)
        threading.Thread(target=serve, args=(ip, int(port), kind, text), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
