"""A fake Slack Web API on 127.0.0.1 for end-to-end tests of the Slack adapter.

It serves, on a random port:

* ``/api/<method>`` for ``auth.test``, ``chat.postMessage``, ``chat.postEphemeral``,
  ``chat.update``, ``views.open``, ``views.update``, ``views.publish``,
  ``files.info`` and ``apps.connections.open`` (arguments from the query,
  a form body or a JSON body; the bearer token is checked);
* file downloads at the ``url_private_download`` it hands out in
  ``files.info`` (the bot token must come as ``Authorization: Bearer``);
* ``response_url`` posts at ``/response/<name>`` (see :meth:`FakeSlackApi.response_url`);
* a Socket Mode WebSocket at ``/socket`` (:meth:`FakeSlackApi.send_envelope`
  pushes an envelope; the app's acknowledgements are kept in ``socket_acks``).

Every request is recorded in :attr:`FakeSlackApi.calls` as an :class:`ApiCall`
(response_url posts as method ``"response_url"``, downloads as ``"download"``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import WSMsgType, web

BOT_USER_ID = "UBOT"
TEAM_ID = "T0TEST"


@dataclass
class ApiCall:
    """One request: the Web API method (or ``response_url``/``download``), its arguments and token."""

    method: str
    args: dict[str, Any]
    token: str | None = None
    path: str = ""


@dataclass
class FakeFile:
    """A file the fake can describe in ``files.info`` and serve for download."""

    id: str
    name: str
    content: bytes = field(repr=False)
    mimetype: str
    reported_size: int


@dataclass
class _Failure:
    error: str
    status: int
    headers: dict[str, str]


class FakeSlackApi:
    """The fake server. Use ``async with FakeSlackApi(bot_token=...) as slack:``."""

    def __init__(self, *, bot_token: str, app_token: str = "") -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: list[ApiCall] = []
        self.files: dict[str, FakeFile] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.socket_acks: list[dict[str, Any]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifetime ------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on 127.0.0.1, on a free port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._download)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = next(a[1] for a in self._runner.addresses if isinstance(a, tuple))
        return self

    async def close(self) -> None:
        """Answer held calls, close WebSockets and stop listening."""
        for method in list(self._holds):
            self.release(method)
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What to give ``AsyncWebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    # -- test controls ---------------------------------------------------------------

    def response_url(self, name: str = "") -> str:
        """A fresh ``response_url`` served by this fake."""
        return f"{self.base_url}/response/{name or 'r' + str(next(self._ids))}"

    def add_file(
        self,
        content: bytes,
        *,
        name: str = "scan.png",
        mimetype: str = "image/png",
        reported_size: int | None = None,
    ) -> str:
        """Register a file; ``reported_size`` lets ``files.info`` claim another size. Returns its id."""
        file_id = f"F{next(self._ids):06d}"
        size = len(content) if reported_size is None else reported_size
        self.files[file_id] = FakeFile(file_id, name, content, mimetype, size)
        return file_id

    def fail_next(
        self, method: str, error: str, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        """Make the next call of ``method`` answer ``{"ok": false, "error": error}``."""
        self._failures.setdefault(method, []).append(_Failure(error, status, headers or {}))

    def hold(self, method: str) -> None:
        """Leave calls of ``method`` unanswered (they are recorded) until :meth:`release`."""
        self._holds.setdefault(method, asyncio.Event())

    def release(self, method: str) -> None:
        """Answer the held calls of ``method`` and stop holding new ones (do this before closing)."""
        event = self._holds.pop(method, None)
        if event is not None:
            event.set()

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one method, oldest first."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, seconds: float = 5.0) -> list[ApiCall]:
        """Wait until ``method`` was called at least ``count`` times; returns those calls."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
        return self.calls_to(method)

    async def send_envelope(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        """Push a Socket Mode envelope (``slash_commands``, ``interactive``, ``events_api``)."""
        if not self._sockets:
            raise RuntimeError("no Socket Mode client is connected")
        envelope_id = f"env-{next(self._ids)}"
        message = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        await self._sockets[-1].send_str(json.dumps(message))
        return envelope_id

    async def wait_until(self, predicate: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (checked again whenever a call is recorded)."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_for_socket(self, seconds: float = 5.0) -> None:
        """Wait until a Socket Mode client is connected."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(lambda: bool(self._sockets))

    async def wait_for_ack(self, envelope_id: str, seconds: float = 5.0) -> dict[str, Any]:
        """Wait for the app's acknowledgement of an envelope."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(
                lambda: any(a.get("envelope_id") == envelope_id for a in self.socket_acks)
            )
        return next(a for a in self.socket_acks if a.get("envelope_id") == envelope_id)

    # -- recording -----------------------------------------------------------------------

    async def _record(self, call: ApiCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    @staticmethod
    async def _arguments(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
            else:
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        for name in ("view", "blocks"):
            if isinstance(args.get(name), str):
                args[name] = json.loads(args[name])
        return args

    @staticmethod
    def _token(request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return header[len("Bearer ") :] if header.startswith("Bearer ") else None

    # -- Web API ---------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._arguments(request)
        token = self._token(request)
        await self._record(ApiCall(method, args, token, request.path))
        held = self._holds.get(method)
        if held is not None:
            await held.wait()
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        failures = self._failures.get(method)
        if failures:
            failure = failures.pop(0)
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=failure.headers
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result: dict[str, Any] = handler(args)
        return web.json_response({"ok": True, **result} if result.get("ok", True) else result)

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.test/",
            "team": "Test team",
            "user": "numbers-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "BBOT",
        }

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel.startswith("U"):
            channel = "D" + channel[1:]  # posting to a user lands in the app's DM with them
        ts = self._next_ts()
        return {"channel": channel, "ts": ts, "message": {"text": args.get("text", ""), "ts": ts}}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "channel_not_found"}
        return {"message_ts": self._next_ts()}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"channel": args.get("channel"), "ts": args["ts"], "text": args.get("text", "")}

    def _new_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        stored = dict(view)
        stored["id"] = view_id or f"V{next(self._ids):06d}"
        stored["hash"] = f"h{next(self._ids)}"
        self.views[stored["id"]] = stored
        return stored

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return {"view": self._new_view(args.get("view") or {})}

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id") or "")
        current = self.views.get(view_id)
        if current is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        return {"view": self._new_view(args.get("view") or {}, view_id)}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"view": self._new_view(args.get("view") or {})}

    def _m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file = self.files.get(str(args.get("file") or ""))
        if file is None:
            return {"ok": False, "error": "file_not_found"}
        return {
            "file": {
                "id": file.id,
                "name": file.name,
                "title": file.name,
                "mimetype": file.mimetype,
                "size": file.reported_size,
                "url_private": f"{self.base_url}/files-pri/{TEAM_ID}-{file.id}/{file.name}",
                "url_private_download": f"{self.base_url}/files-pri/{TEAM_ID}-{file.id}/download/{file.name}",
            }
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    # -- files, response_url, Socket Mode ------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["team_file"].removeprefix(f"{TEAM_ID}-")
        token = self._token(request)
        await self._record(ApiCall("download", {"file": file_id}, token, request.path))
        file = self.files.get(file_id)
        if token != self.bot_token:
            # Slack answers its sign-in page, not the file, when the token is missing or wrong.
            return web.Response(text="<html>sign in</html>", content_type="text/html")
        if file is None:
            return web.Response(status=404)
        return web.Response(body=file.content, content_type=file.mimetype)

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(ApiCall("response_url", body, None, request.path))
        held = self._holds.get("response_url")
        if held is not None:
            await held.wait()
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async with self._changed:
            self._sockets.append(ws)
            self._changed.notify_all()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    async with self._changed:
                        self.socket_acks.append(json.loads(message.data))
                        self._changed.notify_all()
        finally:
            async with self._changed:
                self._sockets.remove(ws)
                self._changed.notify_all()
        return ws
