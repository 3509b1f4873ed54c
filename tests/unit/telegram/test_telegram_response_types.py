"""aiogram's reply models survive garbage collection once the part has kept them."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from aiogram.methods import AnswerCallbackQuery, GetUpdates, SendMessage
from aiogram.methods.base import Response

from adapters.telegram.response_types import keep_response_types

REPLY: Any = Response  # indexed with runtime values, as aiogram does


def test_every_reply_model_outlives_a_full_collection() -> None:
    assert keep_response_types() >= 30
    refs = [weakref.ref(REPLY[m.__returning__]) for m in (SendMessage, AnswerCallbackQuery, GetUpdates)]
    gc.collect()
    assert all(ref() is not None for ref in refs)
    assert REPLY[SendMessage.__returning__] is refs[0]()


def test_keeping_twice_builds_nothing_new() -> None:
    held = keep_response_types()
    assert keep_response_types() == held
