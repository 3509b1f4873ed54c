"""``AbsenceReader``: the account check proves a number absent without building the list.

Its only promise: it answers :class:`NotListed` only where reading the whole
body (``jsontext.loads``, then ``find_direct_number``'s loop) would read no item
at all and answer None, and otherwise it gives exactly ``jsontext.loads``'s
value or error. Both are checked against that reference on generated replies
and on the bodies a real API could send that a quick look would get wrong.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox import Sandbox, SandboxConfig
from bot.zadarma import RateLimiter, ZadarmaClient, jsontext
from bot.zadarma.absence import AbsenceReader, NotListed

WANTED = "48221234567"


def read(body: bytes, wanted: str = WANTED, cuts: tuple[int, ...] = ()) -> Any:
    reader = AbsenceReader(wanted)
    start = 0
    for cut in sorted({c for c in cuts if 0 < c < len(body)}):
        reader.feed(body[start:cut])
        start = cut
    reader.feed(body[start:])
    return reader.finish()


def would_read_an_item(decoded: Any, wanted: str) -> bool:
    """The whole reading's loop: does any item get read (the only way to an answer but None)?"""
    info = decoded.get("info")
    items = [] if info is None or info == {} else list(info.values()) if isinstance(info, dict) else info
    for item in items:
        if type(item) is dict:
            value = item.get("number")
            if type(value) is int:
                value = str(value)
            if type(value) is str and wanted not in value:
                continue
        return True
    return False


def check_against_whole_reading(body: bytes, wanted: str = WANTED, cuts: tuple[int, ...] = ()) -> bool:
    """Assert the promise for ``body``; return whether the absence was proved."""
    try:
        decoded = jsontext.loads(body)
    except (ValueError, RecursionError) as refused:  # json's depth limit is a RecursionError
        with pytest.raises(type(refused)):
            read(body, wanted, cuts)
        return False
    result = read(body, wanted, cuts)
    if isinstance(result, dict) and isinstance(result.get("info"), NotListed):
        assert isinstance(decoded, dict)
        assert isinstance(decoded["info"], list)  # not null, {} or a PHP-shaped object: those are read
        assert not would_read_an_item(decoded, wanted)
        assert result == {k: decoded[k] for k in ("status", "message") if k in decoded} | {"info": []}
        return True
    assert result == decoded and type(result) is type(decoded)
    return False


numbers = st.one_of(
    st.from_regex(r"\+?4822[0-9]{5,8}", fullmatch=True),
    st.sampled_from([WANTED, "+" + WANTED, f" {WANTED} ", WANTED + "0", "9" + WANTED]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.just(int(WANTED)),
    st.floats(allow_nan=False, allow_infinity=False),
    st.just(float(WANTED)),
    st.none(),
    st.booleans(),
    st.text(max_size=12),
)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
items = st.one_of(
    st.fixed_dictionaries(
        {"number": numbers}, optional={"status": values, "sip": values, "number_name": values}
    ),
    st.fixed_dictionaries({}, optional={"status": values}),  # no number at all
    values,  # not an object
)
replies = st.fixed_dictionaries(
    {
        "info": st.one_of(
            st.lists(items, max_size=6),
            st.none(),
            st.just({}),
            st.dictionaries(st.text(max_size=3), items, max_size=2),
        )
    },
    optional={"status": st.sampled_from(["success", "error"]) | values, "message": values, "extra": values},
)


# Lists as the API sends them: every item an object with a text or integer number.
plain_replies = st.fixed_dictionaries(
    {
        "status": st.just("success"),
        "info": st.lists(
            st.fixed_dictionaries(
                {"number": st.one_of(numbers.filter(lambda n: type(n) in (str, int)), st.just(int(WANTED)))},
                optional={"status": values, "description": st.text(max_size=8), "x": values},
            ),
            max_size=8,
        ),
    }
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies | plain_replies, st.booleans(), st.lists(st.integers(min_value=1, max_value=400), max_size=4))
def test_the_answer_is_the_whole_readings_on_generated_replies(
    reply: dict[str, Any], ascii_only: bool, cuts: list[int]
) -> None:
    body = json.dumps(reply, ensure_ascii=ascii_only).encode()
    check_against_whole_reading(body, cuts=tuple(cuts))


@pytest.mark.parametrize(
    "body",
    [
        # the number is there, however it is written
        b'{"status":"success","info":[{"number":"+48221234567"}]}',
        b'{"status":"success","info":[{"number":48221234567}]}',
        b'{"status":"success","info":[{"number":4.8221234567e10}]}',  # a float: the model reads it
        b'{"status":"success","info":[{"number":48221234567.0}]}',
        b'{"status":"success","info":[{"number":"\\u0034\\u00382\\u00321234567"}]}',  # escaped digits
        b'{"status":"success","info":[{"number":"+48221234567"},{"number":"1"}]}',
        # items the model has to read: a missing or null number, a non-object
        b'{"status":"success","info":[{"number":"1"},{"status":"on"}]}',
        b'{"status":"success","info":[{"number":null}]}',
        b'{"status":"success","info":[{"number":true}]}',
        b'{"status":"success","info":["48221234567"]}',
        b'{"status":"success","info":[[1]]}',
        # lists that are not arrays
        b'{"status":"success","info":{"3":{"number":"48221234567"}}}',
        b'{"status":"success","info":null}',
        b'{"status":"success"}',
        b'{"status":"success","info":"48221234567"}',
        # the last of repeated keys counts, in json as in the whole reading
        b'{"info":[{"number":"1"}],"info":[{"number":"48221234567"}]}',
        b'{"info":[{"number":"1","number":48221234567.0}]}',
        b'{"info":[{"number":48221234567.0,"number":"1"}]}',
        # texts only json reads, or reads differently
        b'{"status":"success","info":[{"number":"1","x":NaN}]}',
        b'{"status":"success","info":[{"number":"1","x":"\\ud800"}]}',
        b'{"status":"success","info":[{"number":"1","x":"\xff"}]}',  # not UTF-8 at all
        b'{"status":"success","info":[{"number":"1","x":"\xed\xa0\x80"}]}',  # a surrogate in UTF-8
        b'\xef\xbb\xbf{"status":"success","info":[{"number":"1"}]}',  # a byte-order mark
        b'{"status":"success","info":[{"number":"1","x":' + b"[" * 1100 + b"]" * 1100 + b"}]}",
        b'{"status":"success","info":[{"number":' + b"9" * 5000 + b"}]}",
        b'{"status":"success","info":[{"number":"1"},]}',
        b'{"status":"success","info":[{"number":"1"}]} trailing',
        b"",
        b"[]",
        b'{"status":1,"info":[]}',
        b'{"status":"success","message":{"a":1},"info":[]}',
    ],
)
def test_bodies_a_quick_look_would_get_wrong_take_the_whole_reading(body: bytes) -> None:
    assert check_against_whole_reading(body) is False


@pytest.mark.parametrize(
    "body",
    [
        b'{"status":"success","info":[]}',
        b'{"status":"success","info":[{"number":"+48221234568"},{"number":4822123456}]}',
        b'{"info":[{"number":"4822\\n1234567"}],"status":"success"}',  # the digits, but not in a row
        b'{"status":"success","info":[{"number":"1","x":' + b"[" * 200 + b"]" * 200 + b"}]}",
        b'{"status":"error","message":"temporarily unavailable","info":[]}',
        b'{"status":"success","info":[{"number":"1","description":"Gda\xc5\x84sk"}]}',  # raw UTF-8
        b' {"status":"success","info":[{"number":"1","rest":{"deep":[1.5e999,-0,"\\u00e9"]}}]}\n',
    ],
)
def test_a_proved_absence_keeps_the_replys_status_and_message(body: bytes) -> None:
    assert check_against_whole_reading(body) is True


@pytest.mark.parametrize("wanted", ["", "+48221234567", "4822 1234567", "٤٨٢٢"])
def test_a_number_that_is_not_plain_digits_is_never_proved_absent(wanted: str) -> None:
    body = b'{"status":"success","info":[{"number":"1"}]}'
    assert check_against_whole_reading(body, wanted) is False


def client_of(sandbox: Sandbox, http: httpx.AsyncClient) -> ZadarmaClient:
    """The production client with the emulator's credentials, its own limit lifted."""
    return ZadarmaClient(
        http,
        base_url="http://127.0.0.1:1",
        key=sandbox.key,
        secret=sandbox.secret,
        limiter=RateLimiter(10**9),
    )


@pytest.mark.parametrize("realistic", [False, True])
async def test_the_emulators_list_proves_absence_and_finds_what_is_there(realistic: bool) -> None:
    sandbox = Sandbox(SandboxConfig(rate_limit=10**9, realistic=realistic))
    owned = sandbox.seed_owned_numbers(300)
    bodies: list[bytes] = []

    class Keep(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await sandbox.transport().handle_async_request(request)
            bodies.append(await response.aread())
            return httpx.Response(response.status_code, headers=response.headers, content=bodies[-1])

    async with httpx.AsyncClient(transport=Keep()) as http:
        client = client_of(sandbox, http)
        absent = "4822" + "0" * 7
        assert absent not in {n.lstrip("+") for n in owned}
        assert await client.find_direct_number(absent) is None
        assert isinstance(read(bodies[-1], absent)["info"], NotListed)  # proved, not read
        last = owned[-1].lstrip("+")
        found = await client.find_direct_number(last)
        assert found is not None and found.number.lstrip("+") == last
        assert client.skipped_items == 0


async def test_the_client_answers_an_absent_number_without_decoding_the_whole_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the reader is for: the whole-body parser runs only when an item may be the number."""
    sandbox = Sandbox(SandboxConfig(rate_limit=10**9))
    owned = sandbox.seed_owned_numbers(50)
    whole: list[int] = []

    def counted(text: bytes) -> Any:
        whole.append(len(text))
        return jsontext_loads(text)

    jsontext_loads = jsontext.loads
    monkeypatch.setattr(jsontext, "loads", counted)
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        client = client_of(sandbox, http)
        assert await client.find_direct_number("4822" + "0" * 7) is None
        assert whole == []
        found = await client.find_direct_number(owned[0])
        assert found is not None and len(whole) == 1 and whole[0] > 50 * 100  # the whole list, read once


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies | plain_replies, st.sampled_from(["48221234568", "1", "4822123456", "99"]))
def test_several_numbers_are_proved_absent_only_when_each_alone_would_be(
    reply: dict[str, Any], other: str
) -> None:
    """The read that checks share: absence of all, or the whole reading for every one of them."""
    body = json.dumps(reply).encode()
    alone = [check_against_whole_reading(body, wanted) for wanted in (WANTED, other)]
    try:
        decoded = jsontext.loads(body)
    except (ValueError, RecursionError) as refused:
        with pytest.raises(type(refused)):
            _read_many(body, WANTED, other)
        return
    together = _read_many(body, WANTED, other)
    if all(alone):
        assert isinstance(together["info"], NotListed)
    else:
        assert together == decoded and not isinstance(together.get("info"), NotListed)


def _read_many(body: bytes, *wanted: str) -> Any:
    reader = AbsenceReader(*wanted)
    reader.feed(body)
    return reader.finish()


def test_no_number_at_all_is_never_proved_absent() -> None:
    body = b'{"status":"success","info":[{"number":"1"}]}'
    assert _read_many(body) == json.loads(body)
    assert not isinstance(_read_many(body)["info"], NotListed)
