"""Send one delivery to a webhook: a signed JSON POST with the delivery id as idempotency key.

2xx is an acknowledgement (never sent again); 408, 425, 429 and 5xx, timeouts and refused
connections are retried; any other 4xx, and a body template that does not render JSON,
are permanent (the delivery becomes a dead letter with that reason).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from election_monitor.notify import signing
from election_monitor.notify.config import WebhookConfig
from election_monitor.notify.outcome import Outcome

RETRY_STATUSES = frozenset({408, 425, 429})
_templates = ImmutableSandboxedEnvironment(autoescape=False)


def render_body(config: WebhookConfig, payload: dict[str, Any]) -> bytes:
    """The request body: the payload itself, or the channel's template rendered from it."""
    if not config.body_template:
        return orjson.dumps(payload)
    text = _templates.from_string(config.body_template).render(**payload, payload=payload)
    orjson.loads(text)  # a chat tool wants JSON: refuse to send anything else
    return text.encode()


def headers_for(config: WebhookConfig, delivery_id: str, body: bytes) -> dict[str, str]:
    ts = int(time.time())
    return {
        **config.headers,
        "Content-Type": "application/json",
        "User-Agent": "elmon-notify",
        signing.KEY_HEADER: delivery_id,
        signing.DELIVERY_HEADER: delivery_id,
        signing.TIMESTAMP_HEADER: str(ts),
        signing.SIGNATURE_HEADER: signing.sign(config.secret, ts, body),
    }


def send(
    client: httpx.Client, config: WebhookConfig, delivery_id: str, payload: dict[str, Any]
) -> Outcome:
    """One attempt; never raises."""
    try:
        body = render_body(config, payload)
    except (TemplateError, orjson.JSONDecodeError, TypeError) as exc:
        return Outcome.give_up(f"body template did not render JSON: {exc}")
    try:
        response = client.post(
            config.url,
            content=body,
            headers=headers_for(config, delivery_id, body),
            timeout=config.timeout_seconds,
        )
    except httpx.TimeoutException:
        return Outcome.retry(f"timed out after {config.timeout_seconds:g} s ({config.url})")
    except httpx.HTTPError as exc:
        return Outcome.retry(f"cannot reach {config.url}: {type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return Outcome.success()
    detail = f"HTTP {response.status_code} from {config.url}: {response.text[:200]!r}"
    if response.status_code in RETRY_STATUSES or response.status_code >= 500:
        return Outcome.retry(detail)
    return Outcome.give_up(detail)
