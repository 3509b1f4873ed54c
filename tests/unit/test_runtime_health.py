"""``/healthz``: each part reported; 503 when a required part or probe is down."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Part, health_app


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
