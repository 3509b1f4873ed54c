"""Control endpoints under ``/_sandbox/`` (no signature, no rate limit, no faults).

* ``POST /_sandbox/clock/advance?days=N`` - move the emulated clock N days,
  one day at a time, running renewals, parking, removals and document checks
  that fall due; returns the new time and the events.
* ``GET|POST|DELETE /_sandbox/faults`` - read, replace or clear the fault
  settings (JSON ``{"latency_ms", "error_rate", "malformed_rate",
  "drop_rate", "paths"}``; omitted settings are 0 / all paths).
* ``POST /_sandbox/reset`` - back to the seeded state (also clears faults,
  counters and rate-limit windows).
* ``GET /_sandbox/stats`` - call counters.
* ``POST /_sandbox/numbers/seed?count=N[&seed=S]`` - add N owned numbers
  (benchmarks).
* ``POST /_sandbox/balance?amount=A`` - set the balance (a top-up activates the
  reserved numbers it now covers, oldest first; they are listed as events).
* ``GET|POST /_sandbox/reservations`` - read or set whether an order the
  balance does not cover is answered with a reservation (JSON or query
  ``{"reserve_when_short": true|false}``); also lists the reserved numbers.
* ``POST /_sandbox/sms`` ``{"number", "from", "text"}`` - an SMS arrives on
  one of the account's numbers: delivered to the webhook URL, signed.
* ``POST /_sandbox/call`` ``{"number", "from", "duration"}`` - an incoming
  call (``duration`` 0: missed): ``NOTIFY_START``/``NOTIFY_END`` delivered to
  the call-info URL, signed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from bot.sandbox.errors import ApiError
from bot.sandbox.faults import Faults
from bot.sandbox.messages import SandboxRequest, SandboxResponse
from bot.sandbox.params import RequestParams

if TYPE_CHECKING:
    from bot.sandbox.emulator import Sandbox

CONTROL_PREFIX = "/_sandbox/"


def _json_body(request: SandboxRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise ApiError(f"body must be a JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError("body must be a JSON object")
    return data


def _params(request: SandboxRequest) -> RequestParams:
    return RequestParams(dict(request.query))


def _advance(sandbox: Sandbox, request: SandboxRequest) -> dict[str, Any]:
    params = _params(request)
    raw = params.text("days") or _json_body(request).get("days")
    if raw is None:
        raise ApiError("days is required")
    days = RequestParams.to_int("days", str(raw))
    if not 0 <= days <= 3660:
        raise ApiError("days must be from 0 to 3660")
    events = sandbox.advance_days(days)
    return {**sandbox.time_json(), "events": [sandbox.event_json(e) for e in events]}


def _set_faults(sandbox: Sandbox, request: SandboxRequest) -> dict[str, Any]:
    try:
        faults = Faults.from_json(_json_body(request))
    except (TypeError, ValueError) as exc:
        raise ApiError(str(exc)) from None
    sandbox.set_faults(faults)
    return {"faults": faults.to_json()}


def _seed(sandbox: Sandbox, request: SandboxRequest) -> dict[str, Any]:
    params = _params(request)
    count = params.require_int("count")
    if not 0 <= count <= 200_000:
        raise ApiError("count must be from 0 to 200000")
    numbers = sandbox.seed_owned_numbers(count, seed=params.optional_int("seed") or 1)
    return {"added": len(numbers), "total": len(sandbox.state.numbers)}


def _balance(sandbox: Sandbox, request: SandboxRequest) -> dict[str, Any]:
    raw = _params(request).require("amount")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ApiError(f"amount must be a decimal number, got {raw!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ApiError("amount must be a non-negative number")
    events = sandbox.set_balance(amount)
    return {
        "balance": float(sandbox.state.balance),
        "currency": sandbox.state.currency,
        "events": [sandbox.event_json(e) for e in events],
    }


def _reservations(sandbox: Sandbox) -> dict[str, Any]:
    reserved = [n.number for n in sandbox.state.numbers_sorted() if n.reserved_cost is not None]
    return {"reserve_when_short": sandbox.state.reserve_when_short, "reserved": reserved}


def _set_reservations(sandbox: Sandbox, request: SandboxRequest) -> dict[str, Any]:
    raw = _params(request).text("reserve_when_short")
    value: Any = raw if raw is not None else _json_body(request).get("reserve_when_short")
    switches = {"true": True, "1": True, "on": True, "false": False, "0": False, "off": False}
    if isinstance(value, bool):
        on = value
    elif isinstance(value, str) and value.lower() in switches:
        on = switches[value.lower()]
    else:
        raise ApiError("reserve_when_short must be true or false")
    sandbox.set_reserve_when_short(on)
    return _reservations(sandbox)


def _reset(sandbox: Sandbox) -> dict[str, Any]:
    sandbox.reset()
    return sandbox.time_json()


def _text_field(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None or (required and str(value).strip() == ""):
        if required:
            raise ApiError(f"{name} is required")
        return ""
    if not isinstance(value, str | int):
        raise ApiError(f"{name} must be a string")
    return str(value)


async def _sms(sandbox: Sandbox, request: SandboxRequest) -> dict[str, Any]:
    body = _json_body(request)
    return await sandbox.deliver_sms(
        _text_field(body, "number"), _text_field(body, "from"), _text_field(body, "text", required=False)
    )


async def _call(sandbox: Sandbox, request: SandboxRequest) -> dict[str, Any]:
    body = _json_body(request)
    duration = RequestParams.to_int("duration", str(body.get("duration", 0)))
    if duration < 0:
        raise ApiError("duration must not be negative")
    return await sandbox.deliver_call(_text_field(body, "number"), _text_field(body, "from"), duration)


async def handle_control(sandbox: Sandbox, request: SandboxRequest) -> SandboxResponse:
    """Answer a ``/_sandbox/...`` request."""
    path = request.path.rstrip("/")
    method = request.method
    deliveries = {"/_sandbox/sms": _sms, "/_sandbox/call": _call}
    if path in deliveries:
        if method != "POST":
            return SandboxResponse.error(405, f"{method} is not allowed here; use POST", {"Allow": "POST"})
        try:
            payload = await deliveries[path](sandbox, request)
            return SandboxResponse.json(200, {"status": "success", **payload})
        except ApiError as exc:
            return SandboxResponse.error(exc.status, exc.message)
    routes: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
        ("POST", "/_sandbox/clock/advance"): lambda: _advance(sandbox, request),
        ("GET", "/_sandbox/faults"): lambda: {"faults": sandbox.faults.to_json()},
        ("POST", "/_sandbox/faults"): lambda: _set_faults(sandbox, request),
        ("DELETE", "/_sandbox/faults"): lambda: {"faults": sandbox.clear_faults().to_json()},
        ("POST", "/_sandbox/reset"): lambda: _reset(sandbox),
        ("GET", "/_sandbox/stats"): sandbox.stats,
        ("POST", "/_sandbox/numbers/seed"): lambda: _seed(sandbox, request),
        ("POST", "/_sandbox/balance"): lambda: _balance(sandbox, request),
        ("GET", "/_sandbox/reservations"): lambda: _reservations(sandbox),
        ("POST", "/_sandbox/reservations"): lambda: _set_reservations(sandbox, request),
    }
    action = routes.get((method, path))
    if action is None:
        allowed = sorted(m for m, p in routes if p == path)
        if allowed:
            return SandboxResponse.error(
                405, f"{method} is not allowed here; use {', '.join(allowed)}", {"Allow": ", ".join(allowed)}
            )
        return SandboxResponse.error(404, f"Unknown control endpoint {request.path}")
    try:
        payload = action()
    except ApiError as exc:
        return SandboxResponse.error(exc.status, exc.message)
    return SandboxResponse.json(200, {"status": "success", **payload})
