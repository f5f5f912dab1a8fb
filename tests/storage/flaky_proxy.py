"""A loopback HTTP proxy in front of the real S3 server that fails requests on purpose.

:class:`FlakyProxy` forwards every request unchanged (Host header included, so
signatures stay valid) to the upstream server, except that it follows a *plan*: the
n-th request is answered ``"503"`` (an S3 ``SlowDown`` error), ``"500"`` (an
``InternalError``), ``"reset"`` (the connection is reset without an answer),
``"truncate"`` (forwarded, but the body breaks off halfway with a reset) or
``"pass"`` (forwarded). Requests beyond the plan are forwarded. ``seen`` records each
request with its ``Range`` header.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from collections.abc import Generator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FlakyProxy", "flaky_proxy"]

_ERRORS = {
    "503": (503, "SlowDown", "Please reduce your request rate."),
    "500": (500, "InternalError", "We encountered an internal error."),
}
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}


class FlakyProxy:
    """The state shared by the proxy's handler threads."""

    def __init__(self, upstream_port: int, plan: list[str]) -> None:
        """Forward to 127.0.0.1:``upstream_port`` following ``plan``."""
        self.upstream_port = upstream_port
        self.plan = list(plan)
        self.seen: list[str] = []
        """``"<METHOD> <path> -> <what was done>"`` for every request, in order."""
        self.lock = threading.Lock()
        self.port = 0

    def next_action(self, request: str) -> str:
        """Return what to do with the next request, and record it."""
        with self.lock:
            action = self.plan.pop(0) if self.plan else "pass"
            self.seen.append(f"{request} -> {action}")
            return action


def _handler(proxy: FlakyProxy) -> type[BaseHTTPRequestHandler]:
    """Return a request handler class bound to ``proxy``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet."""

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            ranged = self.headers.get("Range")
            request = f"{self.command} {self.path}" + (f" [{ranged}]" if ranged else "")
            action = proxy.next_action(request)
            if action == "reset":
                self._reset()
                return
            if action in _ERRORS:
                status, code, message = _ERRORS[action]
                payload = (
                    f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                    f"<Message>{message}</Message></Error>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                return
            upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP_HEADERS and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if action == "truncate":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self._reset()
                elif self.command != "HEAD":
                    self.wfile.write(data)
            finally:
                upstream.close()

        def _reset(self) -> None:
            """Drop the connection with a TCP reset."""
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    return Handler


@contextmanager
def flaky_proxy(upstream_port: int, plan: list[str]) -> Generator[FlakyProxy, None, None]:
    """Run a :class:`FlakyProxy` on a free loopback port for the block."""
    proxy = FlakyProxy(upstream_port, plan)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
