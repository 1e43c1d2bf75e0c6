"""Receive a multipart upload straight to disk: never held in memory, never over the limit.

Starlette's form parser would spool the whole file first; this reads the request stream and
writes the ``file`` part as it arrives, hashing it on the way.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fastapi import HTTPException, Request
from python_multipart.multipart import MultipartParser, parse_options_header

from election_monitor.exceptions import InvalidInputError

MIB = 1024 * 1024
FIELD_LIMIT = 4096  # bytes kept of a non-file part (csrf_token and the like)

OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "an observer export, block dump or hourly CSV "
                            "(plain, .zip or .gz); its name is kept (the contract id is the "
                            "part before the first '_')",
                        }
                    },
                }
            }
        },
    }
}


class UploadTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"upload larger than the limit of {limit // MIB} MiB")


@dataclass
class Received:
    """The stored file and what was learnt while writing it."""

    path: Path
    sha256: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


def safe_filename(name: str) -> str:
    """The base name with anything but ``A-Za-z0-9._-`` replaced (no paths, no hidden files)."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")[:200]
    return cleaned or "upload"


class _Receiver:
    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._name = ""
        self._text = bytearray()
        self.out: IO[bytes] | None = None
        self.path: Path | None = None
        self.writing = False
        self.size = 0
        self.sha = hashlib.sha256()
        self.fields: dict[str, str] = {}

    def on_part_begin(self) -> None:
        self.headers = {}
        self._text = bytearray()
        self.writing = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[bytes(self._field).lower()] = bytes(self._value)
        self._field = bytearray()
        self._value = bytearray()

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self.headers.get(b"content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if self._name == "file" and filename is not None and self.path is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path = self.directory / safe_filename(filename.decode("utf-8", "replace"))
            self.out = self.path.open("wb")
            self.writing = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.writing and self.out is not None:
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise UploadTooLarge(self.max_bytes)
            self.sha.update(chunk)
            self.out.write(chunk)
        elif len(self._text) < FIELD_LIMIT:
            self._text += chunk[: FIELD_LIMIT - len(self._text)]

    def on_part_end(self) -> None:
        if self.writing and self.out is not None:
            self.out.close()
            self.out = None
            self.writing = False
        elif self._name:
            self.fields[self._name] = self._text.decode("utf-8", "replace")

    def close(self) -> None:
        if self.out is not None:
            self.out.close()


async def receive(request: Request, directory: Path, *, max_bytes: int) -> Received:
    """Stream the request's ``file`` part into ``directory``; 413 over ``max_bytes``."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInputError("send the file as multipart/form-data in a part named 'file'")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes + MIB:  # body = file + a little framing
        raise UploadTooLarge(max_bytes)
    receiver = _Receiver(directory, max_bytes)
    callbacks: Any = {
        name: getattr(receiver, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
    }
    parser = MultipartParser(boundary, callbacks)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except UploadTooLarge:
        receiver.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise
    except Exception as exc:  # a malformed body is the client's error, not ours
        receiver.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise InvalidInputError(f"malformed multipart body: {exc}") from exc
    receiver.close()
    if receiver.path is None:
        shutil.rmtree(directory, ignore_errors=True)
        raise InvalidInputError("no file: send it in a multipart part named 'file'")
    return Received(receiver.path, receiver.sha.hexdigest(), receiver.size, receiver.fields)
