"""What the adapter's buttons and modals carry: action ids, callback ids and their values (pure).

Wizard buttons carry the conversation's chat id and the engine's opaque
action, so a press reaches the conversation that drew the button wherever
the message is shown (a channel, or the DM where a file was shared). The
user is never taken from a value: it is always the user Slack signed the
payload for, so a press can only move that user's own conversation.
The team console's buttons work the same way (chat ``team``, or
``alerts:CHANNEL`` for an alert's buttons; see :mod:`adapters.slack.team`):
no button carries a number, a price or an idempotency key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

PREFIX = "zb."
WIZARD = "zb.w"  # zb.w.<row>.<col>, value: CHAT|ACTION
WIZARD_PATTERN = re.compile(r"^zb\.w\.\d+\.\d+$")
TEXT_ANSWER = "zb.text"  # opens the one-field modal; value: CHAT
FORM_OPEN = "zb.form"  # opens the form of a conversation's screen as a modal; value: CHAT|TOKEN

ANY_ACTION = re.compile(r"^zb\.")

TEXT_VIEW = "zb.view.text"
FORM_VIEW = "zb.view.form"
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
class ModalContext:
    """Round-tripped in a modal's ``private_metadata``: where the modal came from.

    ``chat_id`` names the conversation (a channel's or DM's wizard, or ``team``, the
    operator's console), ``channel_id`` where to answer, ``response_url`` the message to
    replace (empty when there is none), ``form`` the engine's token of the form a
    conversation's modal shows.
    """

    chat_id: str = ""
    channel_id: str = ""
    response_url: str = ""
    form: str = ""

    def encode(self) -> str:
        """Compact JSON (well under Slack's 3000 characters)."""
        data: dict[str, object] = {"c": self.chat_id, "ch": self.channel_id, "r": self.response_url}
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
        return cls(
            str(data.get("c") or ""),
            str(data.get("ch") or ""),
            str(data.get("r") or ""),
            str(data.get("f") or ""),
        )
