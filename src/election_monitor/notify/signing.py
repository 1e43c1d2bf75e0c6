"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>.<body>"`` with the channel's secret.

The timestamp (Unix seconds, header ``X-Elmon-Timestamp``) is inside the signed text, so a
captured request cannot be replayed later: receivers refuse a timestamp older than a few
minutes. ``verify`` is what a receiver runs (docs/notifications.md shows it standalone).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Elmon-Signature"
TIMESTAMP_HEADER = "X-Elmon-Timestamp"
KEY_HEADER = "Idempotency-Key"
DELIVERY_HEADER = "X-Elmon-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: ``sha256=<hex>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether a request is signed with ``secret`` and recent enough (constant-time)."""
    if not timestamp or not signature:
        return False
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)
