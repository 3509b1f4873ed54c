"""The emulated account and its business rules, independent of HTTP.

:class:`AccountState` owns the balance, owned numbers, document groups,
uploaded files, SIP logins and the free-number market. Its methods take
already-typed arguments, enforce the rules (see each method) and raise
:class:`~bot.sandbox.errors.ApiError` with a readable message when a request
must be refused; a refused request never changes state.

Time-driven changes (auto-renewal, parking, removal, document verification)
happen in :meth:`AccountState.process_due`, called before every API request
and once per emulated day by :meth:`AccountState.advance_days`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from bot.sandbox.catalog import (
    Catalog,
    Direction,
    DirectionId,
    FreeNumber,
    new_number_digits,
    new_number_id,
)
from bot.sandbox.clock import SandboxClock
from bot.sandbox.documents import (
    DOCUMENT_TYPES,
    GROUP_FIELDS,
    MAX_UPLOAD_BYTES,
    REQUIRED_GROUP_FIELDS,
    sniff_file_type,
    validate_group_fields,
)
from bot.sandbox.errors import ApiError
from bot.sandbox.money import ACCOUNT_CURRENCY, convert, format_amount, to_money
from bot.sandbox.notify import NotifySettings

PARKING_DAYS = 7
MAX_CHANNELS = 30
SIP_SLOTS = 10
PERIODS: Mapping[str, int] = {"month": 1, "3month": 3}
AUTORENEW_PERIODS: Mapping[str, int] = {"month": 1, "year": 12}
PENDING_STATUSES = ("checking", "checking_upload")
RESERVED_PREFIX = "reserved_"

_CALLER_NAME = re.compile(r"^[A-Za-z0-9 ]{0,30}$")
# ``user@host[:port]``, or a full ``sip:``/``sips:`` URI with ``;parameters``.
_SIP_URI = re.compile(
    r"^(?:sips?:)?[A-Za-z0-9._+\-%!~*'()&=$,;?/]+@(?:[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*|\[[0-9A-Fa-f:.]+\])"
    r"(:[0-9]{1,5})?(;[A-Za-z0-9\-_.!~*'%]+(=[A-Za-z0-9\-_.!~*'%\[\]/:&+$]+)?)*$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^\+?[0-9]{7,15}$")
REJECTION_REASON = (
    "The document is unreadable or has expired. Please upload a clear copy of a valid document."
)


@dataclass
class OwnedNumber:
    """A number on the account (``direct_numbers`` record)."""

    number: str
    direction_id: DirectionId
    group_id: int
    status: str
    start_date: datetime
    stop_date: datetime
    autorenew: bool = True
    autorenew_period: str = "month"
    channels: int = 2
    sip: str = ""
    caller_name: str = ""
    test_mode: bool = False
    receive_sms: bool | None = None
    purpose: str | None = None
    kind: str = "order"
    parked_at: datetime | None = None
    reserved_cost: Decimal | None = None
    """What activating a reserved number will charge (``None``: not reserved)."""
    reserved_months: int = 1

    @property
    def base_status(self) -> str:
        """The status without ``reserved_`` (``reserved_checking`` -> ``checking``)."""
        return self.status.removeprefix(RESERVED_PREFIX)


@dataclass
class DocumentGroup:
    """A document group: the person or company a number is registered to."""

    id: int
    fields: dict[str, str | None]

    def get(self, name: str) -> str | None:
        """One field's value (``None`` when empty)."""
        return self.fields.get(name)


@dataclass
class UploadedFile:
    """An uploaded document; ``state`` is ``pending``, ``verified`` or ``rejected``."""

    group_id: int
    document_type: str
    name: str
    file_type: str
    size: int
    uploaded_at: datetime
    due_at: datetime
    sequence: int
    state: str = "pending"
    reason: str | None = None


@dataclass(frozen=True)
class SipLogin:
    """A SIP login of the account a number can be routed to."""

    id: str
    display_name: str
    lines: int


@dataclass(frozen=True)
class GroupValidity:
    """Whether a document group satisfies a direction's requirements."""

    information_match: bool
    documents_uploaded: bool
    documents_verified: bool
    address_match: bool

    @property
    def status(self) -> str:
        """The status a pending number with this validity should have."""
        if not (self.documents_uploaded and self.information_match and self.address_match):
            return "checking_upload"
        if not self.documents_verified:
            return "checking"
        return "on"


@dataclass(frozen=True)
class Charge:
    """One amount taken from the balance: ``kind`` is ``order`` or ``prolong``, for ``number``."""

    at: datetime
    kind: str
    number: str
    amount: Decimal


@dataclass(frozen=True)
class Event:
    """Something the clock made happen (reported by ``advance_days``)."""

    kind: str
    at: datetime
    subject: str
    details: Mapping[str, str] = field(default_factory=dict)


DEFAULT_SIPS = (
    SipLogin("00001", "Office", 3),
    SipLogin("00002", "Reception", 2),
    SipLogin("00003", "Mobile app", 1),
)


def normalize_number(raw: str) -> str:
    """Digits of a number parameter (leading ``+`` dropped); 400 when malformed."""
    value = raw.strip()
    if not _NUMBER.match(value):
        raise ApiError(f"number must be 7 to 15 digits with an optional leading +, got {raw!r}")
    return value.lstrip("+")


class AccountState:
    """The emulated Zadarma account: state plus the rules that change it."""

    def __init__(
        self,
        catalog: Catalog,
        clock: SandboxClock,
        *,
        balance: Decimal = Decimal("100.00"),
        verification_delay: timedelta = timedelta(days=1),
        seed: int = 0,
        reserve_when_short: bool = False,
    ) -> None:
        self.catalog = catalog
        self.reserve_when_short = reserve_when_short
        """Answer an order the balance does not cover with a reservation instead of a refusal."""
        self.clock = clock
        self.currency = ACCOUNT_CURRENCY
        self.balance = to_money(balance)
        self.verification_delay = verification_delay
        self._rng = random.Random(seed)
        self.numbers: dict[str, OwnedNumber] = {}
        self.charges: list[Charge] = []
        """Every charge, oldest first: what a test or a soak counts money moves by."""
        self.groups: dict[int, DocumentGroup] = {0: DocumentGroup(0, self._main_group_fields())}
        self.files: list[UploadedFile] = []
        self.sips: dict[str, SipLogin] = {s.id: s for s in DEFAULT_SIPS}
        self.market: dict[DirectionId, dict[str, FreeNumber]] = {
            did: {n.id: n for n in numbers} for did, numbers in catalog.initial_market.items()
        }
        self._ids: set[str] = {n.id for m in self.market.values() for n in m.values()}
        self._digits: set[str] = {n.number for m in self.market.values() for n in m.values()}
        self.notify = NotifySettings()
        """Where SMS and call events go, and which are on (``/v1/pbx/webhooks``, ``/v1/pbx/callinfo``)."""
        self._next_group_id = 1
        self._file_sequence = 0
        self._dirty = True
        self._next_due: datetime | None = None

    @staticmethod
    def _main_group_fields() -> dict[str, str | None]:
        fields: dict[str, str | None] = dict.fromkeys(GROUP_FIELDS)
        fields.update(
            email="owner@example.com", salutation="MR", first_name="Account", last_name="Owner", country="PL"
        )
        return fields

    # ----------------------------------------------------------------- lookups
    def direction(self, direction_id: DirectionId) -> Direction:
        """A catalogue direction; 400 when unknown."""
        try:
            return self.catalog.directions[direction_id]
        except KeyError:
            raise ApiError(f"Direction {direction_id} does not exist") from None

    def group(self, group_id: int) -> DocumentGroup:
        """A document group; 400 when unknown."""
        try:
            return self.groups[group_id]
        except KeyError:
            raise ApiError(f"Document group {group_id} does not exist") from None

    def owned(self, number: str) -> OwnedNumber:
        """A number on this account; 400 ``... is not yours`` otherwise."""
        digits = normalize_number(number)
        try:
            return self.numbers[digits]
        except KeyError:
            raise ApiError(f"Number {digits} is not yours: it is not connected to this account") from None

    def free_numbers(self, direction_id: DirectionId, mask: str | None = None) -> list[FreeNumber]:
        """Numbers on the market in a direction, optionally only those containing ``mask``."""
        self.direction(direction_id)
        if mask is not None and not mask.isdigit():
            raise ApiError(f"mask must contain digits only, got {mask!r}")
        numbers = self.market.get(direction_id, {}).values()
        return [n for n in numbers if mask is None or mask in n.number]

    def numbers_sorted(self) -> list[OwnedNumber]:
        """Owned numbers in a stable order (by start date, then number)."""
        return sorted(self.numbers.values(), key=lambda n: (n.start_date, n.number))

    # ----------------------------------------------------------------- money
    def _charge(self, amount: Decimal, what: str, *, kind: str, number: str) -> None:
        amount = to_money(amount)
        if amount > self.balance:
            raise ApiError(
                f"Insufficient funds: {what} costs {format_amount(amount, self.currency)}, "
                f"the balance is {format_amount(self.balance, self.currency)}"
            )
        self.balance = to_money(self.balance - amount)
        self.charges.append(Charge(self.clock.now(), kind, number, amount))

    def set_balance(self, amount: Decimal) -> list[Event]:
        """Set the account balance (control endpoint and tests); returns the reservations it activated."""
        self.balance = to_money(amount)
        return self._activate_reserved(self.clock.now())

    def _activate_reserved(self, now: datetime) -> list[Event]:
        """Charge and activate reserved numbers, oldest first, while the balance covers each."""
        events: list[Event] = []
        for n in self.numbers_sorted():
            if n.reserved_cost is None or n.reserved_cost > self.balance:
                continue
            cost = n.reserved_cost
            self.balance = to_money(self.balance - cost)
            self.charges.append(Charge(now, "order", n.number, cost))
            direction = self.catalog.directions[n.direction_id]
            n.reserved_cost = None
            n.start_date = now
            n.stop_date = self.clock.add_months(now, n.reserved_months)
            before, n.status = n.status, self._validity(self.groups[n.group_id], direction).status
            events.append(Event("status_changed", now, n.number, {"from": before, "to": n.status}))
        if events:
            self._dirty = True
        return events

    # ----------------------------------------------------------------- documents
    def validity(self, group_id: int, direction_id: DirectionId) -> GroupValidity:
        """Whether group ``group_id`` satisfies direction ``direction_id``."""
        return self._validity(self.group(group_id), self.direction(direction_id))

    def _validity(self, group: DocumentGroup, direction: Direction) -> GroupValidity:
        info = all(group.get(f) for f in direction.info_fields)
        address = not direction.needs_address or (
            group.get("country") == direction.country_iso and bool(group.get("address"))
        )
        uploaded = verified = True
        for doc_type in direction.known_uploads:
            states = {f.state for f in self.files if f.group_id == group.id and f.document_type == doc_type}
            uploaded = uploaded and bool(states - {"rejected"})
            verified = verified and "verified" in states
        return GroupValidity(info, uploaded, verified, address)

    def create_group(self, submitted: Mapping[str, str]) -> DocumentGroup:
        """Create a document group after validating its fields."""
        try:
            fields = validate_group_fields(submitted)
        except ValueError as exc:
            raise ApiError(str(exc)) from None
        group = DocumentGroup(self._next_group_id, fields)
        self.groups[group.id] = group
        self._next_group_id += 1
        return group

    def update_group(self, group_id: int, submitted: Mapping[str, str]) -> DocumentGroup:
        """Update a group and re-check its numbers.

        As on create, every field the spec requires must be sent (a partial update is refused);
        optional fields not sent keep their values, and an optional field sent empty is cleared.
        """
        group = self.group(group_id)
        unsent = [f for f in REQUIRED_GROUP_FIELDS if not (submitted.get(f) or "").strip()]
        if unsent:
            raise ApiError("Invalid document group: " + "; ".join(f"{f} is required" for f in unsent))
        try:
            fields = validate_group_fields(submitted, group.fields)
        except ValueError as exc:
            raise ApiError(str(exc)) from None
        group.fields = fields
        self._refresh_numbers(group.id, self.clock.now())
        return group

    def group_files(self, group_id: int) -> list[UploadedFile]:
        """Files uploaded to a group, oldest first."""
        self.group(group_id)
        return [f for f in self.files if f.group_id == group_id]

    def upload(self, group_id: int, document_type: str, filename: str, content: bytes) -> UploadedFile:
        """Store an uploaded document; it is verified (or rejected) after the verification delay.

        The file must be JPEG, PNG or PDF (by magic bytes) and at most 20 MB.
        A file whose name contains ``reject`` is rejected when it falls due.
        """
        self.group(group_id)
        if document_type not in DOCUMENT_TYPES:
            raise ApiError(f"document_type must be one of {', '.join(DOCUMENT_TYPES)}, got {document_type!r}")
        if not content:
            raise ApiError("file is empty")
        if len(content) > MAX_UPLOAD_BYTES:
            raise ApiError(f"file is too large: {len(content)} bytes, the limit is 20 MB")
        file_type = sniff_file_type(content)
        if file_type is None:
            raise ApiError("file must be a JPEG or PNG image or a PDF document")
        name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or f"{document_type}.{file_type}"
        now = self.clock.now()
        self._file_sequence += 1
        uploaded = UploadedFile(
            group_id=group_id,
            document_type=document_type,
            name=name,
            file_type=file_type,
            size=len(content),
            uploaded_at=now,
            due_at=now + self.verification_delay,
            sequence=self._file_sequence,
        )
        self.files.append(uploaded)
        self._dirty = True
        self._refresh_numbers(group_id, now)
        return uploaded

    def checking_wrongs(self, group_id: int) -> dict[str, dict[str, str]]:
        """Why a group's documents or address were refused (empty when nothing is wrong)."""
        group = self.group(group_id)
        info: dict[str, dict[str, str]] = {}
        latest: dict[str, UploadedFile] = {}
        for f in self.files:
            if f.group_id == group_id:
                latest[f.document_type] = f
        rejected = [f for f in latest.values() if f.state == "rejected"]
        if rejected:
            last = max(rejected, key=lambda f: f.sequence)
            info["wrong_document"] = {"document_type": last.document_type, "message": last.reason or ""}
        for n in self.numbers_sorted():
            if n.group_id != group_id or n.base_status not in PENDING_STATUSES:
                continue
            direction = self.catalog.directions[n.direction_id]
            if direction.needs_address and not self._validity(group, direction).address_match:
                country = self.catalog.country_of(direction).name_en
                info["wrong_address"] = {
                    "message": f"Invalid address: number {n.number} needs an address in {country}, "
                    f"the group's address is in {group.get('country') or 'no country'}"
                    + ("" if group.get("address") else " and the address is empty")
                }
                break
        return info

    def _refresh_numbers(self, group_id: int, now: datetime) -> list[Event]:
        events: list[Event] = []
        group = self.groups[group_id]
        for n in self.numbers.values():
            if n.group_id != group_id or n.base_status not in PENDING_STATUSES:
                continue
            target = self._validity(group, self.catalog.directions[n.direction_id]).status
            if n.reserved_cost is not None:
                target = RESERVED_PREFIX + target
            if target != n.status:
                events.append(Event("status_changed", now, n.number, {"from": n.status, "to": target}))
                n.status = target
        return events

    # ----------------------------------------------------------------- numbers
    def order(
        self,
        *,
        direction_id: DirectionId,
        documents_group_id: int,
        number_id: str | None = None,
        purpose: str | None = None,
        receive_sms: int | None = None,
        period: str = "month",
        autorenew_period: str = "month",
    ) -> OwnedNumber:
        """Order a number: charge connection plus the period's fees and take it off the market.

        The new number is ``on`` when its direction needs nothing or the
        group already satisfies it, ``checking_upload`` when uploads or data
        are missing and ``checking`` when uploads wait for verification.
        When the balance does not cover the cost and :attr:`reserve_when_short`
        is set, the number is taken off the market but not charged: its status
        is ``reserved_`` plus the above, and it is charged and activated when
        the balance is topped up (:meth:`set_balance`).
        """
        direction = self.direction(direction_id)
        group = self.group(documents_group_id)
        if period not in PERIODS:
            raise ApiError(f"period must be month or 3month, got {period!r}")
        if autorenew_period not in AUTORENEW_PERIODS:
            raise ApiError(f"autorenew_period must be month or year, got {autorenew_period!r}")
        if receive_sms not in (None, 0, 1):
            raise ApiError(f"receive_sms must be 0 or 1, got {receive_sms!r}")
        if receive_sms == 1 and not direction.receive_sms:
            raise ApiError(f"Numbers of direction {direction_id} ({direction.name_en}) cannot receive SMS")
        purpose = (purpose or "").strip() or None
        if direction.needs_purpose and purpose is None:
            raise ApiError(f"purpose is required for direction {direction_id} ({direction.name_en})")
        market = self.market.get(direction_id, {})
        if number_id is not None:
            free = market.get(number_id)
            if free is None:
                raise ApiError(f"Number {number_id} is no longer available")
        else:
            free = next(iter(market.values()), None)
            if free is None:
                raise ApiError(f"No free numbers left in direction {direction_id} ({direction.name_en})")
        months = PERIODS[period]
        cost = convert(
            direction.connect_fee + direction.monthly_fee * months, direction.currency, self.currency
        )
        reserve = self.reserve_when_short and to_money(cost) > self.balance
        if not reserve:
            self._charge(
                cost, f"number {free.number} for {months} month(s)", kind="order", number=free.number
            )
        del market[free.id]
        now = self.clock.now()
        status = self._validity(group, direction).status
        owned = OwnedNumber(
            number=free.number,
            direction_id=direction_id,
            group_id=group.id,
            status=RESERVED_PREFIX + status if reserve else status,
            reserved_cost=to_money(cost) if reserve else None,
            reserved_months=months,
            start_date=now,
            stop_date=self.clock.add_months(now, months),
            autorenew_period=autorenew_period,
            receive_sms=(receive_sms == 1) if direction.receive_sms else None,
            purpose=purpose,
        )
        self.numbers[owned.number] = owned
        self._dirty = True
        return owned

    def prolong(self, number: str, months: int) -> tuple[OwnedNumber, Decimal]:
        """Pay ``months`` (1..12) more months; a parked number comes back."""
        owned = self.owned(number)
        if not 1 <= months <= 12:
            raise ApiError(f"months must be a whole number from 1 to 12, got {months}")
        if owned.reserved_cost is not None:
            raise ApiError(f"Number {owned.number} is reserved: top up the balance to activate it first")
        direction = self.catalog.directions[owned.direction_id]
        cost = convert(direction.monthly_fee * months, direction.currency, self.currency)
        self._charge(
            cost, f"prolonging {owned.number} by {months} month(s)", kind="prolong", number=owned.number
        )
        owned.stop_date = self.clock.add_months(owned.stop_date, months)
        if owned.status == "parking":
            owned.parked_at = None
            owned.status = self._validity(self.groups[owned.group_id], direction).status
        self._dirty = True
        return owned, cost

    def set_autoprolongation(self, number: str, on: bool) -> OwnedNumber:
        """Switch auto-renewal on or off."""
        owned = self.owned(number)
        owned.autorenew = on
        self._dirty = True
        return owned

    def set_caller_name(self, number: str, caller_name: str) -> OwnedNumber:
        """Set the caller name: Latin letters, digits and spaces, at most 30; empty clears."""
        owned = self.owned(number)
        if not _CALLER_NAME.match(caller_name):
            if len(caller_name) > 30:
                raise ApiError(f"caller_name is too long: {len(caller_name)} characters, at most 30 allowed")
            raise ApiError("caller_name may contain only Latin letters, digits and spaces")
        owned.caller_name = caller_name
        return owned

    def set_sip(self, number: str, sip_id: str, test_mode: bool | None = None) -> OwnedNumber:
        """Route the number to an account SIP login or an external SIP URI (``user@host[:port]``)."""
        owned = self.owned(number)
        sip_id = sip_id.strip()
        if sip_id not in self.sips and not _SIP_URI.match(sip_id):
            known = ", ".join(self.sips)
            raise ApiError(
                f"sip_id must be one of your SIP logins ({known}) or a SIP URI like user@host, got {sip_id!r}"
            )
        owned.sip = sip_id
        if test_mode is not None:
            owned.test_mode = test_mode
        return owned

    def set_receive_sms(self, number: str, on: bool) -> OwnedNumber:
        """Switch SMS reception, only where the direction supports SMS."""
        owned = self.owned(number)
        if owned.receive_sms is None:
            raise ApiError(f"Number {owned.number} cannot receive SMS")
        owned.receive_sms = on
        return owned

    def set_channels(self, number: str, channels: int) -> OwnedNumber:
        """Set the number of simultaneous incoming channels (1..30)."""
        owned = self.owned(number)
        if not 1 <= channels <= MAX_CHANNELS:
            raise ApiError(f"channels must be a whole number from 1 to {MAX_CHANNELS}, got {channels}")
        owned.channels = channels
        return owned

    def sip_name(self, sip_id: str) -> str | None:
        """Display name of an account SIP login (``None`` for URIs and unset)."""
        sip = self.sips.get(sip_id)
        return sip.display_name if sip else None

    # ----------------------------------------------------------------- time
    def advance_days(self, days: int) -> list[Event]:
        """Move the clock ``days`` days forward, one day at a time, running what falls due."""
        if days < 0:
            raise ApiError("days must not be negative")
        events = self.process_due()
        for _ in range(days):
            self.clock.advance(timedelta(days=1))
            events.extend(self.process_due())
        return events

    def process_due(self) -> list[Event]:
        """Run everything due at the current emulated time.

        Order: document checks, then renewals (or parking), then removal of
        numbers parked for more than 7 days (they return to the market).
        """
        now = self.clock.now()
        if not self._dirty and (self._next_due is None or now < self._next_due):
            return []
        events = self._verify_documents(now)
        events.extend(self._renew(now))
        events.extend(self._remove_parked(now))
        self._next_due = min(self._due_times(), default=None)
        self._dirty = False
        return events

    def _due_times(self) -> Iterator[datetime]:
        for f in self.files:
            if f.state == "pending":
                yield f.due_at
        for n in self.numbers.values():
            if n.status == "parking":
                yield (n.parked_at or n.stop_date) + timedelta(days=PARKING_DAYS)
            elif n.reserved_cost is None:
                yield n.stop_date

    def _verify_documents(self, now: datetime) -> list[Event]:
        events: list[Event] = []
        touched: set[int] = set()
        for f in self.files:
            if f.state != "pending" or f.due_at > now:
                continue
            if "reject" in f.name.lower():
                f.state, f.reason = "rejected", REJECTION_REASON
                events.append(
                    Event(
                        "document_rejected",
                        now,
                        f.name,
                        {"document_type": f.document_type, "group_id": str(f.group_id)},
                    )
                )
            else:
                f.state = "verified"
                events.append(
                    Event(
                        "document_verified",
                        now,
                        f.name,
                        {"document_type": f.document_type, "group_id": str(f.group_id)},
                    )
                )
            touched.add(f.group_id)
        for group_id in sorted(touched):
            events.extend(self._refresh_numbers(group_id, now))
        return events

    def _renew(self, now: datetime) -> list[Event]:
        events: list[Event] = []
        due = [
            n
            for n in self.numbers.values()
            if n.status != "parking" and n.reserved_cost is None and n.stop_date <= now
        ]
        for n in sorted(due, key=lambda n: (n.stop_date, n.number)):
            direction = self.catalog.directions[n.direction_id]
            months = AUTORENEW_PERIODS[n.autorenew_period]
            while n.stop_date <= now:
                cost = convert(direction.monthly_fee * months, direction.currency, self.currency)
                if n.autorenew and cost <= self.balance:
                    self.balance = to_money(self.balance - cost)
                    n.stop_date = self.clock.add_months(n.stop_date, months)
                    events.append(
                        Event(
                            "renewed",
                            now,
                            n.number,
                            {
                                "amount": str(cost),
                                "currency": self.currency,
                                "stop_date": self.clock.format(n.stop_date),
                            },
                        )
                    )
                else:
                    reason = "autorenew is off" if not n.autorenew else "insufficient funds"
                    n.status, n.parked_at = "parking", n.stop_date
                    events.append(Event("parked", now, n.number, {"reason": reason}))
                    break
        return events

    def _remove_parked(self, now: datetime) -> list[Event]:
        events: list[Event] = []
        limit = timedelta(days=PARKING_DAYS)
        expired = [
            n
            for n in self.numbers.values()
            if n.status == "parking" and (n.parked_at or n.stop_date) + limit <= now
        ]
        for n in sorted(expired, key=lambda n: n.number):
            del self.numbers[n.number]
            free = FreeNumber(new_number_id(self._rng, self._ids), n.direction_id, n.number)
            self.market.setdefault(n.direction_id, {})[free.id] = free
            events.append(Event("removed", now, n.number, {"direction_id": str(n.direction_id)}))
        return events

    # ----------------------------------------------------------------- bulk seeding
    def seed_owned_numbers(self, count: int, *, seed: int = 1, group_id: int = 0) -> list[str]:
        """Add ``count`` owned numbers with varied stop dates, statuses and autorenew.

        For benchmarks (e.g. 10,000 numbers for alerts). Numbers are new
        digits in the catalogue's ranges, not taken from the market. About
        75 % are ``on`` with stop dates 1 hour to 90 days ahead, 10 % are
        ``parking`` (stopped up to 6 days ago) and the rest are pending.
        """
        if count < 0:
            raise ApiError("count must not be negative")
        self.group(group_id)
        rng = random.Random(seed)
        directions = list(self.catalog.directions.values())
        now = self.clock.now()
        added: list[str] = []
        for i in range(count):
            direction = directions[i % len(directions)]
            digits = new_number_digits(rng, direction, self._digits)
            roll = rng.random()
            parked_at: datetime | None = None
            if roll < 0.75:
                status, stop = "on", now + timedelta(seconds=rng.randint(3600, 90 * 86400))
            elif roll < 0.85:
                status = "parking"
                stop = parked_at = now - timedelta(seconds=rng.randint(3600, 6 * 86400))
            else:
                status = "checking" if roll < 0.93 else "checking_upload"
                stop = now + timedelta(seconds=rng.randint(86400, 30 * 86400))
            self.numbers[digits] = OwnedNumber(
                number=digits,
                direction_id=direction.id,
                group_id=group_id,
                status=status,
                start_date=self.clock.add_months(stop, -rng.choice((1, 3, 12))),
                stop_date=stop,
                autorenew=rng.random() < 0.7,
                channels=rng.choice((1, 2, 2, 4)),
                sip=rng.choice(("", "00001", "00002", "00003")),
                kind="common",
                parked_at=parked_at,
                receive_sms=(rng.random() < 0.5) if direction.receive_sms else None,
            )
            added.append(digits)
        self._dirty = True
        return added
