"""Table tests for the pure rule ``due_alerts``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.alerts import AlertDraft, AlertKind, NumberState, Snapshot, due_alerts
from bot.services.alerts.renewals import days_left, days_window
from bot.services.alerts.rules import entering_upload
from bot.zadarma.models import Balance

LEADS = (14, 7, 3, 1)
UTC3 = 180
Z3 = timezone(timedelta(hours=3))
NUMBER = "48221234567"


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given on the account's wall clock (UTC+3), as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=Z3).astimezone(UTC)


def num(
    stop: datetime | None,
    *,
    number: str = NUMBER,
    status: str = "on",
    autorenew: bool = False,
    fee: str = "5.00",
    currency: str = "USD",
    start: datetime | None = None,
    rejection: str | None = None,
) -> NumberState:
    return NumberState(number, status, stop, autorenew, Decimal(fee), currency, "Warsaw", start, rejection)


def snap(at: datetime, *numbers: NumberState, offset: int = UTC3, balance: str | None = "100.00") -> Snapshot:
    return Snapshot(at, offset, numbers, None if balance is None else Decimal(balance), "USD")


def bal(amount: str = "100.00", currency: str = "USD") -> Balance:
    return Balance(balance=Decimal(amount), currency=currency)


def run(
    previous: Snapshot | None,
    current: Snapshot,
    balance: Balance | None = None,
    *,
    digest_hour: int | None = None,
    rates: dict[str, Decimal] | None = None,
) -> list[AlertDraft]:
    if balance is None:
        balance = bal(str(current.balance)) if current.balance is not None else bal()
    return due_alerts(
        previous, current, balance, current.taken_at, LEADS, digest_hour=digest_hour, rates=rates
    )


def kinds(drafts: list[AlertDraft]) -> list[str]:
    return [d.kind.value for d in drafts]


STOP = local(2026, 12, 1, 12, 0)  # 1 December, noon, account time


def at_days_left(days: int, hour: int = 10) -> datetime:
    """An instant ``days`` calendar days before STOP's day, at ``hour`` account time."""
    day = datetime(2026, 12, 1, hour, 0, tzinfo=Z3) - timedelta(days=days)
    return day.astimezone(UTC)


# -- expiry warnings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left_now", "left_before", "expected_lead"),
    [
        (30, None, None),
        (15, None, None),
        (14, None, 14),
        (13, None, 14),
        (8, None, 14),
        (7, None, 7),
        (5, None, 7),
        (3, None, 3),
        (2, None, 3),  # first scan with 2 days left: the 3-day warning only
        (1, None, 1),
        (0, None, 1),  # stops today
        (13, 14, None),  # 14 sent yesterday: nothing new
        (14, 14, None),  # same day, next scan
        (7, 8, 7),
        (7, 14, 7),
        (6, 7, None),
        (3, 5, 3),
        (2, 3, None),
        (1, 3, 1),
        (0, 1, None),
        (0, 8, 1),  # crossed 7, 3 and 1 at once: the smallest
        (2, 10, 3),
        (1, 15, 1),
        (10, 15, 14),
    ],
)
def test_expiry_warning_lead_times(left_now: int, left_before: int | None, expected_lead: int | None) -> None:
    previous = None if left_before is None else snap(at_days_left(left_before), num(STOP))
    drafts = run(previous, snap(at_days_left(left_now), num(STOP)))
    warnings = [d for d in drafts if d.kind is AlertKind.EXPIRY_WARNING]
    if expected_lead is None:
        assert warnings == []
        return
    assert len(warnings) == 1
    draft = warnings[0]
    assert draft.key == f"expiry:{NUMBER}:2026-12-01:{expected_lead}"
    assert draft.number == NUMBER
    assert draft.params["lead_days"] == str(expected_lead)
    assert draft.params["days_left"] == str(left_now)
    assert draft.params["stop_date"] == "2026-12-01T12:00:00+03:00"
    assert draft.params["monthly_fee"] == "5.00"
    assert draft.params["currency"] == "USD"
    assert draft.params["zone"] == "UTC+3"
    assert draft.actions == ("prolong", "autorenew_on")


def test_daily_scans_send_each_lead_time_once() -> None:
    fired: list[str] = []
    previous: Snapshot | None = None
    for days in range(20, -1, -1):
        for hour in (1, 9, 17, 23):  # several scans a day
            current = snap(at_days_left(days, hour), num(STOP))
            fired += [d.key for d in run(previous, current) if d.kind is AlertKind.EXPIRY_WARNING]
            previous = current
    assert fired == [f"expiry:{NUMBER}:2026-12-01:{lead}" for lead in (14, 7, 3, 1)]


@pytest.mark.parametrize(
    ("previous_state", "expected_lead"),
    [
        (num(STOP, autorenew=True), 3),  # auto-renewal switched off with 2 days left
        (num(STOP - timedelta(days=30)), 3),  # another stop date (was renewed by hand)
        (num(STOP, status="parking"), 3),
        (num(STOP, number="48000000000"), 3),  # the number is new
        (num(STOP), None),  # same state: the 3-day warning went out before
    ],
)
def test_warnings_track_one_stop_date_with_autorenew_off(
    previous_state: NumberState, expected_lead: int | None
) -> None:
    previous = snap(at_days_left(3), previous_state)
    drafts = run(previous, snap(at_days_left(2), num(STOP)))
    leads = [d.params["lead_days"] for d in drafts if d.kind is AlertKind.EXPIRY_WARNING]
    assert leads == ([] if expected_lead is None else [str(expected_lead)])


@pytest.mark.parametrize(
    "state",
    [
        num(STOP, autorenew=True),  # auto-renewal on, balance enough
        num(STOP, status="parking"),
        num(None),
        num(STOP - timedelta(days=3)),  # stop date passed, not parked yet
    ],
)
def test_no_warning(state: NumberState) -> None:
    assert run(None, snap(at_days_left(1), state)) == []


def test_autorenew_on_with_enough_balance_gives_nothing_ever() -> None:
    previous: Snapshot | None = None
    for days in range(20, -1, -1):
        current = snap(at_days_left(days), num(STOP, autorenew=True, fee="5.00"), balance="5.00")
        assert run(previous, current) == []
        previous = current


# -- time zones -----------------------------------------------------------------------


def test_days_are_counted_on_the_account_calendar_not_utc() -> None:
    stop = local(2026, 12, 1, 0, 30)  # = 2026-11-30 21:30 UTC
    now = datetime(2026, 11, 16, 22, 0, tzinfo=UTC)  # = 17 Nov 01:00 account time
    drafts = run(None, snap(now, num(stop)))
    # account calendar: 17 Nov -> 1 Dec = 14 days
    assert [d.key for d in drafts] == [f"expiry:{NUMBER}:2026-12-01:14"]
    assert drafts[0].params["stop_date"] == "2026-12-01T00:30:00+03:00"
    # 16 Nov 23:59 account time: 15 days; by the machine's UTC dates (16 -> 30 Nov) it would be 14
    earlier = datetime(2026, 11, 16, 20, 59, tzinfo=UTC)
    assert run(None, snap(earlier, num(stop))) == []


def test_stop_near_midnight_is_today_in_the_account_zone() -> None:
    stop = local(2026, 12, 1, 0, 30)
    now = datetime(2026, 11, 30, 21, 15, tzinfo=UTC)  # 1 Dec 00:15 account time, 30 Nov on the machine
    drafts = run(snap(at_days_left(2), num(stop)), snap(now, num(stop)))
    assert [(d.params["lead_days"], d.params["days_left"]) for d in drafts] == [("1", "0")]


def test_machine_zone_snapshot_uses_its_own_offset() -> None:
    stop = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    now = datetime(2026, 11, 30, 21, 15, tzinfo=UTC)
    drafts = run(None, snap(now, num(stop), offset=0))
    assert [(d.params["days_left"], d.params["zone"]) for d in drafts] == [("1", "UTC+0")]
    assert drafts[0].key == f"expiry:{NUMBER}:2026-12-01:1"


# -- month ends -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stop", "now", "days_left", "lead"),
    [
        (local(2026, 2, 28, 9, 0), local(2026, 1, 31, 9, 0), 28, None),  # Jan 31 + 1 month
        (local(2026, 2, 28, 9, 0), local(2026, 2, 14, 9, 0), 14, 14),
        (local(2026, 2, 28, 9, 0), local(2026, 2, 21, 23, 59), 7, 7),
        (local(2028, 2, 29, 9, 0), local(2028, 2, 15, 0, 0), 14, 14),  # leap year
        (local(2028, 2, 29, 9, 0), local(2028, 2, 26, 8, 0), 3, 3),
        (local(2026, 3, 1, 0, 0), local(2026, 2, 27, 23, 0), 2, 3),  # across the end of February
        (local(2026, 3, 1, 0, 0), local(2026, 2, 28, 12, 0), 1, 1),
        (local(2027, 1, 1, 0, 10), local(2026, 12, 31, 23, 50), 1, 1),  # across a year end
    ],
)
def test_month_ends(stop: datetime, now: datetime, days_left: int, lead: int | None) -> None:
    drafts = run(None, snap(now, num(stop)))
    if lead is None:
        assert drafts == []
    else:
        assert [(d.params["days_left"], d.params["lead_days"]) for d in drafts] == [
            (str(days_left), str(lead))
        ]


# -- renewals at risk and the balance -------------------------------------------------


def test_renewal_at_risk_when_the_balance_does_not_cover_it() -> None:
    current = snap(at_days_left(10), num(STOP, autorenew=True, fee="5.00"), balance="3.00")
    drafts = run(None, current)
    assert kinds(drafts) == ["renewal_at_risk", "balance_low"]
    risk, low = drafts
    assert risk.key == f"renewal_at_risk:{NUMBER}:2026-12-01"
    assert risk.params["needed"] == "5.00"
    assert risk.params["balance"] == "3.00"
    assert risk.params["days_left"] == "10"
    assert risk.actions == ()
    assert low.number is None
    assert low.key == "balance_low:2026-11-21"
    assert (low.params["needed"], low.params["shortfall"], low.params["due_count"]) == (
        "5.00",
        "2.00",
        "1",
    )
    assert low.params["through"] == "2026-12-05"


def test_renewal_beyond_the_largest_lead_time_is_not_at_risk_yet() -> None:
    current = snap(at_days_left(15), num(STOP, autorenew=True, fee="5.00"), balance="0.00")
    assert run(None, current) == []


def test_renewals_are_charged_in_due_order() -> None:
    first = num(STOP - timedelta(days=2), number="48000000001", autorenew=True, fee="5.00")
    second = num(STOP, number="48000000002", autorenew=True, fee="5.00")
    drafts = run(None, snap(at_days_left(10), first, second, balance="7.00"))
    assert [(d.kind.value, d.number) for d in drafts] == [
        ("renewal_at_risk", "48000000002"),
        ("balance_low", None),
    ]
    assert drafts[0].params["needed"] == "10.00"


def test_risk_and_low_balance_are_not_repeated_on_the_next_scan() -> None:
    previous = snap(at_days_left(10), num(STOP, autorenew=True), balance="3.00")
    current = snap(at_days_left(9), num(STOP, autorenew=True), balance="2.00")
    assert run(None, previous) != []
    assert run(previous, current) == []


def test_low_balance_again_after_a_top_up() -> None:
    low = snap(at_days_left(10), num(STOP, autorenew=True), balance="3.00")
    topped = snap(at_days_left(9), num(STOP, autorenew=True), balance="50.00")
    low_again = snap(at_days_left(8), num(STOP, autorenew=True), balance="1.00")
    assert run(low, topped) == []
    assert [d.key for d in run(topped, low_again)] == [
        # the same renewal was at risk before: its key repeats and the claim refuses it
        f"renewal_at_risk:{NUMBER}:2026-12-01",
        "balance_low:2026-11-23",
    ]


def test_fees_in_another_currency_need_a_rate() -> None:
    state = num(STOP, autorenew=True, fee="5.00", currency="EUR")
    current = snap(at_days_left(5), state, balance="5.00")
    assert run(None, current) == []  # no rate: cannot tell, so no alarm
    drafts = run(None, current, rates={"EUR": Decimal("1.08")})
    assert kinds(drafts) == ["renewal_at_risk", "balance_low"]
    risk = drafts[0].params
    assert (risk["needed"], risk["balance"], risk["currency"]) == ("5.40", "5.00", "USD")
    assert (risk["monthly_fee"], risk["fee_currency"]) == ("5.00", "EUR")


def test_unpriced_fees_are_listed_in_the_balance_alert() -> None:
    usd = num(STOP, number="48000000001", autorenew=True, fee="5.00")
    pln = num(STOP, number="48000000002", autorenew=True, fee="25.00", currency="PLN")
    drafts = run(None, snap(at_days_left(5), usd, pln, balance="1.00"))
    low = next(d for d in drafts if d.kind is AlertKind.BALANCE_LOW)
    assert (low.params["needed"], low.params["unpriced"], low.params["due_count"]) == (
        "5.00",
        "PLN 25.00",
        "2",
    )


# -- changes since the previous scan --------------------------------------------------


def test_renewed_with_the_new_date() -> None:
    new_stop = local(2027, 1, 1, 12, 0)
    drafts = run(
        snap(at_days_left(1), num(STOP, autorenew=True)),
        snap(at_days_left(0), num(new_stop, autorenew=True)),
    )
    assert kinds(drafts) == ["renewed"]
    assert drafts[0].key == f"renewed:{NUMBER}:2027-01-01"
    assert drafts[0].params["stop_date"] == "2027-01-01T12:00:00+03:00"
    assert drafts[0].params["previous_stop_date"] == "2026-12-01T12:00:00+03:00"
    assert drafts[0].params["autorenew"] == "on"


@pytest.mark.parametrize(("autorenew", "reason"), [(True, "renewal_failed"), (False, "not_renewed")])
def test_parked_with_how_long_it_is_kept(autorenew: bool, reason: str) -> None:
    before = snap(at_days_left(0, hour=11), num(STOP, autorenew=autorenew))
    after = snap(at_days_left(0, hour=13), num(STOP, autorenew=autorenew, status="parking"))
    drafts = run(before, after)
    assert kinds(drafts) == ["parked"]
    parked = drafts[0]
    assert parked.key == f"parked:{NUMBER}:2026-12-01"
    assert parked.params["kept_days"] == "7"
    assert parked.params["parked_until"] == "2026-12-08T12:00:00+03:00"
    assert parked.params["cause"] == reason
    assert parked.actions == ("prolong",)
    assert run(after, snap(at_days_left(-1), num(STOP, status="parking"))) == []


def test_prolonged_out_of_parking_is_renewed() -> None:
    new_stop = local(2027, 1, 1, 12, 0)
    drafts = run(
        snap(at_days_left(-1), num(STOP, status="parking")),
        snap(at_days_left(-1, hour=15), num(new_stop, status="on")),
    )
    assert kinds(drafts) == ["renewed"]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("checking", "on", ["activated"]),
        ("checking_upload", "on", ["activated"]),
        ("reserved_checking", "reserved_on", []),  # still reserved: not active
        ("reserved_on", "on", ["activated"]),  # the balance was topped up
        ("reserved_checking_upload", "on", ["activated"]),
        ("reserved_on", "reserved_on", []),
        ("reserved_checking", "checking", []),  # paid, documents still being checked
        ("on", "on", []),
        ("parking", "on", []),
        ("on", "checking_upload", ["documents_needed"]),
        ("checking", "checking_upload", ["documents_needed"]),
        ("checking_upload", "checking_upload", []),
        ("checking_upload", "checking", []),
        (None, "checking_upload", ["documents_needed"]),  # ordered between scans
        (None, "on", []),
        (None, "checking", []),
    ],
)
def test_status_changes(before: str | None, after: str, expected: list[str]) -> None:
    start = local(2026, 11, 1, 10, 0)
    far = local(2027, 6, 1, 0, 0)
    previous = snap(at_days_left(30), *([num(far, status=before, start=start)] if before else []))
    current = snap(at_days_left(29), num(far, status=after, start=start))
    drafts = run(previous, current)
    assert kinds(drafts) == expected
    for draft in drafts:
        if draft.kind is AlertKind.ACTIVATED:
            assert draft.key == f"activated:{NUMBER}:2026-11-01"
        else:
            assert draft.key == f"documents_needed:{NUMBER}:20261101T100000"
            assert draft.actions == ("upload_documents",)


def test_documents_rejected_with_the_reason() -> None:
    far = local(2027, 6, 1, 0, 0)
    previous = snap(at_days_left(30), num(far, status="checking"))
    current = snap(at_days_left(29), num(far, status="checking_upload", rejection="Unreadable scan."))
    drafts = run(previous, current)
    assert kinds(drafts) == ["documents_rejected"]
    assert drafts[0].params["reason"] == "Unreadable scan."
    assert drafts[0].key == f"documents_rejected:{NUMBER}:20261101T100000"


def test_entering_upload_lists_only_numbers_that_just_changed() -> None:
    far = local(2027, 6, 1, 0, 0)
    previous = snap(
        at_days_left(30),
        num(far, number="1", status="checking"),
        num(far, number="2", status="checking_upload"),
        num(far, number="3", status="on"),
    )
    current = snap(
        at_days_left(29),
        num(far, number="1", status="checking_upload"),
        num(far, number="2", status="checking_upload"),
        num(far, number="3", status="on"),
        num(far, number="4", status="reserved_checking_upload"),
    )
    assert entering_upload(previous, current) == ["1", "4"]
    assert entering_upload(None, current) == []


def test_first_scan_reports_no_changes() -> None:
    far = local(2027, 6, 1, 0, 0)
    current = snap(
        at_days_left(0),
        num(far, number="1", status="checking_upload"),
        num(STOP, number="2", status="parking"),
        num(far, number="3", status="on"),
    )
    assert run(None, current) == []


# -- digest ---------------------------------------------------------------------------


def test_digest_once_per_account_day_from_its_hour() -> None:
    numbers = (
        num(STOP, number="48000000002", autorenew=True),
        num(STOP - timedelta(days=2), number="48000000001"),
        num(local(2027, 6, 1, 0, 0), number="48000000003"),  # beyond 14 days
        num(STOP, number="48000000004", status="parking"),
    )
    before_hour = snap(local(2026, 11, 25, 8, 59), *numbers)
    at_hour = snap(local(2026, 11, 25, 9, 0), *numbers)
    later = snap(local(2026, 11, 25, 23, 0), *numbers)
    next_day = snap(local(2026, 11, 26, 9, 30), *numbers)
    assert kinds(run(None, before_hour, digest_hour=9)) == ["expiry_warning"]
    drafts = run(before_hour, at_hour, digest_hour=9)
    assert kinds(drafts) == ["digest"]
    digest = drafts[0]
    assert digest.key == "digest:2026-11-25"
    assert digest.number is None
    items = json.loads(digest.params["items"])
    assert [(i["number"], i["days_left"], i["autorenew"]) for i in items] == [
        ("48000000001", 4, False),
        ("48000000002", 6, True),
    ]
    assert (digest.params["count"], digest.params["parked"], digest.params["more"]) == ("2", "1", "0")
    assert digest.params["within_days"] == "14"
    assert run(at_hour, later, digest_hour=9) == []
    assert [d.key for d in run(later, next_day, digest_hour=9)] == [
        "expiry:48000000001:2026-11-29:3",
        "digest:2026-11-26",
    ]


def test_digest_day_is_the_account_day() -> None:
    now = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # 1 Dec 01:00 account time
    assert [d.key for d in run(None, snap(now), digest_hour=0)] == ["digest:2026-12-01"]
    assert run(None, snap(now, offset=0), digest_hour=0)[0].key == "digest:2026-11-30"


# -- arguments and snapshots ----------------------------------------------------------


def test_arguments_are_checked() -> None:
    current = snap(at_days_left(3), num(STOP))
    with pytest.raises(ValueError, match="aware"):
        due_alerts(None, current, bal(), datetime(2026, 11, 1), LEADS)
    with pytest.raises(ValueError, match="lead_days"):
        due_alerts(None, current, bal(), current.taken_at, ())
    with pytest.raises(ValueError, match="lead_days"):
        due_alerts(None, current, bal(), current.taken_at, (0, 3))


# -- the day window a scan compares stop dates with -----------------------------------

offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    now=instants,
    zone=offsets,
    days=st.integers(0, 30),
    seconds=st.integers(-3 * 86_400, 35 * 86_400),
    stop_zone=offsets,
)
def test_the_day_window_holds_exactly_the_days_counted(
    now: datetime, zone: timezone, days: int, seconds: int, stop_zone: timezone
) -> None:
    stop = (now + timedelta(seconds=seconds)).astimezone(stop_zone)
    start, end = days_window(now, zone, days)
    assert end is not None
    inside = start <= stop < end
    assert inside == (0 <= days_left(stop, now, zone) <= days)


@pytest.mark.parametrize("days_from_start", [-1, 0, 14, 15])
@pytest.mark.parametrize("shift", [timedelta(0), -timedelta(microseconds=1)])
def test_warnings_and_digest_at_the_window_edges(days_from_start: int, shift: timedelta) -> None:
    now = local(2026, 11, 17, 10, 0)
    stop = (
        local(2026, 11, 17) + timedelta(days=days_from_start) + shift
    )  # a day's first instant, or just before
    left = days_left(stop, now, Z3)
    drafts = run(None, snap(now, num(stop)), digest_hour=0)
    warned = [d for d in drafts if d.kind is AlertKind.EXPIRY_WARNING]
    digest = json.loads(next(d for d in drafts if d.kind is AlertKind.DIGEST).params["items"])
    assert bool(warned) == (0 <= left <= max(LEADS))
    assert bool(digest) == (0 <= left <= max(LEADS))
    renewing = run(None, snap(now, num(stop, autorenew=True)), bal("0.00"))
    at_risk = [d for d in renewing if d.kind is AlertKind.RENEWAL_AT_RISK]
    assert bool(at_risk) == (left <= max(LEADS))  # a renewal already past its day is still due


def test_a_window_beyond_the_calendar_has_no_end() -> None:
    now = datetime(9999, 12, 20, tzinfo=UTC)
    start, end = days_window(now, UTC, 30)
    assert end is None and start == datetime(9999, 12, 20, tzinfo=UTC)
    stop = datetime(9999, 12, 31, tzinfo=UTC)
    assert [d.kind for d in run(None, snap(now, num(stop), offset=0))] == [AlertKind.EXPIRY_WARNING]


def test_a_number_unchanged_since_the_last_scan_gives_no_change() -> None:
    before_at, now = local(2026, 11, 1), local(2026, 11, 2)
    far = local(2027, 6, 1)
    for status in ("checking_upload", "reserved_on", "parking", "on"):
        state = num(far, status=status)
        assert run(snap(before_at, state), snap(now, state)) == []
    # and an equal copy is as good as the same object
    assert (
        run(
            snap(before_at, num(far, status="checking_upload")), snap(now, num(far, status="checking_upload"))
        )
        == []
    )
    assert [
        d.kind
        for d in run(snap(before_at, num(far, status="on")), snap(now, num(far, status="checking_upload")))
    ] == [AlertKind.DOCUMENTS_NEEDED]
