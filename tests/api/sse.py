"""Reading server-sent events in tests, and a real uvicorn server in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI


@dataclass
class Message:
    id: int | None
    event: str
    data: Any


def parse(lines: Iterable[str]) -> Iterator[Message]:
    """SSE messages from text lines (comments and retry lines skipped)."""
    fields: dict[str, str] = {}
    for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if "event" in fields:
                yield Message(
                    int(fields["id"]) if "id" in fields else None,
                    fields["event"],
                    orjson.loads(fields.get("data", "null")),
                )
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value.removeprefix(" ")


def parse_text(text: str) -> list[Message]:
    return list(parse(text.split("\n")))


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1; yields the base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
