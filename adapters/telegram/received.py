"""The updates of one ``getUpdates`` reply, each with its JSON object as received.

The inbox keeps a copy of every update before Telegram forgets it
(:mod:`adapters.telegram.inbox`). Writing that copy back out of aiogram's
``Update`` model costs more than anything else the inbox does; the reply's
own objects, re-encoded by ``orjson``, are the same data for a fraction of
it, and carry whatever the model leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from aiogram.types import Update

__all__ = ["ReceivedUpdates", "update_texts"]


class ReceivedUpdates(list[Update]):
    """A ``getUpdates`` result: the updates, and ``texts``, each one's JSON object by update id."""

    def __init__(self, updates: Iterable[Update], texts: Mapping[int, str]) -> None:
        super().__init__(updates)
        self.texts = texts


def update_texts(items: Any) -> dict[int, str]:
    """Each JSON object of ``items`` (a parsed ``result`` list) as compact text, by its ``update_id``.

    Items that are not objects with an integer ``update_id``, that ``orjson``
    cannot write, or whose id is given more than once are left out (their
    updates are written from the model instead).
    """
    if not isinstance(items, list):
        return {}
    texts: dict[int, str] = {}
    repeated: set[int] = set()
    for item in items:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if type(update_id) is not int:
            continue
        try:
            text = orjson.dumps(item).decode()
        except TypeError:  # an integer beyond 64 bits: orjson.JSONEncodeError is a TypeError
            continue
        if update_id in texts:
            repeated.add(update_id)
        texts[update_id] = text
    for update_id in repeated:
        del texts[update_id]
    return texts
