"""`elmon demo --notify --no-serve`: the demo's alerts reach the local webhook receiver, once."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from election_monitor.cli import app

runner = CliRunner()
RECEIVED = re.compile(r"notifications: (\d+) message\(s\) listing (\d+) alert\(s\)")


def test_demo_notify_delivers_its_alerts_to_a_local_receiver_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo' / 'elmon.db'}"
    args = ["--database-url", url, "demo", "--dir", str(tmp_path / "demo"), "--no-serve",
            "--notify", "--constituencies", "6", "--scale", "0.03"]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    found = RECEIVED.search(first.output)
    assert found, first.output
    messages, alerts = int(found[1]), int(found[2])
    assert messages >= 1
    assert "0 bad; 0 dead letter(s)" in first.output
    engine = create_engine(url)
    with engine.connect() as conn:
        delivered, notified, raised = conn.execute(
            text(
                "SELECT (SELECT COUNT(*) FROM notification_deliveries WHERE status = 'delivered'),"
                " (SELECT COUNT(DISTINCT alert_id) FROM notification_links),"
                " (SELECT COUNT(*) FROM alerts)"
            )
        ).one()
    assert delivered == messages
    assert notified == alerts <= raised
    second = runner.invoke(app, args)  # the same alerts are not notified again
    assert second.exit_code == 0, second.output
    assert "notifications: 0 message(s)" in second.output
    engine.dispose()
