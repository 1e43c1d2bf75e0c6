"""Data for API tests, written straight to the app's database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from election_monitor.models import Alert, Constituency, Election, Transaction
from tests.factories import T0, make_alert, make_constituency, make_election, make_hourly_stats

__all__ = ["T0", "World", "world"]


class World:
    """An election with two constituencies, hours, transactions and alerts."""

    election: Election
    other: Election
    c1: Constituency
    c2: Constituency
    alerts: list[Alert]
    txs: list[Transaction]


def world(db: Session) -> World:
    w = World()
    w.election = make_election(db, name="EDG 2026", status="active")
    w.other = make_election(db, name="Other", status="upcoming", start_date=T0 + timedelta(days=30),
                            end_date=T0 + timedelta(days=33))  # fmt: skip
    w.c1 = make_constituency(
        db, id="C1", election_id=w.election.id, name="Alpha", region="77", type="urban",
        registered_voters=1000, bulletins_issued=300, votes_cast=250, participation_rate=25.0,
        last_data_time=T0 + timedelta(hours=2),
    )  # fmt: skip
    w.c2 = make_constituency(
        db, id="C2", election_id=w.election.id, name="Beta", region="50", type="rural",
        registered_voters=500, bulletins_issued=100, votes_cast=120, status="offline",
        last_data_time=T0 + timedelta(hours=1),
    )  # fmt: skip
    make_constituency(db, id="C3", election_id=w.other.id, name="Gamma", region="77")
    for hour, (b, v) in enumerate([(100, 80), (200, 170)]):
        make_hourly_stats(
            db, constituency_id="C1", hour=T0 + timedelta(hours=hour), bulletins_issued=b,
            votes_cast=v, transaction_count=b + v,
        )  # fmt: skip
    make_hourly_stats(db, constituency_id="C2", hour=T0, bulletins_issued=100, votes_cast=120,
                      transaction_count=220)  # fmt: skip
    w.alerts = [
        make_alert(db, constituency_id="C2", type="votes_exceed_bulletins", severity="critical",
                   title="Votes exceed bulletins by 20", detected_at=T0 + timedelta(hours=1)),
        make_alert(db, constituency_id="C1", type="unusual_spike", severity="warning",
                   title="Spike", detected_at=T0 + timedelta(hours=2)),
        make_alert(db, constituency_id="C1", type="night_activity", severity="info",
                   status="resolved", title="Night", detected_at=T0),
    ]  # fmt: skip
    w.txs = []
    for i in range(5):
        tx = Transaction(
            id=f"TX{i}", constituency_id="C1" if i < 4 else "C2", block_height=100 + i,
            timestamp=T0 + timedelta(minutes=20 * i), type="vote" if i % 2 else "blindSigIssue",
            raw_data={"n": i},
        )  # fmt: skip
        db.add(tx)
        w.txs.append(tx)
    db.commit()
    return w
