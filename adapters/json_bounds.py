"""Reading JSON from strangers: bounded nesting, and every failure a plain :class:`ValueError`.

``json.loads`` raises ``RecursionError`` on a few thousand nested brackets,
and code that walks a parsed body recursively (pydantic, Bolt) can do the
same on far less. Both webhooks read their bodies through :func:`load_object`.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64
"""Deeper than any update or payload Telegram and Slack send (theirs nest about 15 levels)."""


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``value`` nests (stops counting past ``limit``); iterative, so it cannot overflow."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        deepest = max(deepest, level)
        if level > limit:
            return level
        if isinstance(item, dict):
            pending.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, level + 1) for child in item)
    return deepest


def load_object(data: str | bytes, limit: int = MAX_DEPTH) -> dict[str, Any]:
    """Parse a JSON object; raises ``ValueError`` (with a reason that never quotes ``data``)."""
    try:
        parsed = json.loads(data)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except ValueError:  # also UnicodeDecodeError
        raise ValueError("the body is not JSON in UTF-8") from None
    if not isinstance(parsed, dict):
        raise ValueError("the body is not a JSON object")
    if nesting_depth(parsed, limit) > limit:
        raise ValueError("the JSON is nested too deeply")
    return parsed
