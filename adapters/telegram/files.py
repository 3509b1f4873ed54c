"""Fetching a customer's photo or document from Telegram into memory, size-bounded.

The size Telegram reports is checked before anything is downloaded (first in
the message, then in ``getFile``); the download itself is the kit's bounded
read (:mod:`adapters.kit.download`), which stops as soon as it passes the limit.
The bytes stay in memory and are never written to disk, and the download URL
(which holds the token) is never logged or raised.
"""

from __future__ import annotations

import aiohttp
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import GetFile

from adapters.kit.download import DownloadError, FileTooBig, check_declared, read_response
from adapters.telegram.sending import Sender
from adapters.telegram.translate import IncomingFile

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""The Bot API lets bots download files up to 20 MB; Zadarma takes the same."""

__all__ = ["MAX_DOWNLOAD_BYTES", "FileFetcher", "FileTooBig", "FileUnavailable"]

FileUnavailable = DownloadError
"""Telegram did not hand over the file; the reason says why (without the URL)."""


class FileFetcher:
    """Downloads files of incoming messages through the bot's own HTTP session."""

    def __init__(
        self,
        sender: Sender,
        session: AiohttpSession,
        *,
        limit: int = MAX_DOWNLOAD_BYTES,
        timeout: float = 60.0,
    ) -> None:
        self._sender = sender
        self._session = session
        self.limit = limit
        self._timeout = timeout

    def check_size(self, size: int | None) -> None:
        """Raise :class:`FileTooBig` when a reported ``size`` is over the limit (unknown sizes pass)."""
        check_declared(size, self.limit)

    async def fetch(self, file: IncomingFile) -> bytes:
        """The file's bytes; :class:`FileTooBig` or :class:`FileUnavailable` when it cannot be had."""
        self.check_size(file.size)
        try:
            info = await self._sender.call(GetFile(file_id=file.file_id))
        except TelegramBadRequest as error:
            if "too big" in error.message.lower():
                raise FileTooBig(file.size or self.limit + 1, self.limit) from None
            raise FileUnavailable(f"getFile refused: {error.message[:120]}") from None
        self.check_size(info.file_size)
        if not info.file_path:
            raise FileUnavailable("getFile returned no file path")
        return await self._download(info.file_path)

    async def _download(self, file_path: str) -> bytes:
        url = self._session.api.file_url(self._sender.bot.token, file_path)
        client = await self._session.create_session()
        try:
            async with client.get(url, timeout=aiohttp.ClientTimeout(total=self._timeout)) as response:
                if response.status != 200:
                    raise FileUnavailable(f"download answered HTTP {response.status}")
                return await read_response(response, self.limit)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise FileUnavailable(f"download failed: {type(error).__name__}") from None
