"""Running ``python -m bot run`` as a subprocess against the emulator and the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.sandbox import Sandbox, SandboxConfig
from tests.fakes.telegram_api import FakeTelegram, FakeUser, Injected
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[3]
SLACK_TOKEN = "xoxb-service-test-token-5f2c"
SLACK_SIGNING = "signing-secret-for-the-service-test"
ZADARMA_SECRET = "zadarma-secret-for-the-service-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """A running ``python -m bot run``; its stderr goes to a file, so a chatty bot never blocks on a pipe."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log
        self.port: int | None = None

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``, the port the service said it listens on."""
        assert self.port is not None, "the service has not said where it listens yet"
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr(self) -> bytes:
        """Everything the process wrote to stderr so far."""
        return self.log.read_bytes()

    def listening_on(self) -> int | None:
        """The port from this process's own ``web server listening`` log line, once it wrote it."""
        for line in self.stderr.splitlines():
            if b"web server listening" in line:
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    if record.get("message") == "web server listening":
                        return int(record["port"])
        return None

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout=30)


@contextlib.asynccontextmanager
async def serve_emulator(*, realistic: bool) -> AsyncIterator[tuple[Sandbox, str]]:
    """The emulator (exact, or varying its replies like a real API) on a real socket: it and its base URL."""
    sandbox = Sandbox(SandboxConfig(secret=ZADARMA_SECRET, rate_limit=10_000, realistic=realistic))
    runner = web.AppRunner(sandbox.app())
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
        yield sandbox, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def emulator(sandbox_realistic: bool) -> AsyncIterator[tuple[Sandbox, str]]:
    """The emulator on a real socket, once exact and once realistic (``--sandbox-mode``)."""
    async with serve_emulator(realistic=sandbox_realistic) as served:
        yield served


def telegram_env(emulator: tuple[Sandbox, str], telegram: FakeTelegram, **more: str) -> dict[str, str]:
    """The service's settings for the emulator and the fake Bot API, with ``more`` on top."""
    sandbox, zadarma_url = emulator
    return {
        "ZADARMA_API_URL": zadarma_url,
        "ZADARMA_KEY": sandbox.key,
        "ZADARMA_SECRET": ZADARMA_SECRET,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE": telegram.base_url,
        **more,
    }


async def start_service(env: dict[str, str], *, port: int | None = None, within: float = 30) -> Service:
    """Start ``python -m bot run`` with ``env``; wait until healthy (at most ``within`` seconds).

    Without a ``port`` the service binds a free one itself (``HTTP_PORT=0``) and the port is read
    from its own log, so no other process can take it in between. With a ``port`` (a test that must
    know it before the start, for a webhook URL say) the service must say it listens there. Either
    way ``/healthz`` is asked only once this process said where it listens: a port another test's
    service holds would otherwise answer for it.
    """
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZADARMA_", "TELEGRAM_", "SLACK_"))}
    environ["DRAIN_SECONDS"] = "0"  # a test that stops the service waits for no load balancer
    environ.update(env, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port or 0), LOG_FORMAT="json", LOG_LEVEL="INFO")
    fd, name = tempfile.mkstemp(prefix="bot-run-", suffix=".log")
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=environ, stderr=fd
        )
    finally:
        os.close(fd)
    service = Service(proc, Path(name))
    async with aiohttp.ClientSession() as http:

        async def started() -> str | None:
            if proc.returncode is not None:
                return "exited"
            if service.port is None:
                service.port = service.listening_on()
                if service.port is None:
                    return None
                if port and service.port != port:
                    return f"listening on {service.port}, not on {port}"
            try:
                async with http.get(service.base + "/healthz") as response:
                    return "healthy" if response.status == 200 else None
            except aiohttp.ClientError:
                return None

        outcome = "not healthy in time"
        try:
            with contextlib.suppress(AssertionError):
                outcome = await eventually(started, within=within, every=0.1)
        except BaseException:  # cancelled while waiting: a process nobody holds must not outlive us
            if proc.returncode is None:
                proc.kill()
            raise
        if outcome == "healthy":
            return service
    await service.stop()
    tail = service.stderr.decode()[-3000:]
    raise AssertionError(f"the service did not become healthy ({outcome}):\n{tail}")


async def act(fake: FakeTelegram, user: FakeUser, inject: Callable[[], Injected]) -> str:
    """Inject an update and wait until the bot's current menu in that chat changed; return its text."""

    def signature() -> object:
        messages = fake.bot_messages(user.chat_id)
        return [(m.message_id, m.text, m.buttons) for m in messages]

    before = signature()
    injected = inject()
    await fake.delivered(injected, within=10)
    await fake.wait_for(
        lambda: signature() != before and bool(fake.bot_messages(user.chat_id)[-1].buttons),
        within=10,
        what=f"an answer from the bot after {fake.texts(user.chat_id)[-2:]}",
    )
    await asyncio.sleep(0.05)  # let a message that follows an edit arrive too
    return fake.menu(user.chat_id).text


def slack_signed(body: str, secret: str = SLACK_SIGNING) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
