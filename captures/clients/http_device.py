"""A camera's web interface for the capture lab (Python's http.server): `http_device.py ADDRESS ROOT`.

GET serves files under ROOT; /cgi-bin/* wants HTTP Basic auth (admin/admin, the factory default, or
admin/Site-Str0ng-7); POST /login.cgi checks a form (same pairs) and answers "Login incorrect" with
401 on a wrong pair; POST /upgrade.cgi and /settings.cgi take a body and answer 200."""
import base64
import socketserver
import sys
from http.server import HTTPServer, SimpleHTTPRequestHandler
from urllib.parse import parse_qs

PAIRS = {("admin", "admin"), ("admin", "Site-Str0ng-7")}


class Device(SimpleHTTPRequestHandler):
    server_version = "ipcam-httpd/1.0"
    sys_version = ""

    def _answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        if code == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="ipcam"')
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/cgi-bin/"):
            auth = self.headers.get("Authorization", "")
            try:
                user, _, pw = base64.b64decode(auth.split(" ", 1)[1]).decode().partition(":")
            except (IndexError, ValueError):
                user, pw = "", ""
            return self._answer(200 if (user, pw) in PAIRS else 401, b"status: ok\n" if (user, pw) in PAIRS else b"")
        return super().do_GET()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        if self.path.startswith("/login.cgi"):
            form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
            ok = (form.get("user", ""), form.get("pass", "")) in PAIRS
            return self._answer(200 if ok else 401, b"welcome\n" if ok else b"Login incorrect\n")
        if self.path.startswith(("/upgrade.cgi", "/settings.cgi")):
            return self._answer(200, b"saved\n")
        return self._answer(404, b"")

    def log_message(self, *_args) -> None:
        pass


class Server(HTTPServer):
    def server_bind(self) -> None:
        # HTTPServer's own bind asks DNS for its name (getfqdn), which stalls in a namespace with no resolver
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


if __name__ == "__main__":
    root = sys.argv[2]
    Server((sys.argv[1], 80), lambda *a: Device(*a, directory=root)).serve_forever()
