"""Bounds on what one input file may contain, and bounded parsing of the numbers in it.

Files come from tools that break in every way and, at worst, from an attacker. Every quantity a
reader trusts is therefore bounded *before* anything is built from it:

- a line (:attr:`Limits.max_line_chars`), a field (:attr:`Limits.max_field_chars`) and the
  nesting of a JSON value (:attr:`Limits.max_json_depth`): a breach rejects that one row;
- the members of an archive (:attr:`Limits.max_archive_members`), how much a member inflates
  (:attr:`Limits.max_compression_ratio`) and member names (no absolute paths, no ``..``, no
  symlinks): a breach refuses the container as a whole, with one clear line;
- heights and timestamps are whole numbers of at most 64 bits (:func:`parse_uint`); wider ones
  reject the row with ``number_out_of_range`` instead of overflowing a datetime or a column.

Each breach has a reason code (``docs/formats.md``, "Rejection reason codes").
"""

from __future__ import annotations

from dataclasses import dataclass

#: The largest height or timestamp a row may carry: a signed 64-bit column holds it.
INT64_MAX = 2**63 - 1
_INT64_DIGITS = len(str(INT64_MAX))
#: How much of an overlong value a reason quotes.
SHOWN_CHARS = 40

# Reason codes for the limits (prefix of the stored reason text).
LINE_TOO_LONG = "line_too_long"
FIELD_TOO_LONG = "field_too_long"
JSON_TOO_DEEP = "json_too_deep"
NUMBER_OUT_OF_RANGE = "number_out_of_range"
TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
ROW_UNREADABLE = "row_unreadable"


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds a reader applies; the defaults are far above anything a real export holds."""

    max_line_chars: int = 1_000_000
    max_field_chars: int = 262_144
    max_json_depth: int = 32
    max_archive_members: int = 10_000
    max_compression_ratio: int = 200
    #: Members smaller than this are never judged by their ratio (tiny files compress well).
    ratio_floor_bytes: int = 1024 * 1024


DEFAULT_LIMITS = Limits()


def current_limits() -> Limits:
    """The limits configured in the settings (``ELMON_INGEST_MAX_*``)."""
    from election_monitor.config import get_settings  # settings import stays lazy for readers

    settings = get_settings()
    return Limits(
        max_line_chars=settings.ingest_max_line_chars,
        max_field_chars=settings.ingest_max_field_chars,
        max_json_depth=settings.ingest_max_json_depth,
        max_archive_members=settings.ingest_max_archive_members,
        max_compression_ratio=settings.ingest_max_compression_ratio,
    )


class BoundError(ValueError):
    """A value beyond a limit; the message starts with its reason code."""


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value for a reason text: its repr, cut to ``limit`` characters with the full length."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} chars)"


def parse_uint(text: str, what: str) -> int | None:
    """A whole non-negative number of at most 64 bits, or None when ``text`` is no such number.

    Raises :class:`BoundError` (``number_out_of_range``) for digits that overflow 64 bits, so a
    5,000-digit number is one rejected row, never Python's int-string limit failing the file.
    """
    if not (text.isdigit() and text.isascii()):
        return None
    if len(text) > _INT64_DIGITS or (len(text) == _INT64_DIGITS and int(text) > INT64_MAX):
        raise BoundError(f"{NUMBER_OUT_OF_RANGE}: {what} {shown(text)} exceeds 64 bits")
    return int(text)


def check_uint(value: object, what: str) -> int | None:
    """A JSON value as a whole non-negative 64-bit number; None when it is not a whole number."""
    # bool is an int subclass: a height of ``true`` is not a height.
    if type(value) is not int:
        return None
    if value < 0:
        return None
    if value > INT64_MAX:
        raise BoundError(f"{NUMBER_OUT_OF_RANGE}: {what} {shown(value)} exceeds 64 bits")
    return value


def check_fields(fields: list[str], limit: int, names: tuple[str, ...] | None = None) -> None:
    """Raise ``field_too_long`` for the first field longer than ``limit`` characters."""
    for index, value in enumerate(fields):
        if len(value) > limit:
            name = names[index] if names and index < len(names) else f"field {index + 1}"
            raise BoundError(
                f"{FIELD_TOO_LONG}: {name} has {len(value):,} characters (limit {limit:,})"
            )


def unreadable(exc: BaseException) -> str:
    """The ``row_unreadable`` reason of an unexpected fault in one row (never a traceback)."""
    text = str(exc)
    if len(text) > 200:
        text = text[:200] + "…"
    return f"{ROW_UNREADABLE}: {type(exc).__name__}: {text}"
