"""What the engine answers: screens of final text with rows of buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

MAX_ACTION_BYTES = 64
"""Telegram's limit for callback data; every button action fits in it."""

Expects: TypeAlias = Literal["text", "file", "choice", "none"]


@dataclass(frozen=True)
class Button:
    """A button: its translated ``label`` and the opaque ``action`` token a press sends back.

    ``role`` marks navigation an adapter may place or key in its own way
    (``prev``/``next`` for page turning); empty for every other button.
    """

    label: str
    action: str
    role: str = ""

    def __post_init__(self) -> None:
        if not self.action or len(self.action.encode("utf-8")) > MAX_ACTION_BYTES:
            raise ValueError(f"button action must be 1..{MAX_ACTION_BYTES} bytes")


@dataclass(frozen=True)
class Screen:
    """One message to show.

    ``text`` is final, translated plain text (emoji allowed, no markup);
    ``buttons`` are rows; ``expects`` tells the adapter what input the
    conversation waits for (typed ``text``, a ``file``, a button ``choice``,
    or ``none`` for an informational message). ``settles`` names the
    payments (intent keys) whose final outcome these screens tell: once they
    are shown, the adapter passes them to ``ConversationEngine.acknowledge``
    so the outcome is not sent again as an alert. ``replaces_pressed`` is
    False when these screens answer a press that was not applied (a button of
    an expired menu, or a press delivered again after its effect was saved):
    the pressed message then keeps what it shows, which may be a payment's
    outcome, and the screens come as new messages.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    expects: Expects = "choice"
    settles: tuple[str, ...] = ()
    replaces_pressed: bool = True

    @property
    def actions(self) -> tuple[str, ...]:
        """Every button's action, row by row."""
        return tuple(b.action for row in self.buttons for b in row)
