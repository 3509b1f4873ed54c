"""My documents: groups, files with verification state, rejection reasons, uploads, new groups."""

from __future__ import annotations

from bot.services import Actor
from bot.storage import UserRef
from conversations.state import ConversationState, DocsState
from tests.unit.conversations.support import PDF, PNG, Chat, World, t

ANSWERS = [
    "Jan",
    "Kowalski",
    "jan@example.com",
    "+48601234567",
    "PL",
    "Warszawa",
    "00-001",
    "Prosta",
    "5",
    "Prosta 5",
]


async def create_group(chat: Chat) -> None:
    await chat.command("documents")
    await chat.press("New document group")
    assert await chat.step() == "docs.form"
    assert chat.screen.text.startswith(t("form.title", index=1, total=12))
    await chat.press("Mr")
    for answer in ANSWERS:
        await chat.type(answer)
    await chat.press("Skip")
    await chat.press("Create the group")


async def test_empty_list_then_a_new_group(world: World, chat: Chat) -> None:
    await chat.command("documents")
    assert t("docs.empty") in chat.screen.text
    await create_group(chat)
    assert chat.notes == [t("form.created", name="Jan Kowalski")]
    assert await chat.step() == "docs.group"
    assert chat.screen.text.startswith(
        "📄 Jan Kowalski\nE-mail: jan@example.com\nAddress: Prosta 5, Warszawa, Poland"
    )
    assert t("docs.group.no_files") in chat.screen.text
    assert (await chat.state()).form is None
    await chat.press("Back")
    assert "• Jan Kowalski — Warszawa, Poland" in chat.screen.text


async def test_upload_more_and_see_verification(world: World, chat: Chat) -> None:
    await create_group(chat)
    await chat.press("Upload a document")
    assert await chat.step() == "docs.upload_type"
    assert "Passport" in chat.labels and "Phone bill" in chat.labels
    await chat.press("Phone bill")
    assert chat.screen.expects == "file"
    assert t("upload.prompt", document="Phone bill", index=1, total=1) in chat.screen.text
    await chat.upload(PDF, "bill.pdf")
    assert chat.notes == [t("upload.done", document="Phone bill")]
    assert await chat.step() == "docs.group"
    assert "• Phone bill (bill.pdf): ⏳ being checked" in chat.screen.text
    world.sandbox.advance_days(2)
    await chat.press("Refresh")
    assert "• Phone bill (bill.pdf): ✅ verified" in chat.screen.text


async def test_rejection_reasons_are_shown(world: World, chat: Chat) -> None:
    await create_group(chat)
    await chat.press("Upload a document")
    await chat.press("Passport")
    await chat.upload(PNG, "reject.png")
    world.sandbox.advance_days(2)
    await chat.press("Refresh")
    text = chat.screen.text
    assert "• Passport (reject.png): ❌ rejected" in text
    assert "❌ Passport rejected: The document is unreadable or has expired." in text


async def test_upload_back_returns_to_the_type_choice(chat: Chat) -> None:
    await create_group(chat)
    await chat.press("Upload a document")
    await chat.press("Passport")
    await chat.press("Back")
    assert await chat.step() == "docs.upload_type"
    await chat.press("Back")
    assert await chat.step() == "docs.group"


async def test_only_own_groups_are_listed_and_reachable(world: World, chat: Chat) -> None:
    other = await world.services.documents.create_group(
        Actor(UserRef("telegram", "2002")),
        {
            "salutation": "MS",
            "first_name": "Eve",
            "last_name": "Other",
            "email": "eve@example.com",
            "phone": "48601234567",
            "country": "PL",
            "city": "Kraków",
            "zip_code": "30-001",
            "street": "Długa",
            "building_number": "1",
            "address": "Długa 1",
        },
    )
    await chat.command("documents")
    assert "Eve" not in chat.screen.text
    await world.seed(chat.key, ConversationState(step="docs.group", docs=DocsState(group_id=other.id)))
    await chat.current()
    assert chat.notes == [t("error.not_yours")]
    assert await chat.step() == "docs.list"
    assert "Eve" not in chat.text
