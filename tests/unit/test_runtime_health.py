"""``/healthz``: each part reported; 503 when a required part or probe is down."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Draining, Part, Runner, health_app
from tests.waiting import eventually


class StaticPart:
    def __init__(self, name: str, ok: bool, *, required: bool = True) -> None:
        self.name = name
        self.required = required
        self.ok = ok

    def install_routes(self, app: web.Application) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def health(self) -> dict[str, Any]:
        return {"ok": self.ok}


async def status_of(parts: list[Part], probes: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with TestClient(TestServer(health_app(parts, probes))) as client:
        response = await client.get("/healthz")
        return response.status, await response.json()


async def ok_probe() -> dict[str, object]:
    return {"ok": True}


async def failing_probe() -> dict[str, object]:
    raise OSError("database is locked")


async def optional_down() -> dict[str, object]:
    return {"ok": False, "required": False}


async def test_all_up_is_200_with_every_part() -> None:
    status, body = await status_of(
        [StaticPart("telegram", True), StaticPart("alerts", True)], {"database": ok_probe}
    )
    assert status == 200 and body["ok"] is True
    assert set(body["parts"]) == {"telegram", "alerts", "database"}


async def test_a_required_part_down_is_503() -> None:
    status, body = await status_of([StaticPart("telegram", False)], {"database": ok_probe})
    assert status == 503 and body["parts"]["telegram"]["ok"] is False


async def test_an_optional_part_or_probe_down_is_still_200() -> None:
    status, _ = await status_of([StaticPart("alerts", False, required=False)], {"zadarma": optional_down})
    assert status == 200


async def test_a_failing_probe_is_reported_not_raised() -> None:
    status, body = await status_of([], {"database": failing_probe})
    assert status == 503 and body["parts"]["database"] == {"ok": False, "error": "OSError"}


class RecordingPart(StaticPart):
    """Records when it was stopped; serves ``GET /work`` meanwhile."""

    def __init__(self) -> None:
        super().__init__("worker", True)
        self.stopped_at: float | None = None

    def install_routes(self, app: web.Application) -> None:
        async def work(_: web.Request) -> web.Response:
            return web.Response(text="done")

        app.router.add_get("/work", work)

    async def stop(self) -> None:
        self.stopped_at = asyncio.get_running_loop().time()


async def test_stopping_drains_unhealthy_first_still_serving_then_stops_the_parts() -> None:
    part = RecordingPart()
    draining = Draining()
    runner = Runner(
        health_app([part], {}, draining), [part], "127.0.0.1", 0, draining=draining, drain_seconds=0.5
    )
    await runner.start()
    base = f"http://127.0.0.1:{runner.bound_port}"
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/healthz") as answer:
            assert answer.status == 200
        began = loop.time()
        stopping = asyncio.create_task(runner.stop())
        await eventually(lambda: bool(draining), what="the runner draining")
        async with http.get(base + "/healthz") as answer:
            assert (answer.status, await answer.json()) == (503, {"ok": False, "draining": True})
        async with http.get(base + "/work") as answer:
            assert (answer.status, await answer.text()) == (200, "done")
        assert part.stopped_at is None
        await stopping
    assert part.stopped_at is not None and part.stopped_at - began >= 0.5


async def test_without_a_drain_period_stopping_does_not_wait() -> None:
    part = RecordingPart()
    runner = Runner(health_app([part], {}), [part], "127.0.0.1", 0)
    await runner.start()
    began = asyncio.get_running_loop().time()
    await runner.stop()
    assert part.stopped_at is not None and part.stopped_at - began < 0.5
    assert runner.draining
