"""Signed async client for the Zadarma API (see ``API-NOTES.md``).

Every call is signed with :mod:`bot.zadarma.signing`; the canonical query or
body is built once and exactly those bytes are sent. GETs are retried with
backoff on transport errors, 5xx, 429 and undecodable replies; POST and PUT
are never repeated by the client (see :mod:`bot.zadarma.errors` for
``outcome_unknown``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from math import isfinite
from typing import Any, Final, Protocol, TypeVar
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from bot.zadarma import absence
from bot.zadarma import models as m
from bot.zadarma.absence import NotListed
from bot.zadarma.brief import (
    BodyReader,
    BriefReader,
    JsonReader,
    NumberBrief,
    StreamedList,
    StreamingReader,
    Unreadable,
)
from bot.zadarma.errors import (
    ZadarmaAPIError,
    ZadarmaAuthError,
    ZadarmaError,
    ZadarmaMalformedResponse,
    ZadarmaRateLimited,
    ZadarmaTransportError,
)
from bot.zadarma.list_reads import SharedListReads
from bot.zadarma.parsing import DirectionId, to_str
from bot.zadarma.ratelimit import ApiBudget, Priority, RateLimiter, parse_reset
from bot.zadarma.signing import ParamValue, authorization_header, build_query

log = logging.getLogger("bot.zadarma")

_SPENDING = ("/v1/direct_numbers/order/", "/v1/direct_numbers/prolong/")
_BROWSING = ("/v1/direct_numbers/countries/", "/v1/direct_numbers/country/", "/v1/direct_numbers/available/")


def call_priority(method: str, path: str) -> Priority:
    """The limiter priority of a call: work already started is finished first (see :class:`Priority`)."""
    if method != "GET":
        return Priority.SPEND if path in _SPENDING else Priority.URGENT
    if path == "/v1/direct_numbers/number/":
        return Priority.FINISH
    return Priority.BROWSE if path.startswith(_BROWSING) else Priority.NORMAL


PRODUCTION_URL = "https://api.zadarma.com"
#: The ``type`` sent for a number the account's list does not show with one.
DEFAULT_NUMBER_TYPE = "common"
SANDBOX_URL = "https://api-sandbox.zadarma.com"

ModelT = TypeVar("ModelT", bound=BaseModel)

ITEMS_KEPT: Final = 5_000
"""List items kept read (see ``_items``); beyond that the memory starts afresh."""

MAX_KEPT_URLS: Final = 64
"""Request URLs kept built (see ``ZadarmaClient._url``)."""

_SPENT: Final = httpx.ByteStream(b"")
"""What a reply read to its end keeps as its stream (see ``ZadarmaClient._send_once``)."""


def _item_key(item: object) -> bytes | None:
    """The item's JSON text: equal only for the same keys in the same order and the same values
    written the same way (``1``, ``1.0`` and ``true`` differ); ``None`` for what is not an object, or
    holds what ``orjson`` cannot write as it was read (``NaN`` and infinities, which it writes as
    ``null``; integers beyond 64 bits; lone surrogates)."""
    if type(item) is not dict:
        return None
    for value in item.values():
        if type(value) is float and not isfinite(value):
            return None
    try:
        return orjson.dumps(item)
    except orjson.JSONEncodeError:
        return None


def _list_of(raw: Any, key: str, method: str, path: str) -> list[Any]:
    """A reply's list: ``null`` and an empty object count as empty, and an object whose values
    are the items (PHP's encoding of an array with gaps in its keys) as those items."""
    if raw is None or raw == {}:
        return []
    if isinstance(raw, dict):
        return list(raw.values())
    if not isinstance(raw, list):
        raise ZadarmaMalformedResponse(
            f"'{key}' is not a list", method=method, path=path, outcome_unknown=method != "GET"
        )
    return raw


Params = Mapping[str, ParamValue | None]
UploadFile = tuple[str, bytes, str]  # file name, content, MIME type


class CallObserver(Protocol):
    """Told about every API attempt (metrics); must not raise or block."""

    def api_call(self, path: str, status: str, seconds: float) -> None:
        """One attempt at ``path`` ended: ``status`` is the HTTP status, ``timeout`` or ``error``."""


CONNECT_TIMEOUT = 5.0
"""Seconds to connect at most, unless the whole ``timeout`` is shorter (or ``connect_timeout`` says)."""


def attempt_timeout(timeout: float, connect_timeout: float | None = None) -> httpx.Timeout:
    """An attempt's limits: ``timeout`` for the reply (and sending), and the connect limit."""
    connect = min(CONNECT_TIMEOUT, timeout) if connect_timeout is None else connect_timeout
    return httpx.Timeout(timeout, connect=connect)


class ZadarmaClient:
    """Typed, signed access to the Zadarma API over an injected ``httpx.AsyncClient``.

    ``timeout`` bounds each attempt's wait for the reply (and for sending), ``connect_timeout``
    its connecting (default: :data:`CONNECT_TIMEOUT`, or ``timeout`` when shorter).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        key: str,
        secret: str,
        limiter: ApiBudget | None = None,
        timeout: float = 15.0,
        connect_timeout: float | None = None,
        max_retries: int = 3,
        backoff: float = 0.25,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observer: CallObserver | None = None,
    ) -> None:
        self._http = http
        #: Told about every attempt (``None``: nobody is).
        self.observer = observer
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        self._urls: dict[bytes, httpx.URL] = {}
        self._key = key
        self._secret = secret
        self.limiter: ApiBudget = limiter or RateLimiter()
        # given to httpx with every request, which replaces the HTTP client's own Timeout whole
        self._timeout = attempt_timeout(timeout, connect_timeout)
        self._max_retries = max_retries
        self._backoff = backoff
        self._sleep = sleep
        self.last_call_ok: bool | None = None
        #: Called with the pause in seconds before each retry (the demo shows it as progress).
        self.on_retry: Callable[[float], None] | None = None
        self._types: dict[str, str] = {}
        self._numbers_read: dict[bytes, m.DirectNumber] = {}
        #: List items skipped as unreadable since start (read by the health report).
        self.skipped_items = 0
        self._types_lock = asyncio.Lock()
        self._list_reads = SharedListReads(
            lambda priority, make_reader: self.request(
                "GET", "/v1/direct_numbers/", priority=priority, reader=make_reader
            )
        )

    def __repr__(self) -> str:
        return f"ZadarmaClient(base_url={str(self._base)!r}, key={self._key[:4]}…)"

    # -- transport -----------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        files: Mapping[str, UploadFile] | None = None,
        reader: Callable[[], BodyReader] = JsonReader,
        priority: int | None = None,
    ) -> dict[str, Any]:
        """One signed call; returns the decoded JSON object of a successful reply.

        ``reader`` makes what turns the reply's body, fed as it arrives, into JSON
        values (``json.loads`` of the whole; a streaming reader for very long
        lists, see :mod:`bot.zadarma.brief`), one per attempt, once the limiter
        has let that attempt go and right before it is sent. ``priority`` is the
        limiter's (see :class:`Priority`); by default :func:`call_priority` of the path.
        """
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        if not path.endswith("/"):
            path += "/"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        query = build_query(clean)
        headers = {"Authorization": authorization_header(self._key, path, query, self._secret)}
        attempts = 1 + (self._max_retries if method == "GET" else 0)
        rank = call_priority(method, path) if priority is None else priority
        for attempt in range(1, attempts + 1):
            try:
                return await self._send_once(method, path, query, clean, files, headers, reader, rank)
            except ZadarmaError as exc:
                if attempt >= attempts or not _retryable(exc):
                    self.last_call_ok = isinstance(exc, ZadarmaAPIError) and not isinstance(
                        exc, ZadarmaRateLimited
                    )
                    raise
                delay = self._retry_delay(exc, attempt)
                log.warning(
                    "zadarma retry",
                    extra={"method": method, "path": path, "attempt": attempt, "error": type(exc).__name__},
                )
                if self.on_retry is not None:
                    self.on_retry(delay)
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_delay(self, exc: ZadarmaError, attempt: int) -> float:
        if isinstance(exc, ZadarmaRateLimited):
            return max(0.05, min(60.0, exc.reset_at.timestamp() - time.time()))
        base: float = self._backoff * (2 ** (attempt - 1))
        return base + random.uniform(0, base / 2)

    async def _send_once(
        self,
        method: str,
        path: str,
        query: str,
        params: Mapping[str, ParamValue],
        files: Mapping[str, UploadFile] | None,
        headers: dict[str, str],
        make_reader: Callable[[], BodyReader],
        priority: int,
    ) -> dict[str, Any]:
        await self.limiter.acquire(priority)
        reader = make_reader()
        started = time.perf_counter()
        url = self._url(path.encode("ascii") + (b"?" + query.encode() if method == "GET" else b""))
        streamed = False
        try:
            if method == "GET":
                # fed to the reader as it arrives: a long list is never held whole on the reply
                request = self._http.build_request(method, url, headers=headers, timeout=self._timeout)
                response = await self._http.send(request, stream=True)
                try:
                    async for part in response.aiter_bytes():
                        reader.feed(part)
                    streamed = True
                finally:
                    await response.aclose()
            elif files:
                data = {k: str(v) for k, v in params.items()}
                data.setdefault("format", "json")
                response = await self._http.request(
                    method, url, headers=headers, data=data, files=dict(files), timeout=self._timeout
                )
            else:
                response = await self._http.request(
                    method,
                    url,
                    headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
                    content=query.encode("ascii"),
                    timeout=self._timeout,
                )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            self._observe(path, _transport_status(exc), started)
            raise ZadarmaTransportError(
                f"could not connect: {type(exc).__name__}", method=method, path=path
            ) from None
        except httpx.TransportError as exc:
            self._observe(path, _transport_status(exc), started)
            raise ZadarmaTransportError(
                f"no reply: {type(exc).__name__}", method=method, path=path, outcome_unknown=method != "GET"
            ) from None
        # httpx binds a reply's stream to the reply (a reference cycle, with the request, its
        # headers and URL hanging on it: about 25 objects a call), so only the garbage collector
        # could free it; read to its end and closed, the reply no longer needs that stream.
        response.stream = _SPENT
        elapsed_ms = self._observe(path, str(response.status_code), started) * 1000
        self.limiter.observe(response.headers)
        log.info(
            "zadarma call",
            extra={
                "method": method,
                "path": path,
                "status": response.status_code,
                "ms": round(elapsed_ms, 1),
            },
        )
        if not streamed:
            reader.feed(response.content)
        return self._decode(method, path, response, reader)

    def _url(self, raw_path: bytes) -> httpx.URL:
        """The URL of ``raw_path`` (with its query), kept built: httpx parses every URL it is given.

        Most calls repeat one of a few URLs (the number list, an order, a SIP change);
        the last :data:`MAX_KEPT_URLS` are kept, the oldest forgotten first.
        """
        url = self._urls.get(raw_path)
        if url is None:
            url = self._base.copy_with(raw_path=raw_path)
            if len(self._urls) >= MAX_KEPT_URLS:
                del self._urls[next(iter(self._urls))]
            self._urls[raw_path] = url
        return url

    def _observe(self, path: str, status: str, started: float) -> float:
        """Tell the observer about one attempt; return its duration in seconds."""
        seconds = time.perf_counter() - started
        if self.observer is not None:
            try:
                self.observer.api_call(path, status, seconds)
            except Exception:  # metrics must never break a call
                log.exception("the call observer failed")
        return seconds

    def _decode(
        self,
        method: str,
        path: str,
        response: httpx.Response,
        reader: BodyReader,
    ) -> dict[str, Any]:
        status = response.status_code
        try:
            body = reader.finish()
        except ValueError:
            body = None
        if status == 429:
            reset = parse_reset(response.headers.get("x-ratelimit-reset"), time.time()) or time.time() + 60
            self.limiter.block_until(reset)
            raise ZadarmaRateLimited(
                _message(body, "too many requests"),
                reset_at=datetime.fromtimestamp(reset, UTC),
                method=method,
                path=path,
            )
        if not isinstance(body, dict):
            if status >= 400:
                raise ZadarmaAPIError(f"HTTP {status}", status_code=status, method=method, path=path)
            raise ZadarmaMalformedResponse(
                "the reply is not a JSON object", method=method, path=path, outcome_unknown=method != "GET"
            )
        if status == 401:
            raise ZadarmaAuthError(_message(body, "unauthorized"), status_code=401, method=method, path=path)
        if status >= 400 or body.get("status") == "error":
            raise ZadarmaAPIError(
                _message(body, f"HTTP {status}"), status_code=status, method=method, path=path
            )
        self.last_call_ok = True
        return body

    def _parse(self, model: type[ModelT], data: Any, method: str, path: str) -> ModelT:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:3])
            raise ZadarmaMalformedResponse(
                f"unexpected reply shape ({fields})",
                method=method,
                path=path,
                outcome_unknown=method != "GET",
            ) from None

    async def _get(
        self, model: type[ModelT], path: str, key: str | None, params: Params | None = None
    ) -> ModelT:
        body = await self.request("GET", path, params)
        return self._parse(model, body if key is None else body.get(key), "GET", path)

    async def _list(
        self, model: type[ModelT], path: str, key: str, params: Params | None = None
    ) -> list[ModelT]:
        body = await self.request("GET", path, params)
        return self._items(model, body.get(key), key, "GET", path)

    def _items(
        self,
        model: type[ModelT],
        raw: Any,
        key: str,
        method: str,
        path: str,
        read: dict[bytes, Any] | None = None,
    ) -> list[ModelT]:
        """The readable items of a list; each unreadable one is skipped, logged and counted.

        ``null`` and an empty object count as an empty list, and an object whose
        values are the items (PHP's encoding of an array with gaps in its keys) as
        those items. Anything else is an unreadable reply.

        ``read`` (for a frozen model) keeps the records read from items by their JSON
        text: an item arriving again exactly as before is not read again.
        """
        out: list[ModelT] = []
        for index, item in enumerate(_list_of(raw, key, method, path)):
            seen = _item_key(item) if read is not None else None
            known = read.get(seen) if read is not None and seen is not None else None
            if known is not None:
                out.append(known)
                continue
            record = self._read_item(model, item, key, index, path)
            if record is None:
                continue
            out.append(record)
            if seen is not None and read is not None:
                if len(read) >= ITEMS_KEPT:
                    read.clear()
                read[seen] = record
        return out

    def _read_item(self, model: type[ModelT], item: object, key: str, index: int, path: str) -> ModelT | None:
        try:
            return model.model_validate(item)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) or "(item)" for e in exc.errors()})
            self._skipped(path, key, index, fields)
            return None

    def _skipped(self, path: str, key: str, index: int, fields: Iterable[str]) -> None:
        self.skipped_items += 1
        log.warning(
            "zadarma item skipped",
            extra={"path": path, "list": key, "index": index, "fields": ", ".join(list(fields)[:5])},
        )

    async def _write(
        self, method: str, model: type[ModelT], path: str, params: Params, key: str | None = None
    ) -> ModelT:
        body = await self.request(method, path, params)
        return self._parse(model, body if key is None else body.get(key), method, path)

    # -- account -------------------------------------------------------------------

    async def balance(self) -> m.Balance:
        """``GET /v1/info/balance/``."""
        return await self._get(m.Balance, "/v1/info/balance/", None)

    async def account_clock(self) -> m.AccountClock:
        """``GET /v1/info/timezone/``: the API's clock and zone."""
        return await self._get(m.AccountClock, "/v1/info/timezone/", None)

    async def sip_logins(self) -> m.SipLogins:
        """``GET /v1/sip/``: SIP logins numbers can be pointed at (unreadable ones skipped)."""
        path = "/v1/sip/"
        body = await self.request("GET", path)
        if "sips" not in body:
            raise ZadarmaMalformedResponse("'sips' is missing", method="GET", path=path)
        sips = self._items(m.SipLogin, body.get("sips"), "sips", "GET", path)
        return self._parse(m.SipLogins, {"sips": sips, "left": body.get("left")}, "GET", path)

    # -- ordering ------------------------------------------------------------------

    async def countries(self, language: str | None = None) -> list[m.Country]:
        """``GET /v1/direct_numbers/countries/``."""
        return await self._list(m.Country, "/v1/direct_numbers/countries/", "info", {"language": language})

    async def directions(
        self, country: str, *, language: str | None = None, direction_id: DirectionId | None = None
    ) -> list[m.Direction]:
        """``GET /v1/direct_numbers/country/``: cities and number types of a country (ISO alpha-2)."""
        body = await self.request(
            "GET",
            "/v1/direct_numbers/country/",
            {"country": country, "language": language, "direction_id": direction_id},
        )
        path = "/v1/direct_numbers/country/"
        raw = body.get("info")
        items = list(raw.values()) if isinstance(raw, dict) else raw
        if isinstance(items, list):
            items = [_flatten_restrictions(item) for item in items]
        return self._items(m.Direction, items, "info", "GET", path)

    async def available_numbers(
        self, direction_id: DirectionId, mask: str | None = None
    ) -> list[m.FreeNumber]:
        """``GET /v1/direct_numbers/available/<direction_id>/`` (a number or a code such as ``ru495``)."""
        return await self._list(
            m.FreeNumber,
            f"/v1/direct_numbers/available/{quote(str(direction_id), safe='')}/",
            "numbers",
            {"mask": mask or None},
        )

    async def order_number(
        self,
        *,
        direction_id: DirectionId,
        documents_group_id: int,
        number_id: str | None = None,
        purpose: str | None = None,
        receive_sms: bool | None = None,
        period: str | None = None,
        autorenew_period: str | None = None,
        user_id: int | None = None,
    ) -> m.OrderResult:
        """``POST /v1/direct_numbers/order/``. Spends money: never call twice for one order."""
        params: dict[str, ParamValue | None] = {
            "direction_id": direction_id,
            "documents_group_id": documents_group_id,
            "number_id": number_id,
            "purpose": purpose,
            "receive_sms": None if receive_sms is None else int(receive_sms),
            "period": period,
            "autorenew_period": autorenew_period,
            "user_id": user_id,
        }
        return await self._write("POST", m.OrderResult, "/v1/direct_numbers/order/", params)

    async def prolong_number(
        self, number: str, months: int, *, user_id: int | None = None
    ) -> m.ProlongResult:
        """``POST /v1/direct_numbers/prolong/``. Spends money: never call twice for one renewal."""
        return await self._write(
            "POST",
            m.ProlongResult,
            "/v1/direct_numbers/prolong/",
            {"number": number, "months": months, "user_id": user_id},
        )

    # -- managing numbers ----------------------------------------------------------

    async def direct_numbers(self) -> list[m.DirectNumber]:
        """``GET /v1/direct_numbers/``: every number of the account (also refreshes :meth:`number_type`)."""
        path = "/v1/direct_numbers/"
        body = await self.request("GET", path)
        records = self._items(m.DirectNumber, body.get("info"), "info", "GET", path, self._numbers_read)
        self._types.update({r.number.lstrip("+"): r.type for r in records if r.type})
        return records

    async def find_direct_number(self, number: str, *, priority: int | None = None) -> m.DirectNumber | None:
        """``GET /v1/direct_numbers/`` read for one number: its record, or None when the list lacks it.

        The same call and reading as :meth:`direct_numbers` (``+`` and surrounding
        spaces do not count in the comparison), but only an item whose ``number`` may
        be ``number`` is read into a record: the check before an order costs little
        on an account with thousands of numbers. An unreadable item that may be it
        is skipped, logged and counted; the others are not looked at. When no
        item's ``number`` holds the number (the usual answer before an order),
        :class:`~bot.zadarma.absence.AbsenceReader` proves it without building the
        list. Checks at the same ``priority`` that wait for the limiter together
        share one read, sent after all of them were asked
        (:class:`~bot.zadarma.list_reads.SharedListReads`).
        """
        path, key = "/v1/direct_numbers/", absence.KEY
        wanted = number.strip().lstrip("+")
        body = await self._list_reads.read(wanted, priority)
        if isinstance(body.get(key), NotListed):
            return None
        for index, item in enumerate(_list_of(body.get(key), key, "GET", path)):
            if type(item) is dict:
                value = item.get("number")
                if type(value) is int:
                    value = str(value)
                if type(value) is str and wanted not in value:
                    continue
            record = self._read_item(m.DirectNumber, item, key, index, path)
            if record is not None and record.number.strip().lstrip("+") == wanted:
                if record.type:
                    self._types[record.number.lstrip("+")] = record.type
                return record
        return None

    async def number_briefs(self) -> list[NumberBrief]:
        """``GET /v1/direct_numbers/`` read compactly: what a scan of a large account needs.

        The same call and the same tolerant reading as :meth:`direct_numbers`
        (unreadable items skipped, logged and counted), but each item is read
        into a small :class:`~bot.zadarma.brief.NumberBrief` while the reply is
        decoded, so the whole list never exists as dicts or full records.
        """
        path, key = "/v1/direct_numbers/", "info"
        reader = BriefReader()
        body = await self.request("GET", path, reader=partial(StreamingReader, key, reader, reader.run))
        raw = body.get(key)
        if not isinstance(raw, StreamedList):
            raw = [reader(item, index) for index, item in enumerate(_list_of(raw, key, "GET", path))]
        briefs: list[NumberBrief] = []
        for item in raw:
            if isinstance(item, Unreadable):
                self._skipped(path, key, item.index, item.fields)
            else:
                briefs.append(item)
                if item.type:
                    self._types[item.number.lstrip("+")] = item.type
        return briefs

    async def number_type(self, number: str) -> str:
        """The record's own ``type`` (``common`` or ``order``), which four calls must send.

        Known types are remembered per process (a number keeps its type); an unknown
        number costs one ``GET /v1/direct_numbers/``. A number missing from the list,
        or listed without a type, gets :data:`DEFAULT_NUMBER_TYPE`: the API then
        answers about the number itself (not yours, not found).
        """
        digits = number.lstrip("+")
        known = self._types.get(digits)
        if known is not None:
            return known
        async with self._types_lock:
            if digits not in self._types:
                await self.direct_numbers()
        found = self._types.get(digits)
        if found is None:
            log.warning("number type unknown, sending the default", extra={"default": DEFAULT_NUMBER_TYPE})
            return DEFAULT_NUMBER_TYPE
        return found

    async def _typed_call(
        self, call: Callable[[str], Awaitable[ModelT]], number: str, type: str | None
    ) -> ModelT:
        """Run ``call`` with the number's ``type``; forget a looked-up type the API refused."""
        kind = type or await self.number_type(number)
        try:
            return await call(kind)
        except ZadarmaAPIError as exc:
            if type is None and 400 <= exc.status_code < 500:
                self._types.pop(number.lstrip("+"), None)
            raise

    async def direct_number(self, number: str, *, type: str | None = None) -> m.DirectNumber:
        """``GET /v1/direct_numbers/number/`` with ``type`` (looked up when not given)."""

        async def call(kind: str) -> m.DirectNumber:
            record = await self._get(
                m.DirectNumber, "/v1/direct_numbers/number/", "info", {"number": number, "type": kind}
            )
            # The detail record may omit its type; the one sent was accepted.
            return record if record.type else record.model_copy(update={"type": kind})

        return await self._typed_call(call, number, type)

    async def autoprolongation(self, number: str, *, type: str | None = None) -> m.Autoprolongation:
        """``GET /v1/direct_numbers/autoprolongation/`` with ``type`` (looked up when not given)."""

        async def call(kind: str) -> m.Autoprolongation:
            return await self._get(
                m.Autoprolongation,
                "/v1/direct_numbers/autoprolongation/",
                None,
                {"number": number, "type": kind},
            )

        return await self._typed_call(call, number, type)

    async def set_autoprolongation(
        self, number: str, enabled: bool, *, type: str | None = None
    ) -> m.Autoprolongation:
        """``PUT /v1/direct_numbers/autoprolongation/`` with ``type`` (looked up when not given)."""

        async def call(kind: str) -> m.Autoprolongation:
            return await self._write(
                "PUT",
                m.Autoprolongation,
                "/v1/direct_numbers/autoprolongation/",
                {"number": number, "value": "on" if enabled else "off", "type": kind},
            )

        return await self._typed_call(call, number, type)

    async def set_caller_name(
        self, number: str, caller_name: str, *, type: str | None = None
    ) -> m.CallerName:
        """``PUT /v1/direct_numbers/set_caller_name/`` (empty name clears it), with ``type``."""

        async def call(kind: str) -> m.CallerName:
            return await self._write(
                "PUT",
                m.CallerName,
                "/v1/direct_numbers/set_caller_name/",
                {"number": number, "caller_name": caller_name, "type": kind},
            )

        return await self._typed_call(call, number, type)

    async def set_sip_target(
        self, number: str, sip_id: str, *, test_mode: bool | None = None, type: str | None = None
    ) -> m.SipTarget:
        """``PUT /v1/direct_numbers/set_sip_id/``: a SIP login or an external SIP URI, with ``type``."""

        async def call(kind: str) -> m.SipTarget:
            return await self._write(
                "PUT",
                m.SipTarget,
                "/v1/direct_numbers/set_sip_id/",
                {
                    "number": number,
                    "sip_id": sip_id,
                    "test_mode": None if test_mode is None else ("on" if test_mode else "off"),
                    "type": kind,
                },
            )

        return await self._typed_call(call, number, type)

    async def set_receive_sms(
        self, number: str, enabled: bool, *, documents_group_id: int | None = None, type: str | None = None
    ) -> m.ReceiveSms:
        """``PUT /v1/direct_numbers/receive_sms/``."""
        return await self._write(
            "PUT",
            m.ReceiveSms,
            "/v1/direct_numbers/receive_sms/",
            {
                "number": number,
                "value": "on" if enabled else "off",
                "documents_group_id": documents_group_id,
                "type": type,
            },
        )

    # -- notifications -------------------------------------------------------------

    async def webhook_settings(self) -> m.WebhookSettings:
        """``GET /v1/pbx/webhooks/``: where SMS events go and which kinds are on."""
        return await self._get(m.WebhookSettings, "/v1/pbx/webhooks/", None)

    async def set_webhook_url(self, url: str) -> str:
        """``POST /v1/pbx/webhooks/url/``: Zadarma checks the URL (``zd_echo``) first; returns the URL set."""
        body = await self.request("POST", "/v1/pbx/webhooks/url/", {"url": url})
        return str(body.get("url") or url)

    async def set_webhook_hooks(self, **kinds: bool) -> m.WebhookHooks:
        """``POST /v1/pbx/webhooks/hooks/`` (``sms=True``, ...): switch notification kinds."""
        params: Params = {name: "true" if on else "false" for name, on in kinds.items()}
        return await self._write("POST", m.WebhookHooks, "/v1/pbx/webhooks/hooks/", params, "hooks")

    async def callinfo_settings(self) -> m.CallInfoSettings:
        """``GET /v1/pbx/callinfo/``: where call events go and which are on."""
        return await self._get(m.CallInfoSettings, "/v1/pbx/callinfo/", None)

    async def set_callinfo_url(self, url: str) -> str:
        """``POST /v1/pbx/callinfo/url/``: checked with ``zd_echo`` first; returns the URL set."""
        body = await self.request("POST", "/v1/pbx/callinfo/url/", {"url": url})
        return str(body.get("url") or url)

    async def set_call_notifications(self, **events: bool) -> m.CallNotifications:
        """``POST /v1/pbx/callinfo/notifications/`` (``notify_start=True``, ...)."""
        params: Params = {name: "true" if on else "false" for name, on in events.items()}
        return await self._write(
            "POST", m.CallNotifications, "/v1/pbx/callinfo/notifications/", params, "notifications"
        )

    async def incoming_channels(
        self,
        *,
        number: str | None = None,
        direction_id: DirectionId | None = None,
        currency: str | None = None,
    ) -> dict[str, Any]:
        """``GET /v1/direct_numbers/incoming_channels/``: the reply's fields beyond ``status``."""
        body = await self.request(
            "GET",
            "/v1/direct_numbers/incoming_channels/",
            {"number": number, "direction_id": direction_id, "currency": currency},
        )
        return {k: v for k, v in body.items() if k != "status"}

    async def set_incoming_channels(self, number: str, channels: int) -> None:
        """``PUT /v1/direct_numbers/incoming_channels/``."""
        await self.request(
            "PUT", "/v1/direct_numbers/incoming_channels/", {"number": number, "channels": channels}
        )

    async def checking_wrongs(self, group_id: int) -> m.CheckingWrongs:
        """``GET /v1/direct_numbers/checking-wrongs/``: why a group's documents or address were rejected."""
        path = "/v1/direct_numbers/checking-wrongs/"
        body = await self.request("GET", path, {"group_id": group_id})
        info = body.get("info") or {}
        if not isinstance(info, dict):
            raise ZadarmaMalformedResponse("'info' is not an object", method="GET", path=path)
        doc = _first_object(info.get("wrong_document"))
        addr = _first_object(info.get("wrong_address"))
        return m.CheckingWrongs(
            document_type=_text(doc.get("document_type")),
            document_message=_text(doc.get("message")),
            address_message=_text(addr.get("message")),
        )

    # -- documents -----------------------------------------------------------------

    async def document_groups(self) -> list[m.DocumentGroup]:
        """``GET /v1/documents/groups/list/``."""
        return await self._list(m.DocumentGroup, "/v1/documents/groups/list/", "groups")

    async def document_group(self, group_id: int) -> m.DocumentGroup:
        """``GET /v1/documents/groups/get/<id>/``."""
        return await self._get(m.DocumentGroup, f"/v1/documents/groups/get/{int(group_id)}/", "group")

    async def create_document_group(
        self, fields: Mapping[str, str], *, direction_id: DirectionId | None = None
    ) -> m.DocumentGroup:
        """``POST /v1/documents/groups/create/`` with the group's fields."""
        params: dict[str, ParamValue | None] = {**fields, "direction_id": direction_id}
        return await self._write("POST", m.DocumentGroup, "/v1/documents/groups/create/", params, "group")

    async def update_document_group(
        self, group_id: int, fields: Mapping[str, str], *, direction_id: DirectionId | None = None
    ) -> m.DocumentGroup:
        """``PUT /v1/documents/groups/update/<id>/``: send every field the spec requires, as on create."""
        params: dict[str, ParamValue | None] = {**fields, "direction_id": direction_id}
        return await self._write(
            "PUT", m.DocumentGroup, f"/v1/documents/groups/update/{int(group_id)}/", params, "group"
        )

    async def upload_document(
        self, group_id: int, document_type: str, filename: str, content: bytes, content_type: str
    ) -> m.UploadResult:
        """``POST /v1/documents/upload/`` (multipart; the file part is not signed)."""
        path = "/v1/documents/upload/"
        body = await self.request(
            "POST",
            path,
            {"group_id": group_id, "document_type": document_type},
            files={"file": (filename, content, content_type)},
        )
        return self._parse(m.UploadResult, body, "POST", path)

    async def document_files(self, group_id: int | None = None) -> list[m.DocumentFile]:
        """``GET /v1/documents/files/``."""
        return await self._list(m.DocumentFile, "/v1/documents/files/", "documents", {"group_id": group_id})

    async def group_validity(self, group_id: int, direction_id: DirectionId) -> m.GroupValidity:
        """``GET /v1/documents/groups/valid/<id>/``: may this group order in this direction?"""
        return await self._get(
            m.GroupValidity,
            f"/v1/documents/groups/valid/{int(group_id)}/",
            None,
            {"direction_id": direction_id},
        )


def _names(value: Any) -> tuple[str, ...]:
    """A ``restrictions`` list as names: a lone string is one name, non-text items are dropped."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    names = (to_str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool))
    return tuple(n.strip() for n in names if n.strip())


def _flatten_restrictions(item: Any) -> Any:
    """A direction with ``restrictions.upload``/``specify`` lifted to the top (``[]`` or null: none)."""
    if not isinstance(item, dict):
        return item
    flat = dict(item)
    restrictions = flat.pop("restrictions", None)
    if not isinstance(restrictions, dict):
        restrictions = {}
    flat["upload"] = _names(restrictions.get("upload"))
    flat["specify"] = _names(restrictions.get("specify"))
    return flat


def _first_object(value: Any) -> dict[str, Any]:
    """An object as sent, the first object of a list, a bare message, or nothing."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return next((v for v in value if isinstance(v, dict)), {})
    if isinstance(value, str) and value.strip():
        return {"message": value}
    return {}


def _text(value: Any) -> str | None:
    """A display text as ``str`` (numbers included), or None when empty or not text."""
    value = to_str(value)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _message(body: Any, default: str) -> str:
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
    return default


def _transport_status(exc: httpx.TransportError) -> str:
    """The status an attempt without a reply is counted under: ``timeout`` or ``error``."""
    return "timeout" if isinstance(exc, httpx.TimeoutException) else "error"


def _retryable(exc: ZadarmaError) -> bool:
    if isinstance(exc, ZadarmaRateLimited | ZadarmaTransportError | ZadarmaMalformedResponse):
        return True
    return isinstance(exc, ZadarmaAPIError) and exc.status_code >= 500
