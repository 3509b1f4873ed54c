"""Running parts side by side: one aiohttp web server, ``/healthz``, clean start and stop.

A *part* is anything the bot runs (Telegram, Slack, the alert scheduler). It
may add routes to the shared web application before the server starts, and it
reports its health for ``/healthz``.

Stopping drains first: on SIGTERM ``/healthz`` answers 503 (``"draining":
true``) at once while every request is still served as before, for
``drain_seconds`` (time for the load balancer's health check to take this
replica out); then the parts stop, each finishing its work in progress (the
Telegram part refuses new webhook updates with 503 and lets the running ones
finish), and the web server closes last. A second signal cuts the wait short.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.storage.errors import DatabaseServerError

log = logging.getLogger("bot.runtime")


class Part(Protocol):
    """One running component of the bot."""

    name: str
    required: bool

    def install_routes(self, app: web.Application) -> None:
        """Add HTTP routes (webhooks) to the shared web application."""

    async def start(self) -> None:
        """Start working (spawn background tasks; return promptly)."""

    async def stop(self) -> None:
        """Stop working and release resources."""

    def health(self) -> dict[str, Any]:
        """``{"ok": bool, ...}`` for ``/healthz``."""


HealthProbe = Callable[[], Awaitable[dict[str, Any]]]


def write_probe(
    write: Callable[[], Awaitable[object]], *, timeout: float = 4.0, reuse_for: float = 1.0
) -> HealthProbe:
    """A probe that makes one small real write (``write``) each time it is asked.

    Reading alone proves little: a store on a file system remounted
    read-only, a full disk or a failing device still answers reads. While the
    write fails (or takes longer than ``timeout`` seconds) the probe reports
    ``{"ok": False, "error": <class>, "reason": <the driver's short message>}``;
    the first write that succeeds again reports ``ok``. The default timeout
    stays under the container health check's 5 s. A result younger than
    ``reuse_for`` seconds is reused, so a flood of ``/healthz`` requests makes
    at most one write per that period.
    """
    lock = asyncio.Lock()
    last: tuple[float, dict[str, Any]] | None = None

    async def probe() -> dict[str, Any]:
        nonlocal last
        async with lock:
            if last is not None and time.monotonic() - last[0] < reuse_for:
                return last[1]
            started = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    await write()
                state: dict[str, Any] = {
                    "ok": True,
                    "write_ms": round((time.monotonic() - started) * 1000, 1),
                }
            except TimeoutError:
                state = {
                    "ok": False,
                    "error": "TimeoutError",
                    "reason": f"a write took longer than {timeout:g} s",
                }
            except Exception as exc:  # any failure to write is the fact to report
                state = {"ok": False, "error": type(exc).__name__, "reason": failure_reason(exc)}
                log.warning("storage write probe failed", extra=state)
            last = (time.monotonic(), state)
            return state

    return probe


def failure_reason(exc: BaseException) -> str:
    """A short reason for a failed write naming no file or server: the database's or the OS's message."""
    if isinstance(exc, sqlite3.Error):
        text = str(exc)  # SQLite's messages name no files ("disk I/O error", "database or disk is full")
    elif isinstance(exc, DatabaseServerError):
        text = exc.reason  # PostgreSQL's own words, without the server's address
    elif isinstance(exc, OSError):
        text = exc.strerror or type(exc).__name__
    else:
        text = "the write failed"
    return " ".join(text.split())[:120]


class Draining:
    """Whether this process is draining (shutting down): set once by :class:`Runner`, read by ``/healthz``."""

    def __init__(self) -> None:
        self.since: float | None = None

    def __bool__(self) -> bool:
        return self.since is not None

    def start(self) -> None:
        """From now on ``/healthz`` answers 503."""
        if self.since is None:
            self.since = time.monotonic()


def health_app(
    parts: list[Part], probes: dict[str, HealthProbe], draining: Draining | None = None
) -> web.Application:
    """The web application with ``/healthz``: 200 when every required part is up, else 503.

    While ``draining`` is set it answers 503 with ``"draining": true`` whatever the parts say.
    """
    app = web.Application(client_max_size=25 * 1024 * 1024)

    async def healthz(_: web.Request) -> web.Response:
        if draining:
            return web.json_response({"ok": False, "draining": True}, status=503)
        report: dict[str, Any] = {}
        healthy = True
        for part in parts:
            state = part.health()
            report[part.name] = state
            if part.required and not state.get("ok", False):
                healthy = False
        for name, probe in probes.items():
            try:
                state = await probe()
            except Exception as exc:  # a probe's failure is a health fact, not a crash
                state = {"ok": False, "error": type(exc).__name__}
            report[name] = state
            if not state.get("ok", False) and state.get("required", True):
                healthy = False
        return web.json_response({"ok": healthy, "parts": report}, status=200 if healthy else 503)

    app.router.add_get("/healthz", healthz)
    return app


def install_metrics(
    app: web.Application, render: Callable[[], Awaitable[bytes]], content_type: str, token: str = ""
) -> None:
    """``GET /metrics``: what ``render`` returns, as ``content_type``.

    With a ``token``, only requests with ``Authorization: Bearer <token>`` are
    served (others get 401). Without one the endpoint is open: keep it
    reachable from the internal network only.
    """
    expected = f"Bearer {token}".encode() if token else b""

    async def metrics(request: web.Request) -> web.Response:
        if expected:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return web.Response(status=401, text="unauthorized", headers={"WWW-Authenticate": "Bearer"})
        body = await render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/metrics", metrics)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _for_stop_signals(change: Callable[[int], object]) -> None:
    """Apply ``change`` (install or remove a handler) to each stop signal the loop supports."""
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix loops have none
            change(sig)


class CannotListen(Exception):
    """The web server cannot listen where it is told (``HTTP_HOST``, ``HTTP_PORT``): a port in use, say."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {host}:{port} (HTTP_HOST, HTTP_PORT): {reason}")


class Runner:
    """Starts the web server and the parts, waits for SIGTERM/SIGINT, drains, stops everything.

    ``draining`` is the flag ``/healthz`` reads (give the same one to :func:`health_app`);
    ``drain_seconds`` how long requests are still served after it is raised.
    """

    def __init__(
        self,
        app: web.Application,
        parts: list[Part],
        host: str,
        port: int,
        *,
        on_start: Callable[[], Awaitable[object]] | None = None,
        draining: Draining | None = None,
        drain_seconds: float = 0.0,
    ) -> None:
        self.app = app
        self.draining = draining if draining is not None else Draining()
        self.drain_seconds = drain_seconds
        self._hurry = asyncio.Event()
        self.parts = parts
        self.host = host
        self.port = port
        self._on_start = on_start
        self._background: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._stop = asyncio.Event()
        self.bound_port: int | None = None

    async def start(self) -> None:
        """Take SIGTERM/SIGINT, install routes, serve HTTP, start the parts.

        The signals are taken first: ``/healthz`` may answer 200 before the last part's start
        returns, and a SIGTERM then (an orchestrator giving up on a slow start, say) must
        stop the process cleanly rather than kill it. :meth:`serve_forever` then returns at once.
        """
        loop = asyncio.get_running_loop()
        _for_stop_signals(lambda sig: loop.add_signal_handler(sig, self._signalled))
        for part in self.parts:
            part.install_routes(self.app)
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            # uvloop's message repeats the address; the OS's words for the errno do not
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise CannotListen(self.host, self.port, reason) from exc
        self.bound_port = self.port
        for address in self._runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                self.bound_port = int(address[1])
                break
        log.info("web server listening", extra={"host": self.host, "port": self.bound_port})
        for part in self.parts:
            await part.start()
            log.info("part started", extra={"part": part.name})
        if self._on_start is not None:
            self._background = asyncio.create_task(self._run_on_start(self._on_start))

    async def _run_on_start(self, job: Callable[[], Awaitable[object]]) -> None:
        try:
            result = await job()
            log.info("start-up job done", extra={"result": str(result)})
        except Exception:
            log.exception("start-up job failed")

    def request_stop(self) -> None:
        """Ask :meth:`serve_forever` to return."""
        self._stop.set()

    async def serve_forever(self) -> None:
        """Run until a signal (taken since :meth:`start`) or :meth:`request_stop`."""
        await self._stop.wait()

    def _signalled(self) -> None:
        if self._stop.is_set():
            self._hurry.set()  # a second signal: no more waiting for the load balancer
        self._stop.set()

    async def drain(self) -> None:
        """Report unhealthy and keep serving for ``drain_seconds`` (or until a second signal)."""
        self.draining.start()
        if self.drain_seconds <= 0 or self._runner is None:
            return
        log.info("draining: /healthz answers 503 until the parts stop", extra={"seconds": self.drain_seconds})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hurry.wait(), self.drain_seconds)

    async def stop(self) -> None:
        """Drain, stop the parts (in reverse order), then the web server."""
        await self.drain()
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background
        for part in reversed(self.parts):
            try:
                await part.stop()
            except Exception:
                log.exception("part failed to stop", extra={"part": part.name})
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        _for_stop_signals(asyncio.get_running_loop().remove_signal_handler)
