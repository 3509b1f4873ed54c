"""Block Kit rendering: screens, limits, form buttons, the digest (pure)."""

from __future__ import annotations

from adapters.slack import actions, blocks
from adapters.slack.texts import FILE_STEP_HINT, say
from conversations.forms import new_group_form
from conversations.i18n import translator
from conversations.screens import Button, Screen

EN = translator("en")


def all_buttons(rendered: blocks.Rendered) -> list[blocks.Block]:
    return [e for b in rendered.blocks if b["type"] == "actions" for e in b["elements"]]


def test_only_the_last_screen_has_live_buttons_carrying_chat_and_action() -> None:
    note = Screen("Saved.", (), "none")
    menu = Screen("Pick one", ((Button("A", "t1"), Button("B", "t2")), (Button("Back", "t3"),)))
    rendered = blocks.render_screens([note, menu], "C42", "en")
    assert rendered.text == "Pick one"
    assert rendered.blocks[0]["text"] == {"type": "plain_text", "text": "Saved.", "emoji": True}
    assert rendered.blocks[1] == {"type": "divider"}
    elements = all_buttons(rendered)
    assert [e["value"] for e in elements] == ["C42|t1", "C42|t2", "C42|t3"]
    ids = [e["action_id"] for e in elements]
    assert ids == ["zb.w.0.0", "zb.w.0.1", "zb.w.1.0"] and len(set(ids)) == len(ids)


def test_text_and_file_steps_say_how_to_answer() -> None:
    typed = blocks.render_screens([Screen("Country?", (), "text")], "C1", "en")
    assert [e["action_id"] for e in all_buttons(typed)] == [actions.TEXT_ANSWER]
    assert all_buttons(typed)[0]["value"] == "C1"
    upload = blocks.render_screens([Screen("Passport please", (), "file")], "C1", "en")
    assert upload.blocks[-1]["elements"][0]["text"] == say("en", FILE_STEP_HINT, max_mb=20)
    assert "20 MB" in upload.blocks[-1]["elements"][0]["text"]
    # In the conversation's language: a Polish conversation reads Polish.
    polish = blocks.render_screens([Screen("Kraj?", (), "text")], "C1", "pl")
    assert all_buttons(polish)[0]["text"]["text"] == "✏️ Wpisz odpowiedź"
    polish = blocks.render_screens([Screen("Paszport", (), "file")], "C1", "pl")
    assert polish.blocks[-1]["elements"][0]["text"].startswith("Udostępnij plik w wiadomości prywatnej")


def test_slack_limits_are_kept() -> None:
    long_text = "\n".join(f"line {i} " + "x" * 80 for i in range(200))
    many_rows = tuple((Button(f"{'label ' * 20}{i}", f"t{i}"),) for i in range(60))
    rendered = blocks.render_screens(
        [Screen("note " * 1000, (), "none"), Screen(long_text, many_rows)], "C1", "en"
    )
    assert len(rendered.blocks) <= blocks.MAX_BLOCKS
    for block in rendered.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= blocks.MAX_SECTION
    for element in all_buttons(rendered):
        assert len(element["text"]["text"]) <= blocks.MAX_BUTTON_LABEL
    assert len(rendered.text) <= blocks.MAX_TEXT


def test_empty_screens_show_nothing_and_every_console_button_is_an_engine_token() -> None:
    note = Screen("Auto-renewal is now off.", (), "none")
    rendered = blocks.render_screens([note, Screen("", (), "none")], "team", "en")
    assert rendered.text == note.text
    assert [b["type"] for b in rendered.blocks] == ["section"]
    groups = Screen(
        "Document groups",
        (
            (Button("#0 Owner", "t1"), Button("#7 Shop", "t2")),
            (Button("New document group", "t3"),),
        ),
    )
    opened, shop, new = all_buttons(blocks.render_screens([groups], "team", "en"))
    assert (opened["action_id"], opened["value"]) == ("zb.w.0.0", "team|t1")
    assert (shop["action_id"], shop["value"]) == ("zb.w.0.1", "team|t2")
    assert (new["action_id"], new["value"]) == ("zb.w.1.0", "team|t3")
    # The console's document-group form opens from its screen's form button, like the wizard's.
    form = new_group_form(EN, open_button=Button("Fill in the form", "t9", "form"))
    question = Screen("Question 1 of 10", ((Button("Back", "t8"),),), "choice", form=form)
    opener, back = all_buttons(blocks.render_screens([question], "team", "en"))
    assert (opener["action_id"], opener["value"]) == (actions.FORM_OPEN, "team|t9")
    assert (back["action_id"], back["value"]) == ("zb.w.0.0", "team|t8")


def test_digest_and_escaping() -> None:
    assert blocks.digest_message([], "pl").text == "Codzienne podsumowanie\nNic do zgłoszenia."
    digest = blocks.digest_message([], "en")
    assert digest.blocks[0]["type"] == "header" and "Nothing to report." in digest.text
    assert blocks.escape("<a&b>") == "&lt;a&amp;b&gt;"
