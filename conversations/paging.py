"""Splitting long lists into pages with Previous/Next buttons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from conversations.ui import ScreenBuilder

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its ``items``, its 0-based ``index`` and how many pages there are."""

    items: Sequence[T]
    index: int
    count: int
    offset: int

    @property
    def has_prev(self) -> bool:
        """Whether a previous page exists."""
        return self.index > 0

    @property
    def has_next(self) -> bool:
        """Whether a next page exists."""
        return self.index + 1 < self.count


def paginate(items: Sequence[T], index: int, size: int) -> Page[T]:
    """Page ``index`` (clamped into range) of ``items``, ``size`` per page."""
    count = max(1, -(-len(items) // size))
    index = min(max(index, 0), count - 1)
    offset = index * size
    return Page(items[offset : offset + size], index, count, offset)


def page_row(ui: ScreenBuilder, page: Page[T], op: str = "page") -> None:
    """A row with Previous/Next buttons (none when everything fits on one page)."""
    buttons = []
    if page.has_prev:
        buttons.append(ui.button(ui.tr.gettext("button.prev"), op, n=page.index - 1, role="prev"))
    if page.has_next:
        buttons.append(ui.button(ui.tr.gettext("button.next"), op, n=page.index + 1, role="next"))
    ui.row(*buttons)


def page_line(ui: ScreenBuilder, page: Page[T]) -> str:
    """``Page 2 of 5`` (empty when there is one page)."""
    if page.count <= 1:
        return ""
    return ui.tr.gettext("common.page", page=page.index + 1, pages=page.count)
