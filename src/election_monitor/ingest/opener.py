"""Open an input file as decoded text lines, whatever its container and encoding.

Observer files arrive as plain text, ``.gz`` or ``.zip`` (the official export is
``<contractId>_dump.zip`` holding ``<contractId>.csv``), written by Linux tools (UTF-8) or by
Windows tools (UTF-8 with BOM, Windows-1251). Readers should only ever see text lines, so this
module hides both the container and the encoding, and streams: nothing here holds more than one
sniffing window (at most :data:`SNIFF_LIMIT` bytes) of a file in memory.

Encoding rule (decided per file or archive member, from its first bytes):

1. a UTF-8 byte-order mark -> UTF-8 (the mark is dropped);
2. the first bytes decode as UTF-8 -> UTF-8. Windows-1251 Cyrillic is almost never valid UTF-8,
   so this is safe; pure ASCII is read until a non-ASCII byte appears or :data:`SNIFF_LIMIT`
   bytes have been seen. Should a Windows-1251 byte still turn up later, that byte alone is
   decoded as Windows-1251 instead of failing the file;
3. otherwise -> Windows-1251. Every byte but ``0x98`` is a character there, so a file that is
   neither UTF-8 nor plausible Windows-1251 (binary junk, another code page) still *reads*, as
   Windows-1251 with ``0x98`` shown as U+FFFD; its lines then fail the format's own checks and
   become row errors instead of stopping the file.

The container is recognised by its magic bytes (not the file name), so a renamed archive works.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from election_monitor.exceptions import InvalidInputError

#: Archive members that hold input (case-insensitive); other members are not read.
ZIP_MEMBER_SUFFIXES = (".csv", ".jsonl", ".txt")
#: Bytes read at a time while deciding the encoding.
SNIFF_CHUNK = 64 * 1024
#: Bytes decoded at a time while reading lines (memory per open source stays about this).
DECODE_CHUNK = 256 * 1024
#: The most bytes read before deciding: pure ASCII up to here is taken as UTF-8.
SNIFF_LIMIT = 1024 * 1024

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
CP1251 = "cp1251"

_BOM = codecs.BOM_UTF8
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_FALLBACK_ERRORS = "election_monitor.cp1251_fallback"
_DIGITS = re.compile(r"(\d+)")
#: Reading a damaged container fails inside the decompressor, mid-stream, with these.
CONTAINER_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile)


def _cp1251_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejected as Windows-1251 (a stray legacy byte in a UTF-8 file)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bytes(bad).decode(CP1251, errors="replace"), error.end


codecs.register_error(_FALLBACK_ERRORS, _cp1251_fallback)


@dataclass(slots=True)
class TextSource:
    """One decoded text stream: a plain or gzip file, or one member of a zip archive."""

    name: str  # file name, ``archive.zip!member.csv`` for a member
    encoding: str  # UTF8, UTF8_BOM or CP1251
    file: IO[str]  # the decoded text; lines end in "\n" (or "\r\n" as written)

    def lines(self) -> Iterator[tuple[int, str]]:
        """Yield ``(line_number, text)`` lazily, 1-based, without the line ending."""
        number = 0
        try:
            for number, line in enumerate(self.file, 1):
                yield number, line.rstrip("\r\n")
        except CONTAINER_ERRORS as exc:
            raise damaged(self, number, exc) from exc


def damaged(source: TextSource, line: int, exc: Exception) -> InvalidInputError:
    """The error for a container that fails mid-stream (truncated gzip, bad zip CRC)."""
    return InvalidInputError(f"{source.name}: damaged file after line {line}: {exc}")


def detect_encoding(head: bytes, *, complete: bool) -> str:
    """Decide the encoding from a file's first bytes (``complete``: the head is the whole file)."""
    if head.startswith(_BOM):
        return UTF8_BOM
    try:
        # An incremental decoder tolerates a character cut at the end of the head.
        codecs.getincrementaldecoder(UTF8)().decode(head, final=complete)
    except UnicodeDecodeError:
        return CP1251
    return UTF8


def _sniff(binary: IO[bytes]) -> str:
    """Read the head of a stream (until a non-ASCII byte or the limit) and decide its encoding."""
    head = b""
    while len(head) < SNIFF_LIMIT:
        chunk = binary.read(SNIFF_CHUNK)
        if not chunk:
            return detect_encoding(head, complete=True)
        head += chunk
        if not chunk.isascii():
            break
    return detect_encoding(head, complete=False)


def _text_source(name: str, binary: IO[bytes]) -> TextSource:
    try:
        encoding = _sniff(binary)
        binary.seek(0)
    except CONTAINER_ERRORS as exc:
        raise InvalidInputError(f"{name}: damaged file: {exc}") from exc
    errors = "replace" if encoding == CP1251 else _FALLBACK_ERRORS
    # newline="\n": a line is what ends in "\n"; a stray "\r" inside a line stays in it.
    text = io.TextIOWrapper(binary, encoding=encoding, errors=errors, newline="\n")
    # Decoding in bigger chunks than the 8 KiB default more than halves the cost per line.
    text._CHUNK_SIZE = DECODE_CHUNK  # type: ignore[attr-defined]
    return TextSource(name=name, encoding=encoding, file=text)


def natural_key(name: str) -> tuple[tuple[int, str], ...]:
    """Sort key that orders ``2-1000.jsonl`` before ``1001-2000.jsonl`` (numbers by value)."""
    return tuple(
        (1, part) if index % 2 == 0 else (0, f"{int(part):020d}")
        for index, part in enumerate(_DIGITS.split(name))
        if part
    )


def _is_input_member(info: zipfile.ZipInfo) -> bool:
    base = info.filename.rsplit("/", 1)[-1]
    return (
        not info.is_dir()
        and not base.startswith(".")
        and not info.filename.startswith("__MACOSX/")
        and base.lower().endswith(ZIP_MEMBER_SUFFIXES)
    )


def container_of(path: Path) -> str:
    """``"zip"``, ``"gzip"`` or ``"plain"``, from the file's magic bytes."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise InvalidInputError(f"cannot open {path}: {exc.strerror or exc}") from exc
    if magic.startswith(_ZIP_MAGICS):
        return "zip"
    if magic.startswith(_GZIP_MAGIC):
        return "gzip"
    return "plain"


def open_sources(path: Path) -> Generator[TextSource, None, None]:
    """Yield the text sources of a file: itself, its gzip content, or each input zip member.

    Each source is open only until the consumer asks for the next one, so consume (or drop)
    a source's lines before advancing. Members are read in natural name order.
    """
    path = Path(path)
    container = container_of(path)
    if container == "zip":
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidInputError(f"{path.name}: not a readable zip archive: {exc}") from exc
        with archive:
            members = [info for info in archive.infolist() if _is_input_member(info)]
            if not members:
                raise InvalidInputError(
                    f"{path.name}: the archive holds no {'/'.join(ZIP_MEMBER_SUFFIXES)} member"
                )
            for info in sorted(members, key=lambda member: natural_key(member.filename)):
                with archive.open(info) as binary:
                    yield _text_source(f"{path.name}!{info.filename}", binary)
    elif container == "gzip":
        with gzip.open(path, "rb") as unzipped:
            # GzipFile is a binary file object; typeshed just does not say it is an IO[bytes].
            yield _text_source(path.name, cast(IO[bytes], unzipped))
    else:
        with path.open("rb") as binary:
            yield _text_source(path.name, binary)


def contract_id_from_name(source_name: str) -> str:
    """The contract id a file name carries: the stem before the first ``_`` (or first ``.``).

    ``ABC_dump.zip`` -> ``ABC``; a member ``ABC_dump.zip!ABC.csv`` -> ``ABC`` (the member's
    own name wins); ``ABC_20240915_0800-0900.csv.gz`` -> ``ABC``.
    """
    base = source_name.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    return base.split("_", 1)[0].split(".", 1)[0]


def sha256_and_size(path: Path, *, chunk_size: int = 1024 * 1024) -> tuple[str, int]:
    """The SHA-256 (hex) and size in bytes of a file as stored, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
