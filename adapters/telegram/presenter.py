"""Showing a conversation's screens in a chat.

After a button press the first screen replaces the pressed message (so menus
change in place) and further screens follow as new messages; after typed
input or a file every screen is a new message. The buttons of the chat's
previous menu are then removed, so only the current menu looks live (an old
button pressed anyway still gets the conversation's "menu expired" answer).
A press the conversation did not apply (``Screen.replaces_pressed`` false)
leaves the pressed message's text alone (it may tell a payment's outcome):
its buttons are removed and the screens come as new messages.

With the Mini App configured (``web_app_url``), a current menu that asks a form
or a file gets a ``web_app`` button opening the page; without it the chat is
exactly the fallback it always was.
"""

from __future__ import annotations

from collections import OrderedDict

from adapters.telegram import texts
from adapters.telegram.render import WebAppLink, render_screens, web_app_label
from adapters.telegram.sending import Sender
from conversations.screens import Screen


class Presenter:
    """Renders screens into a chat and remembers each chat's live menu message (in memory)."""

    def __init__(self, sender: Sender, *, remembered_chats: int = 10_000, web_app_url: str = "") -> None:
        self._sender = sender
        self._web_app_url = web_app_url
        self._menus: OrderedDict[int, int] = OrderedDict()
        self._capacity = remembered_chats

    async def show(
        self, chat_id: int, screens: list[Screen], *, edit: int | None = None, language: str = "en"
    ) -> list[int]:
        """Show ``screens``; ``edit`` is the pressed message to reuse. Returns the message ids shown.

        ``language`` is the conversation's, for the Mini App button's label.
        """
        messages = render_screens(screens, self._web_app(screens, language))
        if not messages:
            return []
        shown: list[int] = []
        rest = messages
        replaces = screens[0].replaces_pressed
        if edit is not None and replaces and await self._sender.edit(chat_id, edit, messages[0]):
            shown.append(edit)
            rest = messages[1:]
        for message in rest:
            shown.append(await self._sender.send(chat_id, message))
        previous = await self._retire_previous_menu(
            chat_id, shown, has_menu=messages[-1].keyboard is not None
        )
        if edit is not None and not replaces and edit != previous:
            await self._sender.strip_keyboard(chat_id, edit)
        return shown

    def _web_app(self, screens: list[Screen], language: str) -> WebAppLink | None:
        if not self._web_app_url or not screens:
            return None
        label = web_app_label(screens[-1], texts.message(language, "webapp_open"))
        return WebAppLink(self._web_app_url, label) if label else None

    async def _retire_previous_menu(self, chat_id: int, shown: list[int], *, has_menu: bool) -> int | None:
        """Remember the new live menu and strip the buttons of the one before; returns that one's id."""
        previous = self._menus.pop(chat_id, None)
        if has_menu:
            self._menus[chat_id] = shown[-1]
            while len(self._menus) > self._capacity:
                self._menus.popitem(last=False)
        if previous is not None and previous not in shown:
            await self._sender.strip_keyboard(chat_id, previous)
        return previous
