"""The emulated API's routes: parameter parsing and response shapes.

Each route names the spec path it implements (``spec_path``, without the
trailing slash the real API is called with; both forms are accepted) and a
handler per HTTP method. Handlers parse parameters, call
:class:`~bot.sandbox.state.AccountState` and render exactly the fields the
spec lists: ``"true"``/``"false"`` strings where the spec has them, direction
ids as strings in ``country`` and integers in ``available``, dates as
``YYYY-MM-DD HH:MM:SS`` in the account zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.catalog import Direction
from bot.sandbox.documents import DOCUMENT_TYPES, GROUP_FIELDS
from bot.sandbox.errors import ApiError
from bot.sandbox.money import as_number
from bot.sandbox.multipart import Part
from bot.sandbox.params import RequestParams
from bot.sandbox.state import (
    MAX_CHANNELS,
    SIP_SLOTS,
    AccountState,
    DocumentGroup,
    OwnedNumber,
    UploadedFile,
)

Json = dict[str, Any]


@dataclass
class ApiContext:
    """What a handler gets: the state, the parameters, path arguments and uploaded files."""

    state: AccountState
    params: RequestParams
    path_args: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, Part] = field(default_factory=dict)


Handler = Callable[[ApiContext], Json]


@dataclass(frozen=True)
class Route:
    """One API path: its name (the spec's operation id), spec path and handlers by method."""

    name: str
    spec_path: str
    handlers: Mapping[str, Handler]
    pattern: re.Pattern[str]
    echo_checked: bool = False
    """A ``POST`` sets a notification URL: Zadarma checks it with ``zd_echo`` first."""


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _on_off(value: bool) -> str:
    return "on" if value else "off"


# --------------------------------------------------------------------- renderers
def render_direction(direction: Direction, language: str | None) -> Json:
    """A ``direct_numbers/country`` item."""
    return {
        "id": str(direction.id),
        "countryCode": direction.dial_code,
        "areaCode": direction.area_code,
        "name": direction.name(language),
        "connect_fee": as_number(direction.connect_fee),
        "monthly_fee": as_number(direction.monthly_fee),
        "currency": direction.currency,
        "restrictions": {"upload": list(direction.upload), "specify": list(direction.specify)},
        "receive_sms": _bool(direction.receive_sms),
        "is_toll": _bool(direction.is_toll),
        "feature": direction.feature,
        "connect_time": str(direction.connect_time),
    }


def _number_common(state: AccountState, n: OwnedNumber) -> Json:
    direction = state.catalog.directions[n.direction_id]
    return {
        "number": n.number,
        "status": n.status,
        "country": state.catalog.country_of(direction).name_en,
        "description": direction.name_en,
        "number_name": None,
        "sip": n.sip,
        "sip_name": state.sip_name(n.sip),
        "start_date": state.clock.format(n.start_date),
        "stop_date": state.clock.format(n.stop_date),
        "monthly_fee": as_number(direction.monthly_fee),
        "currency": direction.currency,
    }


def render_number_item(state: AccountState, n: OwnedNumber) -> Json:
    """A ``direct_numbers`` list item (``channels`` is an integer here)."""
    return {
        **_number_common(state, n),
        "channels": n.channels,
        "minutes": 0,
        "autorenew": _bool(n.autorenew),
        "is_on_test": _bool(n.test_mode),
        "type": n.kind,
    }


def render_number_detail(state: AccountState, n: OwnedNumber) -> Json:
    """A ``direct_numbers/number`` record (``channels`` is a string here, as in the spec)."""
    return {
        **_number_common(state, n),
        "channels": str(n.channels),
        "autorenew": _bool(n.autorenew),
        "receive_sms": None if n.receive_sms is None else _on_off(n.receive_sms),
        "is_on_test": _bool(n.test_mode),
    }


# Fields the spec types as non-nullable strings: rendered as "" when empty.
_NON_NULLABLE = frozenset(
    {
        "email",
        "salutation",
        "first_name",
        "last_name",
        "country",
        "region",
        "city",
        "address",
        "zip_code",
        "street",
        "building_number",
        "phone",
        "type_of_id",
        "id_number",
    }
)


def render_group(group: DocumentGroup) -> Json:
    """A document group as ``groups/get`` returns it."""
    out: Json = {"id": group.id}
    for name in GROUP_FIELDS:
        value = group.get(name)
        out[name] = (value or "") if name in _NON_NULLABLE else value
    out["is_readonly"] = False
    return out


def render_file(f: UploadedFile) -> Json:
    """A ``documents/files`` item."""
    return {
        "type": f.document_type,
        "is_verified": _bool(f.state == "verified"),
        "source": "upload",
        "name": f.name,
    }


# --------------------------------------------------------------------- handlers
def _balance(ctx: ApiContext) -> Json:
    return {"balance": as_number(ctx.state.balance), "currency": ctx.state.currency}


def _timezone(ctx: ApiContext) -> Json:
    clock = ctx.state.clock
    now = clock.now()
    return {"unixtime": int(now.timestamp()), "datetime": clock.format(now), "timezone": clock.timezone_name}


def _sip(ctx: ApiContext) -> Json:
    sips = ctx.state.sips.values()
    return {
        "sips": [{"id": s.id, "display_name": s.display_name, "lines": s.lines} for s in sips],
        "left": max(0, SIP_SLOTS - len(sips)),
    }


NUMBER_TYPES = ("common", "order")


def _typed_number(ctx: ApiContext) -> OwnedNumber:
    """The number named by ``number``, checked against the mandatory ``type``.

    The seed guide marks ``type`` (the record's own ``common`` or ``order``)
    mandatory on ``number``, ``autoprolongation``, ``set_caller_name`` and
    ``set_sip_id``; a missing or different value is refused with 400.
    """
    owned = ctx.state.owned(ctx.params.require("number"))
    kind = ctx.params.choice("type", NUMBER_TYPES)
    if owned.kind != kind:
        raise ApiError(f"type {kind!r} does not match number {owned.number}: its type is {owned.kind!r}")
    return owned


def _direct_numbers(ctx: ApiContext) -> Json:
    return {"info": [render_number_item(ctx.state, n) for n in ctx.state.numbers_sorted()]}


def _number(ctx: ApiContext) -> Json:
    owned = _typed_number(ctx)
    return {"info": render_number_detail(ctx.state, owned)}


def _autoprolongation_get(ctx: ApiContext) -> Json:
    owned = _typed_number(ctx)
    return {"number": owned.number, "autoprolongation": _on_off(owned.autorenew)}


def _autoprolongation_put(ctx: ApiContext) -> Json:
    number = _typed_number(ctx).number
    value = ctx.params.choice("value", ("on", "off"))
    owned = ctx.state.set_autoprolongation(number, value == "on")
    return {"number": owned.number, "autoprolongation": _on_off(owned.autorenew)}


def _checking_wrongs(ctx: ApiContext) -> Json:
    return {"info": ctx.state.checking_wrongs(ctx.params.require_int("group_id"))}


def _countries(ctx: ApiContext) -> Json:
    language = ctx.params.text("language")
    return {
        "info": [
            {"countryCode": c.dial_code, "countryCodeIso": c.iso, "name": c.name(language)}
            for c in ctx.state.catalog.countries.values()
        ]
    }


_ISO2 = re.compile(r"^[A-Z]{2}$")


def _country(ctx: ApiContext) -> Json:
    iso = ctx.params.require("country")
    if not _ISO2.match(iso):
        raise ApiError(f"country must be an ISO 3166-1 alpha-2 code in upper case (e.g. DE), got {iso!r}")
    if iso not in ctx.state.catalog.countries:
        raise ApiError(f"Numbers in country {iso} are not available")
    language = ctx.params.text("language")
    directions = ctx.state.catalog.directions_in(iso)
    direction_id = ctx.params.optional_direction_id()
    if direction_id is not None:
        directions = [d for d in directions if d.id == direction_id]
        if not directions:
            raise ApiError(f"Direction {direction_id} does not exist in country {iso}")
    return {"info": [render_direction(d, language) for d in directions]}


def _set_caller_name(ctx: ApiContext) -> Json:
    number = _typed_number(ctx).number
    caller_name = ctx.params.get("caller_name")
    if caller_name is None:
        raise ApiError("caller_name is required (send it empty to clear the caller name)")
    owned = ctx.state.set_caller_name(number, caller_name)
    return {"number": owned.number, "caller_name": owned.caller_name}


def _set_sip_id(ctx: ApiContext) -> Json:
    number = _typed_number(ctx).number
    sip_id = ctx.params.require("sip_id")
    test_mode = ctx.params.text("test_mode")
    if test_mode is not None:
        test_mode = ctx.params.choice("test_mode", ("on", "off"))
    owned = ctx.state.set_sip(number, sip_id, None if test_mode is None else test_mode == "on")
    return {"number": owned.number, "sip_id": owned.sip}


def _available(ctx: ApiContext) -> Json:
    direction_id = RequestParams.to_direction_id("direction_id", ctx.path_args["direction_id"])
    mask = ctx.params.text("mask")
    numbers = ctx.state.free_numbers(direction_id, mask)
    return {"numbers": [{"id": n.id, "direction_id": n.direction_id, "number": n.number} for n in numbers]}


def _order(ctx: ApiContext) -> Json:
    p = ctx.params
    receive_sms = p.optional_int("receive_sms")
    owned = ctx.state.order(
        direction_id=p.require_direction_id(),
        documents_group_id=p.require_int("documents_group_id"),
        number_id=p.text("number_id"),
        purpose=p.text("purpose"),
        receive_sms=receive_sms,
        period=p.choice("period", ("month", "3month"), "month"),
        autorenew_period=p.choice("autorenew_period", ("month", "year"), "month"),
    )
    return {
        "number": owned.number,
        "is_reserved": _bool(owned.reserved_cost is not None),
        "is_activated": _bool(owned.status == "on"),
    }


def _prolong(ctx: ApiContext) -> Json:
    owned, paid = ctx.state.prolong(ctx.params.require("number"), ctx.params.require_int("months"))
    return {
        "number": owned.number,
        "stop_date": ctx.state.clock.format(owned.stop_date),
        "total_paid": {"amount": as_number(paid), "currency": ctx.state.currency},
    }


def _incoming_channels_get(ctx: ApiContext) -> Json:
    number = ctx.params.text("number")
    direction_id = ctx.params.optional_direction_id()
    out: Json = {"max_channels": MAX_CHANNELS, "can_increase": "true"}
    if number is not None:
        owned = ctx.state.owned(number)
        out.update(number=owned.number, channels=owned.channels, direction_id=owned.direction_id)
        out["can_increase"] = _bool(owned.channels < MAX_CHANNELS)
    elif direction_id is not None:
        out["direction_id"] = ctx.state.direction(direction_id).id
    else:
        raise ApiError("number or direction_id is required")
    return out


def _incoming_channels_put(ctx: ApiContext) -> Json:
    owned = ctx.state.set_channels(ctx.params.require("number"), ctx.params.require_int("channels"))
    return {"number": owned.number, "channels": owned.channels}


def _receive_sms(ctx: ApiContext) -> Json:
    number = ctx.params.require("number")
    value = ctx.params.choice("value", ("on", "off"))
    owned = ctx.state.set_receive_sms(number, value == "on")
    return {"number": owned.number, "receive_sms": _on_off(bool(owned.receive_sms))}


def _files(ctx: ApiContext) -> Json:
    group_id = ctx.params.optional_int("group_id")
    return {"documents": [render_file(f) for f in ctx.state.group_files(group_id or 0)]}


def _groups_list(ctx: ApiContext) -> Json:
    return {"groups": [render_group(g) for g in ctx.state.groups.values()]}


def _group_id_arg(ctx: ApiContext, name: str) -> int:
    return RequestParams.to_int("group id", ctx.path_args[name])


def _groups_get(ctx: ApiContext) -> Json:
    return {"group": render_group(ctx.state.group(_group_id_arg(ctx, "id")))}


def _groups_valid(ctx: ApiContext) -> Json:
    validity = ctx.state.validity(_group_id_arg(ctx, "id"), ctx.params.require_direction_id())
    return {
        "is_information_match": _bool(validity.information_match),
        "is_documents_uploaded": _bool(validity.documents_uploaded),
        "is_documents_verified": _bool(validity.documents_verified),
        "is_address_match": _bool(validity.address_match),
    }


def _group_fields(ctx: ApiContext) -> dict[str, str]:
    direction_id = ctx.params.optional_direction_id()
    if direction_id is not None:
        ctx.state.direction(direction_id)
    return {k: v for k, v in ctx.params.items() if k in GROUP_FIELDS}


def _groups_create(ctx: ApiContext) -> Json:
    return {"group": render_group(ctx.state.create_group(_group_fields(ctx)))}


def _groups_update(ctx: ApiContext) -> Json:
    group_id = _group_id_arg(ctx, "groupid")
    return {"group": render_group(ctx.state.update_group(group_id, _group_fields(ctx)))}


def _upload(ctx: ApiContext) -> Json:
    group_id = ctx.params.require_int("group_id")
    document_type = ctx.params.choice("document_type", DOCUMENT_TYPES)
    part = ctx.files.get("file")
    if part is None:
        raise ApiError("file is required: send it as the multipart/form-data part named 'file'")
    stored = ctx.state.upload(group_id, document_type, part.filename or "", part.data)
    return {
        "message": f"The File {stored.name} has been successfully uploaded to the website.",
        "doc_name": stored.name,
    }


def _switches(ctx: ApiContext, current: dict[str, bool]) -> dict[str, bool]:
    """Apply the ``"true"``/``"false"`` switches present among the parameters to ``current``."""
    changes = {k: ctx.params.choice(k, ("true", "false")) == "true" for k in current if ctx.params.text(k)}
    current.update(changes)
    return current


def _flags(values: dict[str, bool]) -> Json:
    return {k: _bool(v) for k, v in values.items()}


def _webhooks_get(ctx: ApiContext) -> Json:
    notify = ctx.state.notify
    return {"url": notify.webhook_url, "hooks": _flags(notify.hooks)}


def _webhooks_url_set(ctx: ApiContext) -> Json:
    ctx.state.notify.webhook_url = ctx.params.require("url")
    return {"url": ctx.state.notify.webhook_url}


def _webhooks_url_delete(ctx: ApiContext) -> Json:
    ctx.state.notify.webhook_url = ""
    return {"url": ""}


def _webhooks_hooks(ctx: ApiContext) -> Json:
    return {"hooks": _flags(_switches(ctx, ctx.state.notify.hooks))}


def _callinfo_get(ctx: ApiContext) -> Json:
    notify = ctx.state.notify
    return {"url": notify.callinfo_url, "notifications": _flags(notify.notifications)}


def _callinfo_url_set(ctx: ApiContext) -> Json:
    ctx.state.notify.callinfo_url = ctx.params.require("url")
    return {"url": ctx.state.notify.callinfo_url}


def _callinfo_url_delete(ctx: ApiContext) -> Json:
    ctx.state.notify.callinfo_url = ""
    return {"url": ""}


def _callinfo_notifications(ctx: ApiContext) -> Json:
    return {"notifications": _flags(_switches(ctx, ctx.state.notify.notifications))}


# --------------------------------------------------------------------- route table
def _route(name: str, spec_path: str, *, echo_checked: bool = False, **handlers: Handler) -> Route:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(spec_path))
    by_method = {method.upper(): handler for method, handler in handlers.items()}
    return Route(name, spec_path, by_method, re.compile(f"^{regex}/?$"), echo_checked)


ROUTES: tuple[Route, ...] = (
    _route("info.balance", "/v1/info/balance", get=_balance),
    _route("info.timezone", "/v1/info/timezone", get=_timezone),
    _route("sip", "/v1/sip", get=_sip),
    _route("direct_numbers", "/v1/direct_numbers", get=_direct_numbers),
    _route("direct_numbers.number", "/v1/direct_numbers/number", get=_number),
    _route(
        "direct_numbers.autoprolongation",
        "/v1/direct_numbers/autoprolongation",
        get=_autoprolongation_get,
        put=_autoprolongation_put,
    ),
    _route("direct_numbers.checking_wrongs", "/v1/direct_numbers/checking-wrongs", get=_checking_wrongs),
    _route("direct_numbers.countries", "/v1/direct_numbers/countries", get=_countries),
    _route("direct_numbers.country", "/v1/direct_numbers/country", get=_country),
    _route("direct_numbers.set_caller_name", "/v1/direct_numbers/set_caller_name", put=_set_caller_name),
    _route("direct_numbers.set_sip_id", "/v1/direct_numbers/set_sip_id", put=_set_sip_id),
    _route("direct_numbers.available", "/v1/direct_numbers/available/{direction_id}", get=_available),
    _route("direct_numbers.order", "/v1/direct_numbers/order", post=_order),
    _route("direct_numbers.prolong", "/v1/direct_numbers/prolong", post=_prolong),
    _route(
        "direct_numbers.incoming_channels",
        "/v1/direct_numbers/incoming_channels",
        get=_incoming_channels_get,
        put=_incoming_channels_put,
    ),
    _route("direct_numbers.receive_sms", "/v1/direct_numbers/receive_sms", put=_receive_sms),
    _route("documents.files", "/v1/documents/files", get=_files),
    _route("documents.groups.list", "/v1/documents/groups/list", get=_groups_list),
    _route("documents.groups.get", "/v1/documents/groups/get/{id}", get=_groups_get),
    _route("documents.groups.valid", "/v1/documents/groups/valid/{id}", get=_groups_valid),
    _route("documents.groups.create", "/v1/documents/groups/create", post=_groups_create),
    _route("documents.groups.update", "/v1/documents/groups/update/{groupid}", put=_groups_update),
    _route("documents.upload", "/v1/documents/upload", post=_upload),
    _route("pbx.webhooks", "/v1/pbx/webhooks", get=_webhooks_get),
    _route(
        "pbx.webhooks.url",
        "/v1/pbx/webhooks/url",
        echo_checked=True,
        post=_webhooks_url_set,
        delete=_webhooks_url_delete,
    ),
    _route("pbx.webhooks.hooks", "/v1/pbx/webhooks/hooks", post=_webhooks_hooks),
    _route("pbx.callinfo", "/v1/pbx/callinfo", get=_callinfo_get),
    _route(
        "pbx.callinfo.url",
        "/v1/pbx/callinfo/url",
        echo_checked=True,
        post=_callinfo_url_set,
        delete=_callinfo_url_delete,
    ),
    _route("pbx.callinfo.notifications", "/v1/pbx/callinfo/notifications", post=_callinfo_notifications),
)

ROUTE_NAMES: frozenset[str] = frozenset(r.name for r in ROUTES)


def match_route(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for ``path`` (with or without trailing slash) and its path arguments."""
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None
