"""HourlyStatsCRUD: hour order, hour ranges and the latest hour."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from election_monitor.crud import HourlyStatsCRUD
from election_monitor.schemas import HourlyStatsCreate, HourlyStatsResponse
from tests.factories import T0, make_constituency, make_hourly_stats

HOUR = timedelta(hours=1)


def test_create_from_schema_stores_every_field(db: Session) -> None:
    constituency = make_constituency(db)
    created = HourlyStatsCRUD(db).create(
        HourlyStatsCreate(
            constituency_id=constituency.id,
            hour=T0,
            bulletins_issued=120,
            votes_cast=100,
            transaction_count=220,
            bulletin_velocity=2.0,
            vote_velocity=1.6667,
        )
    )
    db.expire_all()
    stored = HourlyStatsCRUD(db).get_or_raise(created.id)
    assert (stored.hour, stored.bulletins_issued, stored.votes_cast) == (T0, 120, 100)
    assert (stored.transaction_count, stored.vote_velocity) == (220, 1.6667)


def test_response_validates_the_stored_stats(db: Session) -> None:
    stats = make_hourly_stats(db, votes_cast=9)
    response = HourlyStatsResponse.model_validate(stats)
    assert (response.id, response.hour, response.votes_cast) == (stats.id, T0, 9)


def test_get_multi_orders_by_hour(db: Session) -> None:
    constituency = make_constituency(db)
    later = make_hourly_stats(db, constituency_id=constituency.id, hour=T0 + HOUR)
    earlier = make_hourly_stats(db, constituency_id=constituency.id, hour=T0)
    assert HourlyStatsCRUD(db).get_multi() == [earlier, later]


def test_get_by_constituency_returns_its_hours_oldest_first(db: Session) -> None:
    constituency = make_constituency(db)
    hours = [
        make_hourly_stats(db, constituency_id=constituency.id, hour=T0 + i * HOUR)
        for i in (2, 0, 1)
    ]
    make_hourly_stats(db)
    result = HourlyStatsCRUD(db).get_by_constituency(constituency_id=constituency.id)
    assert result == [hours[1], hours[2], hours[0]]


def test_get_by_hour_range_includes_both_ends(db: Session) -> None:
    constituency = make_constituency(db)
    by_hour = {
        i: make_hourly_stats(db, constituency_id=constituency.id, hour=T0 + i * HOUR)
        for i in range(-1, 4)
    }
    result = HourlyStatsCRUD(db).get_by_hour_range(start_hour=T0, end_hour=T0 + 2 * HOUR)
    assert result == [by_hour[0], by_hour[1], by_hour[2]]


def test_get_latest_for_constituency_returns_the_newest_hour(db: Session) -> None:
    constituency = make_constituency(db)
    newest = make_hourly_stats(db, constituency_id=constituency.id, hour=T0 + 5 * HOUR)
    # Created later but for an earlier hour: "latest" means the hour, not the insert.
    make_hourly_stats(db, constituency_id=constituency.id, hour=T0 + HOUR)
    make_hourly_stats(db, hour=T0 + 9 * HOUR)  # another constituency's
    assert HourlyStatsCRUD(db).get_latest_for_constituency(constituency_id=constituency.id) == (
        newest
    )


def test_get_latest_for_constituency_returns_none_without_stats(db: Session) -> None:
    constituency = make_constituency(db)
    assert HourlyStatsCRUD(db).get_latest_for_constituency(constituency_id=constituency.id) is None
