"""Serve the emulator over HTTP with aiohttp.

:func:`create_app` maps every request onto :meth:`bot.sandbox.Sandbox.handle`.
A response marked ``drop`` closes the connection without an answer, so the
client sees a disconnect (the request *was* handled: its outcome is unknown
to the client).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.sandbox.messages import SandboxRequest

if TYPE_CHECKING:
    from bot.sandbox.emulator import Sandbox

#: Large enough that an oversize (>20 MB) upload reaches the emulator's own check.
MAX_BODY_BYTES = 64 * 1024 * 1024

SANDBOX_KEY: web.AppKey[Sandbox] = web.AppKey("sandbox")


async def _dispatch(request: web.Request) -> web.StreamResponse:
    sandbox = request.app[SANDBOX_KEY]
    body = await request.read()
    core_request = SandboxRequest.from_raw(
        request.method, request.path, request.rel_url.raw_query_string, request.headers.items(), body
    )
    answer = await sandbox.handle(core_request)
    if answer.drop:
        # Abort the socket: the client sees a disconnect and no response. aiohttp
        # notices the closed transport and quietly discards the response below.
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=499)
    return web.Response(status=answer.status, body=answer.body, headers=answer.headers)


def create_app(sandbox: Sandbox) -> web.Application:
    """An aiohttp application serving ``sandbox`` (API and ``/_sandbox/`` control endpoints)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SANDBOX_KEY] = sandbox
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    return app
