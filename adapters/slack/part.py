"""``SlackPart``: the Slack app as one part of the bot (HTTP on the shared server, or Socket Mode).

Acknowledging and working
    The Bolt app runs with ``process_before_response=True``: every listener
    calls ``ack()`` first and returns at once, handing the slow work to the
    part's own :class:`~adapters.slack.tasks.BackgroundTasks`. Slack gets its
    answer within milliseconds, the answer may still carry what only the
    listener knows (a usage line, modal field errors), and the work runs in
    tasks the part owns: they are awaited on :meth:`SlackPart.stop`, their
    failures are logged and show in :meth:`SlackPart.health`. (Bolt's default
    mode and its lazy listeners start untracked ``ensure_future`` tasks
    instead, which nobody waits for at shutdown.)

Requests over HTTP
    ``POST /slack/events`` takes commands, buttons, modal submissions and
    events. The signature and its timestamp are checked over the raw bytes
    before anything reads the body (401 otherwise, and nothing of the body
    is logged); then the body must parse and have the shape Slack sends
    (:mod:`adapters.slack.payloads`; 400 otherwise, with one warning line).
    Bolt's own request verification stays on as well.

Requests over Socket Mode
    Every envelope is acknowledged, whatever Bolt answers: Slack delivers an
    unacknowledged envelope again and again. Bolt's own handler sends nothing
    back for an answer other than 200 (a body the gate refuses as malformed,
    a request no listener takes) or when dispatching raised; here such an
    envelope gets an empty acknowledgement and is otherwise ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.kit.backoff import Backoff, retry
from adapters.kit.gate import UpdateGate
from adapters.slack import blocks
from adapters.slack.delivery import DeliveryOutcome, outcome_of_error
from adapters.slack.files import SlackFileFetcher
from adapters.slack.handlers import SlackHandlers
from adapters.slack.outbox import Outbox
from adapters.slack.payloads import MalformedRequest, problem, read_body
from adapters.slack.tasks import BackgroundTasks
from adapters.slack.team import TeamConsole
from adapters.slack.wizard import Wizard
from adapters.updates import UpdateObserver
from bot.coord import KeyLocks
from bot.logs import correlated
from bot.services import Services
from bot.services.ports import PlatformRecords
from bot.services.types import utc_now
from conversations.engine import ConversationEngine
from conversations.notices import NOTICE_BUTTONS, Notice, render_notice_text

log = logging.getLogger("adapters.slack")

EVENTS_PATH = "/slack/events"
DEFAULT_API_BASE = "https://slack.com/api/"
SOCKET_RETRY_MAX = 60.0
SIGNATURE_MAX_AGE = 5 * 60.0


class _RedactPayloads(logging.Filter):
    """Bolt logs request bodies in some messages (unhandled requests, debug): never let them out."""

    _MARKERS = ("body", "Unhandled request", "payload", "{'token'", '"token"')

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if any(marker in message for marker in self._MARKERS):
            record.msg = "slack request details redacted"
            record.args = ()
        return True


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("adapters.slack.bolt")
    if not any(isinstance(f, _RedactPayloads) for f in logger.filters):
        logger.addFilter(_RedactPayloads())
    if logger.level == logging.NOTSET or logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)
    return logger


class _AckingSocketHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, except that every envelope is acknowledged (module docstring)
    and each is dispatched in the update gate's scope (``gate``)."""

    def __init__(self, app: AsyncApp, app_token: str, *, gate: UpdateGate, logger: logging.Logger) -> None:
        super().__init__(app, app_token, logger=logger)
        self.gate = gate

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Dispatch the envelope through Bolt; answer 200s as Bolt does, acknowledge anything else empty."""
        started = time.time()
        try:
            response: BoltResponse = await self._dispatch(req)
        except Exception as exc:  # a payload Bolt could not even build a request of
            log.warning("slack socket mode request failed", extra={"error": type(exc).__name__})
            response = BoltResponse(status=500, body="")
        if response.status == 200:
            await send_async_response(client, req, response, started)
        else:
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    async def _dispatch(self, req: SocketModeRequest) -> BoltResponse:
        async with self.gate.scope():
            response: BoltResponse = await run_async_bolt_app(self.app, req)
        return response


def _account_now() -> datetime:
    """The account's wall clock, naive like ``stop_date`` (UTC; hours do not matter for days)."""
    return datetime.now(UTC).replace(tzinfo=None)


class SlackPart:
    """The Slack adapter as a :class:`bot.runtime.Part`.

    Socket Mode when ``app_token`` is set (connected in :meth:`start`),
    otherwise HTTP at ``/slack/events`` on the shared web application (see
    :meth:`install_routes`). Only ``admin_users`` (Slack user ids) may use
    it; they act as operators on the whole account. Alerts and the daily
    digest go to ``alert_channel``.
    """

    name = "slack"
    required = True

    def __init__(
        self,
        *,
        bot_token: str,
        signing_secret: str,
        app_token: str = "",
        api_base: str = "",
        admin_users: frozenset[str],
        alert_channel: str = "",
        engine: ConversationEngine,
        services: Services,
        storage: PlatformRecords,
        observer: UpdateObserver | None = None,
        locale: str | None = None,
        locks: KeyLocks | None = None,
    ) -> None:
        """``locale``: the team's Slack locale (``pl-PL``...), the language of operators who chose none;
        ``locks``: one user's requests are worked on in order (shared by replicas; default: this process)."""
        if not bot_token:
            raise ValueError("the Slack bot token is required")
        if not app_token and not signing_secret:
            raise ValueError("HTTP mode needs the Slack signing secret")
        self.mode = "socket" if app_token else "http"
        self._app_token = app_token
        self._alert_channel = alert_channel
        self._signing_secret = signing_secret.encode("utf-8")
        self.client = AsyncWebClient(token=bot_token, base_url=api_base or DEFAULT_API_BASE)
        self._outbox = Outbox(self.client)
        self._tasks = BackgroundTasks(on_error=self._task_failed)
        self._last_error: str | None = None
        self._started = False
        self._routes = False
        self._socket: AsyncSocketModeHandler | None = None
        self._reconnect = Backoff(first=1.0, cap=SOCKET_RETRY_MAX)
        api_host = urlsplit(api_base).netloc if api_base else ""
        self.app = AsyncApp(
            name="zadarma-numbers-bot",
            client=self.client,
            signing_secret=signing_secret or None,
            process_before_response=True,
            request_verification_enabled=True,
            logger=_bolt_logger(),
        )
        self._team = TeamConsole(engine, locale=locale)
        self._handlers = SlackHandlers(
            admin_users=admin_users,
            services=services,
            storage=storage,
            team=self._team,
            wizard=Wizard(engine, storage, locale=locale),
            outbox=self._outbox,
            fetcher=SlackFileFetcher(self.client, bot_token, extra_trusted_host=api_host),
            tasks=self._tasks,
            now=utc_now,
            account_now=_account_now,
            observer=observer,
            locks=locks,
        )
        self._handlers.register(self.app)
        self._observer = observer

    def __repr__(self) -> str:
        return f"SlackPart(mode={self.mode!r})"

    # -- Part ----------------------------------------------------------------------------

    def install_routes(self, app: web.Application) -> None:
        """HTTP mode: ``POST /slack/events`` on the shared web application (Socket Mode: nothing)."""
        if self.mode != "http":
            return
        app.router.add_post(EVENTS_PATH, self.handle_http)
        self._routes = True

    async def start(self) -> None:
        """Socket Mode: connect (retrying in the background if Slack is not reachable yet)."""
        self._started = True
        if self.mode == "socket":
            self._socket = _AckingSocketHandler(
                self.app, self._app_token, gate=self._handlers.updates, logger=_bolt_logger()
            )
            self._tasks.loop(retry(self._connect_once, self._reconnect), "socket")

    async def _connect_once(self) -> bool:
        """One Socket Mode connection attempt: True when connected (or the part is stopping)."""
        if self._socket is None:
            return True
        try:
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
        except Exception as exc:
            self._last_error = f"socket mode: {type(exc).__name__}"
            log.warning("slack socket mode connection failed", extra={"error": type(exc).__name__})
            return False
        return True

    async def stop(self) -> None:
        """Finish (or after a while cancel) background work; close the Socket Mode connection."""
        self._started = False
        await self._tasks.stop_loops()
        if self._socket is not None:
            socket, self._socket = self._socket, None
            try:
                await socket.close_async()  # type: ignore[no-untyped-call]
            except Exception as exc:
                log.warning("closing slack socket mode failed", extra={"error": type(exc).__name__})
        await self._tasks.close()

    def health(self) -> dict[str, Any]:
        """``{"ok", "mode", "last_error"}``: ok while running (Socket Mode: while connected)."""
        ok = (self._started and self._socket_connected()) if self.mode == "socket" else self._routes
        return {"ok": ok, "mode": self.mode, "last_error": self._outbox.last_error or self._last_error}

    def _socket_connected(self) -> bool:
        if self._socket is None:
            return False
        client = self._socket.client
        session = getattr(client, "current_session", None)
        return bool(not getattr(client, "closed", True) and session is not None and not session.closed)

    async def wait_idle(self, seconds: float = 10.0) -> bool:
        """Wait until the work started by past requests is done (tests, graceful shutdown)."""
        return await self._tasks.wait_idle(seconds)

    def _task_failed(self, exc: BaseException) -> None:
        self._last_error = f"background task: {type(exc).__name__}"

    # -- HTTP ----------------------------------------------------------------------------

    def verified(self, body: bytes, headers: Any) -> bool:
        """Whether the request carries a valid, recent (5 minutes) Slack signature over ``body``'s bytes."""
        if not self._signing_secret:
            return False
        timestamp = str(headers.get("X-Slack-Request-Timestamp", ""))
        signature = str(headers.get("X-Slack-Signature", ""))
        # ASCII digits only: "²".isdigit() is true, and int() of 5,000 digits raises.
        if not (0 < len(timestamp) <= 12 and timestamp.isascii() and timestamp.isdigit()) or not signature:
            return False
        if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE:
            return False
        signed = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = b"v0=" + hmac.new(self._signing_secret, signed, hashlib.sha256).hexdigest().encode("ascii")
        return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))

    async def handle_http(self, request: web.Request) -> web.Response:
        """One request from Slack: verify, check its shape, dispatch through Bolt, answer."""
        started = time.perf_counter()
        raw = await request.read()
        with correlated():
            if not self.verified(raw, request.headers):
                log.warning("slack request refused: bad or old signature")
                return web.json_response({"error": "invalid request"}, status=401)
            try:
                reason = problem(read_body(raw, request.content_type))
                if reason is None:
                    bolt_request = AsyncBoltRequest(
                        body=raw.decode("utf-8"),
                        query=request.query_string,
                        headers=request.headers,  # type: ignore[arg-type]
                    )
            except MalformedRequest as exc:
                reason = exc.reason
            except (ValueError, TypeError, KeyError, AttributeError, IndexError):
                reason = "Bolt could not read the request"  # a shape the checks above did not foresee
            if reason is not None:
                log.warning("slack request refused: malformed", extra={"reason": reason})
                self._handlers.updates.observe("malformed")
                return web.json_response({"error": "malformed request"}, status=400)
            async with self._handlers.updates.scope():
                bolt_response = await self.app.async_dispatch(bolt_request)
            log.info(
                "slack request",
                extra={
                    "status": bolt_response.status,
                    "retry": request.headers.get("X-Slack-Retry-Num", "0"),
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return await to_aiohttp_response(bolt_response)

    # -- alerts --------------------------------------------------------------------------

    async def post_alert(self, notice: Notice, *, language: str = "en", channel: str = "") -> DeliveryOutcome:
        """Post a notice to the alert channel (or ``channel``) with one-tap buttons about its number.

        The buttons follow the notice's kind (prolong 1 month -> a confirmation
        with the price; turn auto-renewal on; show the number); they are engine
        tokens any operator may press (see :mod:`adapters.slack.team`).
        """
        target = channel or self._alert_channel
        if not target:
            return DeliveryOutcome.failed("no_alert_channel", None)
        ops = {op for _, op in NOTICE_BUTTONS.get(notice.kind, ())}
        try:
            message = await self._team.alert(
                target,
                notice,
                prolong="notice.prolong" in ops,
                autorenew="notice.autorenew" in ops,
                card="notice.open" in ops,
                language=language,
            )
        except Exception as exc:  # the store failing: still post the alert, without buttons
            log.warning("alert buttons could not be registered", extra={"error": type(exc).__name__})
            message = blocks.note(blocks.escape(render_notice_text(notice, language)))
        return await self._deliver(target, message)

    async def post_digest(
        self, text_lines: list[str], *, channel: str = "", language: str = "en"
    ) -> DeliveryOutcome:
        """Post the daily digest (its lines in ``language`` already) to the alert channel (or ``channel``)."""
        target = channel or self._alert_channel
        if not target:
            return DeliveryOutcome.failed("no_alert_channel", None)
        return await self._deliver(target, blocks.digest_message(text_lines, language))

    async def _deliver(self, channel: str, message: blocks.Rendered) -> DeliveryOutcome:
        try:
            _, ts = await self._outbox.post(channel, message)
        except Exception as exc:
            return outcome_of_error(exc)
        return DeliveryOutcome.delivered(ts)
