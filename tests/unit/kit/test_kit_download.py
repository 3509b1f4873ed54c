"""The kit's bounded download: refused by the declared size, and cut off while streaming."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.kit.download import (
    CHUNK,
    DownloadError,
    FileTooBig,
    check_declared,
    read_bounded,
    read_response,
)


class CountedStream:
    """An endless stream of ``size``-byte chunks that counts how many were taken."""

    def __init__(self, size: int, chunks: int | None = None) -> None:
        self.size = size
        self.chunks = chunks
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.chunks is None or self.taken < self.chunks:
            self.taken += 1
            yield b"x" * self.size


def test_a_declared_size_over_the_limit_is_refused_and_unknown_sizes_pass() -> None:
    check_declared(None, 10)
    check_declared(10, 10)
    with pytest.raises(FileTooBig) as refused:
        check_declared(11, 10)
    assert (refused.value.size, refused.value.limit) == (11, 10)
    assert isinstance(refused.value, DownloadError)  # one except clause catches every failure
    assert FileTooBig(30 * 1024 * 1024, 20 * 1024 * 1024).max_mb == 20


async def test_an_oversized_declared_size_is_refused_before_any_byte_is_read() -> None:
    stream = CountedStream(4)
    with pytest.raises(FileTooBig) as refused:
        await read_bounded(stream, 10, declared=11)
    assert stream.taken == 0
    assert refused.value.size == 11


async def test_an_endless_stream_is_cut_off_at_the_first_chunk_past_the_limit() -> None:
    stream = CountedStream(4)  # never ends: reading it all would never return
    with pytest.raises(FileTooBig) as refused:
        await read_bounded(stream, 10)
    assert stream.taken == 3  # 4 + 4 + 4 > 10
    assert refused.value.size == 12


async def test_a_stream_that_lies_about_its_size_is_still_cut_off() -> None:
    stream = CountedStream(4)
    with pytest.raises(FileTooBig):
        await read_bounded(stream, 10, declared=5)
    assert stream.taken == 3


async def test_a_stream_up_to_the_limit_is_read_whole() -> None:
    assert await read_bounded(CountedStream(5, chunks=2), 10) == b"x" * 10
    assert await read_bounded(CountedStream(5, chunks=0), 10) == b""


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    async def declared(_: web.Request) -> web.StreamResponse:
        # Says it is 50 MB; a client that believed it and read on would wait for all of it.
        response = web.StreamResponse(headers={"Content-Length": str(50 * 1024 * 1024)})
        return response

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no size announced
        await response.prepare(request)
        for _ in range(800):  # 50 MB at most
            await response.write(b"y" * CHUNK)
        return response

    async def small(_: web.Request) -> web.Response:
        return web.Response(body=b"z" * 1000)

    app = web.Application()
    app.router.add_get("/declared", declared)
    app.router.add_get("/endless", endless)
    app.router.add_get("/small", small)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    yield test_server
    await test_server.close()


async def test_a_response_is_refused_by_its_content_length_and_cut_off_when_streamed(
    server: TestServer,
) -> None:
    limit = 256 * 1024
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/declared")) as response:
            with pytest.raises(FileTooBig) as refused:
                await read_response(response, limit)
            assert refused.value.size == 50 * 1024 * 1024
        async with session.get(server.make_url("/endless")) as response:
            with pytest.raises(FileTooBig) as cut:
                await read_response(response, limit)
            assert limit < cut.value.size <= limit + CHUNK  # stopped at the first chunk past it
        async with session.get(server.make_url("/small")) as response:
            assert await read_response(response, limit) == b"z" * 1000
