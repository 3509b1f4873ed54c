"""Screens as Telegram messages (adapters.telegram.render)."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from adapters.telegram.render import (
    EMPTY_TEXT,
    MAX_TEXT,
    Outgoing,
    WebAppLink,
    keyboard,
    render_screen,
    render_screens,
    split_text,
    telegram_length,
)
from conversations.screens import Button, Screen


def test_buttons_become_an_inline_keyboard_with_the_action_as_callback_data() -> None:
    screen = Screen(
        "Pick one", ((Button("🇵🇱 Poland", "a1"), Button("🇩🇪 Germany", "a2")), (Button("Back", "b"),))
    )

    [message] = render_screen(screen)

    assert message.text == "Pick one"
    markup = message.markup()
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [[("🇵🇱 Poland", "a1"), ("🇩🇪 Germany", "a2")], [("Back", "b")]]


def test_the_keyboard_is_the_data_aiogram_s_model_of_it_sends() -> None:
    """The plain keyboard is exactly what aiogram's models of the same buttons dump for the Bot API."""
    rows = ((Button("🇵🇱 Poland", "a1"), Button("", "a2")), (Button("Back", "b"),))
    built = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="🇵🇱 Poland", callback_data="a1"),
                InlineKeyboardButton(text=EMPTY_TEXT, callback_data="a2"),
            ],
            [InlineKeyboardButton(text="Back", callback_data="b")],
        ]
    )
    assert keyboard(rows) == built.model_dump(exclude_none=True)
    link = WebAppLink("https://127.0.0.1/app", "Open")
    [message] = render_screen(Screen("Pick", rows), link)
    app = InlineKeyboardButton(text="Open", web_app=WebAppInfo(url=link.url))
    with_app = InlineKeyboardMarkup(inline_keyboard=[[app], *built.inline_keyboard])
    assert message.keyboard == with_app.model_dump(exclude_none=True)
    assert message.markup() == with_app


def test_a_screen_without_buttons_has_no_keyboard() -> None:
    assert render_screen(Screen("Done.", (), "none")) == [Outgoing("Done.", None)]


def test_empty_rows_are_dropped() -> None:
    assert keyboard(((), ())) is None
    markup = keyboard(((), (Button("OK", "ok"),)))
    assert markup is not None and len(markup["inline_keyboard"]) == 1


def test_text_is_sent_as_is_without_markup() -> None:
    text = "Price: <b>5</b> & *more* _x_"
    assert render_screen(Screen(text))[0].text == text


def test_an_empty_text_is_replaced_because_telegram_refuses_it() -> None:
    assert render_screen(Screen("  \n"))[0].text == EMPTY_TEXT


def test_several_screens_keep_their_order() -> None:
    screens = [Screen("Saved.", (), "none"), Screen("Menu", ((Button("Go", "g"),),))]
    messages = render_screens(screens)
    assert [m.text for m in messages] == ["Saved.", "Menu"]
    assert messages[0].keyboard is None and messages[1].keyboard is not None


def test_a_long_text_is_split_at_line_breaks_with_the_keyboard_on_the_last_part() -> None:
    lines = [f"{i:04d} " + "x" * 90 for i in range(100)]
    screen = Screen("\n".join(lines), ((Button("Next", "n"),),))

    messages = render_screen(screen)

    assert len(messages) == 3
    assert all(len(m.text) <= MAX_TEXT for m in messages)
    assert "\n".join(m.text for m in messages) == screen.text
    assert [m.keyboard is not None for m in messages] == [False, False, True]


def test_split_text_cuts_inside_a_very_long_line_when_it_must() -> None:
    parts = split_text("y" * 10_000, limit=4096)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_split_text_counts_emoji_as_telegram_does() -> None:
    text = "🇵🇱" * 1500  # 3000 characters, 6000 UTF-16 code units
    parts = split_text(text)
    assert len(parts) == 2
    assert all(telegram_length(p) <= MAX_TEXT for p in parts)
    assert "".join(parts) == text


def test_an_action_over_64_bytes_is_a_bug_reported_loudly() -> None:
    class Loose:
        label = "x"
        action = "ą" * 40  # 80 bytes in UTF-8

    with pytest.raises(ValueError, match="64 bytes"):
        keyboard(((Loose(),),))  # type: ignore[arg-type]


def test_an_action_of_exactly_64_bytes_is_allowed() -> None:
    action = "ą" * 32  # 64 bytes in UTF-8
    markup = keyboard(((Button("x", action),),))
    assert markup == {"inline_keyboard": [[{"text": "x", "callback_data": action}]]}


def test_a_message_without_buttons_has_no_markup_and_the_app_button_may_be_its_only_one() -> None:
    assert Outgoing("Done.").markup() is None
    link = WebAppLink("https://127.0.0.1/app", "📷 Upload")
    [message] = render_screen(Screen("Please send: Passport", (), "file"), link)
    assert message.keyboard == {
        "inline_keyboard": [[{"text": "📷 Upload", "web_app": {"url": "https://127.0.0.1/app"}}]]
    }
