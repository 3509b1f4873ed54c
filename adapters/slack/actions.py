"""What the adapter's buttons and modals carry: action ids, callback ids and their values (pure).

Wizard buttons carry the conversation's chat id and the engine's opaque
action, so a press reaches the conversation that drew the button wherever
the message is shown (a channel, or the DM where a file was shared). The
user is never taken from a value: it is always the user Slack signed the
payload for, so a press can only move that user's own conversation.
Prolong confirmations carry an idempotency key, the number and the months
(never a price: the price is computed again when paying).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

PREFIX = "zb."
WIZARD = "zb.w"  # zb.w.<row>.<col>, value: CHAT|ACTION
WIZARD_PATTERN = re.compile(r"^zb\.w\.\d+\.\d+$")
TEXT_ANSWER = "zb.text"  # opens the one-field modal; value: CHAT
PROLONG_ASK = "zb.prolong.ask"  # value: NUMBER|MONTHS -> confirmation with price
PROLONG_CONFIRM = "zb.prolong.confirm"  # value: KEY|NUMBER|MONTHS
DISMISS = "zb.dismiss"  # removes an ephemeral confirmation
AUTORENEW = "zb.autorenew"  # value: NUMBER|on|off
NUMBER_CARD = "zb.number"  # value: NUMBER -> the number's card
FORM_OPEN = "zb.form"  # opens the form of a conversation's screen as a modal; value: CHAT|TOKEN
GROUP_NEW = "zb.group.new"  # opens the operator's new-group modal (``/numbers docs``); value: ""
GROUP_SHOW = "zb.group.show"  # value: GROUP_ID
GROUP_EDIT = "zb.group.edit"  # opens the group's edit modal; value: GROUP_ID

ANY_ACTION = re.compile(r"^zb\.")

TEXT_VIEW = "zb.view.text"
FORM_VIEW = "zb.view.form"
GROUP_VIEW = "zb.view.group"
GROUP_EDIT_VIEW = "zb.view.group_edit"
TEXT_BLOCK = "answer"
TEXT_INPUT = "value"


def wizard_action_id(row: int, col: int) -> str:
    """A unique action id for the button at ``row``/``col`` of a wizard screen."""
    return f"{WIZARD}.{row}.{col}"


def wizard_value(chat_id: str, action: str) -> str:
    """``CHAT|ACTION``: the conversation the press goes to and the engine's opaque action."""
    return f"{chat_id}|{action}"


def parse_wizard_value(value: str) -> tuple[str, str] | None:
    """``(chat_id, action)``, or None when the value is not a wizard value."""
    chat_id, sep, action = value.partition("|")
    if not sep or not chat_id or not action:
        return None
    return chat_id, action


@dataclass(frozen=True)
class ProlongChoice:
    """A number and months; with ``key`` it is a confirmation (the idempotency key of that click)."""

    number: str
    months: int
    key: str = ""

    def encode(self) -> str:
        """``NUMBER|MONTHS`` or ``KEY|NUMBER|MONTHS``."""
        parts = [self.number, str(self.months)]
        return "|".join([self.key, *parts] if self.key else parts)

    @classmethod
    def decode(cls, value: str) -> ProlongChoice | None:
        """The choice, or None when the value is malformed."""
        parts = value.split("|")
        if len(parts) == 2:
            key, number, months = "", parts[0], parts[1]
        elif len(parts) == 3:
            key, number, months = parts
        else:
            return None
        if not number.isdigit() or not months.isdigit() or not 1 <= int(months) <= 12:
            return None
        return cls(number, int(months), key)


def autorenew_value(number: str, enabled: bool) -> str:
    """``NUMBER|on`` or ``NUMBER|off``."""
    return f"{number}|{'on' if enabled else 'off'}"


def parse_autorenew_value(value: str) -> tuple[str, bool] | None:
    """``(number, enabled)``, or None when malformed."""
    number, _, state = value.partition("|")
    if not number.isdigit() or state not in {"on", "off"}:
        return None
    return number, state == "on"


@dataclass(frozen=True)
class ModalContext:
    """Round-tripped in a modal's ``private_metadata``: where the modal came from.

    ``chat_id`` names the wizard conversation (empty outside the wizard),
    ``channel_id`` where to answer, ``response_url`` the message to replace
    (empty when there is none), ``group_id`` the document group an edit modal corrects,
    ``form`` the engine's token of the form a conversation's modal shows.
    """

    chat_id: str = ""
    channel_id: str = ""
    response_url: str = ""
    group_id: int | None = None
    form: str = ""

    def encode(self) -> str:
        """Compact JSON (well under Slack's 3000 characters)."""
        data: dict[str, object] = {"c": self.chat_id, "ch": self.channel_id, "r": self.response_url}
        if self.group_id is not None:
            data["g"] = self.group_id
        if self.form:
            data["f"] = self.form
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> ModalContext:
        """The context, or an empty one when the metadata is missing or malformed."""
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        group = data.get("g")
        group_id = group if isinstance(group, int) and not isinstance(group, bool) and group >= 0 else None
        return cls(
            str(data.get("c") or ""),
            str(data.get("ch") or ""),
            str(data.get("r") or ""),
            group_id,
            str(data.get("f") or ""),
        )
