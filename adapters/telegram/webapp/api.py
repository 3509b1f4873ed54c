"""The Mini App's routes: the page and its assets, and the JSON API on the customer's conversation.

``GET /webapp/`` serves the page, ``GET /webapp/app.js`` and ``/webapp/app.css``
its assets (shipped in the package, nothing fetched from elsewhere), each with
a strict Content-Security-Policy. The API:

* ``GET /webapp/api/state``: the current screen as the page shows it (:mod:`.payload`);
* ``POST /webapp/api/form`` ``{"form": token, "answers": {...}}``: checked first
  without changing anything (``engine.check_form``, as Slack's modal does):
  422 with the per-field errors, 409 when that form is no longer on screen;
  else applied as :class:`~conversations.events.FormSubmitted`;
* ``POST /webapp/api/upload`` (multipart: ``screen`` fingerprint, ``file``): the
  chat attachment's checks (:func:`bot.services.file_check.check_file`, 20 MB,
  type by content; 422 with the reason; 429 while the same user's previous
  upload is still on its way) and then the chat attachment's path, a
  :class:`~conversations.events.FileUpload` event (422 with what the chat was told
  when the same document is still asked for afterwards: it was not taken).

Every API request must carry ``Authorization: tma <initData>`` (:mod:`.auth`),
else 401; the conversation is always the init data's user's own private chat
with the bot, never one named in the request. After a change the resulting
screens are also sent to the chat (as any chat event's are), so chat and page agree.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.resources import files
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiohttp import BodyPartReader, web

from adapters.kit.download import FileTooBig, read_bounded
from adapters.telegram import texts
from adapters.telegram.presenter import Presenter
from adapters.telegram.sending import describe
from adapters.telegram.webapp.auth import InitDataCheck, InitDataRefused, WebAppUser
from adapters.telegram.webapp.payload import UNAUTHORIZED, Json, page_state, screen_fingerprint
from bot.coord import KeyLocks
from bot.services.errors import InvalidInput
from bot.services.file_check import MAX_UPLOAD_BYTES, check_file
from bot.services.types import ConversationKey
from conversations.context import error_text
from conversations.engine import ConversationEngine
from conversations.events import FileUpload, FormSubmitted
from conversations.i18n import Translator, translator
from conversations.screens import Screen

log = logging.getLogger("adapters.telegram.webapp")

PLATFORM = "telegram"
PREFIX = "/webapp"
ASSETS: dict[str, str] = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "app.css": "text/css",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors https://web.telegram.org"
)
"""No inline script or style, nothing from elsewhere; framed only by Telegram's web clients."""
MAX_FORM_BODY = 64 * 1024
MAX_ANSWERS = 100
MAX_ANSWER = 4000
MAX_UPLOAD_BODY = MAX_UPLOAD_BYTES + 1024 * 1024
"""A multipart body may be this big (the file and its envelope); a bigger one is refused unread."""
MAX_FIELD = 256


def _headers(content_type: str | None = None) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    if content_type:
        headers["Content-Type"] = f"{content_type}; charset=utf-8"
    return headers


def _json(status: int, body: Json) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), headers=_headers("application/json")
    )


def _asset(name: str) -> bytes:
    return files("adapters.telegram.webapp").joinpath("static", name).read_bytes()


class _Refusal(Exception):
    """An API request refused with ``status`` and a body."""

    def __init__(self, status: int, body: Json) -> None:
        super().__init__(body.get("error", ""))
        self.status = status
        self.body = body


class WebAppApi:
    """The page and its API over one engine; screens reach the chat through ``presenter``.

    ``locks`` are the ones the Telegram updates of a user run under, so what the page
    does and what the user types are shown in the chat in the order they happened.
    """

    def __init__(
        self,
        *,
        engine: ConversationEngine,
        presenter: Presenter,
        check: InitDataCheck,
        locks: KeyLocks,
    ) -> None:
        self._engine = engine
        self._presenter = presenter
        self._check = check
        self._locks = locks
        self._assets = {name: _asset(name) for name in ASSETS}
        self._uploading: set[int] = set()  # users with an upload being received or handled

    def receiving(self, user_id: int) -> bool:
        """Whether an upload of the Telegram user ``user_id`` is being received or handled now."""
        return user_id in self._uploading

    def install(self, app: web.Application) -> None:
        """Add the page's and the API's routes to ``app``."""
        app.router.add_get(PREFIX, self._redirect)
        app.router.add_get(PREFIX + "/", self._page)
        app.router.add_get(PREFIX + "/api/state", self._guarded(self._state))
        app.router.add_post(PREFIX + "/api/form", self._guarded(self._form))
        app.router.add_post(PREFIX + "/api/upload", self._guarded(self._upload))
        app.router.add_get(PREFIX + "/{asset}", self._static)

    # ------------------------------------------------------------------ the page
    async def _redirect(self, _: web.Request) -> web.Response:
        raise web.HTTPFound(PREFIX + "/")

    async def _page(self, _: web.Request) -> web.Response:
        return web.Response(body=self._assets["index.html"], headers=_headers(ASSETS["index.html"]))

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["asset"]
        if name not in ASSETS or name == "index.html":
            raise web.HTTPNotFound()
        return web.Response(body=self._assets[name], headers=_headers(ASSETS[name]))

    # ------------------------------------------------------------------ the API
    def _guarded(
        self, handler: Callable[[web.Request, WebAppUser], Awaitable[web.Response]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def guarded(request: web.Request) -> web.Response:
            try:
                user = self._check.user(request.headers.get("Authorization"))
            except InitDataRefused as refused:
                log.info("mini app request refused", extra={"reason": refused.reason})
                language = texts.pick_language(request.headers.get("Accept-Language", "").split(",")[0])
                message = translator(language).gettext(UNAUTHORIZED)
                return _json(401, {"error": "unauthorized", "message": message})
            try:
                return await handler(request, user)
            except _Refusal as refusal:
                return _json(refusal.status, refusal.body)
            except Exception:
                log.exception("mini app request failed")
                language = texts.pick_language(user.language_code)
                return _json(500, {"error": "failed", "message": texts.message(language, "error")})

        return guarded

    @staticmethod
    def _key(user: WebAppUser) -> ConversationKey:
        # Mini App buttons are only shown in the user's private chat, whose id is the user's.
        return ConversationKey(PLATFORM, str(user.id), str(user.id))

    async def _tr(self, key: ConversationKey, user: WebAppUser) -> Translator:
        return translator(await self._engine.language_of(key, locale=user.language_code))

    async def _state(self, _: web.Request, user: WebAppUser) -> web.Response:
        key = self._key(user)
        screens = await self._engine.current(key, locale=user.language_code)
        return _json(200, page_state(await self._tr(key, user), screens))

    async def _form(self, request: web.Request, user: WebAppUser) -> web.Response:
        token, answers = await _form_body(request)
        key = self._key(user)
        submitted = FormSubmitted(answers, form=token)
        async with self._locks.hold(key.user_id):
            errors = await self._engine.check_form(key, submitted, locale=user.language_code)
            tr = await self._tr(key, user)
            if errors is None:
                await self._expired(key, user, tr)
            if errors:
                refused = {"error": "invalid", "message": tr.gettext("form.refused"), "errors": errors}
                return _json(422, refused)
            screens = await self._engine.handle(key, submitted, locale=user.language_code)
            await self._show(key, screens, tr)
        return _json(200, page_state(tr, screens))

    async def _upload(self, request: web.Request, user: WebAppUser) -> web.Response:
        key = self._key(user)
        tr = await self._tr(key, user)
        if request.content_length is not None and request.content_length > MAX_UPLOAD_BODY:
            raise _Refusal(413, {"error": "too_big", "message": _too_big(tr)})
        if user.id in self._uploading:  # one at a time: each may hold up to 20 MB in memory
            raise _Refusal(429, {"error": "busy", "message": tr.gettext("webapp.busy")})
        self._uploading.add(user.id)
        try:
            return await self._receive(request, user, key, tr)
        finally:
            self._uploading.discard(user.id)

    async def _receive(
        self, request: web.Request, user: WebAppUser, key: ConversationKey, tr: Translator
    ) -> web.Response:
        screen, filename, content = await _upload_body(request, tr)
        async with self._locks.hold(key.user_id):
            current = (await self._engine.current(key, locale=user.language_code))[-1]
            if current.expects != "file" or screen_fingerprint(current) != screen:
                await self._expired(key, user, tr)
            try:
                await check_file(filename, content)  # what a chat attachment is checked with, said here
            except InvalidInput as exc:
                raise _Refusal(422, {"error": "invalid", "message": error_text(tr, exc)}) from None
            upload = FileUpload(filename=filename, content=content, declared_size=len(content))
            screens = await self._engine.handle(key, upload, locale=user.language_code)
            await self._show(key, screens, tr)
        state = page_state(tr, screens)
        if screens[-1].expects == "file" and screen_fingerprint(screens[-1]) == screen:
            # Still asked for the same document: not taken (Zadarma refused it, or could not be reached).
            message = "\n".join(state["notes"]) or tr.gettext("telegram.error")
            return _json(422, {"error": "not_taken", "message": message, "state": state})
        return _json(200, state)

    async def _expired(self, key: ConversationKey, user: WebAppUser, tr: Translator) -> None:
        """The page showed something no longer on screen: 409 with what is current now."""
        screens = await self._engine.current(key, locale=user.language_code)
        state = page_state(tr, screens)
        raise _Refusal(409, {"error": "expired", "message": tr.gettext("webapp.changed"), "state": state})

    async def _show(self, key: ConversationKey, screens: list[Screen], tr: Translator) -> None:
        """The screens in the chat as well, as after any chat event (a failure is logged, not raised)."""
        try:
            await self._presenter.show(int(key.chat_id), screens, language=tr.language)
        except TelegramAPIError as error:
            log.warning("could not show the mini app's result in the chat", extra={"error": describe(error)})
            return
        await self._engine.acknowledge(key, screens)


def _too_big(tr: Translator) -> str:
    limit = texts.human_size(MAX_UPLOAD_BYTES)
    return tr.gettext("telegram.file_too_big", size=f"> {limit}", limit=limit)


async def _form_body(request: web.Request) -> tuple[str, dict[str, str]]:
    """``(token, answers)`` of a form submission; 400 for anything else."""
    bad = _Refusal(400, {"error": "bad_request"})
    if request.content_length is None or request.content_length > MAX_FORM_BODY:
        raise bad
    try:
        body: Any = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(body, dict):
        raise bad
    token, answers = body.get("form"), body.get("answers")
    if not isinstance(token, str) or not token or not isinstance(answers, dict):
        raise bad
    if len(answers) > MAX_ANSWERS or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_ANSWER for k, v in answers.items()
    ):
        raise bad
    return token, dict(answers)


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(64 * 1024):
        yield chunk


async def _upload_body(request: web.Request, tr: Translator) -> tuple[str, str, bytes]:
    """``(screen fingerprint, file name, content)`` of a multipart upload, the file read bounded."""
    bad = _Refusal(400, {"error": "bad_request"})
    screen = ""
    filename = ""
    content: bytes | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise bad
            if part.name == "screen":
                screen = (await read_bounded(_chunks(part), MAX_FIELD)).decode("utf-8", "replace")
            elif part.name == "file" and content is None:
                filename = (part.filename or "document")[:MAX_FIELD]
                try:
                    content = await read_bounded(_chunks(part), MAX_UPLOAD_BYTES)
                except FileTooBig:
                    raise _Refusal(413, {"error": "too_big", "message": _too_big(tr)}) from None
            else:
                await part.release()
    except FileTooBig:  # a field other than the file over its small limit
        raise bad from None
    except (AssertionError, ValueError, KeyError):  # not multipart, or malformed
        raise bad from None
    if not screen or content is None:
        raise bad
    return screen, filename, content
