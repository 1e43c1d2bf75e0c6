"""A small webhook receiver on 127.0.0.1 that checks signatures and counts deliveries.

Used by ``elmon demo --notify`` (to show the alerts arriving), by the tests and by the
benchmarks, and a working example of what a real receiver does: refuse a bad or stale
signature (401), and drop a repeated idempotency key while still answering 200 (so the
sender stops retrying).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from election_monitor.notify import signing


@dataclass
class Received:
    key: str
    payload: dict[str, Any]
    at: float


@dataclass
class ReceiverState:
    """What arrived; guarded by ``lock``."""

    secret: str
    #: The answer to the n-th request (0-based); 200 when it returns None.
    respond: Callable[[int], int | None] = lambda _n: None
    delay_seconds: float = 0.0
    requests: int = 0
    bad_signatures: int = 0
    #: Requests whose body ended early (the sender died mid-send, e.g. kill -9): unanswered.
    incomplete: int = 0
    keys: Counter[str] = field(default_factory=Counter)
    unique: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_message: Callable[[Received], None] | None = None

    @property
    def duplicates(self) -> int:
        """Requests carrying a key already received (resends the receiver dropped)."""
        return sum(n - 1 for n in self.keys.values() if n > 1)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:
            # Not a forged message, a sender that died while writing it: nothing to store.
            with state.lock:
                state.incomplete += 1
            return
        with state.lock:
            n = state.requests
            state.requests += 1
        if state.delay_seconds:
            time.sleep(state.delay_seconds)
        forced = state.respond(n)
        if forced is not None and forced != 200:
            self._answer(forced, b'{"error": "test failure"}')
            return
        ok = signing.verify(
            state.secret,
            timestamp=self.headers.get(signing.TIMESTAMP_HEADER),
            body=body,
            signature=self.headers.get(signing.SIGNATURE_HEADER),
        )
        if not ok:
            with state.lock:
                state.bad_signatures += 1
            self._answer(401, b'{"error": "bad signature"}')
            return
        key = self.headers.get(signing.KEY_HEADER) or ""
        item: Received | None = None
        with state.lock:
            state.keys[key] += 1
            if state.keys[key] == 1:
                item = Received(key=key, payload=orjson.loads(body), at=time.time())
                state.unique.append(item)
        if item is not None and state.on_message is not None:
            state.on_message(item)
        self._answer(200, b'{"ok": true}')

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ReceiverState

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A sender that timed out and hung up is expected (slow-receiver tests): no traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class WebhookReceiver:
    """``with WebhookReceiver(secret) as r: ... r.url ... r.state.unique``."""

    def __init__(self, secret: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = ReceiverState(secret=secret)
        self._server = _Server((host, port), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="elmon-receiver", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
