"""Building one screen while registering each button's action under a fresh token."""

from __future__ import annotations

from conversations.i18n import Translator
from conversations.screens import Button, Expects, Form, Screen
from conversations.state import Action, ConversationState
from conversations.tokens import format_token, new_salt


class ScreenBuilder:
    """Collects button rows for one screen; :meth:`actions` is the new token table.

    The builder never changes the state it is given: it counts the tokens it
    makes on its own, and the engine, once the screen is kept, advances the
    state past them (:meth:`claim`) and stores the table. A step's render can
    therefore build buttons and still leave the state as it found it.

    ``reuse`` (showing the current screen again, no event applied): a button
    whose action the live menu already has keeps that button's token, so the
    menu on screen stays valid and nothing new needs saving.
    """

    def __init__(self, state: ConversationState, tr: Translator, *, reuse: bool = False) -> None:
        self.tr = tr
        self._salt = state.salt
        self._seq = state.seq
        self._rows: list[tuple[Button, ...]] = []
        self._actions: dict[str, Action] = {}
        self._reusable: dict[Action, str] = {}
        if reuse:
            for token, action in state.actions.items():
                self._reusable.setdefault(action, token)

    def _next_token(self) -> str:
        if not self._salt:
            self._salt = new_salt()
        self._seq += 1
        return format_token(self._salt, self._seq)

    def button(
        self, label: str, op: str, ref: str = "", n: int = 0, *, role: str = "", shown: str = ""
    ) -> Button:
        """A button whose press runs ``op`` with ``ref``/``n`` (kept server-side, not in the token).

        ``role`` marks navigation (see :class:`~conversations.screens.Button`); ``shown``
        is a value the button displays that its press takes as is (see :class:`Action`).
        """
        action = Action(op=op, ref=ref, n=n, shown=shown)
        token = self._reusable.pop(action, None) or self._next_token()
        self._actions[token] = action
        return Button(label, token, role)

    def row(self, *buttons: Button) -> None:
        """Add one row of buttons (empty rows are skipped)."""
        if buttons:
            self._rows.append(tuple(buttons))

    def rows(self, buttons: list[Button], per_row: int) -> None:
        """Add ``buttons`` wrapped ``per_row`` to a row."""
        for start in range(0, len(buttons), per_row):
            self.row(*buttons[start : start + per_row])

    def back(self, op: str = "back") -> Button:
        """The translated Back button."""
        return self.button(self.tr.gettext("button.back"), op)

    def cancel(self) -> Button:
        """The translated Cancel button (leaves the flow for the main menu)."""
        return self.button(self.tr.gettext("button.cancel"), "nav.cancel")

    def menu(self) -> Button:
        """The translated Main menu button."""
        return self.button(self.tr.gettext("button.menu"), "nav.menu")

    def screen(self, text: str, expects: Expects = "choice", *, form: Form | None = None) -> Screen:
        """The finished screen (``form``: the description of the form it asks, if any)."""
        return Screen(text, tuple(self._rows), expects, form=form)

    @property
    def actions(self) -> dict[str, Action]:
        """The token table of the buttons built so far."""
        return dict(self._actions)

    def claim(self, state: ConversationState) -> None:
        """Advance ``state``'s token counter past every token built here, so none is made again.

        Called by the engine for the screen it keeps (not by a step); nothing changes when
        no new token was made.
        """
        if self._seq != state.seq:
            state.salt = self._salt
            state.seq = self._seq
