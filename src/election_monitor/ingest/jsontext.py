"""JSON of untrusted rows, parsed fast and within bounds.

``orjson`` is the fast path, but on its own it lets hostile input through in two ways: an integer
wider than 64 bits silently becomes a float (the publisher's digits are lost), and nesting is only
stopped at 1,024 levels. So:

- nesting deeper than the limit is refused with ``json_too_deep`` before anything is parsed (a
  cheap bracket count decides whether the exact scan is needed at all);
- a text holding a run of 19+ digits, or one orjson refuses, is parsed again exactly: integers
  beyond 64 bits and floats beyond double range are kept *as text*, so nothing the publisher wrote
  is lost and every value stays serialisable. Whatever the exact parser cannot read either is
  reported with orjson's own message, as before.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from election_monitor.ingest.limits import JSON_TOO_DEEP, BoundError

JSONDecodeError = orjson.JSONDecodeError

_U64_MAX = 2**64 - 1
_I64_MIN = -(2**63)
_LONG_DIGITS = re.compile(r"\d{19}")
#: A JSON string (skipped when measuring depth) or one bracket.
_DEPTH_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_orjson_loads = orjson.loads


def loads(text: str | bytes, *, max_depth: int) -> Any:
    """Parse ``text``; ``BoundError`` when nested too deep, ``JSONDecodeError`` when not JSON."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if text.count("[") + text.count("{") > max_depth:
        check_depth(text, max_depth)
    if _LONG_DIGITS.search(text) is None:
        try:
            return _orjson_loads(text)
        except JSONDecodeError as exc:
            return _exact(text, exc)
    return _exact(text, None)


def check_depth(text: str, max_depth: int) -> None:
    """Raise ``json_too_deep`` when arrays/objects nest deeper than ``max_depth``."""
    depth = 0
    for match in _DEPTH_TOKENS.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > max_depth:
                raise BoundError(f"{JSON_TOO_DEEP}: nested deeper than {max_depth} levels")
        elif token == "]" or token == "}":
            depth -= 1


def _int_or_text(digits: str) -> int | str:
    # Length first: int() of thousands of digits is slow and hits Python's int-string limit.
    if len(digits) > 21:
        return digits
    value = int(digits)
    return value if _I64_MIN <= value <= _U64_MAX else digits


def _float_or_text(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _exact(text: str, original: JSONDecodeError | None) -> Any:
    """The exact (slower) parse; on failure the original orjson error, if there was one."""
    try:
        value = json.loads(
            text,
            parse_int=_int_or_text,
            parse_float=_float_or_text,
            parse_constant=_no_constant,
        )
        orjson.dumps(value)  # lone surrogates and the like: what orjson cannot write
    except (ValueError, TypeError, RecursionError):
        if original is not None:
            raise original from None
        # orjson's message names the fault the way every other bad-JSON reason does.
        return _orjson_loads(text)
    return value
