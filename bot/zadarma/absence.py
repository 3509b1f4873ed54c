"""Proof that some numbers are not in the account's list, without building the list.

The check before an order reads ``GET /v1/direct_numbers/`` for one number
(or for several, when checks share one read: :mod:`bot.zadarma.list_reads`),
and almost always finds it absent. Building the whole reply as dicts only to
look at each item's ``number`` costs milliseconds on an account with
thousands of numbers, on every order. :class:`AbsenceReader` first reads the
body with ``msgspec`` into only what the absence depends on (the reply's
``status`` and ``message``, and each item's ``number``), skipping, but still
checking, everything else. When that proves that no item's ``number`` holds
any of the numbers asked for, the reply is the envelope with an empty
:class:`NotListed` list. Anything else is decoded whole by
:func:`bot.zadarma.jsontext.loads`, for the caller's ordinary reading.

The proof holds only where it decides exactly what the whole reading would
(:meth:`~bot.zadarma.client.ZadarmaClient.find_direct_number`): the body is
valid UTF-8 without a byte-order mark (``msgspec`` does not check the strings
it skips; ``json`` would refuse them), the list is a JSON array of
objects whose every ``number`` is a string or an integer (a float, ``null``,
a missing ``number`` or a non-object item is read through the record model,
and may be logged as unreadable, so it takes the whole reading), and
``msgspec`` accepts the text (it refuses ``NaN``, lone surrogates and
anything ``json`` refuses; a refusal takes the whole reading too).
"""

from __future__ import annotations

from typing import Any

import msgspec

from bot.zadarma import jsontext

KEY = "info"
"""The reply's field holding the list."""


class NotListed(list[Any]):
    """The account's list, read only far enough to prove the number asked for is not in it (empty)."""


# gc=False: neither can be part of a reference cycle, and an order reads thousands of items.
class _Item(msgspec.Struct, gc=False):
    number: str | int


class _Page(msgspec.Struct, gc=False):
    info: list[_Item]
    status: str | msgspec.UnsetType = msgspec.UNSET
    message: str | msgspec.UnsetType = msgspec.UNSET


_PAGE = msgspec.json.Decoder(_Page)


class AbsenceReader:
    """A :class:`~bot.zadarma.brief.BodyReader` of ``direct_numbers`` for some numbers.

    Each of ``wanted`` is a number as compared (digits, without ``+``). The
    result is the reply with :data:`KEY` as a :class:`NotListed` when no item's
    ``number`` holds any of them; otherwise, or when that cannot be decided
    exactly (no number given, or one that is not plain digits), ``jsontext.loads``
    of the body.
    """

    def __init__(self, *wanted: str) -> None:
        plain = bool(wanted) and all(w.isascii() and w.isdigit() for w in wanted)
        self._wanted = wanted if plain else None
        self._chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        """Keep the chunk."""
        self._chunks.append(chunk)

    def finish(self) -> Any:
        """The reply, its list as :class:`NotListed` when that proves the absence."""
        body = b"".join(self._chunks)
        absent = self._absent(body)
        if absent is not None:
            return absent
        return jsontext.loads(body)

    def _absent(self, body: bytes) -> dict[str, Any] | None:
        wanted = self._wanted
        if wanted is None:
            return None
        try:
            if not body.isascii():
                body.decode()  # msgspec does not check the UTF-8 of the strings it skips; json does
            page = _PAGE.decode(body)
            # Digits cannot span the separator, and str() of a number never holds one.
            numbers = "\n".join([str(item.number) for item in page.info])
        except (
            msgspec.DecodeError,
            RecursionError,
            ValueError,
        ):  # ValueError: bad UTF-8, str() of a huge int
            return None
        if any(w in numbers for w in wanted):
            return None
        reply: dict[str, Any] = {}
        if page.status is not msgspec.UNSET:
            reply["status"] = page.status
        if page.message is not msgspec.UNSET:
            reply["message"] = page.message
        reply[KEY] = NotListed()
        return reply
