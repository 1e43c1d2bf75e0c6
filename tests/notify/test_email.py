"""E-mail delivery through a real SMTP server (``aiosmtpd`` on 127.0.0.1): STARTTLS with a
self-signed certificate made by ``openssl``, plain text + HTML, EN/RU by the recipient's
language, a refused recipient, and quiet hours (a warning held, a critical let through)."""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from election_monitor.models import NotificationDelivery, User
from election_monitor.notify import Dispatcher, channels, deliveries
from election_monitor.timeutil import utcnow
from tests.factories import make_constituency, make_election
from tests.notify.test_delivery import ACTOR, engine, offline, raise_all, settings

__all__ = ["engine"]  # the fixture, shared with test_delivery


@dataclass
class Mailbox:
    """What the SMTP server accepted; recipients in ``refuse`` get a 550."""

    refuse: set[str] = field(default_factory=set)
    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def smtp_server(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server that insists on STARTTLS; the client trusts its certificate."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    yield mailbox, port
    controller.stop()


def _email_channel(db: Session, port: int, **extra: Any) -> None:
    config = {"host": "127.0.0.1", "port": port, "security": "starttls",
              "sender": "elmon@example.org", "timeout_seconds": 5, **extra}  # fmt: skip
    channels.create_channel(db, name="email", kind="email", config=config, actor=ACTOR)


def _person(db: Session, name: str, **prefs: Any) -> User:
    user = User(username=name, password_hash="x", role="observer", **prefs)
    db.add(user)
    db.flush()
    channels.create_rule(db, actor=ACTOR, name=f"{name}'s mail", user_id=user.id)
    return user


def _constituencies(db: Session, regions: list[str]) -> list[str]:
    election = make_election(db)
    return [
        make_constituency(db, election_id=election.id, region=r, name=f"D{i}").id
        for i, r in enumerate(regions)
    ]


def _bodies(message: Message) -> dict[str, str]:
    assert message.is_multipart()
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_team_gets_english_and_a_person_russian_over_starttls(
    engine: Engine, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    with Session(engine) as db:
        ids = _constituencies(db, ["77"])
        _email_channel(db, port, to=["team@example.org"])
        channels.create_rule(db, actor=ACTOR, name="team", channel_ref="email")
        _person(db, "olga", email="olga@example.org", language="ru")
        db.commit()
    raise_all(engine, [offline(ids[0])])
    dispatcher = Dispatcher(engine, settings=settings())
    dispatcher.run_until_idle()
    dispatcher.stop()
    [team] = mailbox.to("team@example.org")
    [olga] = mailbox.to("olga@example.org")
    assert "raised" in str(team["Subject"])
    assert "новые" in str(olga["Subject"])
    for message, word in ((team, "Constituency"), (olga, "Округ")):
        bodies = _bodies(message)
        assert set(bodies) == {"text/plain", "text/html"}
        assert word in bodies["text/plain"]
        assert word in bodies["text/html"]
        assert "<" not in bodies["text/plain"].replace("<elmon", "")  # no markup in plain
    with Session(engine) as db:
        assert channels.get_channel(db, "email").status == "ok"


def test_refused_recipient_is_a_dead_letter_with_the_reply_then_retried(
    engine: Engine, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    mailbox.refuse.add("gone@example.org")
    with Session(engine) as db:
        ids = _constituencies(db, ["77"])
        _email_channel(db, port)
        _person(db, "gone", email="gone@example.org")
        db.commit()
    raise_all(engine, [offline(ids[0])])
    dispatcher = Dispatcher(engine, settings=settings())
    dispatcher.run_until_idle()
    with Session(engine) as db:
        dead, total = deliveries.dead_letters(db)
        assert total == 1
        assert dead[0].attempts == 1  # permanent: not retried on its own
        error = dead[0].last_error or ""
        assert "recipient refused" in error
        assert "gone@example.org: 550" in error
        channel = channels.get_channel(db, "email")
        assert channel.status == "failing"
        assert "recipient refused" in (channel.last_error or "")
        mailbox.refuse.clear()  # the mailbox is back: retry from the dead-letter list
        deliveries.retry(db, delivery_id=dead[0].id, actor=ACTOR)
        db.commit()
    dispatcher.run_until_idle()
    dispatcher.stop()
    assert len(mailbox.to("gone@example.org")) == 1


def test_quiet_hours_hold_a_warning_until_they_end_but_not_a_critical(
    engine: Engine, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    now = utcnow()
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    with Session(engine) as db:
        ids = _constituencies(db, ["77", "50"])
        _email_channel(db, port)
        _person(db, "night", email="night@example.org", timezone="UTC",
                quiet_hours_start=start.strftime("%H:%M"),
                quiet_hours_end=end.strftime("%H:%M"))  # fmt: skip
        db.commit()
    raise_all(engine, [offline(ids[0])])
    dispatcher = Dispatcher(engine, settings=settings())
    dispatcher.run_until_idle()
    assert mailbox.to("night@example.org") == []
    with Session(engine) as db:
        held = db.scalars(select(NotificationDelivery)).one()
        assert held.status == "pending"
        assert held.next_attempt_at > now + timedelta(minutes=50)
    raise_all(engine, [offline(ids[1], severity="critical")])
    dispatcher.run_until_idle()
    [critical] = mailbox.to("night@example.org")
    assert "critical" in str(critical["Subject"])
    dispatcher.run_once(now=end + timedelta(minutes=1))
    dispatcher.stop()
    assert len(mailbox.to("night@example.org")) == 2
