"""A tiny webhook receiver on loopback, for the demo (`python -m webhooks.receiver`) and the tests: it records each
request, answers scripted status codes, and verifies signatures with the Standard Webhooks library when it knows the
secret (the demo writes it to a file, since it is shown only once)."""

from __future__ import annotations

import argparse
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

KEEP = 200  # the demo keeps the latest requests only


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None = None


@dataclass
class Receiver:
    """Answers the next scripted status for each request (200 once the script runs out)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    secret_file: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        request.verified = self._verify(request)
        with self.lock:
            self.requests.append(request)
            del self.requests[:-KEEP]
            return self.script.pop(0) if self.script else 200

    def _verify(self, request: Received) -> bool | None:
        if self.secret_file is None or not self.secret_file.exists():
            return None
        try:
            Webhook(self.secret_file.read_text().strip()).verify(request.body, request.headers)
        except WebhookVerificationError:
            return False
        return True

    def summary(self) -> dict:
        with self.lock:
            latest = list(reversed(self.requests[-20:]))
        return {
            "received": len(self.requests),
            "latest": [
                {"webhook-id": r.headers.get("webhook-id"), "type": _type(r.body), "verified": r.verified} for r in latest
            ],
        }


def _type(body: bytes) -> str | None:
    try:
        return json.loads(body).get("type")
    except ValueError:
        return None


def start(receiver: Receiver, port: int = 0, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    """Serve on `host` (loopback) in a daemon thread, over TLS with a server context; sets `receiver.url`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver.answer(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self._reply(status, b"ok" if status < 300 else b"receiver says no", "text/plain")

        def do_GET(self):
            self._reply(200, json.dumps(receiver.summary(), indent=2).encode(), "application/json")

        def _reply(self, status: int, content: bytes, content_type: str):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):  # keep test and demo output clean
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver.url = f"{'https' if tls else 'http'}://{host}:{server.server_address[1]}/hooks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="A webhook receiver on loopback for the demo")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret-file", type=Path)
    args = parser.parse_args()
    server = start(Receiver(secret_file=args.secret_file), args.port)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
