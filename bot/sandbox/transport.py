"""An httpx transport that calls the emulator in-process (no sockets).

For the demo and fast tests::

    sandbox = Sandbox()
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox") as http:
        ...

A dropped request raises :class:`httpx.RemoteProtocolError`, as a real
server closing the connection without answering would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from bot.sandbox.messages import SandboxRequest

if TYPE_CHECKING:
    from bot.sandbox.emulator import Sandbox


class SandboxTransport(httpx.AsyncBaseTransport):
    """Routes httpx requests to :meth:`bot.sandbox.Sandbox.handle`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request in-process."""
        body = await request.aread()
        core_request = SandboxRequest.from_raw(
            request.method,
            request.url.path,
            request.url.query.decode("ascii", "replace"),
            request.headers.multi_items(),
            body,
        )
        answer = await self.sandbox.handle(core_request)
        if answer.drop:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)
