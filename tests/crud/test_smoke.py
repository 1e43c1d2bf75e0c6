from sqlalchemy.orm import Session

from election_monitor.crud import AlertCRUD, ElectionCRUD
from tests.factories import make_alert, make_election


def test_add_note_persists(db: Session) -> None:
    alert = make_alert(db)
    AlertCRUD(db).add_note(id=alert.id, note="checked the node")
    db.expire_all()
    assert AlertCRUD(db).get_or_raise(alert.id).notes == ["checked the node"]


def test_rollback_isolates_tests(db: Session) -> None:
    make_election(db, name="only-one")
    assert len(ElectionCRUD(db).get_multi()) == 1
