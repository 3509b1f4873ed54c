"""The emulator's realistic mode: different wire shapes, the same meaning once read by the real client."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.realistic import AVAILABLE_CAP
from bot.zadarma import RateLimiter, ZadarmaClient

START = datetime(2025, 5, 5, 8, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64
GROUP = {
    "email": "jan@example.com",
    "salutation": "MR",
    "first_name": "Jan",
    "last_name": "Kowalski",
    "country": "PL",
    "city": "Łódź",
    "address": "ul. Piotrkowska 1, 90-001 Łódź",
    "zip_code": "90-001",
    "street": "Piotrkowska",
    "building_number": "1",
    "phone": "48221234567",
}


def _client(http: httpx.AsyncClient, sandbox: Sandbox) -> ZadarmaClient:
    return ZadarmaClient(
        http, base_url="http://127.0.0.1", key=sandbox.key, secret=sandbox.secret, limiter=RateLimiter(10_000)
    )


def _world(realistic: bool) -> Sandbox:
    sandbox = Sandbox(SandboxConfig(start_time=START, rate_limit=10_000, realistic=realistic))
    sandbox.seed_owned_numbers(40, seed=3)
    return sandbox


@pytest.fixture
async def pair() -> AsyncIterator[tuple[ZadarmaClient, ZadarmaClient, Sandbox]]:
    exact, real = _world(False), _world(True)
    async with (
        httpx.AsyncClient(transport=exact.transport()) as h1,
        httpx.AsyncClient(transport=real.transport()) as h2,
    ):
        yield _client(h1, exact), _client(h2, real), real


async def test_the_client_reads_the_same_account_from_both_modes(
    pair: tuple[ZadarmaClient, ZadarmaClient, Sandbox],
) -> None:
    exact, real, _ = pair
    assert await real.balance() == await exact.balance()
    assert await real.sip_logins() == await exact.sip_logins()
    countries = await exact.countries()
    assert await real.countries() == countries
    for country in countries:
        assert await real.directions(country.iso) == await exact.directions(country.iso)
    for client in (exact, real):
        group = await client.create_document_group(GROUP)
        await client.upload_document(group.id, "passport", "passport.jpg", JPEG, "image/jpeg")
    assert await real.document_groups() == await exact.document_groups()
    assert await real.document_files(1) == await exact.document_files(1)
    assert await real.group_validity(1, 3001) == await exact.group_validity(1, 3001)
    assert await real.checking_wrongs(1) == await exact.checking_wrongs(1)
    listed_exact, listed_real = await exact.direct_numbers(), await real.direct_numbers()
    assert len(listed_real) == len(listed_exact) == 40
    blank = {"description": "", "sip_name": None, "minutes": None}  # what the realistic mode nulls or omits
    assert [r.model_copy(update=blank) for r in listed_real] == [
        r.model_copy(update=blank) for r in listed_exact
    ]
    assert any(r.description == "" for r in listed_real)  # some descriptions came as null
    for record in listed_exact[:5]:
        one_real, one_exact = (
            await real.direct_number(record.number),
            await exact.direct_number(record.number),
        )
        assert one_real.model_copy(update=blank) == one_exact.model_copy(update=blank)
    assert real.skipped_items == 0


async def test_available_is_capped_and_shuffled_and_still_filtered(
    pair: tuple[ZadarmaClient, ZadarmaClient, Sandbox],
) -> None:
    exact, real, _ = pair
    sizes = {}
    for country in await exact.countries():
        for direction in await exact.directions(country.iso):
            full = await exact.available_numbers(direction.id)
            shown = await real.available_numbers(direction.id)
            sizes[direction.id] = len(full)
            assert len(shown) == min(AVAILABLE_CAP, len(full))
            assert {n.id for n in shown} <= {n.id for n in full}
            if len(full) <= AVAILABLE_CAP:
                assert {n.id for n in shown} == {n.id for n in full}
    big = max(sizes, key=sizes.__getitem__)
    assert sizes[big] > AVAILABLE_CAP, "the seeded market should have a direction with more than 20 numbers"
    orders = {tuple(n.id for n in await real.available_numbers(big)) for _ in range(3)}
    assert len(orders) > 1  # shuffled on every call
    full = await exact.available_numbers(big)
    mask = full[-1].number[-5:]
    masked = await real.available_numbers(big, mask=mask)
    assert masked and all(mask in n.number for n in masked)


async def test_the_wire_shows_the_variations(pair: tuple[ZadarmaClient, ZadarmaClient, Sandbox]) -> None:
    _, real, _ = pair
    balance = await real.request("GET", "/v1/info/balance/")
    assert isinstance(balance["balance"], str) and "api_version" in balance
    directions = (await real.request("GET", "/v1/direct_numbers/country/", {"country": "US"}))["info"]
    assert all(isinstance(d["id"], int) and isinstance(d["monthly_fee"], str) for d in directions)
    assert any(d["restrictions"] == [] for d in directions)
    group = await real.create_document_group(GROUP)  # a group with no numbers has nothing wrong
    clean = await real.request("GET", "/v1/direct_numbers/checking-wrongs/", {"group_id": group.id})
    assert clean["info"] == []
    numbers = (await real.request("GET", "/v1/direct_numbers/"))["info"]
    assert all(n["number_name"] is None and isinstance(n["channels"], str) for n in numbers)
    assert any("flags" in n for n in numbers)


def test_the_command_line_serves_the_realistic_mode() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--realistic", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "realistic" in banner and f"127.0.0.1:{port}" in banner, banner
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
