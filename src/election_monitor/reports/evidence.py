"""The evidence pack of one alert: a ZIP a complaint can quote by its SHA-256.

Members, always in this order: ``narrative.txt`` (in the chosen language), ``alert.json``
(the alert, its evidence and its history), ``transactions.csv`` (the transactions behind it:
ids, block heights, timestamps, source file and line), ``inputs.json`` (the input files'
names and hashes, and the lines concerned), ``chart.svg`` and ``SHA256SUMS``. Every member
carries the same fixed timestamp (the evidence's data time) and fixed permissions, so the
same database gives the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from election_monitor.alerts.service import history
from election_monitor.dashboard.series import constituency_series
from election_monitor.exceptions import NotFoundError
from election_monitor.export.writers import csv_cell
from election_monitor.models import Alert, Constituency, FileProcessingJob, RejectedRow, Transaction
from election_monitor.reports.findings import alert_chart, evidence_hours, evidence_lines, last_seen
from election_monitor.reports.i18n import translator
from election_monitor.schemas import AlertResponse

#: The most transactions a pack lists (a spike's hours can hold many).
MAX_TRANSACTIONS = 100_000
EARLIEST_ZIP_TIME = datetime(1980, 1, 1, tzinfo=UTC)
TX_COLUMNS = ("tx_id", "block_height", "timestamp", "type", "voter_key", "accepted", "source",
              "line")  # fmt: skip


def _tx_ids(details: dict[str, Any]) -> list[str]:
    ids = [str(x) for x in details.get("tx_ids") or []]
    ids += [str(p["tx_id"]) for p in details.get("published") or [] if isinstance(p, dict)]
    return sorted(set(ids))


def _voter_keys(details: dict[str, Any]) -> list[str]:
    keys = details.get("keys") or []
    return sorted({str(k["voter_key"]) for k in keys if isinstance(k, dict) and k.get("voter_key")})


def behind(db: Session, alert: Alert) -> list[Transaction]:
    """The transactions the evidence names (ids, voter keys), else those of its hours."""
    details = alert.details or {}
    t = Transaction
    conditions: list[Any] = []
    if ids := _tx_ids(details):
        conditions.append(t.id.in_(ids))
    if keys := _voter_keys(details):
        conditions.append(t.voter_key.in_(keys))
    if not conditions:
        for hour in sorted(set(evidence_hours(details))):
            conditions.append((t.timestamp >= hour) & (t.timestamp < hour + timedelta(hours=1)))
    if not conditions:
        return []
    return list(
        db.scalars(
            select(t)
            .where(t.constituency_id == alert.constituency_id, or_(*conditions))
            .order_by(t.timestamp, t.id)
            .limit(MAX_TRANSACTIONS)
        )
    )


def _csv(rows: Iterable[Transaction]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TX_COLUMNS)
    for tx in rows:
        op = tx.operation_data or {}
        values = (tx.id, tx.block_height, tx.timestamp, tx.type, tx.voter_key, tx.accepted,
                  op.get("source"), op.get("line"))  # fmt: skip
        writer.writerow([csv_cell(v) for v in values])
    return buffer.getvalue().encode()


def _inputs(db: Session, alert: Alert, txs: list[Transaction]) -> dict[str, Any]:
    lines: dict[str, list[int]] = {}
    for tx in txs:
        op = tx.operation_data or {}
        if op.get("source"):
            lines.setdefault(str(op["source"]), []).append(int(op.get("line") or 0))
    rejected = []
    rows = (alert.details or {}).get("rows") or []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("source"):
            lines.setdefault(str(row["source"]), []).append(int(row.get("line") or 0))
    ids = _tx_ids(alert.details or {})
    if ids:
        for r in db.scalars(
            select(RejectedRow).where(RejectedRow.tx_id.in_(ids)).order_by(RejectedRow.id)
        ):
            rejected.append({"source": r.source, "line": r.line, "kind": r.kind,
                             "reason": r.reason, "text": r.text})  # fmt: skip
            lines.setdefault(r.source, []).append(r.line)
    outer = sorted({source.split("!", 1)[0] for source in lines})
    files = []
    for name in outer:
        job = db.scalars(
            select(FileProcessingJob)
            .where(FileProcessingJob.filename == name)
            .order_by(FileProcessingJob.started_at, FileProcessingJob.id)
        ).first()
        files.append({
            "name": name,
            "sha256": job.sha256 if job else None,
            "size_bytes": job.size_bytes if job else None,
            "format": job.format if job else None,
        })  # fmt: skip
    return {
        "files": files,
        "lines": {source: sorted(set(numbers)) for source, numbers in sorted(lines.items())},
        "rejected_rows": rejected,
    }


def narrative(alert: Alert, constituency: Constituency, lang: str, tx_count: int) -> str:
    t = translator(lang)
    lines = [
        f"{alert.title}",
        "",
        f"{t('constituency')}: {constituency.name} ({constituency.id}), {constituency.region}",
        f"{t('type')}: {alert.type}   {t('severity')}: {alert.severity}   "
        f"{t('status')}: {alert.status}",
        f"{t('assigned_to')}: {alert.assigned_to or t('nobody')}",
        "",
        alert.description or "",
        "",
        f"{t('evidence')}:",
        *(f"  {key}: {value}" for key, value in evidence_lines(alert.details)),
        "",
        f"transactions.csv: {tx_count}",
    ]
    if alert.notes:
        lines += ["", f"{t('notes')}:", *(f"  {n}" for n in alert.notes)]
    return "\n".join(lines).rstrip() + "\n"


def _stamp(alert: Alert) -> tuple[int, int, int, int, int, int]:
    when = max(last_seen(alert), EARLIEST_ZIP_TIME)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)


def _member(archive: zipfile.ZipFile, name: str, data: bytes, stamp: Any) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    archive.writestr(info, data, compresslevel=9)


def evidence_pack(db: Session, *, alert_id: str, lang: str = "en") -> bytes:
    """The ZIP's bytes; ``NotFoundError`` for an unknown alert."""
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError("Alert", alert_id)
    constituency = db.get(Constituency, alert.constituency_id)
    assert constituency is not None  # a foreign key
    t = translator(lang)
    txs = behind(db, alert)
    record = {
        "alert": AlertResponse.model_validate(alert).model_dump(mode="json"),
        "history": [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "from": e.from_value, "to": e.to_value, "note": e.note}
            for e in history(db, alert_id=alert_id)
        ],
    }  # fmt: skip
    series = constituency_series(db, constituency_id=alert.constituency_id)
    members = [
        ("narrative.txt", narrative(alert, constituency, lang, len(txs)).encode()),
        ("alert.json", orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)),
        ("transactions.csv", _csv(txs)),
        (
            "inputs.json",
            orjson.dumps(
                _inputs(db, alert, txs), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
            ),
        ),
        (
            "chart.svg",
            alert_chart(
                series,
                alert.details,
                votes=t("votes"),
                bulletins=t("bulletins"),
                title=t("chart_title"),
            ).encode(),
        ),
    ]
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in members)
    members.append(("SHA256SUMS", sums.encode()))
    stamp = _stamp(alert)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            _member(archive, name, data, stamp)
    return buffer.getvalue()
