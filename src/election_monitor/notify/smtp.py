"""Send one delivery by e-mail: plain text and HTML from the same Jinja2 templates, in the
recipient's language, over SMTP with STARTTLS, TLS or (for a local relay) neither.

A refused recipient or sender, and a refused login, are permanent (dead-letter with the
server's reply); a connection failure or a temporary 4xx reply is retried.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from election_monitor.notify.config import EmailConfig
from election_monitor.notify.outcome import Outcome
from election_monitor.notify.texts import texts

_env = Environment(
    loader=PackageLoader("election_monitor.notify", "templates"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def subject(payload: dict[str, Any], language: str) -> str:
    t = texts(language)
    count = int(payload.get("count", 0))
    noun = t["alert"] if count == 1 else t["alerts"]
    change = t.get(str(payload.get("change")), str(payload.get("change")))
    labels = payload.get("labels") or {}
    where = ", ".join(f"{v}" for k, v in labels.items() if k != "type")
    worst = next(
        (s for s in ("critical", "warning", "info") if (payload.get("severities") or {}).get(s)),
        "info",
    )
    kind = labels.get("type", "")
    text = f"[{t[worst]}] {count} {noun} {kind} — {change}"
    return f"{text} ({where})" if where else text


def render(payload: dict[str, Any], *, language: str, key: str) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the message."""
    context = {
        **payload,
        "subject": subject(payload, language),
        "t": texts(language),
        "lang": language,
        "key": key,
    }
    return (
        context["subject"],
        _env.get_template("email.txt.j2").render(context),
        _env.get_template("email.html.j2").render(context),
    )


def build_message(
    config: EmailConfig, recipients: list[str], payload: dict[str, Any], *, language: str, key: str
) -> EmailMessage:
    title, text, html = render(payload, language=language, key=key)
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = config.sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = f"<{key}@elmon>"  # the idempotency key, for mail clients too
    message["X-Elmon-Delivery"] = key
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _connect(config: EmailConfig) -> smtplib.SMTP:
    if config.security == "tls":
        return smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout_seconds,
            context=ssl.create_default_context(),
        )  # fmt: skip
    client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
    if config.security == "starttls":
        client.starttls(context=ssl.create_default_context())
    return client


def send(
    config: EmailConfig,
    recipients: list[str],
    payload: dict[str, Any],
    *,
    language: str,
    key: str,
) -> Outcome:
    """One attempt; never raises."""
    if not recipients:
        return Outcome.give_up("no recipients: set the channel's 'to' or a person's e-mail")
    message = build_message(config, recipients, payload, language=language, key=key)
    try:
        with _connect(config) as client:
            if config.username:
                client.login(config.username, config.password or "")
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome.give_up(f"recipient refused: {_replies(exc.recipients)}")
    except smtplib.SMTPSenderRefused as exc:
        return Outcome.give_up(f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}")
    except smtplib.SMTPAuthenticationError as exc:
        return Outcome.give_up(f"login refused: {exc.smtp_code} {_text(exc.smtp_error)}")
    except smtplib.SMTPResponseException as exc:
        error = f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
        return Outcome.give_up(error) if exc.smtp_code >= 500 else Outcome.retry(error)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome.retry(f"cannot reach {config.host}:{config.port}: {exc}")
    if refused:
        # The others accepted it: resending would duplicate theirs, so it counts as sent.
        return Outcome(ok=True, error=f"some recipients refused: {_replies(refused)}")
    return Outcome.success()


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _replies(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in refused.items())
