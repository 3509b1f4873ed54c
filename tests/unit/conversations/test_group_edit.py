"""Correcting document groups (My documents and inside an order), company and identity fields,
and a direction with a text id and requirements outside the documented vocabulary."""

from __future__ import annotations

import pytest

from bot.services import Actor
from bot.services.errors import InvalidInput, NotYours
from bot.storage import UserRef
from conversations.events import Press
from conversations.state import ConversationState, DocsState, FormState
from tests.unit.conversations.support import JPEG, PNG, Chat, World, t

ME = Actor(UserRef("telegram", "1001"))
GERMAN = {
    "salutation": "MS",
    "first_name": "Anna",
    "last_name": "Nowak",
    "email": "anna@example.com",
    "phone": "48601234567",
    "country": "DE",
    "city": "Berlin",
    "zip_code": "10115",
    "street": "Unter den Linden",
    "building_number": "1",
    "address": "Unter den Linden 1, 10115 Berlin",
}


async def press_exact(chat: Chat, label: str) -> None:
    """Press the button whose label is ``label`` (some labels contain others)."""
    [button] = [b for row in chat.screen.buttons for b in row if b.label == label]
    await chat.send(Press(button.action))


async def open_edit(chat: Chat, name: str) -> None:
    await chat.command("documents")
    await chat.press(name)
    await chat.press("Edit details")
    assert await chat.step() == "docs.edit"


async def test_my_documents_edit_checks_each_field_and_sends_the_whole_record(
    world: World, chat: Chat
) -> None:
    group = await world.services.documents.create_group(ME, {**GERMAN, "middle_name": "Maria"})
    await open_edit(chat, "Anna Nowak")
    text = chat.screen.text
    assert text.startswith(t("docs.edit.title", name="Anna Nowak"))
    assert "City: Berlin" in text and "Date of birth: —" in text and "Identity document: —" in text
    assert "Save" not in " ".join(chat.labels)  # nothing changed yet
    await chat.press("City")
    assert chat.screen.expects == "text" and t("form.current", value="Berlin") in chat.screen.text
    await chat.type("   ")
    assert chat.notes == [t("invalid.empty")]
    await chat.type("Hamburg")
    assert "✏️ City: Hamburg" in chat.screen.text
    await chat.press("Phone")
    await chat.type("call me")
    assert chat.notes == [t("invalid.phone")]
    await chat.press("Back")
    await chat.press("Date of birth")
    await chat.type("12.04.1985")
    assert chat.notes == [t("invalid.date")]
    await chat.type("1985-04-12")
    await press_exact(chat, "Identity document")
    await chat.press("Passport")
    await chat.press("Middle name")
    await chat.press("Clear this field")
    assert world.sandbox.state.groups[group.id].fields["city"] == "Berlin"  # nothing sent before Save
    assert "Hamburg" in (await chat.state()).dump()
    await chat.press("Save changes")
    assert chat.notes == [t("docs.edit.saved", name="Anna Nowak")]
    assert await chat.step() == "docs.group"
    stored = world.sandbox.state.groups[group.id].fields
    assert (stored["city"], stored["date_of_birth"], stored["type_of_id"]) == (
        "Hamburg",
        "1985-04-12",
        "PASSPORT",
    )
    assert stored["middle_name"] is None and stored["street"] == "Unter den Linden"
    state = await chat.state()
    assert state.form is None and "Hamburg" not in state.dump()  # the changes left the state with Save
    audit = await world.storage.audit.list(None, 10)
    assert any(e.action == "group_update" and e.target == f"group:{group.id}" for e in audit)
    assert not any("Hamburg" in str(e.details) for e in audit)  # names of fields only, never values


async def test_leaving_the_edit_sends_nothing(world: World, chat: Chat) -> None:
    group = await world.services.documents.create_group(ME, GERMAN)
    await open_edit(chat, "Anna Nowak")
    await chat.press("City")
    await chat.type("Hamburg")
    await chat.press("Back")
    assert await chat.step() == "docs.group"
    assert world.sandbox.state.groups[group.id].fields["city"] == "Berlin"
    assert (await chat.state()).form is None


async def test_a_company_is_asked_its_organization(world: World, chat: Chat) -> None:
    await chat.command("documents")
    await chat.press("New document group")
    await chat.press("Company")
    form = (await chat.state()).form
    assert form is not None and [f.name for f in form.fields[:2]] == ["salutation", "organization"]
    assert form.fields[1].required
    assert t("form.title", index=2, total=13) in chat.screen.text
    await chat.type("Acme Sp. z o.o.")
    for answer in (
        "Jan",
        "Kowalski",
        "jan@acme.pl",
        "+48601234567",
        "PL",
        "Warszawa",
        "00-001",
        "Prosta",
        "5",
    ):
        await chat.type(answer)
    await chat.type("Prosta 5")
    await chat.press("Skip")
    assert "Company name: Acme Sp. z o.o." in chat.screen.text
    await chat.press("Create the group")
    assert chat.notes == [t("form.created", name="Acme Sp. z o.o.")]
    assert t("docs.group.organization", value="Acme Sp. z o.o.") in chat.screen.text
    # a change of mind back to a person drops the organization question
    await chat.command("documents")
    await chat.press("New document group")
    await chat.press("Company")
    await chat.press("Back")
    await chat.press("Mr")
    form = (await chat.state()).form
    assert form is not None and "organization" not in [f.name for f in form.fields]


async def test_an_edit_to_company_requires_the_organization(world: World, chat: Chat) -> None:
    group = await world.services.documents.create_group(ME, GERMAN)
    await open_edit(chat, "Anna Nowak")
    await chat.press("Title")
    await chat.press("Company")
    assert "❗ Company name: —" in chat.screen.text
    await chat.press("Save changes")
    assert chat.notes == [t("docs.edit.incomplete", fields="Company name")]
    assert world.sandbox.state.groups[group.id].fields["salutation"] == "MS"
    await chat.press("Company name")
    await chat.type("Nowak GmbH")
    await chat.press("Save changes")
    assert chat.notes == [t("docs.edit.saved", name="Nowak GmbH")]
    assert world.sandbox.state.groups[group.id].fields["organization"] == "Nowak GmbH"


async def test_the_order_offers_editing_and_asks_groups_valid_again(world: World, chat: Chat) -> None:
    group = await world.services.documents.create_group(ME, GERMAN)
    await chat.command("order", "PL")
    await chat.type("Warsaw")
    await chat.press("Warsaw")
    await chat.press("Any number")
    await chat.press("Anna Nowak")
    await chat.upload(JPEG, "passport.jpg")
    assert "❌ Address: must be in Poland" in chat.screen.text
    assert t("order.docs.fix_hint") in chat.screen.text
    await chat.press("Edit details")
    assert await chat.step() == "order.edit"
    await chat.press("Country")
    await chat.type("DE")
    assert chat.notes == [t("form.country_mismatch", iso="PL")]
    await chat.type("PL")
    for label, value in (("City", "Warszawa"), ("Postcode", "00-001"), ("Street", "Prosta")):
        await chat.press(label)
        await chat.type(value)
    await chat.press("Full address")
    await chat.type("Prosta 5, 00-001 Warszawa")
    valid_calls = world.sandbox.call_count("documents.groups.valid")
    await chat.press("Save changes")
    assert chat.notes == [t("docs.edit.saved", name="Anna Nowak")]
    assert world.sandbox.call_count("documents.groups.valid") > valid_calls
    assert await chat.step() == "order.doc_status"
    assert "✅ Address: matches" in chat.screen.text
    assert "Continue to the order" in " ".join(chat.labels)
    assert world.sandbox.state.groups[group.id].fields["country"] == "PL"


async def test_identity_fields_the_direction_names_are_asked_and_marked(world: World, chat: Chat) -> None:
    await world.services.documents.create_group(ME, {**GERMAN, "country": "PL", "zip_code": "00-001"})
    await chat.command("order", "PL")
    await chat.type("Mobile")
    await chat.press("Mobile")
    await chat.press("Any number")
    await chat.press("Anna Nowak")
    await chat.upload(PNG, "passport.png")
    await chat.upload(PNG, "selfie.png")
    text = chat.screen.text
    assert "❌ Details missing: Identity document number, Date of birth, Nationality" in text
    await chat.press("Edit details")
    text = chat.screen.text
    assert (
        "❗ Identity document number: —" in text
        and "❗ Date of birth: —" in text
        and "❗ Nationality: —" in text
    )
    for label, value in (
        ("Identity document number", "AB123456"),
        ("Date of birth", "1990-01-31"),
        ("Nationality", "pl"),
    ):
        await chat.press(label)
        await chat.type(value)
    await chat.press("Save changes")
    assert "✅ Details: complete" in chat.screen.text


async def test_another_users_group_cannot_be_edited(world: World, chat: Chat) -> None:
    theirs = await world.services.documents.create_group(Actor(UserRef("telegram", "2002")), GERMAN)
    form = FormState(origin="docs", fields=[], group_id=theirs.id, answers={"city": "Hamburg"})
    await world.seed(
        chat.key, ConversationState(step="docs.edit", form=form, docs=DocsState(group_id=theirs.id))
    )
    await chat.current()
    assert await chat.step() == "docs.list"
    assert "Anna" not in chat.screen.text
    with pytest.raises(NotYours):
        await world.services.documents.update_group(ME, theirs.id, {"city": "Hamburg"})
    assert world.sandbox.state.groups[theirs.id].fields["city"] == "Berlin"


async def test_the_service_refuses_bad_changes_before_calling_zadarma(world: World) -> None:
    group = await world.services.documents.create_group(ME, GERMAN)
    before = world.sandbox.call_count("documents.groups.update")
    for changes, code in (
        ({"email": "nope"}, "invalid.email"),
        ({"city": ""}, "invalid.empty"),
        ({"favourite_colour": "blue"}, "invalid.field"),
        ({"salutation": "COMPANY"}, "invalid.group_incomplete"),
    ):
        with pytest.raises(InvalidInput) as caught:
            await world.services.documents.update_group(ME, group.id, changes)
        assert caught.value.code == code
    assert world.sandbox.call_count("documents.groups.update") == before


async def test_a_text_direction_id_and_unknown_requirements_order_end_to_end(
    world: World, chat: Chat
) -> None:
    await chat.command("order", "RU")
    text = chat.screen.text
    # shown as given where no translation exists; the flow goes on
    assert "documents (Passport, proof_of_residence)" in text and "details (Full address, tax_id)" in text
    await chat.press("Moscow")
    assert (await chat.state()).order.direction_id == "ru495"  # type: ignore[union-attr]
    await chat.press("Any number")
    await chat.press("New document group")
    await chat.press("Mr")
    for answer in ("Ivan", "Petrov", "ivan@example.com", "+74951234567"):
        await chat.type(answer)
    await chat.type("RU")
    for answer in ("Moscow", "101000", "Tverskaya", "1", "Tverskaya 1, 101000 Moscow"):
        await chat.type(answer)
    await chat.press("Skip")
    await chat.press("Create the group")
    upload = (await chat.state()).upload
    assert upload is not None and upload.types == ["passport"]  # only what the upload call accepts
    await chat.upload(PNG, "passport.png")
    assert await chat.step() == "order.doc_status"
    await chat.press("Continue to the order")
    await chat.press("Confirm and pay")
    number = (await chat.state()).order.placed  # type: ignore[union-attr]
    assert number.startswith("7495")
    assert world.sandbox.state.numbers[number].direction_id == "ru495"
    intents = await world.storage.intents.list_for_owner(ME.user)
    assert [i.params.get("direction_id") for i in intents] == ["ru495"]
