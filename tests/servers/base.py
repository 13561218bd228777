"""A JSON HTTP server on 127.0.0.1 for protocol-client tests: routes, auth, injected 429s."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

Handler = Callable[["Request"], tuple[int, Any]]


class Request:
    """One request as a route handler sees it."""

    def __init__(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        headers: dict[str, str],
        match: re.Match[str],
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.headers = headers
        self.match = match

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(v for v in value.split(",") if v)
        return out


class JSONServer:
    """Routes `(method, regex)` to handlers; records every request; can answer 429 first."""

    def __init__(self, *, token: str | None = None, auth_header: str = "Authorization") -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[tuple[str, str, Any]] = []
        self.token = token
        self.auth_header = auth_header
        self.rate_limit_next = 0
        self.retry_after: str | None = None
        self.fail_next_with: list[int] = []
        self.lock = threading.Lock()

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append((method, re.compile(pattern + r"/?$"), handler))
            return handler

        return register

    def count(self, method: str, pattern: str) -> int:
        rx = re.compile(pattern)
        return sum(1 for m, p, _ in self.requests if m == method and rx.search(p))

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        ctype = handler.headers.get("Content-Type", "")
        body: Any = raw
        if raw and "json" in ctype:
            body = json.loads(raw)
        elif raw:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            self.requests.append((method, parsed.path, body))
            limited = self.rate_limit_next > 0
            if limited:
                self.rate_limit_next -= 1
            forced = self.fail_next_with.pop(0) if self.fail_next_with and not limited else None
        if self.token is not None:
            got = headers.get(self.auth_header.lower(), "")
            if self.token not in got:
                return self._send(
                    handler,
                    401,
                    {
                        "message": "Authentication credentials not found",
                        "category": "INVALID_AUTHENTICATION",
                    },
                )
        if limited:
            return self._send(
                handler,
                429,
                {
                    "status": "error",
                    "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT",
                    "category": "RATE_LIMITS",
                },
                extra={"Retry-After": self.retry_after} if self.retry_after else None,
            )
        if forced:
            return self._send(handler, forced, {"message": f"forced {forced}"})
        for route_method, rx, fn in self.routes:
            match = rx.match(parsed.path)
            if route_method == method and match:
                try:
                    status, payload = fn(
                        Request(method, parsed.path, parse_qs(parsed.query), body, headers, match)
                    )
                except KeyError as exc:
                    status, payload = (
                        404,
                        {
                            "status": "error",
                            "message": f"not found: {exc}",
                            "category": "OBJECT_NOT_FOUND",
                        },
                    )
                return self._send(handler, status, payload)
        return self._send(handler, 404, {"message": f"no route {method} {parsed.path}"})

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: Any,
        extra: dict[str, str] | None = None,
    ) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        handler.send_response(status)
        if data:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        if data:
            handler.wfile.write(data)

    @contextmanager
    def serve(self, *, ssl_context: Any = None) -> Iterator[str]:
        """Serve on a free port of 127.0.0.1; yield the base URL."""
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer._handle(self, "GET")

            def do_POST(self) -> None:
                outer._handle(self, "POST")

            def do_PATCH(self) -> None:
                outer._handle(self, "PATCH")

            def do_PUT(self) -> None:
                outer._handle(self, "PUT")

            def do_DELETE(self) -> None:
                outer._handle(self, "DELETE")

        server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        scheme = "http"
        if ssl_context is not None:
            server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
