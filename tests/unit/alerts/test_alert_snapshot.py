"""The stored picture of the account: built from API records, saved and read back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.services.alerts import NumberState, Snapshot, SnapshotError
from bot.zadarma.models import AccountClock, Balance, DirectNumber

CLOCK = AccountClock.model_validate(
    {"unixtime": 1_800_000_000, "datetime": "2027-01-15 11:00:00", "timezone": "UTC+3"}
)


def record(**overrides: object) -> DirectNumber:
    data: dict[str, object] = {
        "number": "+48221234567",
        "status": "on",
        "description": "Warsaw",
        "start_date": "2026-12-01 00:30:00",
        "stop_date": "2027-01-01 00:30:00",
        "monthly_fee": "25.00",
        "currency": "PLN",
        "autorenew": "false",
    }
    data.update(overrides)
    return DirectNumber.model_validate(data)


def test_from_account_puts_local_dates_on_utc() -> None:
    snapshot = Snapshot.from_account([record()], CLOCK, Balance(balance=Decimal("12.5"), currency="USD"))
    assert snapshot.taken_at == datetime.fromtimestamp(1_800_000_000, UTC)
    assert snapshot.utc_offset_minutes == 180
    assert (snapshot.balance, snapshot.balance_currency) == (Decimal("12.5"), "USD")
    (state,) = snapshot.numbers
    assert state.number == "48221234567"  # no "+"
    assert state.stop_date == datetime(2026, 12, 31, 21, 30, tzinfo=UTC)
    assert state.start_date == datetime(2026, 11, 30, 21, 30, tzinfo=UTC)
    assert (state.autorenew, state.monthly_fee, state.currency) == (False, Decimal("25.00"), "PLN")


def test_missing_dates_and_balance() -> None:
    snapshot = Snapshot.from_account([record(stop_date="", start_date="0000-00-00 00:00:00")], CLOCK)
    assert snapshot.numbers[0].stop_date is None
    assert snapshot.numbers[0].start_date is None
    assert snapshot.balance is None
    assert Snapshot.from_json(snapshot.to_json()) == snapshot


def test_json_round_trip() -> None:
    snapshot = Snapshot.from_account(
        [record(), record(number="48221234568", status="checking_upload", autorenew="true")],
        CLOCK,
        Balance(balance=Decimal("3.10"), currency="USD"),
    ).with_rejections({"48221234568": "Unreadable scan."})
    assert snapshot.numbers[1].rejection == "Unreadable scan."
    assert snapshot.numbers[0].rejection is None
    assert Snapshot.from_json(snapshot.to_json()) == snapshot


def test_with_no_rejections_is_the_same_object() -> None:
    snapshot = Snapshot.from_account([record()], CLOCK)
    assert snapshot.with_rejections({}) is snapshot


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"v": 99, "numbers": []}',
        '{"v": 1, "taken_at": 1, "offset": 0}',
        '{"v": 1, "offset": 0, "numbers": []}',
        '{"v": 1, "taken_at": "x", "offset": 0, "numbers": []}',
        '{"v": 1, "taken_at": null, "offset": 0, "numbers": []}',
        '{"v": 1, "taken_at": 1, "offset": 0, "numbers": [1]}',
        '{"v": 1, "taken_at": 1, "offset": 0, "numbers": [{"n": "1"}]}',
        '{"v": 1, "taken_at": 1, "offset": 0, "numbers": [{"n": "1", "s": "on", "ar": true, "fee": "x"}]}',
    ],
)
def test_unreadable_snapshots_are_refused(text: str) -> None:
    with pytest.raises(SnapshotError):
        Snapshot.from_json(text)


def test_taken_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        Snapshot(datetime(2026, 1, 1), 0, ())


def test_number_state_keeps_description_and_fee() -> None:
    state = NumberState("1", "on", None, True, Decimal("4.50"), "EUR", "Berlin")
    assert NumberState.from_json(state.to_json()) == state


def test_a_version_1_snapshot_is_still_read() -> None:
    text = (
        '{"v":1,"taken_at":1800000000,"offset":180,"balance":"3.10","cur":"USD","numbers":['
        '{"n":"48221234567","s":"on","stop":1798752600,"ar":false,"fee":"25.00","cur":"PLN",'
        '"d":"\\u0141\\u00f3d\\u017a","start":1796074200},'
        '{"n":"48221234568","s":"checking_upload","stop":null,"ar":true,"fee":"4","cur":"USD","rej":"Unreadable."}]}'
    )
    snapshot = Snapshot.from_json(text)
    assert snapshot.numbers == (
        NumberState(
            "48221234567",
            "on",
            datetime(2026, 12, 31, 21, 30, tzinfo=UTC),
            False,
            Decimal("25.00"),
            "PLN",
            "Łódź",
            datetime(2026, 11, 30, 21, 30, tzinfo=UTC),
        ),
        NumberState(
            "48221234568", "checking_upload", None, True, Decimal("4"), "USD", rejection="Unreadable."
        ),
    )
    assert (snapshot.balance, snapshot.utc_offset_minutes) == (Decimal("3.10"), 180)


def test_repeated_texts_and_fees_are_stored_once_and_read_back_as_written() -> None:
    records = [
        record(number=f"4822123456{i}", monthly_fee="25.00" if i % 2 else "25", description="Łódź")
        for i in range(10)
    ]
    snapshot = Snapshot.from_account(records, CLOCK)
    text = snapshot.to_json()
    assert text.isascii()
    assert text.count("\\u0141") == 1  # the city once, in the table
    back = Snapshot.from_json(text)
    assert back == snapshot
    assert [str(s.monthly_fee) for s in back.numbers] == [str(s.monthly_fee) for s in snapshot.numbers]


@pytest.mark.parametrize(
    "rows",
    [
        "[1]",
        '[["1",0,null,0,0,0,0]]',
        '[["1",0,null,0,5,0,0,null]]',
        '[["1",-1,null,0,0,0,0,null]]',
        '[["1","on",null,0,0,0,0,null]]',
    ],
)
def test_unreadable_rows_are_refused(rows: str) -> None:
    text = f'{{"v":2,"taken_at":1,"offset":0,"texts":["on"],"fees":["1"],"numbers":{rows}}}'
    with pytest.raises(SnapshotError):
        Snapshot.from_json(text)
