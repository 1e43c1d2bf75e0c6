"""Apply the counting rules to a chain record, the same way for every input format.

Readers only decode; this module decides what a record *means* (DESIGN.md, "The data"), so
that an export line, a dump transaction and an hourly CSV row of the same call count alike:

- ``accepted``: for a ``vote``, no state-diff key starts with ``FAIL`` and the diff writes
  ``VOTE_<senderPublicKey>``; for every other operation, no ``FAIL`` key. A reader that knows
  the verdict already (the hourly CSV ``status`` column) sets ``accepted`` before calling, and
  it is kept. ``reject_reason`` says why (the ``FAIL`` key and its value).
- ``bulletins``: for an accepted ``blindSigIssue``, the voters it issued bulletins to:
  ``len(data)``, else ``len(userIds)``, else 1; 0 when rejected.
- ``polling_station``: ``"<primaryUikRegionCode>/<primaryUikNumber>"`` when the params name one.
- ``details``, per operation (keys are stable; consumers read them):

  ================================  ==========================================================
  createContract                    ``voting_base``: the parsed ``VOTING_BASE`` object (name,
                                    dateStart, dateEnd, isRevoteBlocked, dimension, ...)
  add/addTo/removeFromVotersList    ``voters``: number of ``userIdHashes``
  startVoting / finishVoting        ``date``: ``dateStart``/``dateEnd`` as written;
                                    ``date_ms``: the same as epoch ms (None if unparsable)
  blindSigIssue                     ``voters``: entries in ``data``/``userIds`` (even if rejected)
  vote                              ``voter_key``: the one-time voter key (``senderPublicKey``)
  results                           ``results``: the counts per question and option;
                                    ``total``: the sum of the first question's counts
  ================================  ==========================================================

  A value that is present but cannot be parsed adds ``error`` (text) instead of failing: the
  chain accepted the call, so the record is kept and the problem is visible.

It runs once per row on the hot path, so it does little work and allocates little.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from election_monitor.ingest.records import ChainRecord
from election_monitor.timeutil import parse_datetime

#: Every operation the voting contract is known to have (others are still read).
KNOWN_OPERATIONS = frozenset(
    {
        "createContract",
        "addVotersList",
        "addToVotersList",
        "removeFromVotersList",
        "addMainKey",
        "startVoting",
        "finishVoting",
        "blindSigIssue",
        "vote",
        "decryption",
        "commissionDecryption",
        "results",
    }
)
VOTER_LIST_OPERATIONS = frozenset({"addVotersList", "addToVotersList", "removeFromVotersList"})

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_INT64_LIMIT = 2**63


def iso_to_ms(text: str) -> int:
    """Epoch milliseconds of an ISO-8601 time (naive means UTC); ``ValueError`` if not one.

    A time at the edge of the calendar (year 1 with a positive offset) overflows while
    converting to UTC: that is "not a time" too, never an ``OverflowError``.
    """
    try:
        return (parse_datetime(text) - _EPOCH) // _MS
    except OverflowError as exc:
        raise ValueError(f"{text!r} is out of the calendar's range") from exc


def _json(value: Any) -> Any:
    """A JSON value that the export keeps as a string, or already decoded (hourly CSV)."""
    if type(value) is str:
        return _loads(value)
    return value


def _first_fail(diff: dict[str, Any]) -> str | None:
    for key in diff:
        if key.startswith("FAIL"):
            value = diff[key]
            return f"{key}: {value}" if value not in (None, "") else key
    return None


def _accept_unless_fail(record: ChainRecord) -> None:
    if record.accepted is None:
        reason = _first_fail(record.diff)
        record.accepted = reason is None
        record.reject_reason = reason


def _polling_station(record: ChainRecord) -> None:
    params = record.params
    region = params.get("primaryUikRegionCode")
    number = params.get("primaryUikNumber")
    if region is not None and number is not None:
        record.polling_station = f"{region}/{number}"


def _vote(record: ChainRecord) -> None:
    sender = record.sender
    if record.accepted is None:
        diff = record.diff
        reason = _first_fail(diff)
        if reason is None and not (sender and "VOTE_" + sender in diff):
            reason = f"no VOTE_{sender} in diff"
        record.accepted = reason is None
        record.reject_reason = reason
    record.details = {"voter_key": sender}


def _blind_sig_issue(record: ChainRecord) -> None:
    params = record.params
    if record.accepted is None:
        reason = _first_fail(record.diff)
        record.accepted = accepted = reason is None
        record.reject_reason = reason
    else:
        accepted = record.accepted
    region = params.get("primaryUikRegionCode")
    number = params.get("primaryUikNumber")
    if region is not None and number is not None:
        record.polling_station = f"{region}/{number}"
    users = params.get("data")
    if users is None:
        users = params.get("userIds")
    try:
        voters = 1 if users is None else len(_json(users))
        record.details = {"voters": voters}
    except (_JSONError, TypeError):
        # The chain issued something: count one bulletin rather than none, and say why.
        voters = 1
        record.details = {"voters": voters, "error": "data/userIds is not a JSON array"}
    record.bulletins = voters if accepted else 0


def _voters_list(record: ChainRecord) -> None:
    _accept_unless_fail(record)
    _polling_station(record)
    hashes = record.params.get("userIdHashes")
    try:
        record.details = {"voters": len(_json(hashes)) if hashes is not None else 0}
    except (_JSONError, TypeError):
        record.details = {"voters": 0, "error": "userIdHashes is not a JSON array"}


def _date_details(record: ChainRecord, key: str) -> None:
    _accept_unless_fail(record)
    date = record.params.get(key)
    date_ms: int | None = None
    if isinstance(date, str):
        try:
            date_ms = iso_to_ms(date)
        except ValueError:
            date_ms = None
    details: dict[str, Any] = {"date": date, "date_ms": date_ms}
    if date_ms is None:
        details["error"] = f"{key} is not an ISO-8601 date"
    record.details = details


def _start_voting(record: ChainRecord) -> None:
    _date_details(record, "dateStart")


def _finish_voting(record: ChainRecord) -> None:
    _date_details(record, "dateEnd")


def _create_contract(record: ChainRecord) -> None:
    _accept_unless_fail(record)
    raw = record.diff.get("VOTING_BASE", record.params.get("VOTING_BASE"))
    try:
        base = _json(raw) if raw is not None else None
    except _JSONError:
        base = None
    details: dict[str, Any] = {"voting_base": base if isinstance(base, dict) else None}
    if not isinstance(base, dict):
        details["error"] = "no VOTING_BASE" if raw is None else "VOTING_BASE is not a JSON object"
    record.details = details


def _results(record: ChainRecord) -> None:
    _accept_unless_fail(record)
    raw = record.diff.get("RESULTS", record.params.get("results"))
    details: dict[str, Any]
    try:
        results = _json(raw) if raw is not None else None
        if not isinstance(results, list):
            raise TypeError
        first = results[0] if results else []
        total = sum(first)
        if not (-_INT64_LIMIT <= total < _INT64_LIMIT):  # inf, NaN, or wider than 64 bits
            raise TypeError  # a total JSON (and a 64-bit column) can hold, or none
        details = {"results": results, "total": total}
    except (_JSONError, TypeError):
        details = {"results": None, "total": None, "error": "RESULTS is not a list of lists"}
        if raw is None:
            details["error"] = "no RESULTS"
    record.details = details


_HANDLERS: dict[str, Callable[[ChainRecord], None]] = {
    "vote": _vote,
    "blindSigIssue": _blind_sig_issue,
    "createContract": _create_contract,
    "addVotersList": _voters_list,
    "addToVotersList": _voters_list,
    "removeFromVotersList": _voters_list,
    "startVoting": _start_voting,
    "finishVoting": _finish_voting,
    "results": _results,
}


def interpret(record: ChainRecord) -> ChainRecord:
    """Fill ``accepted``, ``reject_reason``, ``bulletins``, ``polling_station`` and ``details``."""
    _HANDLERS.get(record.operation, _accept_unless_fail)(record)
    return record
