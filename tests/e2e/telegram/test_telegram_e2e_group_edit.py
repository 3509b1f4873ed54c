"""Correcting a document group in Telegram: My documents → group → ✏️ Edit details → Save."""

from __future__ import annotations

from bot.storage import UserRef
from tests.e2e.telegram.telegram_helpers import TelegramHarness, fill_group_form, start_kraków_order, text_of


async def test_a_customer_corrects_a_group_from_my_documents(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user(first_name="Ann", language_code="en")
    await start_kraków_order(h, ann)
    await fill_group_form(h, ann)
    await h.press(ann, "Create")
    [group_id] = await h.storage.ownership.groups_of(UserRef("telegram", str(ann.id)))

    await h.say(ann, "/documents")
    await h.press(ann, "Anna Nowak")
    await h.press(ann, "Edit details")
    assert h.screen(ann).text.startswith(text_of("docs.edit.title", name="Anna Nowak"))
    await h.press(ann, "City")
    answered = await h.say(ann, "not a real date")  # a city is free text: accepted as typed
    assert "✏️ City: not a real date" in answered[-1].text
    await h.press(ann, "Date of birth")
    refused = await h.say(ann, "31.02.1990")
    assert any(text_of("invalid.date") in m.text for m in refused)
    await h.say(ann, "1990-02-28")
    await h.press(ann, "City")
    await h.say(ann, "Wieliczka")
    assert h.sandbox.state.groups[group_id].fields["city"] == "Kraków"  # nothing sent before Save
    saved = await h.press(ann, "Save changes")
    assert any(text_of("docs.edit.saved", name="Anna Nowak") in m.text for m in saved)
    fields = h.sandbox.state.groups[group_id].fields
    assert (fields["city"], fields["date_of_birth"]) == ("Wieliczka", "1990-02-28")
    assert h.sandbox.call_count("documents.groups.update") == 1
