"""Block Kit rendering: screens, limits, confirmations and alerts (pure)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from adapters.slack import actions, blocks
from adapters.slack.texts import FILE_STEP_HINT
from bot.services.ordering import ProlongQuote
from bot.zadarma.models import DirectNumber
from conversations.screens import Button, Screen


def all_buttons(rendered: blocks.Rendered) -> list[blocks.Block]:
    return [e for b in rendered.blocks if b["type"] == "actions" for e in b["elements"]]


def test_only_the_last_screen_has_live_buttons_carrying_chat_and_action() -> None:
    note = Screen("Saved.", (), "none")
    menu = Screen("Pick one", ((Button("A", "t1"), Button("B", "t2")), (Button("Back", "t3"),)))
    rendered = blocks.render_screens([note, menu], "C42")
    assert rendered.text == "Pick one"
    assert rendered.blocks[0]["text"] == {"type": "plain_text", "text": "Saved.", "emoji": True}
    assert rendered.blocks[1] == {"type": "divider"}
    elements = all_buttons(rendered)
    assert [e["value"] for e in elements] == ["C42|t1", "C42|t2", "C42|t3"]
    ids = [e["action_id"] for e in elements]
    assert ids == ["zb.w.0.0", "zb.w.0.1", "zb.w.1.0"] and len(set(ids)) == len(ids)


def test_text_and_file_steps_say_how_to_answer() -> None:
    typed = blocks.render_screens([Screen("Country?", (), "text")], "C1")
    assert [e["action_id"] for e in all_buttons(typed)] == [actions.TEXT_ANSWER]
    assert all_buttons(typed)[0]["value"] == "C1"
    upload = blocks.render_screens([Screen("Passport please", (), "file")], "C1")
    assert FILE_STEP_HINT in upload.blocks[-1]["elements"][0]["text"]


def test_slack_limits_are_kept() -> None:
    long_text = "\n".join(f"line {i} " + "x" * 80 for i in range(200))
    many_rows = tuple((Button(f"{'label ' * 20}{i}", f"t{i}"),) for i in range(60))
    rendered = blocks.render_screens([Screen("note " * 1000, (), "none"), Screen(long_text, many_rows)], "C1")
    assert len(rendered.blocks) <= blocks.MAX_BLOCKS
    for block in rendered.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= blocks.MAX_SECTION
    for element in all_buttons(rendered):
        assert len(element["text"]["text"]) <= blocks.MAX_BUTTON_LABEL
    assert len(rendered.text) <= blocks.MAX_TEXT


def test_a_long_number_list_says_how_many_were_left_out() -> None:
    records = [
        DirectNumber(number=f"4822{i:07d}", status="on", country="Poland", description="Warsaw " + "y" * 60)
        for i in range(2000)
    ]
    rendered = blocks.numbers_message("Numbers", records, empty="none")
    assert len(rendered.blocks) == blocks.MAX_BLOCKS
    assert "more; narrow the list" in rendered.blocks[-1]["elements"][0]["text"]
    shown = sum(b["text"]["text"].count("+48") for b in rendered.blocks if b["type"] == "section")
    assert f"… and {2000 - shown} more" in rendered.blocks[-1]["elements"][0]["text"]


def test_the_prolong_confirmation_shows_price_and_date_and_carries_the_key() -> None:
    quote = ProlongQuote(
        "48221234567",
        3,
        Decimal("15"),
        "USD",
        datetime(2026, 3, 1, 10, 0),
        datetime(2026, 6, 1, 10, 0),
        Decimal("4"),
        "USD",
    )
    rendered = blocks.prolong_confirmation(quote, "slack-prolong-k1")
    text = rendered.blocks[0]["text"]["text"]
    assert "15.00 USD" in text and "2026-03-01 10:00 → *2026-06-01 10:00*" in text
    assert "does not cover" in text
    confirm, cancel = all_buttons(rendered)
    assert confirm["action_id"] == actions.PROLONG_CONFIRM
    assert actions.ProlongChoice.decode(str(confirm["value"])) == actions.ProlongChoice(
        "48221234567", 3, "slack-prolong-k1"
    )
    assert "15.00" not in str(confirm["value"])  # no price travels in a button
    assert cancel["action_id"] == actions.DISMISS


def test_alerts_and_digest() -> None:
    alert = blocks.alert_message("Expires soon", "+48221234567", autorenew=False)
    assert [e["action_id"] for e in all_buttons(alert)] == [actions.PROLONG_ASK, actions.NUMBER_CARD]
    assert blocks.alert_message("Balance low", None).blocks == blocks.section("Balance low")
    digest = blocks.digest_message([])
    assert digest.blocks[0]["type"] == "header" and "Nothing to report." in digest.text


def test_formatting() -> None:
    assert blocks.format_number("48221234567") == "+48 22 123 45 67"
    assert blocks.format_number("999") == "+999"
    assert blocks.escape("<a&b>") == "&lt;a&amp;b&gt;"
    assert blocks.format_date(None) == "—"
