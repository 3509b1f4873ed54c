"""The App Home tab: numbers expiring soon, numbers waiting for documents, the balance."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from adapters.slack import blocks, listing
from adapters.slack.blocks import Block
from adapters.slack.texts import REFUSAL, error_text
from bot.services import Actor, Services
from bot.services.errors import ServiceError
from bot.services.types import Balance, DirectNumber

HOME_EXPIRING_DAYS = 14
HOME_MAX_LINES = 15

View = dict[str, Any]


def _list(title: str, records: Sequence[DirectNumber], empty: str) -> list[Block]:
    if not records:
        return blocks.section(f"*{title}*\n{empty}", markdown=True)
    lines = [blocks.number_line(r) for r in records[:HOME_MAX_LINES]]
    if len(records) > HOME_MAX_LINES:
        lines.append(f"… and {len(records) - HOME_MAX_LINES} more")
    return blocks.section(f"*{title}* ({len(records)})\n" + "\n".join(lines), markdown=True)


def home_view(
    expiring: Sequence[DirectNumber],
    waiting: Sequence[DirectNumber],
    balance: Balance | None,
    *,
    problem: str = "",
) -> View:
    """The home tab (pure)."""
    content: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Virtual numbers"}},
    ]
    if balance is not None:
        content += blocks.section(
            f"*Balance:* {blocks.format_money(balance.balance, balance.currency)}", markdown=True
        )
    if problem:
        content += blocks.section(f":warning: {blocks.escape(problem)}", markdown=True)
    content.append({"type": "divider"})
    content += _list(
        f"Expiring within {HOME_EXPIRING_DAYS} days", expiring, "Nothing expires in the next two weeks."
    )
    content.append({"type": "divider"})
    content += _list("Waiting for documents", waiting, "No number is waiting for documents.")
    content.append(blocks.context("`/numbers help` lists everything you can do."))
    return {"type": "home", "blocks": content[: blocks.MAX_BLOCKS]}


def refusal_home() -> View:
    """The home tab for someone who may not use the bot."""
    return {"type": "home", "blocks": blocks.section(REFUSAL)}


async def load_home(services: Services, actor: Actor, now: Callable[[], datetime]) -> View:
    """Gather the home tab's data (a failure shows as a warning line, never as an empty tab)."""
    try:
        records = await services.numbers.list_for(actor)
        balance = await services.catalog.balance()
    except ServiceError as exc:
        return home_view([], [], None, problem=error_text(exc))
    return home_view(
        listing.expiring(records, now(), HOME_EXPIRING_DAYS),
        listing.waiting_for_documents(records),
        balance,
    )
