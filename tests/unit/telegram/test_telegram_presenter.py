"""Edit or send, and retiring the previous menu (adapters.telegram.presenter)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.telegram.presenter import Presenter
from adapters.telegram.render import Outgoing
from conversations.screens import Button, Screen

NOTE = Screen("Saved.", (), "none")
MENU = Screen("Menu", ((Button("Go", "g"),),))


@dataclass
class RecordingSender:
    """Stands in for :class:`adapters.telegram.sending.Sender`, recording what is shown."""

    editable: bool = True
    log: list[tuple[Any, ...]] = field(default_factory=list)
    next_id: int = 100

    async def send(self, chat_id: int, message: Outgoing) -> int:
        self.next_id += 1
        self.log.append(("send", chat_id, message.text))
        return self.next_id

    async def edit(self, chat_id: int, message_id: int, message: Outgoing) -> bool:
        self.log.append(("edit", chat_id, message_id, message.text))
        return self.editable

    async def strip_keyboard(self, chat_id: int, message_id: int) -> None:
        self.log.append(("strip", chat_id, message_id))


async def test_a_press_edits_its_message_with_the_first_screen_and_sends_the_rest() -> None:
    sender = RecordingSender()
    presenter = Presenter(sender)  # type: ignore[arg-type]

    shown = await presenter.show(7, [NOTE, MENU], edit=55)

    assert shown == [55, 101]
    assert sender.log == [("edit", 7, 55, "Saved."), ("send", 7, "Menu")]


async def test_typed_input_gets_new_messages_and_the_old_menu_loses_its_buttons() -> None:
    sender = RecordingSender()
    presenter = Presenter(sender)  # type: ignore[arg-type]
    await presenter.show(7, [MENU])

    await presenter.show(7, [NOTE, MENU])

    assert sender.log == [("send", 7, "Menu"), ("send", 7, "Saved."), ("send", 7, "Menu"), ("strip", 7, 101)]


async def test_a_menu_changed_in_place_keeps_its_buttons() -> None:
    sender = RecordingSender()
    presenter = Presenter(sender)  # type: ignore[arg-type]
    [menu] = await presenter.show(7, [MENU])

    await presenter.show(7, [MENU], edit=menu)

    assert ("strip", 7, menu) not in sender.log


async def test_an_uneditable_message_is_replaced_by_a_new_one() -> None:
    sender = RecordingSender(editable=False)
    presenter = Presenter(sender)  # type: ignore[arg-type]

    shown = await presenter.show(7, [MENU], edit=55)

    assert shown == [101]
    assert sender.log == [("edit", 7, 55, "Menu"), ("send", 7, "Menu")]


async def test_chats_are_independent() -> None:
    sender = RecordingSender()
    presenter = Presenter(sender)  # type: ignore[arg-type]
    await presenter.show(7, [MENU])
    await presenter.show(8, [MENU])

    assert not any(entry[0] == "strip" for entry in sender.log)
