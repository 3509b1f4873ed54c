"""A fake Telegram Bot API server for tests and benchmarks.

An aiohttp server on ``127.0.0.1`` (random port) that speaks enough of the Bot
API for a bot built with ``TelegramAPIServer.from_base(fake.base_url)``:

* methods: ``getMe``, ``getUpdates`` (long polling from a queue the test fills,
  with Telegram's offset confirmation; a newer ``getUpdates`` ends an older one
  with 409), ``setWebhook``/``deleteWebhook``/``getWebhookInfo`` (with a webhook
  set, new updates are POSTed to it with the secret header, one at a time, in
  order; the answers are kept in :attr:`FakeTelegram.webhook_responses`, not
  retried), ``setMyCommands``/``getMyCommands``/``deleteMyCommands``,
  ``sendMessage``, ``editMessageText``, ``editMessageReplyMarkup``,
  ``deleteMessage``, ``answerCallbackQuery``, ``sendChatAction``, ``getFile``;
  files download from ``/file/bot<token>/<path>``;
* answers are real Bot API JSON (``{"ok": true, "result": ...}``) with
  Telegram's errors: 400 "message is not modified", "chat not found",
  "message to edit not found", "file is too big", "query is too old"...,
  401 for a wrong token, 409 for a competing ``getUpdates``;
* faults on demand: :meth:`FakeTelegram.fail_next` (429 with ``retry_after``,
  403, 500...), :meth:`~FakeTelegram.block` (sending to the user answers 403),
  :meth:`~FakeTelegram.hold_downloads` (a slow file server);
* every call is recorded on arrival (:attr:`FakeTelegram.calls`: method,
  decoded parameters, status, time), every download too
  (:attr:`FakeTelegram.downloads`), the command menus in
  :attr:`FakeTelegram.commands` (by language code, ``""`` for the default).

Tests inject what users do: :meth:`~FakeTelegram.send_text` (and commands),
:meth:`~FakeTelegram.press` (a button of the newest message that has it, or of
a snapshot of an older message), :meth:`~FakeTelegram.send_photo` (three sizes),
:meth:`~FakeTelegram.send_document`, :meth:`~FakeTelegram.send_album` (a media
group), :meth:`~FakeTelegram.send_message` (any other content),
:meth:`~FakeTelegram.block_bot`/:meth:`~FakeTelegram.restart_bot`
(``my_chat_member``) and :meth:`~FakeTelegram.redeliver` (the same
``update_id`` again). They wait for the bot to take updates with
:meth:`~FakeTelegram.delivered` and read the chat as the user sees it with
:meth:`~FakeTelegram.bot_messages`, :meth:`~FakeTelegram.menu` and
:meth:`~FakeTelegram.texts`.

Usage::

    async with FakeTelegram() as tg:
        ann = tg.user(first_name="Ann", language_code="pl")
        bot = Bot(tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
        ...
        await tg.delivered(tg.send_text(ann, "/start"))
        assert tg.menu(ann.chat_id).labels
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from aiohttp import web

DEFAULT_TOKEN: Final = "123456789:AAFakeTokenForTestsOnly-abcdefghij"
MAX_DOWNLOAD: Final = 20 * 1024 * 1024
MAX_TEXT: Final = 4096  # UTF-16 code units, as Telegram counts
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"

_JSON_FIELDS: Final = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)
_INT_FIELDS: Final = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time"}
)
_BOOL_FIELDS: Final = frozenset(
    {"drop_pending_updates", "show_alert", "disable_notification", "protect_content", "is_disabled"}
)
_FORBIDDEN: Final = "Forbidden: bot was blocked by the user"


# ---------------------------------------------------------------------------- values


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request the bot made: the method as called, its decoded parameters, our status.

    Calls are recorded when they arrive (``at``); ``status`` is 0 while the
    answer is pending (a long poll), then the HTTP status the fake answered.
    """

    method: str
    params: dict[str, Any]
    status: int
    at: float


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user (and their private chat with the bot, whose id is the user's id)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    @property
    def chat_id(self) -> int:
        """The id of the user's private chat with the bot."""
        return self.id

    def to_json(self) -> dict[str, Any]:
        """The user as the Bot API's ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_json(self) -> dict[str, Any]:
        """The private chat as the Bot API's ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True)
class Button:
    """An inline keyboard button: its label and callback data (or the URL of the Mini App it opens)."""

    text: str
    data: str | None
    web_app: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    """A snapshot of one message in a chat, as the user sees it (``text`` is ``""`` for media without one)."""

    message_id: int
    chat_id: int
    from_bot: bool
    text: str
    buttons: tuple[tuple[Button, ...], ...]
    edits: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        """Every button label, row by row."""
        return [b.text for row in self.buttons for b in row]

    def button(self, label: str) -> Button:
        """The button labelled ``label`` (exact, else the only one containing it, case-insensitive)."""
        found = _find_button(self, label)
        if found is None:
            raise AssertionError(f"no button {label!r} in message {self.message_id}; buttons: {self.labels}")
        return found


@dataclass(frozen=True)
class PhotoFile:
    """An album item: a photo (``content`` is the largest size)."""

    content: bytes
    declared_size: int | None = None


@dataclass(frozen=True)
class DocumentFile:
    """An album item: a document."""

    content: bytes
    filename: str
    mime: str | None = None
    declared_size: int | None = None


@dataclass
class Injected:
    """An update the test injected (see :meth:`FakeTelegram.delivered`, :meth:`FakeTelegram.redeliver`)."""

    update_id: int
    payload: dict[str, Any]
    forced: bool = False
    returned_at_poll: int | None = None
    confirmed: bool = False
    pushed_status: int | None = None

    @property
    def message_id(self) -> int | None:
        """The id of the user's message this update carries (``None`` for presses)."""
        message = self.payload.get("message")
        return None if message is None else int(message["message_id"])


@dataclass(frozen=True)
class _Failure:
    status: int
    description: str
    retry_after: int | None


@dataclass
class _StoredFile:
    file_id: str
    unique_id: str
    content: bytes
    size: int
    path: str


class _ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _find_button(message: ChatMessage, label: str) -> Button | None:
    buttons = [b for row in message.buttons for b in row]
    for button in buttons:
        if button.text == label:
            return button
    wanted = label.casefold()
    partial = [b for b in buttons if wanted in b.text.casefold()]
    return partial[0] if len(partial) == 1 else None


def _buttons(markup: dict[str, Any] | None) -> tuple[tuple[Button, ...], ...]:
    if not markup:
        return ()
    return tuple(
        tuple(
            Button(b.get("text", ""), b.get("callback_data"), (b.get("web_app") or {}).get("url"))
            for b in row
        )
        for row in markup.get("inline_keyboard", [])
    )


# ---------------------------------------------------------------------------- server


class FakeTelegram:
    """The fake Bot API server (see the module docstring)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "zadarma_numbers_test_bot",
        bot_name: str = "Zadarma Numbers",
        poll_timeout_cap: float = 30.0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_name = bot_name
        self._poll_cap = poll_timeout_cap
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_responses: list[tuple[int, int]] = []
        self._users: dict[int, FakeUser] = {}
        self._blocked: set[int] = set()
        self._messages: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        self._edits: dict[tuple[int, int], int] = defaultdict(int)
        self._next_message_id: dict[int, int] = defaultdict(lambda: 1)
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, _StoredFile] = {}
        self._queries: dict[str, bool] = {}
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._pending: list[Injected] = []
        self._push_queue: asyncio.Queue[Injected] | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._update_ids = itertools.count(100_001)
        self._user_ids = itertools.count(7_000_001)
        self._ids = itertools.count(1)
        self._polls = 0
        self._poll_generation = 0
        self._new_update = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._downloads_open = asyncio.Event()
        self._downloads_open.set()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.base_url = ""

    # ------------------------------------------------------------------ lifetime
    async def start(self) -> str:
        """Serve on a free port of 127.0.0.1; returns the base URL for ``TelegramAPIServer.from_base``."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        """Stop serving; pending long polls return at once."""
        self._closing.set()
        self._new_update.set()
        self._downloads_open.set()
        if self._pusher is not None:
            self._pusher.cancel()
            await asyncio.gather(self._pusher, return_exceptions=True)
            self._pusher = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ users and updates
    def user(
        self,
        user_id: int | None = None,
        first_name: str = "Ann",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """A new user who has a private chat with the bot."""
        user = FakeUser(
            user_id if user_id is not None else next(self._user_ids),
            first_name,
            last_name,
            username,
            language_code,
        )
        self._users[user.id] = user
        return user

    def send_text(self, user: FakeUser, text: str) -> Injected:
        """The user types ``text`` (a ``/command`` gets its ``bot_command`` entity)."""
        message = self._user_message(user)
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._inject({"message": message})

    def send_command(self, user: FakeUser, command: str, args: str = "") -> Injected:
        """The user sends ``/command args``."""
        return self.send_text(user, f"/{command.lstrip('/')}" + (f" {args}" if args else ""))

    def press(
        self,
        user: FakeUser,
        label: str | None = None,
        *,
        message: ChatMessage | None = None,
        data: str | None = None,
    ) -> Injected:
        """The user presses a button.

        By default the button labelled ``label`` in the newest bot message that
        has one; ``message`` presses on that message (a snapshot, so a button
        of an old version of a message can be pressed); ``data`` sends that
        callback data instead of a button's.
        """
        target = message
        if target is None:
            target = self._message_with(user.chat_id, label) if label is not None else self.menu(user.chat_id)
        if data is None:
            if label is None:
                raise ValueError("give a label or data")
            button = target.button(label)
            if button.web_app is not None:
                raise AssertionError(f"{label!r} opens the Mini App; it sends the bot no press")
            data = button.data
        query_id = str(next(self._ids) * 7919)
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": copy.deepcopy(target.raw),
            "chat_instance": f"-{user.chat_id}0",
            "data": data,
        }
        self._queries[query_id] = False
        return self._inject({"callback_query": query})

    def send_message(self, user: FakeUser, **content: Any) -> Injected:
        """The user sends a message with any other content (``location={...}``, ``sticker={...}``)."""
        message = self._user_message(user)
        message.update(content)
        return self._inject({"message": message})

    def block_bot(self, user: FakeUser) -> Injected:
        """The user blocks the bot: sending to them answers 403, and a ``my_chat_member`` update says so."""
        self._blocked.add(user.chat_id)
        return self._membership(user, "member", "kicked")

    def restart_bot(self, user: FakeUser) -> Injected:
        """The user unblocks the bot (presses Start again): a ``my_chat_member`` update says so."""
        self._blocked.discard(user.chat_id)
        return self._membership(user, "kicked", "member")

    def _membership(self, user: FakeUser, old: str, new: str) -> Injected:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"user": self._bot_user(), "status": status}
            if status == "kicked":
                data["until_date"] = 0
            return data

        update = {
            "chat": user.chat_json(),
            "from": user.to_json(),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return self._inject({"my_chat_member": update})

    def send_photo(
        self,
        user: FakeUser,
        content: bytes,
        *,
        declared_size: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> Injected:
        """The user sends a photo; Telegram offers three sizes, ``content`` being the largest."""
        message = self._user_message(user)
        message["photo"] = self._photo_sizes(content, declared_size)
        if caption:
            message["caption"] = caption
        if media_group_id:
            message["media_group_id"] = media_group_id
        return self._inject({"message": message})

    def send_document(
        self,
        user: FakeUser,
        content: bytes,
        filename: str | None,
        mime: str | None = None,
        *,
        declared_size: int | None = None,
        media_group_id: str | None = None,
    ) -> Injected:
        """The user sends a file as a document (``declared_size`` overrides the size Telegram reports)."""
        message = self._user_message(user)
        stored = self._store_file(content, declared_size)
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": stored.size,
        }
        if filename:
            document["file_name"] = filename
        if mime:
            document["mime_type"] = mime
        message["document"] = document
        if media_group_id:
            message["media_group_id"] = media_group_id
        return self._inject({"message": message})

    def send_album(self, user: FakeUser, items: Sequence[PhotoFile | DocumentFile]) -> list[Injected]:
        """The user sends several files at once: one message (and update) per item, one media group."""
        group = str(next(self._ids) * 1_000_003)
        injected = []
        for item in items:
            if isinstance(item, PhotoFile):
                injected.append(
                    self.send_photo(
                        user, item.content, declared_size=item.declared_size, media_group_id=group
                    )
                )
            else:
                injected.append(
                    self.send_document(
                        user,
                        item.content,
                        item.filename,
                        item.mime,
                        declared_size=item.declared_size,
                        media_group_id=group,
                    )
                )
        return injected

    def redeliver(self, injected: Injected) -> Injected:
        """Deliver the same update (same ``update_id``) again, as Telegram does after a timeout."""
        again = Injected(injected.update_id, copy.deepcopy(injected.payload), forced=True)
        self._enqueue(again)
        return again

    async def delivered(self, *injected: Injected, within: float = 5.0) -> None:
        """Wait until the bot has taken these updates.

        Polling: the bot asked for the next updates after receiving them (so it
        has started handling them). Webhook: the bot answered their POST.
        """
        await self.wait_for(
            lambda: all(i.confirmed or i.pushed_status is not None for i in injected),
            within=within,
            what=f"delivery of updates {[i.update_id for i in injected]}",
        )

    # ------------------------------------------------------------------ reading the chat
    def bot_messages(self, chat_id: int, *, last: int | None = None) -> list[ChatMessage]:
        """The bot's messages in a chat (only the ``last`` ones if given), oldest first, as they look now."""
        raw = [m for m in self._messages[chat_id].values() if m["from"].get("is_bot")]
        return [self._snapshot(m) for m in (raw[-last:] if last is not None else raw)]

    def messages(self, chat_id: int) -> list[ChatMessage]:
        """Every message of a chat (the user's and the bot's), oldest first."""
        return [self._snapshot(m) for m in self._messages[chat_id].values()]

    def last_bot_message(self, chat_id: int) -> ChatMessage:
        """The bot's newest message in a chat."""
        messages = self.bot_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def menu(self, chat_id: int) -> ChatMessage:
        """The bot's newest message in a chat that has buttons."""
        for raw in reversed(self._messages[chat_id].values()):
            if raw["from"].get("is_bot"):
                message = self._snapshot(raw)
                if message.buttons:
                    return message
        raise AssertionError(f"no message with buttons in chat {chat_id}")

    def pending_count(self) -> int:
        """Injected updates the bot has not confirmed yet (by a later ``getUpdates`` offset)."""
        return len(self._pending)

    def texts(self, chat_id: int) -> list[str]:
        """The texts of the bot's messages in a chat, oldest first."""
        return [m.text for m in self.bot_messages(chat_id)]

    def calls_to(self, method: str, **params: Any) -> list[ApiCall]:
        """Recorded calls of ``method`` (case-insensitive) whose parameters include ``params``."""
        name = method.lower()
        return [
            c
            for c in self.calls
            if c.method.lower() == name and all(c.params.get(k) == v for k, v in params.items())
        ]

    def count(self, method: str, **params: Any) -> int:
        """How many calls of ``method`` (with ``params``) were made."""
        return len(self.calls_to(method, **params))

    async def wait_for(self, predicate: Callable[[], bool], *, within: float = 5.0, what: str = "") -> None:
        """Wait until ``predicate()`` holds (re-checked whenever the bot calls or state changes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {within} s waiting for {what or predicate}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.25))

    async def wait_for_call(
        self, method: str, count: int = 1, *, within: float = 5.0, **params: Any
    ) -> ApiCall:
        """Wait until ``method`` (with ``params``) was called ``count`` times; returns the last such call."""
        await self.wait_for(lambda: self.count(method, **params) >= count, within=within, what=method)
        return self.calls_to(method, **params)[-1]

    # ------------------------------------------------------------------ faults
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``status``.

        A 429 carries ``retry_after`` (1 second unless given), as Telegram's flood control does.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or {
            429: f"Too Many Requests: retry after {retry_after}",
            403: _FORBIDDEN,
            400: "Bad Request: something is wrong",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Error")
        for _ in range(times):
            self._failures[method.lower()].append(_Failure(status, text, retry_after))

    def hold_downloads(self) -> None:
        """Make file downloads wait (a slow file server) until :meth:`release_downloads`."""
        self._downloads_open.clear()

    def release_downloads(self) -> None:
        """Let held and later downloads through."""
        self._downloads_open.set()

    def block(self, user: FakeUser) -> None:
        """The user blocks the bot: sending to their chat answers 403."""
        self._blocked.add(user.chat_id)

    def unblock(self, user: FakeUser) -> None:
        """The user unblocks the bot."""
        self._blocked.discard(user.chat_id)

    # ------------------------------------------------------------------ HTTP
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        index = len(self.calls)
        self.calls.append(ApiCall(method, params, 0, time.monotonic()))
        self._changed.set()
        if request.match_info["token"] != self.token:
            return self._answer(index, _ApiError(401, "Unauthorized"))
        failures = self._failures.get(method.lower())
        if failures:
            failure = failures.popleft()
            return self._answer(index, _ApiError(failure.status, failure.description, failure.retry_after))
        handler = self._methods().get(method.lower())
        if handler is None:
            return self._answer(index, _ApiError(404, "Not Found: method not found"))
        try:
            result = await handler(params)
        except _ApiError as error:
            return self._answer(index, error)
        return self._answer(index, result)

    def _answer(self, index: int, outcome: Any) -> web.Response:
        if isinstance(outcome, _ApiError):
            body: dict[str, Any] = {
                "ok": False,
                "error_code": outcome.status,
                "description": outcome.description,
            }
            if outcome.retry_after is not None:
                body["parameters"] = {"retry_after": outcome.retry_after}
            status = outcome.status
        else:
            body = {"ok": True, "result": outcome}
            status = 200
        self.calls[index] = dataclasses.replace(self.calls[index], status=status)
        self._changed.set()
        return web.json_response(body, status=status)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                data = await request.json()
                return {**raw, **data} if isinstance(data, dict) else raw
            form = await request.post()
            for key, value in form.items():
                raw[key] = value if isinstance(value, str) else getattr(value, "filename", "file")
        return {key: self._decode(key, value) for key, value in raw.items()}

    @staticmethod
    def _decode(key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if key in _JSON_FIELDS:
            try:
                return json.loads(value)
            except ValueError:
                return value
        if key in _INT_FIELDS:
            try:
                return int(value)
            except ValueError:
                return value
        if key in _BOOL_FIELDS:
            return value.lower() == "true"
        return value

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        stored = self._file_paths.get(path)
        if stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        self.downloads.append(path)
        self._changed.set()
        await self._downloads_open.wait()
        return web.Response(body=stored.content, content_type="application/octet-stream")

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
        }

    # ------------------------------------------------------------------ methods
    async def _get_me(self, _: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._polls += 1
        poll = self._polls
        self._poll_generation += 1
        generation = self._poll_generation
        offset = params.get("offset")
        if isinstance(offset, int):
            self._confirm(offset, poll)
        raw_limit = params.get("limit")
        limit = max(1, min(raw_limit, 100)) if isinstance(raw_limit, int) else 100
        timeout = float(params.get("timeout") or 0)
        deadline = asyncio.get_running_loop().time() + min(timeout, self._poll_cap)
        while True:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = self._ready(offset if isinstance(offset, int) else None)[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if ready or remaining <= 0 or self._closing.is_set():
                for injected in ready:
                    injected.returned_at_poll = poll
                    injected.forced = False
                self._changed.set()
                return [copy.deepcopy(i.payload) for i in ready]
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), remaining)

    def _ready(self, offset: int | None) -> list[Injected]:
        forced = [i for i in self._pending if i.forced]
        regular = [i for i in self._pending if not i.forced and (offset is None or i.update_id >= offset)]
        return forced + regular

    def _confirm(self, offset: int, poll: int) -> None:
        # Updates below the offset are confirmed (if the bot received them) and forgotten.
        kept = []
        for injected in self._pending:
            if injected.forced or injected.update_id >= offset:
                kept.append(injected)
            elif injected.returned_at_poll is not None and injected.returned_at_poll < poll:
                injected.confirmed = True
        self._pending = kept

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        self.webhook_url = url
        self.webhook_secret = str(params.get("secret_token") or "")
        if url:
            self._poll_generation += 1  # a pending getUpdates ends with 409
            self._new_update.set()
            for injected in self._pending:
                self._push(injected)
            self._pending = []
        return True

    async def _delete_webhook(self, _: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = ""
        return True

    async def _get_webhook_info(self, _: dict[str, Any]) -> dict[str, Any]:
        pending = self._push_queue.qsize() if self._push_queue is not None else len(self._pending)
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": pending}

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            raise _ApiError(400, "Bad Request: commands must be a non-empty array")
        self.commands[str(params.get("language_code") or "")] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(str(params.get("language_code") or ""), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(str(params.get("language_code") or ""), None)
        return True

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            raise _ApiError(400, "Bad Request: message is too long")
        markup = self._markup(params)
        message = self._new_message(chat_id, self._bot_user(), self._users[chat_id].chat_json())
        message["text"] = text
        if markup:
            message["reply_markup"] = markup
        return copy.deepcopy(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        message = self._own_message(chat_id, params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        markup = self._markup(params)
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = text
        self._set_markup(message, markup)
        return self._edited(chat_id, message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        message = self._own_message(chat_id, params)
        markup = self._markup(params)
        if message.get("reply_markup") == markup:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )
        self._set_markup(message, markup)
        return self._edited(chat_id, message)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        message_id = params.get("message_id")
        if self._messages[chat_id].pop(message_id if isinstance(message_id, int) else -1, None) is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self._queries.get(query_id, True):
            raise _ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._queries[query_id] = True
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    # ------------------------------------------------------------------ helpers
    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_name, "username": self.bot_username}

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if not isinstance(chat_id, int) or chat_id not in self._users:
            raise _ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            raise _ApiError(403, _FORBIDDEN)
        return chat_id

    def _own_message(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message_id = params.get("message_id")
        message = self._messages[chat_id].get(message_id if isinstance(message_id, int) else -1)
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if not message["from"].get("is_bot"):
            raise _ApiError(400, "Bad Request: message can't be edited")
        return message

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if not button.get("text"):
                    raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                web_app = button.get("web_app")
                if web_app is not None and not str((web_app or {}).get("url", "")).startswith("https://"):
                    raise _ApiError(400, "Bad Request: BUTTON_URL_INVALID")  # Mini Apps open over https only
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup if markup["inline_keyboard"] else None

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _edited(self, chat_id: int, message: dict[str, Any]) -> dict[str, Any]:
        message["edit_date"] = int(time.time())
        self._edits[(chat_id, message["message_id"])] += 1
        return copy.deepcopy(message)

    def _new_message(self, chat_id: int, sender: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        message_id = self._next_message_id[chat_id]
        self._next_message_id[chat_id] = message_id + 1
        message = {"message_id": message_id, "from": sender, "chat": chat, "date": int(time.time())}
        self._messages[chat_id][message_id] = message
        return message

    def _user_message(self, user: FakeUser) -> dict[str, Any]:
        if user.id not in self._users:
            self._users[user.id] = user
        return self._new_message(user.chat_id, user.to_json(), user.chat_json())

    def _snapshot(self, message: dict[str, Any]) -> ChatMessage:
        chat_id = message["chat"]["id"]
        return ChatMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            from_bot=bool(message["from"].get("is_bot")),
            text=message.get("text") or message.get("caption") or "",
            buttons=_buttons(message.get("reply_markup")),
            edits=self._edits[(chat_id, message["message_id"])],
            raw=copy.deepcopy(message),
        )

    def _message_with(self, chat_id: int, label: str) -> ChatMessage:
        for message in reversed(self.bot_messages(chat_id)):
            if _find_button(message, label) is not None:
                return message
        labels = [m.labels for m in self.bot_messages(chat_id) if m.buttons]
        raise AssertionError(f"no button {label!r} in chat {chat_id}; buttons: {labels}")

    def _store_file(self, content: bytes, declared_size: int | None = None) -> _StoredFile:
        number = next(self._ids)
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:06d}fake",
            unique_id=f"AgAD{number:06d}",
            content=content,
            size=declared_size if declared_size is not None else len(content),
            path=f"documents/file_{number}.bin",
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.path] = stored
        return stored

    def _photo_sizes(self, content: bytes, declared_size: int | None) -> list[dict[str, Any]]:
        sizes = []
        for width, height, data in (
            (90, 60, b"\xff\xd8\xff\xe0thumbnail-90"),
            (320, 213, b"\xff\xd8\xff\xe0thumbnail-320" * 4),
            (1280, 853, content),
        ):
            last = width == 1280
            stored = self._store_file(data, declared_size if last else None)
            stored.path = f"photos/file_{stored.unique_id}.jpg"
            self._file_paths[stored.path] = stored
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.size,
                }
            )
        return sizes

    def _inject(self, body: dict[str, Any]) -> Injected:
        update_id = next(self._update_ids)
        injected = Injected(update_id, {"update_id": update_id, **body})
        self._enqueue(injected)
        return injected

    def _enqueue(self, injected: Injected) -> None:
        if self.webhook_url:
            self._push(injected)
        else:
            self._pending.append(injected)
            self._new_update.set()
        self._changed.set()

    def _push(self, injected: Injected) -> None:
        if self._push_queue is None:
            self._push_queue = asyncio.Queue()
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.create_task(self._push_loop())
        self._push_queue.put_nowait(injected)

    async def _push_loop(self) -> None:
        assert self._push_queue is not None
        while True:
            injected = await self._push_queue.get()
            if self._client is None:
                self._client = aiohttp.ClientSession()
            headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
            try:
                async with self._client.post(
                    self.webhook_url, json=injected.payload, headers=headers
                ) as response:
                    await response.read()
                    injected.pushed_status = response.status
            except aiohttp.ClientError:
                injected.pushed_status = 0
            self.webhook_responses.append((injected.update_id, injected.pushed_status))
            self._changed.set()
