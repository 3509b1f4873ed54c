"""The bot's Bot API session: aiogram's aiohttp session sending JSON bodies written by orjson.

aiogram's own session writes every call as an HTML form: each field is
dumped separately (nested objects such as a keyboard become a JSON text of
their own), then URL-encoded character by character, which costs about as
much CPU as the HTTP request itself. The Bot API takes the same parameters as
one ``application/json`` body; written by ``orjson`` it is a fraction of the
work. Everything else is aiogram's: the same fields are sent (``Default``
values resolved from the bot's defaults, ``None`` and empty texts left out
exactly as aiogram's form leaves them out), replies are checked and turned
into errors by aiogram's ``check_response`` (with ``orjson`` reading them),
and a call that uploads a file still goes as aiogram's multipart form.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Final, cast

import orjson
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile, TelegramObject
from aiohttp import ClientError, ClientTimeout

__all__ = ["JsonBodySession", "dumps_text"]

_JSON_HEADERS: Final = {"Content-Type": "application/json"}


class _HasFile(Exception):
    """Raised while writing a body that holds a file: such a call goes as a multipart form."""


def _dumps(value: Any) -> bytes:
    """``value`` as UTF-8 JSON, by ``orjson`` or (integers beyond 64 bits) by ``json``."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, ensure_ascii=False).encode()


def dumps_text(value: Any) -> str:
    """``value`` as JSON text (aiogram's ``json_dumps``, used for the fields of a multipart form)."""
    return _dumps(value).decode()


class JsonBodySession(AiohttpSession):
    """An :class:`AiohttpSession` that sends each Bot API call as one JSON body.

    Request middlewares, timeouts, proxies and error types are aiogram's; only
    the body's encoding differs, and only for calls without a file to upload.
    """

    def __init__(self, api: TelegramAPIServer = PRODUCTION, **kwargs: Any) -> None:
        super().__init__(api=api, json_loads=orjson.loads, json_dumps=dumps_text, **kwargs)

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call's parameters as a JSON body, or None when it uploads a file."""
        fields: dict[str, Any] = {}
        try:
            for key, value in method.model_dump(warnings=False).items():
                plain = _plain(value, bot)
                # aiogram's form leaves out None and the empty text (every other value is written
                # as non-empty text, false and 0 included); so does this body
                if plain is not None and plain != "":
                    fields[key] = plain
        except _HasFile:
            return None
        return _dumps(fields)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        """Send ``method`` and return its result; aiogram's errors on failure."""
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=_JSON_HEADERS,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw = await resp.read()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        # the Bot API answers UTF-8; undecodable bytes are kept so the reader refuses them
        content = raw.decode("utf-8", "surrogateescape")
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=content)
        return cast(TelegramType, response.result)


def _plain(value: Any, bot: Bot) -> Any:
    """``value`` as plain JSON data, the way aiogram's ``prepare_value`` prepares a form field.

    An enum member (aiogram's models hold their values, but a bot default may be
    one) is left to ``orjson``, which writes its value.
    """
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Default):
        return _plain(bot.default[value.name], bot)
    if isinstance(value, InputFile):
        raise _HasFile
    if isinstance(value, dict):
        return {k: p for k, v in value.items() if (p := _plain(v, bot)) is not None}
    if isinstance(value, (list, tuple)):
        return [p for v in value if (p := _plain(v, bot)) is not None]
    if isinstance(value, datetime.timedelta):
        return round((datetime.datetime.now() + value).timestamp())  # noqa: DTZ005 - as aiogram does
    if isinstance(value, datetime.datetime):
        return round(value.timestamp())
    if isinstance(value, TelegramObject):
        return _plain(value.model_dump(warnings=False), bot)
    return value
