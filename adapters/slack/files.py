"""Fetching a file shared with the bot: ``files.info``, then ``url_private_download`` with the bot token.

The size Slack reports is checked before anything is downloaded, and the
download itself is the kit's bounded read (:mod:`adapters.kit.download`),
which stops as soon as it passes the limit. The content stays in
memory and is handed to the conversation as a :class:`FileUpload`; it is
never logged or written to disk. The bot token is only ever sent to Slack's
own hosts (or the configured API host, for a test double).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.kit.download import DownloadError, FileTooBig, check_declared, read_response
from bot.services.file_check import MAX_UPLOAD_BYTES
from conversations.events import FileUpload

log = logging.getLogger("adapters.slack.files")

__all__ = ["FileFetchError", "FileTooBig", "SlackFileFetcher"]

MAX_REDIRECTS = 3
DOWNLOAD_TIMEOUT = 60.0


FileFetchError = DownloadError
"""The file could not be fetched; ``reason`` is short and safe to log (:class:`FileTooBig` is one)."""


class SlackFileFetcher:
    """Turns a shared file's id into a :class:`FileUpload` (bounded size, bot token as bearer)."""

    def __init__(
        self,
        client: AsyncWebClient,
        bot_token: str,
        *,
        max_bytes: int = MAX_UPLOAD_BYTES,
        extra_trusted_host: str = "",
    ) -> None:
        self._client = client
        self._token = bot_token
        self.max_bytes = max_bytes
        self._extra_host = extra_trusted_host.lower()

    def trusted(self, url: str) -> bool:
        """Whether the bot token may be sent to ``url`` (Slack's hosts or the configured API host)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc = parts.netloc.lower()
        if parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
            return True
        return bool(self._extra_host) and netloc == self._extra_host

    async def info(self, file_id: str) -> dict[str, Any]:
        """The file object from ``files.info``."""
        try:
            response = await self._client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else "unknown"
            raise FileFetchError(f"files.info failed: {error}") from None
        file = response.get("file")
        if not isinstance(file, dict):
            raise FileFetchError("files.info returned no file")
        return file

    async def fetch(self, file_id: str) -> FileUpload:
        """Look the file up, refuse it when too big, download it into memory."""
        file = await self.info(file_id)
        size = file.get("size")
        declared = int(size) if isinstance(size, int | str) and str(size).isdigit() else None
        check_declared(declared, self.max_bytes)
        url = file.get("url_private_download") or file.get("url_private")
        if not isinstance(url, str) or not url:
            raise FileFetchError("the file has no download address")
        content = await self.download(url)
        name = str(file.get("name") or file.get("title") or "document")
        mime = file.get("mimetype")
        return FileUpload(
            filename=name,
            content=content,
            mime=str(mime) if mime else None,
            declared_size=declared if declared is not None else len(content),
        )

    async def download(self, url: str) -> bytes:
        """GET ``url`` with the bot token, following a few redirects between trusted hosts only."""
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
        headers = {"Authorization": f"Bearer {self._token}"}
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                if not self.trusted(url):
                    raise FileFetchError("refusing to send the token to an unknown host")
                async with session.get(url, headers=headers, allow_redirects=False) as response:
                    if response.status in {301, 302, 303, 307, 308}:
                        url = urljoin(url, response.headers.get("Location", ""))
                        continue
                    if response.status != 200:
                        raise FileFetchError(f"download answered HTTP {response.status}")
                    if response.content_type == "text/html":
                        # Slack answers a login page instead of the file when the token is not accepted.
                        raise FileFetchError("download answered a web page instead of the file")
                    return await read_response(response, self.max_bytes)
        raise FileFetchError("too many redirects")
