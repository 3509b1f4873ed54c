"""Order step 4: document groups, the form, uploads and where the group stands."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services import Actor
from bot.storage import UserRef
from conversations.events import FileUpload, Text
from conversations.state import ConversationState, DocsState, FormField, FormState, OrderDraft, UploadState
from tests.fakes import scans
from tests.unit.conversations.support import JPEG, PDF, PNG, Chat, World, t

WARSAW_ANSWERS = [
    ("Jan", "first_name"),
    ("Kowalski", "last_name"),
    ("jan@example.com", "email"),
    ("+48 601 234 567", "phone"),
    ("PL", "country"),
    ("Warszawa", "city"),
    ("00-001", "zip_code"),
    ("Marszałkowska", "street"),
    ("12", "building_number"),
    ("Marszałkowska 12, 00-001 Warszawa", "address"),
]


async def at_groups(chat: Chat, direction: str = "Warsaw") -> None:
    await chat.command("order", "PL")
    await chat.type(direction)
    await chat.press(direction)
    await chat.press("Any number")
    assert await chat.step() == "order.group"


async def test_order_with_documents_end_to_end(world: World, chat: Chat) -> None:
    await at_groups(chat)
    assert "📋 Requires: documents (Passport), details (Full address)" in chat.screen.text
    assert t("order.group.none") in chat.screen.text
    await chat.press("New document group")
    assert await chat.step() == "order.form"
    assert chat.screen.text.startswith(t("form.title", index=1, total=12))
    assert chat.labels[:3] == ["Mr", "Ms", "Company"]
    assert chat.screen.expects == "choice"
    await chat.press("Mr")
    for answer, field in WARSAW_ANSWERS:
        form = (await chat.state()).form
        assert form is not None and form.fields[form.index].name == field
        await chat.type(answer)
        assert chat.notes == []
    assert "Middle name (optional)" in chat.screen.text
    await chat.press("Skip")
    assert chat.screen.text.startswith(t("form.summary"))
    assert "E-mail: jan@example.com" in chat.screen.text and "Title: Mr" in chat.screen.text
    await chat.press("Create the group")
    state = await chat.state()
    assert state.form is None  # the answers are gone from the state
    assert "jan@example.com" not in state.dump()
    assert chat.notes[0] == t("form.created", name="Jan Kowalski")
    assert await chat.step() == "order.upload"
    assert chat.screens[-1].expects == "file"
    assert t("upload.prompt", document="Passport", index=1, total=1) in chat.screen.text
    assert t("upload.quality_tip") in chat.screen.text
    await chat.upload(PNG, "passport.png")
    assert chat.notes == [t("upload.done", document="Passport")]
    assert await chat.step() == "order.doc_status"
    text = chat.screen.text
    assert "✅ Details: complete" in text and "✅ Documents: uploaded" in text
    assert "⏳ Verification: in progress" in text and "✅ Address: matches" in text
    assert t("order.docs.can_continue") in text
    await chat.press("Continue to the order")
    assert await chat.step() == "order.confirm"
    assert "Documents: Jan Kowalski" in chat.screen.text
    assert "Connection fee: $5.00" in chat.screen.text
    await chat.press("Confirm and pay")
    number = (await chat.state()).order.placed  # type: ignore[union-attr]
    owned = world.sandbox.state.numbers[number]
    assert owned.status == "checking" and owned.group_id == state.order.group_id  # type: ignore[union-attr]
    await chat.press("00001")
    assert "Status: ⏳ Documents being checked" in chat.screen.text
    assert t("order.done.pending_hint") in chat.screen.text
    assert b"PNG" not in (await chat.state()).dump().encode()


async def test_existing_groups_show_whether_they_fit(world: World, chat: Chat) -> None:
    actor = Actor(UserRef("telegram", "1001"))
    answers = {
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
    german = await world.services.documents.create_group(actor, answers)
    polish = await world.services.documents.create_group(
        actor,
        {
            **answers,
            "first_name": "Ola",
            "country": "PL",
            "city": "Warszawa",
            "zip_code": "00-001",
            "address": "Marszałkowska 1, 00-001 Warszawa",
        },
    )
    await world.services.documents.create_group(
        Actor(UserRef("telegram", "2002")), {**answers, "first_name": "Zed"}
    )
    await at_groups(chat)
    text = chat.screen.text
    assert "• Anna Nowak: ⚠️ missing: documents, an address in this country" in text
    assert "• Ola Nowak: ⚠️ missing: documents" in text
    assert "Zed" not in text
    await chat.press("Anna Nowak")
    assert await chat.step() == "order.upload"
    await chat.upload(JPEG, "passport.jpg")
    text = chat.screen.text
    assert "❌ Address: must be in Poland" in text and t("order.docs.fix_hint") in text
    assert "Continue" not in " ".join(chat.labels)
    await chat.press("Another group")
    await chat.press("Ola Nowak")
    await chat.upload(PDF, "passport.pdf")
    assert "Continue to the order" in " ".join(chat.labels)
    assert {german.id, polish.id} == set(await world.storage.ownership.groups_of(actor.user))


async def test_a_rejected_document_is_explained(world: World, chat: Chat) -> None:
    await at_groups(chat)
    await chat.press("New document group")
    await chat.press("Ms")
    for answer, _field in WARSAW_ANSWERS:
        await chat.type(answer)
    await chat.press("Skip")
    await chat.press("Create the group")
    await chat.upload(PNG, "reject-me.png")
    world.sandbox.advance_days(2)
    await chat.press("Refresh")
    text = chat.screen.text
    assert "❌ Passport rejected: The document is unreadable or has expired." in text
    assert "❌ Documents missing: Passport" in text
    await chat.press("Upload the missing documents")
    await chat.upload(PNG, "passport-again.png")
    assert "Continue to the order" in " ".join(chat.labels)


async def test_form_back_and_skip_and_cancel_drop_the_answers(chat: Chat) -> None:
    await at_groups(chat)
    await chat.press("New document group")
    await chat.press("Back")
    assert await chat.step() == "order.group"
    await chat.press("New document group")
    await chat.press("Mr")
    await chat.type("Jan")
    await chat.press("Back")
    assert t("form.current", value="Jan") in chat.screen.text
    await chat.command("cancel")
    state = await chat.state()
    assert state.step == "menu" and state.form is None and state.order is None


def years_back(years: int) -> dict[str, object]:
    """The range a date may fall in: from ``years`` ago to today (read now, not at import)."""
    today = date.today()
    day = today.day if (today.month, today.day) != (2, 29) else 28
    return {
        "earliest": today.replace(year=today.year - years, day=day).isoformat(),
        "latest": today.isoformat(),
    }


# A person born at most 120 years ago; a document issued at most 60 years ago.
BIRTH_RANGE = 120
ISSUE_RANGE = 60

FORM_TABLE = [
    ("email", "not-an-email", "invalid.email", {}, "jan@example.com"),
    ("email", "jan@", "invalid.email", {}, "jan@example.com"),
    ("country", "Poland", "invalid.country", {}, "pl"),
    ("country", "XX", "invalid.country", {}, "DE"),
    ("nationality", "PLN", "invalid.country", {}, "PL"),
    ("phone", "12", "invalid.phone", {}, "+48 601 234 567"),
    ("phone", "call me", "invalid.phone", {}, "0048601234567"),
    ("date_of_birth", "31.12.1990", "invalid.date", {}, "1990-12-31"),
    ("date_of_birth", "1990-02-30", "invalid.date", {}, "1990-02-28"),
    ("date_of_birth", "2999-01-01", "invalid.date_range", BIRTH_RANGE, "1990-12-31"),
    # The date is in the asked format; the message names the range instead of the format.
    ("date_of_birth", "1800-01-01", "invalid.date_range", BIRTH_RANGE, "1926-01-31"),
    ("issuing_date", "1900-01-01", "invalid.date_range", ISSUE_RANGE, "2020-01-31"),
    ("first_name", "😀😀", "invalid.name", {}, "Zoë"),
    ("last_name", "12345", "invalid.name", {}, "O'Brien-Łukasiewicz"),
    ("first_name", "Jan\u202eek", "invalid.hidden_characters", {}, "Jan"),
    ("middle_name", "Maria3", "invalid.name", {}, "Анна"),
    ("zip_code", "<script>", "invalid.zip_code", {}, "00-950"),
    ("id_number", "-5", "invalid.id_number", {}, "ABC123456"),
    ("address", "x", "invalid.address", {}, "ul. Floriańska 1, 31-001 Kraków"),
    ("building_number", "twelve", "invalid.building_number", {}, "12A"),
    ("street", "<b>Main</b>", "invalid.place", {}, "Aleje Jerozolimskie"),
    ("organization", "Acme\x1b[31m", "invalid.hidden_characters", {}, "Acme & Sons"),
    ("issuing_date", "yesterday", "invalid.date", {}, "2020-01-31"),
    ("first_name", "   ", "invalid.empty", {}, "Jan"),
    ("city", "x" * 101, "invalid.too_long", {"max": 100}, "Warszawa"),
]


@pytest.mark.parametrize(("field", "bad", "code", "params", "good"), FORM_TABLE)
async def test_each_form_answer_is_checked(
    world: World, field: str, bad: str, code: str, params: dict[str, object] | int, good: str
) -> None:
    chat = world.chat("1001")
    form = FormState(
        origin="docs", fields=[FormField(name=field, required=True), FormField(name="city", required=True)]
    )
    await world.seed(chat.key, ConversationState(step="docs.form", form=form))
    before = years_back(params) if isinstance(params, int) else params
    await chat.send(Text(bad))
    after = years_back(params) if isinstance(params, int) else params
    # A run across midnight: the bot's "today" is the day before or the day after the send.
    assert chat.notes in ([t(code, **before)], [t(code, **after)])
    state = await chat.state()
    assert state.step == "docs.form" and state.form is not None and state.form.index == 0
    await chat.send(Text(good))
    state = await chat.state()
    assert state.form is not None and state.form.index == 1 and state.form.answers[field]


async def test_the_postcode_is_checked_against_the_country_given(world: World) -> None:
    chat = world.chat("1001")
    form = FormState(
        origin="docs",
        fields=[FormField(name="country", required=True), FormField(name="zip_code", required=True)],
    )
    await world.seed(chat.key, ConversationState(step="docs.form", form=form))
    await chat.send(Text("pl"))
    await chat.send(Text("10115"))  # a Berlin postcode
    assert chat.notes == [t("invalid.zip_code_country", country="PL", example="00-950")]
    await chat.send(Text("31-001"))
    assert (await chat.state()).form.answers == {"country": "PL", "zip_code": "31-001"}  # type: ignore[union-attr]


@pytest.mark.parametrize("hidden", ["\x00", "\x07", "\x1b", "\u202e", "\u200b"])
async def test_hidden_characters_are_refused_wherever_text_is_typed(world: World, hidden: str) -> None:
    chat = world.chat("1001")
    await chat.command("order")
    await chat.type(f"Pol{hidden}and")  # the country search, not a form field
    assert chat.notes == [t("invalid.hidden_characters")]
    state = await chat.state()
    assert state.step == "order.country" and state.order is not None and state.order.country_query == ""


async def test_the_address_country_must_match_the_direction(world: World) -> None:
    chat = world.chat("1001")
    form = FormState(
        origin="order",
        fields=[FormField(name="country", required=True), FormField(name="city", required=True)],
        direction_id=3001,
        country_must_be="PL",
    )
    order = OrderDraft(iso="PL", direction_id=3001, number="48221234567", number_id="x")
    await world.seed(chat.key, ConversationState(step="order.form", form=form, order=order))
    await chat.current()
    assert t("form.country_must_be", country="Poland", iso="PL") in chat.screen.text
    await chat.send(Text("DE"))
    assert chat.notes == [t("form.country_mismatch", iso="PL")]
    await chat.send(Text("pl"))
    assert (await chat.state()).form.answers == {"country": "PL"}  # type: ignore[union-attr]


async def test_choice_fields_take_buttons(world: World) -> None:
    chat = world.chat("1001")
    form = FormState(origin="docs", fields=[FormField(name="type_of_id", required=True)])
    await world.seed(chat.key, ConversationState(step="docs.form", form=form))
    await chat.current()
    assert "Passport" in chat.labels and "DNI (Spanish ID card)" in chat.labels
    await chat.send(Text("passport"))
    assert chat.notes == [t("input.use_buttons")]
    await chat.press("Residence permit")
    assert t("form.summary") in chat.screen.text and "Identity document: Residence permit" in chat.screen.text


FILE_TABLE = [
    (FileUpload("scan.jpg", b"Just some text pretending to be a JPEG."), "invalid.file_type", {}),
    (FileUpload("scan.txt", b"%PDX not a pdf"), "invalid.file_type", {}),
    (FileUpload("scan.png", PNG, "image/png", 25 * 1024 * 1024), "invalid.file_too_big", {"max_mb": 20}),
    (FileUpload("scan.pdf", b""), "invalid.file_empty", {}),
    # Right first bytes, but not a document: each is decoded or parsed before it goes anywhere.
    (FileUpload("passport.pdf", b"%PDF-"), "invalid.file_unreadable_pdf", {}),
    (FileUpload("passport.pdf", scans.pdf(pages=0)), "invalid.file_unreadable_pdf", {}),
    (FileUpload("passport.pdf", PDF[: len(PDF) // 3]), "invalid.file_unreadable_pdf", {}),
    (FileUpload("passport.png", PNG[: len(PNG) // 2]), "invalid.file_unreadable_image", {}),
    (
        FileUpload("passport.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64),
        "invalid.file_unreadable_image",
        {},
    ),
]


@pytest.mark.parametrize(("upload", "code", "params"), FILE_TABLE)
async def test_each_file_is_checked_before_upload(
    world: World, upload: FileUpload, code: str, params: dict[str, object]
) -> None:
    chat = world.chat("1001")
    group = await world.services.documents.create_group(
        Actor(chat.key.user),
        {
            "salutation": "MR",
            "first_name": "Jan",
            "last_name": "Kowalski",
            "email": "jan@example.com",
            "phone": "48601234567",
            "country": "PL",
            "city": "Warszawa",
            "zip_code": "00-001",
            "street": "Marszałkowska",
            "building_number": "12",
            "address": "Marszałkowska 12",
        },
    )
    state = ConversationState(
        step="docs.upload",
        upload=UploadState(origin="docs", group_id=group.id, types=["passport"]),
        docs=DocsState(group_id=group.id),
    )
    await world.seed(chat.key, state)
    await chat.send(upload)
    assert chat.notes == [t(code, **params)]
    assert await chat.step() == "docs.upload"
    assert world.sandbox.call_count("upload") == 0
    await chat.upload(PNG, "passport.png")
    assert await chat.step() == "docs.group"
    assert world.sandbox.call_count("upload") == 1


async def test_text_in_the_upload_step_asks_for_a_file(world: World) -> None:
    chat = world.chat("1001")
    state = ConversationState(
        step="docs.upload", upload=UploadState(origin="docs", group_id=7, types=["passport"])
    )
    await world.seed(chat.key, state)
    await chat.send(Text("here you go"))
    assert chat.notes == [t("upload.send_file")]
