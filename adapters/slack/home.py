"""The App Home tab: numbers expiring soon, numbers waiting for documents, the balance.

A Slack view of its own, in the operator's language, with the texts and
formatters the conversations use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from adapters.slack import blocks
from adapters.slack.blocks import Block
from adapters.slack.texts import REFUSAL, say
from bot.services import Actor, Services
from bot.services.errors import ServiceError
from bot.services.selection import expiring, waiting_for_documents
from bot.services.types import Balance, DirectNumber
from conversations.i18n import Translator, translator
from conversations.steps.team import number_line, team_error

HOME_EXPIRING_DAYS = 14
HOME_MAX_LINES = 15

View = dict[str, Any]


def _list(tr: Translator, title: str, records: Sequence[DirectNumber], empty: str) -> list[Block]:
    if not records:
        return blocks.section(f"*{blocks.escape(title)}*\n{blocks.escape(empty)}", markdown=True)
    lines = [blocks.escape(number_line(tr, r)) for r in records[:HOME_MAX_LINES]]
    if len(records) > HOME_MAX_LINES:
        lines.append(blocks.escape(tr.gettext("team.home.more", count=len(records) - HOME_MAX_LINES)))
    return blocks.section(f"*{blocks.escape(title)}* ({len(records)})\n" + "\n".join(lines), markdown=True)


def home_view(
    expiring: Sequence[DirectNumber],
    waiting: Sequence[DirectNumber],
    balance: Balance | None,
    *,
    problem: str = "",
    language: str = "en",
) -> View:
    """The home tab (pure)."""
    tr = translator(language)
    content: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": tr.gettext("team.home.title")}},
    ]
    if balance is not None:
        amount = tr.money(balance.balance, balance.currency)
        content += blocks.section(
            blocks.escape(tr.gettext("team.home.balance", amount=amount)), markdown=True
        )
    if problem:
        content += blocks.section(blocks.escape(problem), markdown=True)
    content.append({"type": "divider"})
    period = tr.ngettext("digest.within_days", HOME_EXPIRING_DAYS)
    content += _list(
        tr, tr.gettext("team.home.expiring", period=period), expiring, tr.gettext("team.home.expiring_empty")
    )
    content.append({"type": "divider"})
    content += _list(tr, tr.gettext("team.home.waiting"), waiting, tr.gettext("team.home.waiting_empty"))
    content.append(blocks.context(tr.gettext("team.home.hint")))
    return {"type": "home", "blocks": content[: blocks.MAX_BLOCKS]}


def refusal_home(language: str) -> View:
    """The home tab for someone who may not use the bot."""
    return {"type": "home", "blocks": blocks.section(say(language, REFUSAL))}


async def load_home(
    services: Services, actor: Actor, now: Callable[[], datetime], language: str = "en"
) -> View:
    """Gather the home tab's data (a failure shows as a warning line, never as an empty tab)."""
    try:
        records = await services.numbers.list_for(actor)
        balance = await services.catalog.balance()
    except ServiceError as exc:
        return home_view([], [], None, problem=team_error(translator(language), exc), language=language)
    return home_view(
        expiring(records, now(), HOME_EXPIRING_DAYS),
        waiting_for_documents(records),
        balance,
        language=language,
    )
