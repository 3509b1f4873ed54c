"""Typed results of the Zadarma calls the bot makes.

Field names follow Python conventions; aliases map the API's names. Wire
quirks (string booleans, string ids, string numbers) are absorbed by the
lenient types in :mod:`bot.zadarma.parsing`; everything here is strict inside.
Dates are naive and in the account's time zone (see :class:`AccountClock`).

Every model reads tolerantly (the reader is the API's, not ours):

* unknown fields are ignored;
* PHP's empty array ``[]`` stands for an empty object;
* a field with a default that is missing, ``null`` or unreadable takes its
  default (so a display field can never fail a record);
* a required field that is missing or unreadable fails the record: the
  client then skips that item of a list, or reports the whole reply as
  unreadable (:class:`~bot.zadarma.errors.ZadarmaMalformedResponse`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.zadarma.parsing import (
    AccountDateTime,
    Days,
    DirectionId,
    LenientBool,
    Money,
    OptionalStr,
    StrId,
    Text,
)

NumberStatus = Literal[
    "on",
    "parking",
    "checking",
    "checking_upload",
    "reserved_on",
    "reserved_checking",
    "reserved_checking_upload",
]
DOCUMENT_TYPES: tuple[str, ...] = (
    "passport",
    "receipt",
    "contract",
    "company_letter",
    "phone_bill",
    "photo_with_doc",
    "photo_with_passport",
    "certificate",
    "inn_ua",
    "driver_id_us_ca",
    "driver_id_other",
)


_DEFAULTED: dict[type[BaseModel], frozenset[str]] = {}


def _defaulted_keys(model: type[BaseModel]) -> frozenset[str]:
    """Input keys (names and aliases) of ``model``'s fields that have a default."""
    keys = _DEFAULTED.get(model)
    if keys is None:
        keys = frozenset(
            key
            for name, info in model.model_fields.items()
            if not info.is_required()
            for key in (name, info.alias)
            if key
        )
        _DEFAULTED[model] = keys
    return keys


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @model_validator(mode="wrap")
    @classmethod
    def _tolerant(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if isinstance(data, list) and not data:
            data = {}  # PHP's json_encode of an empty array
        if not isinstance(data, dict):
            return handler(data)
        defaulted = _defaulted_keys(cls)
        for _ in range(len(data) + 1):
            try:
                return handler(data)
            except ValidationError as exc:
                bad = {
                    e["loc"][0] for e in exc.errors() if e["loc"] and e["loc"][0] in defaulted
                } & data.keys()
                if not bad or len(bad) < len({e["loc"][0] for e in exc.errors() if e["loc"]}):
                    raise
                data = {k: v for k, v in data.items() if k not in bad}
        return handler(data)


class Country(_Model):
    """A country numbers can be ordered in."""

    dial_code: StrId = Field(alias="countryCode")
    iso: Text = Field(alias="countryCodeIso")
    name: Text


class Direction(_Model):
    """A city or number type within a country, with its prices and requirements."""

    id: DirectionId
    country_code: StrId = Field(alias="countryCode")
    area_code: StrId = Field(alias="areaCode")
    name: Text
    connect_fee: Money
    monthly_fee: Money
    currency: Text
    upload: tuple[str, ...] = ()
    specify: tuple[str, ...] = ()
    receive_sms: LenientBool = False
    is_toll: LenientBool = False
    feature: OptionalStr = None
    connect_time_days: Days = Field(default=0, alias="connect_time")

    @property
    def needs_documents(self) -> bool:
        """True when ordering needs uploads or extra data."""
        return bool(self.upload or self.specify)


class FreeNumber(_Model):
    """A number on the market; ``id`` orders exactly this number."""

    id: StrId
    direction_id: DirectionId
    number: StrId


class OrderResult(_Model):
    """What ``direct_numbers/order`` answers."""

    number: StrId
    is_reserved: LenientBool
    is_activated: LenientBool


class Payment(_Model):
    """An amount paid."""

    amount: Money
    currency: Text


class ProlongResult(_Model):
    """What ``direct_numbers/prolong`` answers."""

    number: StrId
    stop_date: AccountDateTime
    total_paid: Payment


class Balance(_Model):
    """The account balance."""

    balance: Money
    currency: Text


_ZONE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")


def parse_utc_offset(zone: str) -> timedelta:
    """``UTC+3``, ``UTC-05:30``, ``UTC+0`` -> offset. Unknown forms count as UTC."""
    text = zone.strip().upper()
    if text in {"UTC", "GMT", "Z", ""}:
        return timedelta(0)
    match = _ZONE.match(text)
    if not match:
        return timedelta(0)
    sign = -1 if match.group(1) == "-" else 1
    return sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))


class AccountClock(_Model):
    """The API's own clock: ``info/timezone``."""

    unixtime: int
    local: AccountDateTime = Field(alias="datetime")
    zone: Text = Field(alias="timezone")

    @property
    def offset(self) -> timedelta:
        """The zone's offset from UTC."""
        return parse_utc_offset(self.zone)

    @property
    def tzinfo(self) -> timezone:
        """The zone as a fixed-offset :class:`timezone`."""
        return timezone(self.offset)

    @property
    def now(self) -> datetime:
        """The account's current time, aware, in UTC."""
        return datetime.fromtimestamp(self.unixtime, UTC)

    def to_utc(self, local: datetime) -> datetime:
        """An account-local naive datetime (as in ``stop_date``) as aware UTC."""
        return local.replace(tzinfo=self.tzinfo).astimezone(UTC)


class SipLogin(_Model):
    """A SIP login a number can be pointed at."""

    id: StrId
    display_name: Text = ""
    lines: int = 0


class SipLogins(_Model):
    """The account's SIP logins and how many more can be created."""

    sips: tuple[SipLogin, ...]
    left: int = 0


class DirectNumber(_Model):
    """A number the account holds (``direct_numbers`` and ``direct_numbers/number``)."""

    number: StrId
    status: Text
    country: Text = ""
    description: Text = ""
    number_name: OptionalStr = None
    sip: OptionalStr = None
    sip_name: OptionalStr = None
    start_date: AccountDateTime = None
    stop_date: AccountDateTime = None
    monthly_fee: Money = Decimal(0)
    currency: Text = ""
    channels: int = 0
    minutes: int | None = None
    autorenew: LenientBool = False
    is_on_test: LenientBool = False
    type: OptionalStr = None
    receive_sms: LenientBool | None = None

    @field_validator("channels", mode="before")
    @classmethod
    def _channels(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if value is None or value == "":
            return 0
        return value

    @field_validator("receive_sms", mode="before")
    @classmethod
    def _receive_sms(cls, value: object) -> object:
        return None if value == "" else value


class Autoprolongation(_Model):
    """Auto-renewal state of one number."""

    number: StrId
    enabled: LenientBool = Field(alias="autoprolongation")


class CallerName(_Model):
    """Result of ``set_caller_name``."""

    number: StrId
    caller_name: Text = ""


class SipTarget(_Model):
    """Result of ``set_sip_id``."""

    number: StrId
    sip_id: StrId


class ReceiveSms(_Model):
    """Result of ``receive_sms``."""

    number: StrId
    enabled: LenientBool = Field(alias="receive_sms")


class CheckingWrongs(_Model):
    """Why a document group's documents or address were rejected (all None: nothing wrong)."""

    document_type: str | None = None
    document_message: str | None = None
    address_message: str | None = None

    @property
    def any(self) -> bool:
        """True when something was rejected."""
        return bool(self.document_message or self.address_message)


class DocumentGroup(_Model):
    """A person or company numbers are ordered for (group 0 is the account's own)."""

    id: int
    email: OptionalStr = None
    salutation: OptionalStr = None
    nationality: OptionalStr = None
    first_name: OptionalStr = None
    middle_name: OptionalStr = None
    last_name: OptionalStr = None
    date_of_birth: OptionalStr = None
    organization: OptionalStr = None
    organization_description: OptionalStr = None
    organization_reg_number: OptionalStr = None
    country: OptionalStr = None
    region: OptionalStr = None
    city: OptionalStr = None
    address: OptionalStr = None
    zip_code: OptionalStr = None
    street: OptionalStr = None
    street_code: OptionalStr = None
    municipality_code: OptionalStr = None
    building_number: OptionalStr = None
    building_letter: OptionalStr = None
    phone: OptionalStr = None
    type_of_id: OptionalStr = None
    id_number: OptionalStr = None
    issuing_authority: OptionalStr = None
    issuing_date: OptionalStr = None
    is_readonly: LenientBool = False

    @property
    def display_name(self) -> str:
        """A short human name for lists."""
        if self.salutation == "COMPANY" and self.organization:
            return self.organization
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or self.organization or self.email or f"#{self.id}"


class DocumentFile(_Model):
    """A file uploaded to a document group."""

    type: Text
    is_verified: LenientBool
    source: Text = ""
    name: Text = ""


class UploadResult(_Model):
    """Result of ``documents/upload``."""

    message: Text
    doc_name: Text


class GroupValidity(_Model):
    """Whether a document group may order in a direction (``groups/valid``)."""

    information_match: LenientBool = Field(alias="is_information_match")
    documents_uploaded: LenientBool = Field(alias="is_documents_uploaded")
    documents_verified: LenientBool = Field(alias="is_documents_verified")
    address_match: LenientBool = Field(alias="is_address_match")

    @property
    def complete(self) -> bool:
        """Information and address match and documents are uploaded (verification may follow)."""
        return self.information_match and self.documents_uploaded and self.address_match

    @property
    def verified(self) -> bool:
        """Everything is accepted."""
        return self.complete and self.documents_verified


class WebhookHooks(_Model):
    """Which kinds of ``/v1/pbx/webhooks`` notifications are on."""

    sms: LenientBool = False
    number_lookup: LenientBool = False
    call_tracking: LenientBool = False
    speech_recognition: LenientBool = False


class WebhookSettings(_Model):
    """``GET /v1/pbx/webhooks/``: the URL SMS events go to ('' when unset) and the kinds on."""

    url: Text = ""
    hooks: WebhookHooks = Field(default_factory=WebhookHooks)


class CallNotifications(_Model):
    """Which ``NOTIFY_*`` call events are on."""

    notify_start: LenientBool = False
    notify_end: LenientBool = False
    notify_answer: LenientBool = False
    notify_internal: LenientBool = False
    notify_out_start: LenientBool = False
    notify_out_end: LenientBool = False


class CallInfoSettings(_Model):
    """``GET /v1/pbx/callinfo/``: the URL call events go to ('' when unset) and the events on."""

    url: Text = ""
    notifications: CallNotifications = Field(default_factory=CallNotifications)
