"""Block Kit rendering (pure): conversation screens, number lists and cards, confirmations, alerts.

Every function returns a :class:`Rendered` message (``text`` is the
notification fallback, ``blocks`` the Block Kit layout) within Slack's
limits: at most 50 blocks, 3000 characters per section, 75 per button label.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import phonenumbers

from adapters.slack import actions
from adapters.slack.texts import FILE_STEP_HINT
from bot.services.ordering import ProlongQuote
from bot.services.types import (
    AuditEntry,
    CheckingWrongs,
    DirectNumber,
    DocumentFile,
    DocumentGroup,
    NumberAssignment,
)
from conversations.formatting import status_text
from conversations.i18n import translator
from conversations.screens import Screen

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_BUTTON_LABEL = 75
MAX_BUTTONS_PER_ROW = 25
MAX_TEXT = 3000  # fallback text kept short; blocks carry the content


@dataclass(frozen=True)
class Rendered:
    """A message: fallback ``text`` and ``blocks``.

    ``replaces_pressed`` is False when the message answers a press the
    conversation did not apply: it is then posted anew, and the pressed message
    (which may tell a payment's outcome) is left as it is.
    """

    text: str
    blocks: list[Block] = field(default_factory=list)
    replaces_pressed: bool = True


# -- primitives --------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, size: int = MAX_SECTION) -> list[str]:
    """Split ``text`` at line ends into pieces of at most ``size`` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:size])
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return [p if p.strip() else " " for p in pieces]


def section(text: str, *, markdown: bool = False) -> list[Block]:
    """One or more section blocks holding ``text`` (plain text unless ``markdown``)."""
    kind = "mrkdwn" if markdown else "plain_text"
    blocks: list[Block] = []
    for piece in _chunks(text):
        body: dict[str, Any] = {"type": kind, "text": piece}
        if not markdown:
            body["emoji"] = True
        blocks.append({"type": "section", "text": body})
    return blocks


def context(text: str) -> Block:
    """A small grey line (mrkdwn)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION]}]}


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    """A button; the label is cut to Slack's 75 characters."""
    text = label if len(label) <= MAX_BUTTON_LABEL else label[: MAX_BUTTON_LABEL - 1] + "…"
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions_block(elements: Sequence[Block]) -> Block:
    """An actions block (at most 25 elements)."""
    return {"type": "actions", "elements": list(elements[:MAX_BUTTONS_PER_ROW])}


def _fit(blocks: list[Block], tail: list[Block]) -> list[Block]:
    """``blocks + tail`` cut to 50 blocks, keeping ``tail`` (the live buttons) whole."""
    room = MAX_BLOCKS - len(tail)
    if room < 0:
        return tail[:MAX_BLOCKS]
    if len(blocks) > room:
        blocks = blocks[: max(room - 1, 0)] + ([context("…")] if room else [])
    return blocks + tail


def _fallback(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# -- formatting --------------------------------------------------------------------


def format_number(number: str) -> str:
    """``4930123456`` -> ``+49 30 123456`` (international form), or ``+digits`` if unknown."""
    digits = number.lstrip("+")
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return "+" + digits
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def format_date(moment: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` (account time), or ``—``."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def format_money(amount: Decimal, currency: str) -> str:
    """``12.50 USD``."""
    return f"{amount:.2f} {currency}".strip()


def _on(flag: bool | None) -> str:
    return "—" if flag is None else ("on" if flag else "off")


# -- conversation screens -------------------------------------------------------------


def render_screens(screens: Sequence[Screen], chat_id: str) -> Rendered:
    """The engine's screens as one message; only the last screen's buttons are live.

    Each button's ``action_id`` is unique in the message and its ``value``
    carries ``chat_id`` and the engine's opaque action. A screen expecting
    text gets a "Type an answer" button (a one-field modal; in a DM with the
    bot typing a message works too); one expecting a file says where to share it.
    A screen carrying a form gets its ``open`` button, which opens the form as a modal.
    """
    if not screens:
        return Rendered(" ", section(" "))
    body: list[Block] = []
    for screen in screens[:-1]:
        body += section(screen.text)
        body.append({"type": "divider"})
    last = screens[-1]
    body += section(last.text)
    tail: list[Block] = []
    if last.expects == "file":
        tail.append(context(FILE_STEP_HINT))
    if last.expects == "text":
        tail.append(
            actions_block([button("✏️ Type an answer", actions.TEXT_ANSWER, chat_id, style="primary")])
        )
    opener = last.form.open if last.form is not None else None
    if opener is not None:
        value = actions.wizard_value(chat_id, opener.action)
        tail.append(actions_block([button(opener.label, actions.FORM_OPEN, value, style="primary")]))
    for r, row in enumerate(last.buttons):
        elements = [
            button(b.label, actions.wizard_action_id(r, c), actions.wizard_value(chat_id, b.action))
            for c, b in enumerate(row)
        ]
        if elements:
            tail.append(actions_block(elements))
    return Rendered(_fallback(last.text), _fit(body, tail), replaces_pressed=screens[0].replaces_pressed)


# -- numbers -------------------------------------------------------------------------


def status_words(status: str) -> str:
    """A number's status in words, as the chats show it (``reserved_on`` -> reserved until a top-up)."""
    return status_text(translator("en"), status)


def number_line(record: DirectNumber) -> str:
    """One number in a list (mrkdwn)."""
    parts = [
        f"*{escape(format_number(record.number))}*",
        escape(status_words(record.status)),
        f"until {format_date(record.stop_date)}",
        f"auto-renewal {_on(record.autorenew)}",
    ]
    if record.sip:
        parts.append(f"SIP {escape(record.sip)}")
    where = " ".join(p for p in (record.country, record.description) if p)
    if where:
        parts.append(escape(where))
    return " · ".join(parts)


def numbers_message(title: str, records: Sequence[DirectNumber], *, empty: str) -> Rendered:
    """A titled list of numbers, cut to what fits in one message with a note of how many were left out."""
    if not records:
        return Rendered(f"{title}\n{empty}", section(f"*{escape(title)}*\n{escape(empty)}", markdown=True))
    blocks: list[Block] = []
    current = f"*{escape(title)}* ({len(records)})"
    shown = 0
    for record in records:
        line = number_line(record)
        candidate = f"{current}\n{line}"
        if len(candidate) > MAX_SECTION:
            if len(blocks) == MAX_BLOCKS - 2:
                break
            blocks += section(current, markdown=True)
            current = line
        else:
            current = candidate
        shown += 1
    blocks += section(current, markdown=True)
    if shown < len(records):
        blocks.append(context(f"… and {len(records) - shown} more; narrow the list with a filter."))
    return Rendered(f"{title}: {len(records)}", blocks)


def number_card(
    record: DirectNumber, assignment: NumberAssignment | None, caller_name: str | None = None
) -> Rendered:
    """One number in full (``caller_name``: as last set here), with buttons to prolong and switch renewal."""
    digits = record.number.lstrip("+")
    sip = record.sip or "—"
    if record.sip_name:
        sip = f"{sip} ({record.sip_name})"
    owner = "—"
    if assignment is not None:
        owner = f"{assignment.owner.platform}:{assignment.owner.user_id} (by {assignment.assigned_by})"
    fields = [
        ("Status", status_words(record.status)),
        ("Where", " ".join(p for p in (record.country, record.description) if p) or "—"),
        ("Paid until", format_date(record.stop_date)),
        ("Auto-renewal", _on(record.autorenew)),
        ("Monthly fee", format_money(record.monthly_fee, record.currency)),
        ("SIP target", sip),
        ("Test mode", _on(record.is_on_test)),
        ("Caller name", caller_name or "—"),
        ("SMS reception", _on(record.receive_sms)),
        ("Channels", str(record.channels)),
        ("Owner", owner),
    ]
    title = format_number(record.number)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{escape(value)}"} for name, value in fields],
        },
        actions_block(
            [
                button(
                    "Prolong 1 month",
                    actions.PROLONG_ASK,
                    actions.ProlongChoice(digits, 1).encode(),
                    style="primary",
                ),
                button(
                    "Turn auto-renewal off" if record.autorenew else "Turn auto-renewal on",
                    actions.AUTORENEW,
                    actions.autorenew_value(digits, not record.autorenew),
                ),
            ]
        ),
    ]
    return Rendered(f"{title}: {status_words(record.status)}, until {format_date(record.stop_date)}", blocks)


def prolong_confirmation(quote: ProlongQuote, key: str) -> Rendered:
    """The price and the new date, with a confirm button carrying the idempotency ``key``."""
    price = format_money(quote.amount, quote.currency)
    months = translator("en").ngettext("common.months", quote.months)
    lines = [
        f"*Prolong {escape(format_number(quote.number))} by {months}?*",
        f"Price: *{price}*",
        f"Paid until: {format_date(quote.stop_date)} → *{format_date(quote.new_stop_date)}*",
        f"Balance: {format_money(quote.balance, quote.balance_currency)}",
    ]
    if quote.currency != quote.balance_currency:
        lines.append(
            f"The price is in {quote.currency}; Zadarma charges the account in {quote.balance_currency}."
        )
    elif quote.affordable is False:
        lines.append(":warning: The balance does not cover this; Zadarma will refuse it.")
    choice = actions.ProlongChoice(quote.number.lstrip("+"), quote.months, key)
    blocks = [
        *section("\n".join(lines), markdown=True),
        actions_block(
            [
                button(f"Pay {price} and prolong", actions.PROLONG_CONFIRM, choice.encode(), style="primary"),
                button("Cancel", actions.DISMISS, "prolong"),
            ]
        ),
    ]
    return Rendered(f"Prolong {format_number(quote.number)} for {price}?", blocks)


# -- documents ---------------------------------------------------------------------


def groups_message(groups: Sequence[DocumentGroup]) -> Rendered:
    """Document groups with a button per group (first 20) and one to create a group in a form."""
    lines = [
        f"*#{g.id}* {escape(g.display_name)}" + (" (read-only)" if g.is_readonly else "") for g in groups
    ]
    text = "*Document groups*\n" + ("\n".join(lines) if lines else "None yet.")
    buttons = [button(f"#{g.id} {g.display_name}", actions.GROUP_SHOW, str(g.id)) for g in groups[:20]]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    tail = [actions_block(row) for row in rows]
    tail.append(actions_block([button("New document group", actions.GROUP_NEW, "", style="primary")]))
    return Rendered(f"Document groups: {len(groups)}", _fit(section(text, markdown=True), tail))


def group_message(group: DocumentGroup, files: Sequence[DocumentFile], wrongs: CheckingWrongs) -> Rendered:
    """One group's files and verification state, and why something was rejected."""
    lines = [f"*Document group #{group.id}* {escape(group.display_name)}"]
    if not files:
        lines.append("No documents uploaded.")
    for f in files:
        state = "verified" if f.is_verified else "waiting for verification"
        lines.append(f"• {escape(f.type)}: {escape(f.name or 'file')} — {state}")
    verified = bool(files) and all(f.is_verified for f in files)
    lines.append("Verification: " + ("all documents verified" if verified else "not complete"))
    if wrongs.document_message:
        what = f" ({escape(wrongs.document_type)})" if wrongs.document_type else ""
        lines.append(f":x: Document rejected{what}: {escape(wrongs.document_message)}")
    if wrongs.address_message:
        lines.append(f":x: Address rejected: {escape(wrongs.address_message)}")
    body = section("\n".join(lines), markdown=True)
    if not group.is_readonly:
        body.append(actions_block([button("Edit details", actions.GROUP_EDIT, str(group.id))]))
    return Rendered(f"Document group #{group.id}", body)


# -- audit, alerts, digest ---------------------------------------------------------------


def audit_message(entries: Iterable[AuditEntry], target: str | None) -> Rendered:
    """Audit entries, newest first."""
    lines = [
        f"`{e.at.strftime('%Y-%m-%d %H:%M')}` {escape(e.actor)} *{escape(e.action)}* "
        f"{escape(e.target)} — {escape(e.result)}"
        for e in entries
    ]
    title = f"Audit of {format_number(target)}" if target else "Audit log"
    body = "\n".join(lines) if lines else "Nothing recorded."
    return Rendered(title, _fit(section(f"*{escape(title)}*\n{body}", markdown=True), []))


def alert_message(
    text: str, number: str | None, *, prolong: bool = True, autorenew: bool = True, card: bool = True
) -> Rendered:
    """An alert for the team's channel, with one-tap buttons about its number (when it names one)."""
    blocks = section(text)
    if number:
        digits = number.lstrip("+")
        elements: list[Block] = []
        if prolong:
            elements.append(
                button(
                    "Prolong 1 month",
                    actions.PROLONG_ASK,
                    actions.ProlongChoice(digits, 1).encode(),
                    style="primary",
                )
            )
        if autorenew:
            elements.append(
                button("Turn auto-renewal on", actions.AUTORENEW, actions.autorenew_value(digits, True))
            )
        if card:
            elements.append(button("Show number", actions.NUMBER_CARD, digits))
        if elements:
            blocks.append(actions_block(elements))
    return Rendered(_fallback(text), blocks)


def digest_message(lines: Sequence[str]) -> Rendered:
    """The daily digest: a header and the lines."""
    body = "\n".join(lines) if lines else "Nothing to report."
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "Daily digest"}}]
    return Rendered(_fallback("Daily digest\n" + body), _fit(blocks + section(body), []))


def note(text: str) -> Rendered:
    """A one-section message (mrkdwn)."""
    return Rendered(_fallback(text), section(text, markdown=True))
