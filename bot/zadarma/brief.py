"""A compact reading of ``direct_numbers`` for account-wide scans.

:meth:`~bot.zadarma.client.ZadarmaClient.direct_numbers` gives full
:class:`~bot.zadarma.models.DirectNumber` records; with 100,000 numbers the
reply's dict tree and those records cost hundreds of MiB. A scan needs only
a few fields, so :meth:`~bot.zadarma.client.ZadarmaClient.number_briefs`
reads the list as it arrives (:class:`StreamingReader`) into compact
:class:`NumberBrief` records, a chunk at a time, sharing the repeated values
(statuses, currencies, fees, cities). The whole items of each chunk are read
at once by ``msgspec`` into just those fields (:meth:`BriefReader.run`) where
that reads exactly what :mod:`json` reads; otherwise item by item, each
item's dict dropped as soon as it is read.

The reading is the models' tolerant one (:mod:`bot.zadarma.models`): an item
in the common shape is read directly with the same lenient conversions
(:mod:`bot.zadarma.parsing`); any other item goes through
:class:`~bot.zadarma.models.DirectNumber` itself, so unknown fields, nulls,
strings-as-numbers and unreadable items behave exactly as there.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import msgspec
from pydantic import ValidationError

from bot.zadarma import jsontext
from bot.zadarma.models import DirectNumber
from bot.zadarma.parsing import (
    FULL_WIDTH_DATE,
    empty_to_none,
    to_account_datetime,
    to_bool,
    to_decimal,
    to_str,
)

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_NUMBER_GOES_ON = frozenset("0123456789.eE+-")
"""Characters that may continue a number cut short by a chunk's end."""
_SPACE = " \t\n\r"
"""JSON's white space (a substring test: the empty text at the end is in it too)."""
_MARKS = frozenset(",]")


class NumberBrief(msgspec.Struct, frozen=True, gc=False):
    """The fields of one ``direct_numbers`` item that a scan uses (as in :class:`DirectNumber`).

    Immutable; a ``msgspec`` struct because a scan makes one per number, at a tenth
    of a frozen dataclass's cost.
    """

    number: str
    status: str
    description: str = ""
    start_date: datetime | None = None
    stop_date: datetime | None = None
    monthly_fee: Decimal = Decimal(0)
    currency: str = ""
    autorenew: bool = False
    type: str | None = None

    @classmethod
    def of(cls, record: DirectNumber) -> NumberBrief:
        """The brief of a full record."""
        return cls(
            record.number,
            record.status,
            record.description,
            record.start_date,
            record.stop_date,
            record.monthly_fee,
            record.currency,
            record.autorenew,
            record.type,
        )


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A list item that could not be read: its position and the fields at fault."""

    index: int
    fields: tuple[str, ...]


class _Fields(msgspec.Struct):
    """The fields of an item that a brief reads (``None`` when missing); ``msgspec`` skips the rest."""

    number: Any = None
    status: Any = None
    description: Any = None
    start_date: Any = None
    stop_date: Any = None
    monthly_fee: Any = None
    currency: Any = None
    autorenew: Any = None
    type: Any = None


_RUN = msgspec.json.Decoder(list[_Fields])


class _Irregular(Exception):
    """The item is not in the common shape: read it with the model instead."""


class BriefReader:
    """Reads ``direct_numbers`` items into :class:`NumberBrief`, sharing repeated values.

    One reader serves one reply: its caches live as long as it does.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._fees: dict[tuple[type, Any], Decimal] = {}
        self._amounts: dict[str, Decimal] = {}

    def __call__(self, item: Any, index: int) -> NumberBrief | Unreadable:
        """The brief of ``item`` (the ``index``-th of the list), or why it is unreadable."""
        try:
            return self._common(item)
        except _Irregular:
            pass
        try:
            return self._shared(NumberBrief.of(DirectNumber.model_validate(item)))
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) or "(item)" for e in exc.errors()})
            return Unreadable(index, tuple(fields))

    def _common(self, item: Any) -> NumberBrief:
        if type(item) is not dict:
            raise _Irregular
        get = item.get
        return self._fields(
            get("number"),
            get("status"),
            get("description"),
            get("start_date"),
            get("stop_date"),
            get("monthly_fee"),
            get("currency"),
            get("autorenew"),
            get("type"),
        )

    def run(self, text: str) -> list[NumberBrief] | None:
        """The briefs of a run of items, given as their JSON text (``item, item, ...``),
        read by ``msgspec`` (a :data:`RunReader`); ``None`` unless every item is an
        object in the common shape and ``msgspec`` reads the text exactly as ``json``.

        ``msgspec`` decodes each item into only the fields a brief reads, skipping,
        but still checking, the rest. It reads the same values as ``json`` or refuses
        the text: it refuses ``NaN``, infinities, numbers too large for a float and
        lone surrogates, which ``json`` reads; and text that is not a list of items
        (a cut inside an item or a string) does not decode.
        """
        try:
            values = _RUN.decode("[" + text + "]")
        except (msgspec.DecodeError, ValueError, RecursionError):  # ValueError: a lone surrogate
            return None
        read = self._fields
        try:
            return [
                read(
                    v.number,
                    v.status,
                    v.description,
                    v.start_date,
                    v.stop_date,
                    v.monthly_fee,
                    v.currency,
                    v.autorenew,
                    v.type,
                )
                for v in values
            ]
        except _Irregular:
            return None

    def _fields(
        self,
        number: Any,
        status: Any,
        description: Any,
        start_date: Any,
        stop_date: Any,
        monthly_fee: Any,
        currency: Any,
        autorenew: Any,
        kind: Any,
    ) -> NumberBrief:
        # A plain string is read inline; any other value takes the lenient
        # conversion, which decides as the model does.
        text = self._texts.setdefault
        if type(number) is not str:
            number = self._required(number)
        status = text(status, status) if type(status) is str else self._text(self._required(status))
        if type(description) is not str:
            description = self._optional_text(description)
        if type(currency) is not str:
            currency = self._optional_text(currency)
        if autorenew == "true" and type(autorenew) is str:
            autorenew = True
        elif autorenew == "false" and type(autorenew) is str:
            autorenew = False
        else:
            autorenew = self._bool(autorenew)
        if type(kind) is not str:
            kind = self._type(kind)
        elif kind.strip():
            kind = text(kind, kind)
        else:
            kind = None
        return NumberBrief(
            number,
            status,
            text(description, description),
            _date(start_date),
            _date(stop_date),
            self._fee(monthly_fee),
            text(currency, currency),
            autorenew,
            kind,
        )

    def _shared(self, brief: NumberBrief) -> NumberBrief:
        return NumberBrief(
            brief.number,
            self._text(brief.status),
            self._text(brief.description),
            brief.start_date,
            brief.stop_date,
            self._amounts.setdefault(str(brief.monthly_fee), brief.monthly_fee),
            self._text(brief.currency),
            brief.autorenew,
            None if brief.type is None else self._text(brief.type),
        )

    def _text(self, value: str) -> str:
        return self._texts.setdefault(value, value)

    @staticmethod
    def _required(value: Any) -> str:
        text = to_str(value)
        if type(text) is not str:
            raise _Irregular
        return text

    @staticmethod
    def _optional_text(value: Any) -> str:
        if value is None:
            return ""
        text = to_str(value)
        if type(text) is not str:
            raise _Irregular
        return text

    def _fee(self, value: Any) -> Decimal:
        if value is None:
            return Decimal(0)
        kind = type(value)
        if kind not in (str, int, float):
            raise _Irregular
        try:
            return self._fees[kind, value]
        except KeyError:
            pass
        try:
            amount = to_decimal(value)
        except ValueError:
            raise _Irregular from None
        if type(amount) is not Decimal:
            raise _Irregular
        self._fees[kind, value] = amount
        return amount

    @staticmethod
    def _bool(value: Any) -> bool:
        if value is None:
            return False
        flag = to_bool(value)
        if type(flag) is not bool:
            raise _Irregular
        return flag

    def _type(self, value: Any) -> str | None:
        if value is None:
            return None
        text = empty_to_none(value)
        if text is None:
            return None
        if type(text) is not str:
            raise _Irregular
        return self._text(text)


def _date(value: Any) -> datetime | None:
    """A date field as the model reads it; ``_Irregular`` when it would not be read as one."""
    if value is None:
        return None
    if type(value) is not str:
        raise _Irregular
    try:
        if len(value) == 19 and FULL_WIDTH_DATE.fullmatch(value) and value[:10] != "0000-00-00":
            return datetime.fromisoformat(value)  # what to_account_datetime makes of it, without its steps
        parsed: datetime | None = to_account_datetime(value)
    except ValueError:
        raise _Irregular from None
    return parsed


class StreamedList(list[Any]):
    """A list whose items were converted while the reply was decoded."""


class BodyReader(Protocol):
    """Turns a reply's body into JSON values, fed the chunks as they arrive."""

    def feed(self, chunk: bytes) -> None:
        """The next chunk of the body (never raises for bad JSON: :meth:`finish` does)."""

    def finish(self) -> Any:
        """The decoded body; :class:`ValueError` when it is not JSON."""


class JsonReader:
    """``json.loads`` of the whole body (computed by :func:`bot.zadarma.jsontext.loads`)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        """Keep the chunk."""
        self._chunks.append(chunk)

    def finish(self) -> Any:
        """``json.loads`` of the body."""
        chunks = self._chunks
        return jsontext.loads(chunks[0] if len(chunks) == 1 else b"".join(chunks))


Parser = Generator[None, bytes | None, Any]
RunReader = Callable[[str], "list[Any] | None"]
"""Reads the JSON text of a run of array items (``item, item, ...``) at once, or refuses (``None``)."""


class StreamingReader:
    """:class:`JsonReader`, except that the items of a top-level object's ``key`` array are
    handed to ``convert`` one by one as they arrive (with their index), and the array
    becomes a :class:`StreamedList` of what ``convert`` returned.

    Each chunk is decoded and dropped as it arrives, so neither the body nor its
    text is ever held whole. Any other shape decodes exactly as ``json.loads``
    would, and a body that is not JSON makes :meth:`finish` raise :class:`ValueError`.

    ``run``, when given, is offered the text of each run of whole items a chunk
    completes (as :meth:`BriefReader.run` takes it) and gives what ``convert``
    would make of each, or ``None`` to have them decoded and converted one by one.
    """

    def __init__(self, key: str, convert: Callable[[Any, int], Any], run: RunReader | None = None) -> None:
        self._key = key
        self._convert = convert
        self._run = run
        self._start: list[bytes] | None = []  # the chunks seen before deciding to stream
        self._fallback = JsonReader()
        self._parser: Parser | None = None
        self._result: Any = None
        self._failed = False
        self._done = False

    def feed(self, chunk: bytes) -> None:
        """Decode what ``chunk`` completes."""
        if self._start is None:
            if self._parser is None:
                self._fallback.feed(chunk)
            else:
                self._send(chunk)
            return
        self._start.append(chunk)
        head = b"".join(self._start)
        stripped = head.lstrip(b" \t\n\r")
        if len(head) < 4 or not stripped:
            self._start = [head]  # not enough to tell yet
            return
        self._start = None
        if not stripped.startswith(b"{") or json.detect_encoding(head) != "utf-8":
            self._fallback.feed(head)  # not an object (or not plain UTF-8): decoded whole
            return
        self._parser = _streamed_object(_Cursor(), self._key, self._convert, self._run)
        next(self._parser)
        self._send(head)

    def _send(self, chunk: bytes | None) -> None:
        if self._failed or self._done or self._parser is None:
            return
        try:
            self._parser.send(chunk)
        except StopIteration as stop:
            self._result = stop.value
            self._done = True
        except _Irregular:
            self._failed = True

    def finish(self) -> Any:
        """The decoded body."""
        if self._start is not None:  # too short to tell
            return json.loads(b"".join(self._start))
        if self._parser is None:
            return self._fallback.finish()
        self._send(None)
        if self._failed or not self._done:
            raise ValueError("the reply is not valid JSON")
        return self._result


class _Cursor:
    """A position in JSON text decoded from a body's chunks as they arrive."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        self.text = ""
        self.at = 0
        self.complete = False

    def more(self) -> Parser:
        """Drop the text already read and wait for the next chunk (``_Irregular`` after the end)."""
        if self.complete:
            raise _Irregular
        chunk = yield
        if chunk is None:
            self.complete = True
            piece = self._decoder.decode(b"", final=True)
        else:
            piece = self._decoder.decode(chunk)
        self.text = self.text[self.at :] + piece
        self.at = 0

    def peek(self) -> Parser:
        """The next character after white space ('' at the end of the text)."""
        while True:
            self.at = _WS.match(self.text, self.at).end()  # type: ignore[union-attr]  # matches ''
            if self.at < len(self.text) or self.complete:
                return self.text[self.at : self.at + 1]
            yield from self.more()

    def expect(self, mark: str) -> Parser:
        if (yield from self.peek()) != mark:
            raise _Irregular
        self.at += 1

    def value(self) -> Parser:
        """The next JSON value."""
        yield from self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.at)
            except ValueError:
                yield from self.more()  # maybe cut short by the chunk's end
                continue
            if self.complete or (end < len(self.text) and self.text[end] not in _NUMBER_GOES_ON):
                self.at = end
                return value
            yield from self.more()  # a number at the chunk's end may go on in the next ("0" of "0.5")


def _streamed_object(
    cursor: _Cursor, key: str, convert: Callable[[Any, int], Any], run: RunReader | None
) -> Parser:
    yield from cursor.expect("{")
    body: dict[str, Any] = {}
    if (yield from cursor.peek()) == "}":
        cursor.at += 1
    else:
        while True:
            name = yield from cursor.value()
            if type(name) is not str:
                raise _Irregular
            yield from cursor.expect(":")
            if name == key and (yield from cursor.peek()) == "[":
                body[name] = yield from _streamed_array(cursor, convert, run)
            else:
                body[name] = yield from cursor.value()
            mark = yield from cursor.peek()
            cursor.at += 1
            if mark == "}":
                break
            if mark != ",":
                raise _Irregular
    if (yield from cursor.peek()) != "":
        raise _Irregular
    return body


def _streamed_array(cursor: _Cursor, convert: Callable[[Any, int], Any], run: RunReader | None) -> Parser:
    items = StreamedList()
    append = items.append
    decode = _DECODER.raw_decode
    yield from cursor.expect("[")
    if (yield from cursor.peek()) == "]":
        cursor.at += 1
        return items
    # Every item the text already holds is read without leaving this frame (as a
    # run when ``run`` can, else one by one); only an item cut short by the
    # chunk's end waits, in ``cursor.more``, for the next chunk.
    text, at = cursor.text, cursor.at
    fresh = run is not None  # a run is tried once on each new text
    while True:
        if text[at : at + 1] in _SPACE:  # '' too: the text may end here
            at = _WS.match(text, at).end()  # type: ignore[union-attr]  # matches ''
        end = -1
        if fresh and run is not None:
            fresh = False
            end = _run(run, text, at, items)
        if end < 0:
            try:
                value, end = decode(text, at)
            except ValueError:
                end = -1
            if end < 0 or (not cursor.complete and (end == len(text) or text[end] in _NUMBER_GOES_ON)):
                if cursor.complete:
                    raise _Irregular
                cursor.at = at
                yield from cursor.more()  # the item may be cut short (a number's "0" of "0.5" too)
                text, at = cursor.text, cursor.at
                fresh = run is not None
                continue
            append(convert(value, len(items)))
        mark = text[end : end + 1]
        if mark not in _MARKS:
            cursor.at = end
            mark = yield from cursor.peek()
            text, end = cursor.text, cursor.at
        at = end + 1
        if mark == ",":
            continue
        cursor.at = at
        if mark == "]":
            return items
        raise _Irregular


def _run(run: RunReader, text: str, at: int, items: list[Any]) -> int:
    """Read the items from ``at`` up to the text's last ``}`` (or the one before: the
    last may close the reply) as one run; where the run ends, or -1 if it was not read.

    A ``}`` inside a string, or one that does not close an item of the array,
    makes the run's text something other than a list of items, so ``run`` refuses it.
    """
    end = len(text)
    for _ in range(2):
        end = text.rfind("}", at, end) + 1
        if end <= at:
            return -1
        read = run(text[at:end])
        if read is not None:
            items.extend(read)
            return end
        end -= 1
    return -1
