"""The order wizard in Telegram, end to end: photos, PDFs, albums, /cancel, a restart mid-flow."""

from __future__ import annotations

from bot.storage import UserRef
from tests.e2e.telegram.telegram_helpers import (
    GROUP_ANSWERS,
    JPEG,
    PDF,
    TelegramHarness,
    fill_group_form,
    start_kraków_order,
    text_of,
)
from tests.fakes.telegram_api import DocumentFile, PhotoFile


async def test_a_customer_orders_a_number_sending_a_photo_and_a_pdf(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user(first_name="Ann", language_code="en")

    await start_kraków_order(h, ann)
    await fill_group_form(h, ann)
    created = await h.press(ann, "Create")
    assert "Passport" in created[-1].text

    uploaded = await h.photo(ann, JPEG)
    assert any("Passport uploaded" in m.text for m in uploaded)
    assert "Proof of address" in h.screen(ann).text

    uploaded = await h.document(ann, PDF, "electricity-bill.pdf", "application/pdf")
    assert any("Proof of address" in m.text and "uploaded" in m.text for m in uploaded)
    assert "Continue to the order" in " ".join(h.screen(ann).labels)

    summary = await h.press(ann, "Continue to the order")
    assert "Please check your order" in summary[-1].text
    assert "To pay now: $5.50" in summary[-1].text  # 22 PLN, priced in the account's USD

    done = await h.press(ann, "Confirm and pay")
    assert "is yours" in done[0].text
    assert "Where should calls" in h.screen(ann).text

    await h.press(ann, "Office")
    assert "Your new number" in h.screen(ann).text

    # exactly one order reached Zadarma, for Ann, with both files
    assert h.sandbox.call_count("direct_numbers.order") == 1
    [number] = h.sandbox.state.numbers.values()
    assert await h.storage.ownership.owner_of_number(number.number) == UserRef("telegram", str(ann.id))
    files = sorted(h.sandbox.state.files, key=lambda f: f.sequence)
    assert [(f.document_type, f.file_type, f.size) for f in files] == [
        ("passport", "jpeg", len(JPEG)),
        ("receipt", "pdf", len(PDF)),
    ]
    # the photo's largest size was downloaded, not a thumbnail; each file once
    assert len(fake.downloads) == 2
    assert fake.downloads[0].startswith("photos/")


async def test_every_press_is_answered_and_edits_its_own_message(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await h.say(ann, "/start")
    menu = h.screen(ann)

    changed = await h.press(ann, "Order a number")

    assert [m.message_id for m in changed] == [menu.message_id]
    assert "which country" in changed[0].text
    assert fake.count("answerCallbackQuery") == 1
    answer = fake.calls_to("answerCallbackQuery")[0]
    edit = fake.calls_to("editMessageText")[0]
    assert answer.at <= edit.at


async def test_an_album_is_handled_item_by_item_in_order(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await start_kraków_order(h, ann)
    await fill_group_form(h, ann)
    await h.press(ann, "Create")

    album = fake.send_album(ann, [PhotoFile(JPEG), DocumentFile(PDF, "bill.pdf", "application/pdf")])
    await h.settle(*album)

    texts = fake.texts(ann.chat_id)
    passport = next(i for i, t in enumerate(texts) if "Passport uploaded" in t)
    receipt = next(i for i, t in enumerate(texts) if "Proof of address" in t and "uploaded" in t)
    assert passport < receipt
    assert "Continue to the order" in " ".join(h.screen(ann).labels)
    assert [f.document_type for f in sorted(h.sandbox.state.files, key=lambda f: f.sequence)] == [
        "passport",
        "receipt",
    ]


async def test_cancel_in_the_middle_of_the_wizard_returns_to_the_menu(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await start_kraków_order(h, ann)
    await fill_group_form(h, ann, GROUP_ANSWERS[:3], finish=False)

    shown = await h.say(ann, "/cancel")

    assert text_of("flow.cancelled") in [m.text for m in shown]
    assert "Order a number" in " ".join(h.screen(ann).labels)
    assert h.sandbox.call_count("documents.groups.create") == 0
    assert h.sandbox.call_count("direct_numbers.order") == 0


async def test_a_restart_mid_flow_continues_at_the_same_step(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await start_kraków_order(h, ann)
    await h.press(ann, "Ms")
    await h.say(ann, "Anna")
    assert "Last name" in h.screen(ann).text
    first_bot = h.part.bot

    await h.restart()

    assert h.part.bot is not first_bot
    shown = await h.say(ann, "Nowak")
    assert "E-mail" in shown[-1].text
    for answer in GROUP_ANSWERS[2:]:
        await h.say(ann, answer)
    await h.press(ann, "Skip")
    summary = h.screen(ann).text
    assert "First name: Anna" in summary and "Last name: Nowak" in summary


async def test_a_file_over_the_limit_is_refused_before_it_is_downloaded(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await start_kraków_order(h, ann)
    await fill_group_form(h, ann)
    await h.press(ann, "Create")

    shown = await h.document(ann, PDF, "huge-scan.pdf", "application/pdf", declared_size=25 * 1024 * 1024)

    assert len(shown) == 1
    assert "too big" in shown[0].text and "20 MB" in shown[0].text
    assert fake.downloads == []
    assert fake.count("getFile") == 0
    assert h.sandbox.call_count("documents.upload") == 0
    # the wizard still waits for the passport
    assert any("Passport" in m.text for m in fake.bot_messages(ann.chat_id) if m.buttons)


async def test_a_file_that_only_looks_like_a_pdf_is_refused_with_what_is_expected(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await start_kraków_order(h, ann)
    await fill_group_form(h, ann)
    await h.press(ann, "Create")

    shown = await h.document(ann, b"%PDF-", "passport.pdf", "application/pdf")
    assert text_of("invalid.file_unreadable_pdf") in [m.text for m in shown]
    shown = await h.photo(ann, JPEG[: len(JPEG) // 2])  # a photo cut off halfway
    assert text_of("invalid.file_unreadable_image") in [m.text for m in shown]
    assert h.sandbox.call_count("documents.upload") == 0

    await h.photo(ann, JPEG)
    assert h.sandbox.call_count("documents.upload") == 1


async def test_a_polish_customer_is_answered_in_polish(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ola = fake.user(first_name="Ola", language_code="pl")

    await h.say(ola, "/start")
    shown = await h.document(ola, PDF, "x.pdf", "application/pdf", declared_size=30 * 1024 * 1024)

    assert "za dużo" in shown[-1].text
    user = await h.storage.users.get(UserRef("telegram", str(ola.id)))
    assert user is not None and user.language == "pl" and user.chat_id == str(ola.chat_id)
    assert user.display_name == "Ola"
