"""The "⏳" a conversation shows while a step waits on Zadarma more than once (a payment, a SIP change).

After a press it replaces the pressed message, buttons included, so what is being done
cannot be pressed again meanwhile; after typed input it comes as a new message. The
conversation's reply then takes its place (the presenter edits that message). It never
waits out a flood limit: the work goes on whatever happens to it.
"""

from __future__ import annotations

from adapters.telegram.render import render_screen
from adapters.telegram.sending import Sender
from conversations.screens import Screen


class Interim:
    """Shows one event's interim screen in ``chat_id``; ``pressed`` is the pressed message, if any."""

    def __init__(self, sender: Sender, chat_id: int, pressed: int | None) -> None:
        self._sender = sender
        self._chat_id = chat_id
        self._pressed = pressed
        self.message_id: int | None = None
        """The message showing the interim screen (``None``: none is shown)."""

    async def show(self, screen: Screen) -> None:
        """Show ``screen`` (a short text without buttons) at once."""
        message = render_screen(screen)[0]
        if self._pressed is not None:
            if await self._sender.edit(self._chat_id, self._pressed, message, max_wait=0):
                self.message_id = self._pressed
            return
        self.message_id = await self._sender.send(self._chat_id, message, max_wait=0)
