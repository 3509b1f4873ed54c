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

The calls the bot makes on every update (sending, editing, answering a press)
go as :class:`PreparedCall`: their fields written as plain data by the caller,
without an aiogram method model to validate them on the way in and dump them
on the way out; the bot's defaults are added as for aiogram's own method, and
a reply that says ``ok`` is read only as far as the caller asks. A
``getUpdates`` result comes with each update's JSON object as received
(:class:`~adapters.telegram.received.ReceivedUpdates`), for the inbox to keep.
"""

from __future__ import annotations

import datetime
import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, Final, cast

import orjson
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile, TelegramObject
from aiohttp import ClientError, ClientTimeout

from adapters.telegram.received import ReceivedUpdates, update_texts

__all__ = ["JsonBodySession", "PreparedCall", "dumps_text"]

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


class PreparedCall(TelegramMethod[Any]):
    """A Bot API call whose parameters the caller wrote as plain JSON data.

    A subclass names the aiogram method it stands for (``shape``, whose
    ``__api_method__`` it is); :class:`JsonBodySession` sends ``fields``
    with the bot's defaults for ``shape`` added, leaving out ``None`` and
    empty texts as for any call, and returns :meth:`read` of the reply's
    ``result``. A refusal, or a reply that is not plainly ``ok``, goes through
    aiogram's ``check_response``, so its errors are aiogram's own.
    """

    __returning__ = Any
    shape: ClassVar[type[TelegramMethod[Any]]]
    fields: dict[str, Any]

    if TYPE_CHECKING:
        __api_method__: ClassVar[str]
    else:

        @property
        def __api_method__(self) -> str:
            return self.shape.__api_method__

    def read(self, result: Any) -> Any:
        """The call's result from the reply's ``result``; ``ValueError`` when the bot cannot use it."""
        return result

    def model_dump(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Refused: only :class:`JsonBodySession` knows how to send a prepared call.

        aiogram's own session writes a method's form from ``model_dump``; it would
        send ``fields`` as one parameter of that name, so it fails loudly instead.
        """
        raise TypeError(f"{type(self).__name__} is sent only through JsonBodySession")


class JsonBodySession(AiohttpSession):
    """An :class:`AiohttpSession` that sends each Bot API call as one JSON body.

    Request middlewares, timeouts, proxies and error types are aiogram's; only
    the body's encoding differs, and only for calls without a file to upload.
    """

    def __init__(self, api: TelegramAPIServer = PRODUCTION, **kwargs: Any) -> None:
        super().__init__(api=api, json_loads=orjson.loads, json_dumps=dumps_text, **kwargs)
        self._defaults: dict[type[TelegramMethod[Any]], tuple[Bot, dict[str, Any]]] = {}

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call's parameters as a JSON body, or None when it uploads a file."""
        if isinstance(method, PreparedCall):
            given = {**self.defaults(bot, method.shape), **method.fields}  # a value given, even None, wins
            return _dumps({k: v for k, v in given.items() if v is not None and v != ""})
        try:
            return _dumps(_fields(method.model_dump(warnings=False), bot))
        except _HasFile:
            return None

    def defaults(self, bot: Bot, shape: type[TelegramMethod[Any]]) -> dict[str, Any]:
        """What a ``shape`` call sends for every parameter its caller leaves out (the bot's defaults)."""
        known = self._defaults.get(shape)
        if known is not None and known[0] is bot:
            return known[1]
        defaults = {
            name: info.get_default(call_default_factory=True)
            for name, info in shape.model_fields.items()
            if not info.is_required()
        }
        found = _fields(defaults, bot)
        self._defaults[shape] = (bot, found)
        return found

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
        if isinstance(method, PreparedCall):
            return cast(TelegramType, self.read_reply(bot, method, resp.status, raw))
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=_text(raw))
        if isinstance(method, GetUpdates) and isinstance(response.result, list):
            return cast(TelegramType, ReceivedUpdates(response.result, _received_texts(raw)))
        return cast(TelegramType, response.result)

    def read_reply(self, bot: Bot, call: PreparedCall, status: int, raw: bytes) -> Any:
        """The result of ``call`` from its reply: :meth:`PreparedCall.read` of a plainly ``ok`` one.

        Anything else is read by aiogram's ``check_response``, which raises
        aiogram's error for a refusal or an unreadable reply.
        """
        try:
            reply = orjson.loads(raw)
        except orjson.JSONDecodeError:
            reply = None
        plainly_ok = isinstance(reply, dict) and reply.get("ok") is True
        if HTTPStatus.OK <= status <= HTTPStatus.IM_USED and plainly_ok:
            result = cast(dict[str, Any], reply).get("result")
        else:  # a refusal, or an answer only aiogram's (lax) reading takes as ok
            result = self.check_response(bot=bot, method=call, status_code=status, content=_text(raw)).result
        try:
            return call.read(result)
        except ValueError as e:
            raise ClientDecodeError("Failed to deserialize object", e, reply) from e


def _received_texts(raw: bytes) -> dict[int, str]:
    """Each update's JSON object of a ``getUpdates`` reply aiogram has accepted, by update id."""
    try:
        reply = orjson.loads(raw)
    except orjson.JSONDecodeError:  # read all the same by aiogram's lax reading: written from the models
        return {}
    return update_texts(reply.get("result")) if isinstance(reply, dict) else {}


def _text(raw: bytes) -> str:
    """A reply's text: the Bot API answers UTF-8; undecodable bytes are kept so the reader refuses them."""
    return raw.decode("utf-8", "surrogateescape")


def _fields(values: dict[str, Any], bot: Bot) -> dict[str, Any]:
    """``values`` as a call's JSON fields: plain data, without ``None`` and empty texts.

    aiogram's form leaves out None and the empty text (every other value is
    written as non-empty text, false and 0 included); so does the JSON body.
    """
    fields: dict[str, Any] = {}
    for key, value in values.items():
        plain = _plain(value, bot)
        if plain is not None and plain != "":
            fields[key] = plain
    return fields


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
