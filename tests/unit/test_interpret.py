"""The counting rules, applied to records built by hand (no file involved)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from election_monitor.ingest.interpret import interpret, iso_to_ms
from election_monitor.ingest.records import ChainRecord


def record(
    operation: str,
    params: dict[str, Any] | None = None,
    diff: dict[str, Any] | None = None,
    *,
    sender: str | None = "K1",
    accepted: bool | None = None,
) -> ChainRecord:
    rec = ChainRecord(
        source="t.csv",
        line=1,
        tx_id="T1",
        contract_id="C",
        operation=operation,
        ts_ms=0,
        block_height=0,
        sender=sender,
        params=params or {},
        diff=diff or {},
        rollback=False,
        raw={},
    )
    rec.accepted = accepted
    return rec


def test_vote_with_vote_key_and_no_fail_is_accepted() -> None:
    rec = interpret(record("vote", diff={"VOTE_K1": "enc"}))
    assert rec.accepted is True
    assert rec.reject_reason is None
    assert rec.details == {"voter_key": "K1"}
    assert rec.bulletins == 0


def test_vote_with_fail_key_is_rejected_with_key_and_value() -> None:
    rec = interpret(record("vote", diff={"FAIL_K1_T1_vote": "invalid blind signature"}))
    assert rec.accepted is False
    assert rec.reject_reason == "FAIL_K1_T1_vote: invalid blind signature"


def test_vote_with_fail_key_is_rejected_even_when_vote_key_is_written() -> None:
    rec = interpret(record("vote", diff={"VOTE_K1": "enc", "FAILED": ""}))
    assert rec.accepted is False
    assert rec.reject_reason == "FAILED"


def test_vote_writing_another_voters_key_is_rejected() -> None:
    rec = interpret(record("vote", diff={"VOTE_K2": "enc"}))
    assert rec.accepted is False
    assert rec.reject_reason == "no VOTE_K1 in diff"


def test_vote_without_sender_is_rejected() -> None:
    rec = interpret(record("vote", diff={"VOTE_": "enc"}, sender=None))
    assert rec.accepted is False


def test_verdict_set_by_the_reader_is_kept() -> None:
    rec = interpret(record("vote", accepted=True))
    assert rec.accepted is True
    rec = interpret(record("blindSigIssue", {"data": "[1, 2]"}, accepted=False))
    assert rec.accepted is False
    assert rec.bulletins == 0


@pytest.mark.parametrize(
    ("params", "voters"),
    [
        ({"data": '[{"userId": "a", "maskedSig": "x"}, {"userId": "b"}, {"userId": "c"}]'}, 3),
        ({"data": [{"userId": "a"}, {"userId": "b"}]}, 2),  # hourly CSV: already decoded
        ({"userIds": '["a", "b"]'}, 2),
        ({}, 1),
    ],
)
def test_blind_sig_issue_counts_voters(params: dict[str, Any], voters: int) -> None:
    params |= {"primaryUikRegionCode": "77", "primaryUikNumber": 101}
    rec = interpret(record("blindSigIssue", params, {"BLINDSIG_a_0": "s"}))
    assert rec.accepted is True
    assert rec.bulletins == voters
    assert rec.details == {"voters": voters}
    assert rec.polling_station == "77/101"


def test_rejected_blind_sig_issue_issues_no_bulletin() -> None:
    rec = interpret(
        record("blindSigIssue", {"data": '[{"userId": "a"}]'}, {"FAIL_T1_blindSig": "x"})
    )
    assert rec.accepted is False
    assert rec.reject_reason == "FAIL_T1_blindSig: x"
    assert rec.bulletins == 0
    assert rec.details == {"voters": 1}


def test_blind_sig_issue_with_unparsable_data_counts_one_and_says_why() -> None:
    rec = interpret(record("blindSigIssue", {"data": "[{not json"}))
    assert rec.bulletins == 1
    assert rec.details == {"voters": 1, "error": "data/userIds is not a JSON array"}


def test_polling_station_needs_both_parts() -> None:
    assert (
        interpret(record("blindSigIssue", {"primaryUikRegionCode": "77"})).polling_station is None
    )


def test_create_contract_parses_voting_base() -> None:
    base = '{"name": "Выборы", "dateStart": "2024-09-15T08:00:00+03:00", "isRevoteBlocked": true}'
    rec = interpret(record("createContract", diff={"VOTING_BASE": base}))
    assert rec.accepted is True
    assert rec.details == {
        "voting_base": {
            "name": "Выборы",
            "dateStart": "2024-09-15T08:00:00+03:00",
            "isRevoteBlocked": True,
        }
    }


def test_create_contract_takes_voting_base_from_params_in_hourly_csv() -> None:
    rec = interpret(record("createContract", params={"VOTING_BASE": {"name": "N"}}))
    assert rec.details == {"voting_base": {"name": "N"}}


@pytest.mark.parametrize(
    ("diff", "error"),
    [({}, "no VOTING_BASE"), ({"VOTING_BASE": "[1]"}, "VOTING_BASE is not a JSON object")],
)
def test_create_contract_without_usable_voting_base(diff: dict[str, Any], error: str) -> None:
    assert interpret(record("createContract", diff=diff)).details == {
        "voting_base": None,
        "error": error,
    }


@pytest.mark.parametrize("operation", ["addVotersList", "addToVotersList", "removeFromVotersList"])
def test_voter_list_operations_count_hashes(operation: str) -> None:
    params = {
        "userIdHashes": '["h1", "h2", "h3"]',
        "primaryUikRegionCode": "50",
        "primaryUikNumber": 7,
    }
    rec = interpret(record(operation, params))
    assert rec.details == {"voters": 3}
    assert rec.polling_station == "50/7"
    assert rec.bulletins == 0


def test_start_and_finish_voting_carry_the_date() -> None:
    start = interpret(record("startVoting", {"dateStart": "2024-09-15T08:00:00+03:00"}))
    assert start.details == {"date": "2024-09-15T08:00:00+03:00", "date_ms": 1_726_376_400_000}
    finish = interpret(record("finishVoting", {"dateEnd": "2024-09-17T17:00:00Z"}))
    assert finish.details == {"date": "2024-09-17T17:00:00Z", "date_ms": 1_726_592_400_000}


def test_start_voting_with_bad_date_says_so() -> None:
    assert interpret(record("startVoting", {"dateStart": "soon"})).details == {
        "date": "soon",
        "date_ms": None,
        "error": "dateStart is not an ISO-8601 date",
    }


def test_results_total_is_the_first_questions_sum() -> None:
    rec = interpret(record("results", {"results": "[[9]]"}, {"RESULTS": "[[10, 20, 5], [1, 2]]"}))
    assert rec.details == {"results": [[10, 20, 5], [1, 2]], "total": 35}
    hourly = interpret(record("results", {"results": [[4, 6]]}))
    assert hourly.details == {"results": [[4, 6]], "total": 10}


def test_results_that_are_not_counts_say_so() -> None:
    assert interpret(record("results", diff={"RESULTS": '"x"'})).details == {
        "results": None,
        "total": None,
        "error": "RESULTS is not a list of lists",
    }


def test_unknown_operation_is_judged_by_fail_keys_only() -> None:
    ok = interpret(record("addMainKey", diff={"MAIN_KEY": "k"}))
    assert (ok.accepted, ok.details) == (True, {})
    failed = interpret(record("somethingNew", diff={"FAIL_T1": "no"}))
    assert (failed.accepted, failed.reject_reason) == (False, "FAIL_T1: no")


def test_iso_to_ms_reads_naive_as_utc_and_keeps_milliseconds() -> None:
    assert iso_to_ms("1970-01-01T00:00:01.001") == 1001
    assert iso_to_ms("2024-09-15T08:00:00.123+03:00") == 1_726_376_400_123
    with pytest.raises(ValueError, match="Invalid isoformat"):
        iso_to_ms("15.09.2024")


@given(st.integers(min_value=0, max_value=253_402_300_799_999))
def test_iso_to_ms_round_trips_epoch_milliseconds(ms: int) -> None:
    from datetime import UTC, datetime, timedelta

    text = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).isoformat()
    assert iso_to_ms(text) == ms
