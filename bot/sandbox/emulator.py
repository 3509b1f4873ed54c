"""The :class:`Sandbox` facade: state, configuration and the request pipeline.

Pipeline of one API request (:meth:`Sandbox.handle`):

1. ``/_sandbox/...`` goes to the control endpoints (no auth, limits or faults).
2. Unknown path -> 404; the call is counted by (method, route name); a
   method the route does not serve -> 405.
3. Faults for that path: latency, then the injected 503 (before anything
   else happens, so nothing changes).
4. Parameters are read (query; urlencoded or multipart body) -> 400 if unreadable.
5. Signature -> 401; rate limit per key -> 429.
6. A notification URL being set is checked first (``zd_echo``; 400 when it fails).
7. Due clock events run, then the handler; rule violations -> 400.
8. Faults after handling: truncated body, or a dropped connection.

Every API reply carries the ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from aiohttp import web

from bot.sandbox.api import ROUTE_NAMES, ApiContext, match_route
from bot.sandbox.auth import split_authorization, verify
from bot.sandbox.catalog import build_catalog
from bot.sandbox.clock import SandboxClock
from bot.sandbox.config import SandboxConfig
from bot.sandbox.control import CONTROL_PREFIX, handle_control
from bot.sandbox.errors import ApiError
from bot.sandbox.faults import FaultDice, Faults
from bot.sandbox.http import create_app
from bot.sandbox.messages import SandboxRequest, SandboxResponse, parse_query
from bot.sandbox.multipart import MultipartError, Part, parse_multipart
from bot.sandbox.notify import Notifier, call_events, sms_event
from bot.sandbox.params import RequestParams
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.realistic import Realism
from bot.sandbox.state import AccountState, Event
from bot.sandbox.transport import SandboxTransport

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Sandbox:
    """A stateful Zadarma API emulator.

    Serve it with :meth:`app` (aiohttp, over a socket) or :meth:`transport`
    (httpx, in-process), or call :meth:`handle` directly. ``monotonic`` and
    ``wall`` drive the rate-limit window; ``now`` replaces the real UTC time
    under the emulated clock (tests).
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        now: Callable[[], datetime] | None = None,
        notify_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        self.notifier = Notifier(notify_transport)
        self._call_sequence = 0
        self.catalog = build_catalog(self.config.seed, mixed_currencies=self.config.mixed_currencies)
        self.clock = SandboxClock(
            zone_hours=self.config.timezone_hours, start=self.config.start_time, now_func=now
        )
        self.limiter = RateLimiter(
            self.config.rate_limit, self.config.rate_window_seconds, monotonic=monotonic, wall=wall
        )
        self.faults = Faults()
        self._dice = FaultDice(self.config.fault_seed)
        self.calls: Counter[tuple[str, str]] = Counter()
        self.state = self._new_state()
        self.realism = Realism(self.config.seed) if self.config.realistic else None

    def _new_state(self) -> AccountState:
        return AccountState(
            self.catalog,
            self.clock,
            balance=self.config.balance,
            verification_delay=timedelta(days=self.config.verification_days),
            seed=self.config.seed,
            reserve_when_short=self.config.reserve_when_short,
        )

    # ----------------------------------------------------------------- serving
    @property
    def key(self) -> str:
        """The API key the emulator accepts."""
        return self.config.key

    @property
    def secret(self) -> str:
        """The secret requests must be signed with."""
        return self.config.secret

    def app(self) -> web.Application:
        """An aiohttp application serving the API and the control endpoints."""
        return create_app(self)

    def transport(self) -> SandboxTransport:
        """An httpx transport calling this emulator in-process (no sockets)."""
        return SandboxTransport(self)

    # ----------------------------------------------------------------- controls
    def advance_days(self, days: int) -> list[Event]:
        """Move the emulated clock ``days`` days forward, running what falls due each day."""
        return self.state.advance_days(days)

    def set_faults(self, faults: Faults | None = None, **settings: Any) -> Faults:
        """Replace the fault settings (a :class:`Faults` or its fields as keywords)."""
        self.faults = faults if faults is not None else Faults.from_json(settings)
        self._dice.reset()
        return self.faults

    def clear_faults(self) -> Faults:
        """No faults any more."""
        return self.set_faults(Faults())

    def reset(self) -> None:
        """Back to the seeded state: clock, account, faults, counters and rate-limit windows."""
        self.clock.reset()
        self.state = self._new_state()
        self.limiter.reset()
        self.clear_faults()
        self.calls.clear()

    def set_balance(self, amount: Decimal | int | str) -> list[Event]:
        """Set the account balance (in the account currency); reserved numbers it now covers activate."""
        return self.state.set_balance(Decimal(amount))

    def set_reserve_when_short(self, on: bool) -> None:
        """Answer orders the balance does not cover with a reservation (``True``) or a refusal."""
        self.state.reserve_when_short = on

    def seed_owned_numbers(self, count: int, *, seed: int = 1) -> list[str]:
        """Add ``count`` owned numbers with varied stop dates, statuses and autorenew (benchmarks)."""
        return self.state.seed_owned_numbers(count, seed=seed)

    def call_count(self, route: str, method: str | None = None) -> int:
        """How many requests arrived for ``route`` (optionally only with ``method``).

        ``route`` is a route name such as ``direct_numbers.order`` or an
        unambiguous last part of one (``order``, ``prolong``).
        """
        name = self._route_name(route)
        return sum(
            count
            for (m, r), count in self.calls.items()
            if r == name and (method is None or m == method.upper())
        )

    @staticmethod
    def _route_name(route: str) -> str:
        if route in ROUTE_NAMES:
            return route
        matches = [n for n in ROUTE_NAMES if n.endswith("." + route)]
        if len(matches) != 1:
            raise ValueError(
                f"unknown or ambiguous route name {route!r}; known: {', '.join(sorted(ROUTE_NAMES))}"
            )
        return matches[0]

    def stats(self) -> dict[str, Any]:
        """Call counters as JSON-ready data."""
        calls = [
            {"method": method, "route": route, "count": count}
            for (method, route), count in sorted(self.calls.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ]
        by_route: Counter[str] = Counter()
        for (_, route), count in self.calls.items():
            by_route[route] += count
        return {"calls": calls, "by_route": dict(sorted(by_route.items())), "total": sum(self.calls.values())}

    def time_json(self) -> dict[str, Any]:
        """The emulated time as ``info/timezone`` reports it."""
        now = self.clock.now()
        return {
            "unixtime": int(now.timestamp()),
            "datetime": self.clock.format(now),
            "timezone": self.clock.timezone_name,
        }

    def event_json(self, event: Event) -> dict[str, Any]:
        """One clock event as JSON-ready data."""
        return {
            "type": event.kind,
            "at": self.clock.format(event.at),
            "subject": event.subject,
            "details": dict(event.details),
        }

    # ----------------------------------------------------------------- notifications
    async def deliver_sms(self, number: str, sender: str, text: str) -> dict[str, Any]:
        """Deliver an incoming SMS on ``number`` to the webhook URL, signed as Zadarma signs it.

        400 (:class:`ApiError`) when the number is not on the account, no URL
        is set or SMS notifications are off.
        """
        owned = self.state.owned(number)
        notify = self.state.notify
        if not notify.webhook_url or not notify.hooks.get("sms"):
            raise ApiError("SMS notifications are off: set /v1/pbx/webhooks/url and switch sms on")
        form, signature = sms_event(owned.number, sender, text, self.config.secret)
        delivery = await self.notifier.post(notify.webhook_url, form, signature)
        return {"number": owned.number, "deliveries": [delivery]}

    async def deliver_call(self, number: str, sender: str, duration: int) -> dict[str, Any]:
        """Deliver an incoming call's ``NOTIFY_START``/``NOTIFY_END`` (those switched on), signed.

        ``duration`` 0 is a missed call. 400 when the number is not on the
        account or no call-info URL is set.
        """
        owned = self.state.owned(number)
        notify = self.state.notify
        if not notify.callinfo_url:
            raise ApiError("call notifications are off: set /v1/pbx/callinfo/url first")
        self._call_sequence += 1
        call_id = f"in_{self.config.seed}_{self._call_sequence:06d}"
        events = call_events(owned.number, sender, duration, self.clock.now(), call_id, self.config.secret)
        deliveries = []
        for form, signature in events:
            if notify.notifications.get(form["event"].lower()):
                deliveries.append(await self.notifier.post(notify.callinfo_url, form, signature))
        return {"number": owned.number, "pbx_call_id": call_id, "deliveries": deliveries}

    # ----------------------------------------------------------------- pipeline
    async def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request (see the module docstring for the pipeline)."""
        if request.path.startswith(CONTROL_PREFIX):
            return await handle_control(self, request)
        auth = split_authorization(request.header("authorization"))
        key = auth[0] if auth else ""
        found = match_route(request.path)
        if found is None:
            return SandboxResponse.error(
                404, f"Unknown API method {request.path}", self.limiter.peek(key).headers
            )
        route, path_args = found
        method = request.method.upper()
        self.calls[(method, route.name)] += 1
        handler = route.handlers.get(method)
        if handler is None:
            allowed = ", ".join(sorted(route.handlers))
            return SandboxResponse.error(
                405,
                f"{method} is not allowed for {request.path}; use {allowed}",
                {**self.limiter.peek(key).headers, "Allow": allowed},
            )
        faults = self.faults if self.faults.active and self.faults.applies_to(request.path) else None
        if faults is not None:
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            if self._dice.roll(faults.error_rate):
                return SandboxResponse.error(
                    503, "Service temporarily unavailable (injected fault)", self.limiter.peek(key).headers
                )

        def run(params: RequestParams, files: dict[str, Part]) -> dict[str, Any]:
            payload = handler(ApiContext(self.state, params, path_args, files))
            return self.realism.vary(route.name, payload) if self.realism is not None else payload

        echo = route.echo_checked and method == "POST"
        response = await self._authorized(request, auth, run, echo=echo)
        if faults is not None:
            if self._dice.roll(faults.malformed_rate):
                response.body = response.body[: max(1, len(response.body) // 2)]
            if self._dice.roll(faults.drop_rate):
                response.drop = True
        return response

    async def _authorized(
        self,
        request: SandboxRequest,
        auth: tuple[str, str] | None,
        run: Callable[[RequestParams, dict[str, Part]], dict[str, Any]],
        *,
        echo: bool = False,
    ) -> SandboxResponse:
        key = auth[0] if auth else ""
        try:
            params, files = read_params(request)
        except ApiError as exc:
            return SandboxResponse.error(exc.status, exc.message, self.limiter.peek(key).headers)
        if auth is None:
            return SandboxResponse.error(
                401,
                "Authorization header is missing or malformed: expected '<key>:<signature>'",
                self.limiter.peek(key).headers,
            )
        if key != self.config.key:
            return SandboxResponse.error(401, "Unknown API key", self.limiter.peek(key).headers)
        if not verify(request.path, params, auth[1], self.config.secret):
            return SandboxResponse.error(401, "Invalid signature", self.limiter.peek(key).headers)
        decision = self.limiter.hit(key)
        if not decision.allowed:
            return SandboxResponse.error(
                429,
                f"Rate limit exceeded: at most {decision.limit} requests per minute; "
                f"the limit resets at {decision.reset_epoch} (Unix time)",
                decision.headers,
            )
        if echo:
            url = params.text("url")
            problem = "url is required" if url is None else await self.notifier.echo_problem(url)
            if problem is not None:
                return SandboxResponse.error(400, problem, decision.headers)
        self.state.process_due()
        try:
            payload = run(params, files)
        except ApiError as exc:
            return SandboxResponse.error(exc.status, exc.message, decision.headers)
        return SandboxResponse.json(200, {"status": "success", **payload}, decision.headers)


def read_params(request: SandboxRequest) -> tuple[RequestParams, dict[str, Part]]:
    """The flat parameter map (query plus form fields) and the uploaded file parts.

    File parts of a multipart body are returned separately; they are not
    part of the signature.
    """
    values: dict[str, str] = {}
    files: dict[str, Part] = {}
    for name, value in request.query:
        if name == "\x00invalid-query":
            raise ApiError("the query string is not valid UTF-8")
        values[name] = value
    if request.method.upper() in _BODY_METHODS and request.body:
        kind = request.content_type.split(";", 1)[0].strip().lower()
        try:
            if kind == "multipart/form-data":
                for part in parse_multipart(request.body, request.content_type):
                    if part.is_file:
                        files[part.name] = part
                    else:
                        values[part.name] = part.data.decode("utf-8")
            elif kind in ("application/x-www-form-urlencoded", ""):
                values.update(parse_query(request.body.decode("utf-8")))
            else:
                raise ApiError(
                    f"unsupported Content-Type {kind!r}: send application/x-www-form-urlencoded "
                    "or multipart/form-data"
                )
        except UnicodeDecodeError:
            raise ApiError("the request body is not valid UTF-8") from None
        except MultipartError as exc:
            raise ApiError(f"malformed multipart body: {exc}") from None
    return RequestParams(values), files
