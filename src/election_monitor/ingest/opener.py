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
import stat
import zipfile
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, cast

from election_monitor.exceptions import InvalidInputError
from election_monitor.ingest.limits import DEFAULT_LIMITS, Limits

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
#: Bytes of the head judged for "is this UTF-16", and the share of control bytes (NUL and the
#: like; tab, CR, LF, ESC and form feed excepted) that, after a UTF-16/32 mark, says it is.
TEXT_PROBE = 4096
MAX_CONTROL_SHARE = 0.25
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
_BINARY_MAGICS = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (.xls/.doc)"),
    (b"\x7fELF", "an executable"),
    (b"MZ\x90\x00", "a Windows executable"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (unpack it first)"),
    (b"Rar!\x1a\x07", "a RAR archive (unpack it first)"),
    (b"\xfd7zXZ\x00", "an xz file (unpack it first)"),
    (b"\x28\xb5\x2f\xfd", "a zstd file (unpack it first)"),
)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
_UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Bytes read at a time when skipping the rest of an overlong line.
_DRAIN_CHUNK = 64 * 1024


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

    def bounded_lines(self, max_chars: int) -> Iterator[tuple[str, bool]]:
        """Each physical line (with its ending) and whether it was longer than ``max_chars``.

        An overlong line yields its first ``max_chars`` characters and ``True``; the rest of it
        is read and dropped piece by piece, so one line without an end never fills memory.
        """
        readline = self.file.readline
        limit = max_chars + 1  # room for the "\n" of a line exactly max_chars long
        while line := readline(limit):
            if len(line) < limit or line[-1] == "\n":
                yield line, False
                continue
            piece = line
            while piece and piece[-1] != "\n":
                piece = readline(_DRAIN_CHUNK)
            yield line[:max_chars], True


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


def _sniff(binary: IO[bytes]) -> tuple[str, bytes]:
    """Read the head of a stream (until a non-ASCII byte or the limit); its encoding and head."""
    head = b""
    while len(head) < SNIFF_LIMIT:
        chunk = binary.read(SNIFF_CHUNK)
        if not chunk:
            return detect_encoding(head, complete=True), head
        head += chunk
        if not chunk.isascii():
            break
    return detect_encoding(head, complete=False), head


def check_text(name: str, head: bytes) -> None:
    """Refuse (``not_text``) a stream that is recognisably not a text export.

    That is UTF-16/UTF-32 text (a byte-order mark and a quarter of the head control bytes:
    what "Unicode text" in a spreadsheet writes) or a known binary kind by its magic bytes (a
    PDF, an image, an office file, another archive, a database, an executable). Other junk
    still reads, line by line, as rows rejected with a reason.
    """
    if _BZIP2.match(head):
        raise InvalidInputError(f"{name}: not_text: the file is a bzip2 file (unpack it first)")
    for magic, kind in _BINARY_MAGICS:
        if head.startswith(magic):
            raise InvalidInputError(f"{name}: not_text: the file is {kind}, not a text export")
    probe = head[:TEXT_PROBE]
    controls = len(probe) - len(probe.translate(None, _CONTROL_BYTES))
    if probe.startswith(_UTF16_BOMS) and controls > MAX_CONTROL_SHARE * len(probe):
        raise InvalidInputError(
            f"{name}: not_text: the file is UTF-16/UTF-32 text; save it as UTF-8 and load again"
        )


def _text_source(name: str, binary: IO[bytes]) -> TextSource:
    try:
        encoding, head = _sniff(binary)
        binary.seek(0)
    except CONTAINER_ERRORS as exc:
        raise InvalidInputError(f"{name}: damaged file: {exc}") from exc
    check_text(name, head)
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


def _unsafe_name(info: zipfile.ZipInfo) -> str | None:
    """Why a member's name or kind is refused (absolute, ``..``, a symlink), or None."""
    name = info.filename
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        return "has an absolute path"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "climbs out of the archive (..)"
    if "\x00" in name:
        return "has a NUL in its name"
    return None


def check_archive(name: str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse an archive with too many members, an unsafe member name or an inflating member."""
    if len(infos) > limits.max_archive_members:
        raise InvalidInputError(
            f"{name}: archive_too_many_members: {len(infos):,} members "
            f"(limit {limits.max_archive_members:,})"
        )
    for info in infos:
        why = _unsafe_name(info)
        if why is not None:
            raise InvalidInputError(
                f"{name}: archive_member_name: member {info.filename!r} {why}; "
                "the archive is refused"
            )
        if _inflates(info.file_size, info.compress_size, limits):
            raise InvalidInputError(
                f"{name}: compression_ratio: member {info.filename!r} inflates "
                f"{info.compress_size:,} bytes to {info.file_size:,} "
                f"(more than {limits.max_compression_ratio}x; a zip bomb?)"
            )


def _inflates(size: int, compressed: int, limits: Limits) -> bool:
    return size > limits.ratio_floor_bytes and size > limits.max_compression_ratio * max(
        compressed, 1
    )


class RatioGuard(io.RawIOBase):
    """A decompressed stream that stops (``compression_ratio``) when it inflates too far.

    Zip members declare their size (checked up front); a gzip file does not, so its output
    is counted as it is read against the compressed file's size.
    """

    def __init__(self, name: str, inner: IO[bytes], compressed: int, limits: Limits) -> None:
        super().__init__()
        self._name = name
        self._inner = inner
        self._compressed = compressed
        self._limits = limits
        self._produced = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._inner.seek(offset, whence)
        self._produced = position
        return position

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self._produced += count
        if _inflates(self._produced, self._compressed, self._limits):
            raise InvalidInputError(
                f"{self._name}: compression_ratio: inflates {self._compressed:,} bytes to more "
                f"than {self._produced:,} (more than {self._limits.max_compression_ratio}x; "
                "a gzip bomb?); the rows before it stand"
            )
        return count


def _guarded(name: str, inner: IO[bytes], compressed: int, limits: Limits) -> IO[bytes]:
    return cast(IO[bytes], io.BufferedReader(RatioGuard(name, inner, compressed, limits)))


def open_sources(path: Path, limits: Limits = DEFAULT_LIMITS) -> Generator[TextSource, None, None]:
    """Yield the text sources of a file: itself, its gzip content, or each input zip member.

    Each source is open only until the consumer asks for the next one, so consume (or drop)
    a source's lines before advancing. Members are read in natural name order. An archive
    breaking a limit (:func:`check_archive`) is refused before any member is read.
    """
    path = Path(path)
    container = container_of(path)
    if container == "zip":
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise InvalidInputError(f"{path.name}: not a readable zip archive: {exc}") from exc
        with archive:
            infos = archive.infolist()
            check_archive(path.name, infos, limits)
            members = [info for info in infos if _is_input_member(info)]
            if not members:
                raise InvalidInputError(
                    f"{path.name}: the archive holds no {'/'.join(ZIP_MEMBER_SUFFIXES)} member"
                )
            for info in sorted(members, key=lambda member: natural_key(member.filename)):
                member_name = f"{path.name}!{info.filename}"
                try:
                    binary = archive.open(info)
                except (*CONTAINER_ERRORS, NotImplementedError, RuntimeError, ValueError) as exc:
                    # Encrypted, an unknown compression method, a bad local header.
                    raise InvalidInputError(f"{member_name}: cannot open member: {exc}") from exc
                with binary:
                    source = _text_source(
                        member_name, _guarded(member_name, binary, info.compress_size, limits)
                    )
                    try:
                        yield source
                    finally:
                        source.file.close()
    elif container == "gzip":
        compressed = path.stat().st_size
        with gzip.open(path, "rb") as unzipped:
            # GzipFile is a binary file object; typeshed just does not say it is an IO[bytes].
            yield _text_source(
                path.name, _guarded(path.name, cast(IO[bytes], unzipped), compressed, limits)
            )
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
