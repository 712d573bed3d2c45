"""A stand-in for a web app behind the proxy (test fixture, not shipped).

GET/POST/HEAD any path: 200 with JSON describing the request as the app saw
it. /status/NNN: that status with a body that must never reach a client
through the proxy unless the proxy passes that code through. Every response
carries headers the proxy must hide or replace.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EchoFramework/1.2.3"
    sys_version = "Python/3.x"

    def _reply(self, with_body: bool = True) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith("/status/"):
            code = int(self.path.split("?")[0].split("/")[2])
            body = f"APP-ERROR-{code} Traceback (most recent call last): SECRET".encode()
        else:
            code = 200
            body = json.dumps(
                {
                    "app": "bulwark-echo",
                    "port": self.server.server_address[1],
                    "method": self.command,
                    "path": self.path,
                    "client": self.client_address[0],
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            ).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Powered-By", "EchoFramework 1.2.3")
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply()

    def do_POST(self) -> None:
        self._reply()

    def do_HEAD(self) -> None:
        self._reply(with_body=False)

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
