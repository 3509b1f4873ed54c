"""The Mini App in a real browser against ``python -m bot run``, the fake Bot API and the emulator.

Headless Chromium (Debian's) opens the page as Telegram would, with init data
signed with the test bot's token: the documents form is filled in with an
error and then fixed, a JPEG (turned a quarter) and a PDF are uploaded with
the progress shown, the conversation moves on (in the chat and in the stored
state) and the order is completed in the chat. Forged, stale and other
customers' init data get nothing. Screenshots of the form in English and Polish
are saved under ``tests/artifacts/webapp/``.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from bot.sandbox import Sandbox
from bot.services.types import ConversationKey
from bot.storage.keyfile import key_file_for, load_or_create_key
from bot.storage.sealing import StateCipher, StateKeys
from conversations.i18n import translator
from conversations.state import load_state
from tests.e2e.service.support import Service, act, start_service, telegram_env
from tests.e2e.webapp.browser import DARK, chromium, launch_url, open_page, passport_photo, screenshot, signed
from tests.fakes import scans
from tests.fakes.telegram_api import FakeTelegram, FakeUser

WEBAPP_URL = "https://bot.example.test/webapp/"
ANSWERS = {
    "first_name": "Anna",
    "last_name": "Nowak",
    "email": "anna-at-example.com",  # wrong at first
    "phone": "+48600100200",
    "country": "PL",
    "city": "Kraków",
    "zip_code": "30-001",
    "street": "Floriańska",
    "building_number": "12",
    "address": "Floriańska 12, 30-001 Kraków",
    "id_number": "ABC123456",
}
PHOTO = passport_photo(1400, 900)
PDF = scans.pdf()
PROGRESS_WATCH = """() => {
  window.__progress = [];
  new MutationObserver(() => {
    const text = document.getElementById("progress-text");
    if (text && text.textContent && !text.closest("[hidden]")) window.__progress.push(text.textContent);
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
}"""


async def start_bot(telegram: FakeTelegram, emulator: tuple[Sandbox, str], db: Path) -> Service:
    return await start_service(
        {
            **telegram_env(emulator, telegram),
            "TELEGRAM_WEBAPP_URL": WEBAPP_URL,
            "DATABASE_URL": f"sqlite:///{db}",
            "ALERT_INTERVAL": "3600",
        }
    )


async def to_the_documents_form(telegram: FakeTelegram, user: FakeUser, labels: tuple[str, str]) -> None:
    """A Kraków order up to the new document group's form; ``labels``: "Any number", "New group"."""
    await act(telegram, user, lambda: telegram.send_command(user, "order"))
    await act(telegram, user, lambda: telegram.send_text(user, "PL"))
    await act(telegram, user, lambda: telegram.press(user, "Kraków"))
    await act(telegram, user, lambda: telegram.press(user, labels[0]))
    await act(telegram, user, lambda: telegram.press(user, labels[1]))
    opener = [b for row in telegram.menu(user.chat_id).buttons for b in row if b.web_app]
    assert [b.web_app for b in opener] == [WEBAPP_URL]


def stored_step(db: Path, user: FakeUser) -> str:
    """The step of ``user``'s conversation as the bot stored it (unsealed with the key file beside ``db``)."""
    with sqlite3.connect(db) as connection:
        (data,) = connection.execute(
            "SELECT data FROM conversations WHERE platform = 'telegram' AND user_id = ?", (str(user.id),)
        ).fetchone()
    cipher = StateCipher(StateKeys(load_or_create_key(key_file_for(db))))
    state = load_state(cipher.open(ConversationKey("telegram", str(user.id), str(user.id)), data))
    assert state is not None
    return state.step


async def fill_form(page: Page, answers: dict[str, str], salutation: str) -> None:
    await page.locator("#f-salutation").select_option(salutation)
    for name, value in answers.items():
        await page.locator(f"#f-{name}").fill(value)


async def test_an_order_with_documents_is_completed_through_the_mini_app(
    emulator: tuple[Sandbox, str], tmp_path: Path, chromium_path: str
) -> None:
    sandbox = emulator[0]
    db = tmp_path / "bot.db"
    async with FakeTelegram() as telegram:
        service = await start_bot(telegram, emulator, db)
        try:
            ann = telegram.user(first_name="Ann", language_code="en")
            await to_the_documents_form(telegram, ann, ("Any number", "New document group"))
            async with chromium(chromium_path) as browser:
                page, problems = await open_page(
                    browser, launch_url(service.base, signed(telegram.token, ann))
                )
                await expect(page.locator("h1")).to_have_text("New document group")
                # real labels: each input is found by its label's text
                await expect(page.get_by_label("E-mail")).to_have_attribute("type", "email")
                await expect(page.get_by_label("Title")).to_have_attribute("aria-required", "true")
                await fill_form(page, ANSWERS, "MS")
                await page.get_by_role("button", name="Create the group").click()

                email_error = page.locator("#f-email-error")
                await expect(email_error).to_be_visible()
                await expect(email_error).to_contain_text("e-mail")
                email = page.locator("#f-email")
                await expect(email).to_have_attribute("aria-invalid", "true")
                assert "f-email-error" in (await email.get_attribute("aria-describedby") or "")
                await expect(email).to_be_focused()  # the keyboard lands on what to fix
                await expect(page.locator("#f-first_name")).to_have_attribute("aria-invalid", "false")
                assert stored_step(db, ann) == "order.form"  # a refused form changes nothing
                await screenshot(page, "form-en-error")

                await email.fill("anna@example.com")
                await email.press("Enter")  # the keyboard sends the form too
                await expect(page.locator(".prompt")).to_contain_text("Passport (1 of 2)")
                await expect(page.locator(".note")).to_contain_text("Anna Nowak")
                assert "Passport (1 of 2)" in telegram.menu(ann.chat_id).text  # the chat agrees
                assert stored_step(db, ann) == "order.upload"
                await screenshot(page, "upload-en")

                # a photo: previewed, turned a quarter (re-encoded as JPEG), sent with progress shown
                photo = tmp_path / "passport.jpg"
                photo.write_bytes(PHOTO)
                await page.locator("#photo").set_input_files(photo)
                canvas = page.locator(".preview canvas")
                await expect(canvas).to_be_visible()
                assert await canvas.evaluate("c => [c.width, c.height]") == [1400, 900]
                await page.get_by_role("button", name="Rotate").click()
                assert await canvas.evaluate("c => [c.width, c.height]") == [900, 1400]
                await page.evaluate(PROGRESS_WATCH)
                cdp = await page.context.new_cdp_session(page)
                await cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": 0,
                        "downloadThroughput": -1,
                        "uploadThroughput": 256 * 1024,
                    },
                )
                await page.get_by_role("button", name="Send this document").click()
                await expect(page.locator("#progress-text")).to_have_text(re.compile(r"Uploading… [1-9]\d?%"))
                await screenshot(page, "upload-en-progress")
                await cdp.send(
                    "Network.emulateNetworkConditions",
                    {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
                )
                await expect(page.locator(".prompt")).to_contain_text(
                    re.compile(r"Proof of address.*\(2 of 2\)"), timeout=30_000
                )
                seen: list[str] = await page.evaluate("() => window.__progress")
                assert "Uploading… 100%" in seen and any(
                    re.fullmatch(r"Uploading… [1-9]\d?%", s) for s in seen
                )
                await expect(page.locator(".note")).to_have_text("✅ Passport uploaded.")

                pdf = tmp_path / "electricity-bill.pdf"
                pdf.write_bytes(PDF)
                await page.locator("#file").set_input_files(pdf)
                await expect(page.locator(".file-line").first).to_contain_text(
                    "PDF document: electricity-bill.pdf"
                )
                await page.get_by_role("button", name="Send this document").click()
                await expect(page.get_by_role("button", name="Back to the chat")).to_be_visible()
                await screenshot(page, "done-en")
                assert problems == []

            files = sorted(sandbox.state.files, key=lambda f: f.sequence)
            assert [(f.document_type, f.file_type) for f in files] == [
                ("passport", "jpeg"),
                ("receipt", "pdf"),
            ]
            assert files[0].size != len(PHOTO)  # the turned photo, re-encoded, not the original
            assert stored_step(db, ann) == "order.doc_status"
            menu = telegram.menu(ann.chat_id)
            assert "Continue to the order" in " ".join(menu.labels)

            # the order is completed in the chat
            summary = await act(telegram, ann, lambda: telegram.press(ann, "Continue to the order"))
            assert "Please check your order" in summary
            await act(telegram, ann, lambda: telegram.press(ann, "Confirm and pay"))
            assert any("is yours" in text for text in telegram.texts(ann.chat_id))
            assert sandbox.call_count("direct_numbers.order") == 1
        finally:
            code = await service.stop()
    assert code == 0, service.stderr.decode()[-3000:]
    logs = service.stderr.decode()
    for secret in ("anna@example.com", "ABC123456", "Nowak", telegram.token):
        assert secret not in logs


async def test_the_form_in_polish_in_telegrams_night_theme(
    emulator: tuple[Sandbox, str], tmp_path: Path, chromium_path: str
) -> None:
    db = tmp_path / "bot.db"
    async with FakeTelegram() as telegram:
        service = await start_bot(telegram, emulator, db)
        try:
            ola = telegram.user(first_name="Ola", language_code="pl")
            await to_the_documents_form(telegram, ola, ("Dowolny numer", "Nowa grupa dokumentów"))
            async with chromium(chromium_path) as browser:
                url = launch_url(service.base, signed(telegram.token, ola), DARK)
                page, problems = await open_page(browser, url, "pl-PL")
                await expect(page.locator("h1")).to_have_text("Nowa grupa dokumentów")
                assert await page.evaluate("document.documentElement.lang") == "pl"
                background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == "rgb(35, 46, 60)"  # Telegram's night theme, from the launch parameters
                await expect(page.locator(".tag").first).to_have_text("wymagane")
                # a company's name is asked only when the title says company
                organization = page.locator("#f-organization")
                await expect(organization).to_be_hidden()
                await page.locator("#f-salutation").select_option("COMPANY")
                await expect(organization).to_be_visible()
                await expect(page.get_by_text("Wymagane dla: Firma")).to_be_visible()
                await fill_form(page, {**ANSWERS, "zip_code": "3000"}, "MS")
                await expect(organization).to_be_hidden()
                await page.get_by_role("button", name="Utwórz grupę").click()
                await expect(page.locator("#f-zip_code-error")).to_be_visible()
                await expect(page.locator(".alert")).to_have_text("⚠️ Popraw te pola:")
                await screenshot(page, "form-pl-error")
                await page.locator("#f-zip_code").fill("30-001")
                await page.locator("#f-email").fill("ola@example.com")
                await page.get_by_role("button", name="Utwórz grupę").click()
                await expect(page.locator(".prompt")).to_contain_text("Paszport")
                # the camera and the file chooser, each a file input named by its label
                await expect(page.get_by_label("Zrób zdjęcie")).to_have_attribute("capture", "environment")
                await expect(page.get_by_label("Wybierz plik")).to_have_attribute(
                    "accept", "image/*,application/pdf"
                )
                await screenshot(page, "upload-pl")

                # checked before anything is sent: the size (20 MB) and the kind of file
                send = page.get_by_role("button", name="Wyślij ten dokument")
                big = tmp_path / "skan.pdf"
                big.write_bytes(PDF + b"\0" * (20 * 1024 * 1024))
                await page.locator("#file").set_input_files(big)
                await expect(page.get_by_role("alert")).to_contain_text("przyjmujemy pliki do 20 MB")
                await expect(send).to_be_disabled()
                text = tmp_path / "notatka.txt"
                text.write_text("nie dokument")
                await page.locator("#file").set_input_files(text)
                wrong_kind = translator("pl").gettext("invalid.file_type")
                await expect(page.get_by_role("alert")).to_have_text(wrong_kind)
                await expect(send).to_be_disabled()
                assert stored_step(db, ola) == "order.upload"
                assert not emulator[0].state.files

                # My documents → ✏️ Edit details opens the group's own edit form in the page
                await act(telegram, ola, lambda: telegram.send_command(ola, "documents"))
                await act(telegram, ola, lambda: telegram.press(ola, "Anna Nowak"))
                await act(telegram, ola, lambda: telegram.press(ola, "Popraw dane"))
                opener = [b for row in telegram.menu(ola.chat_id).buttons for b in row if b.web_app]
                assert [b.web_app for b in opener] == [WEBAPP_URL]
                await page.goto(url.replace("#", "?edit#"))  # opened anew from the button
                await expect(page.locator("h1")).to_have_text("Popraw dane")
                email = page.locator("#f-email")
                await expect(email).to_have_value("ola@example.com")
                await email.fill("ola.nowak@example.com")
                await screenshot(page, "edit-pl")
                await email.press("Enter")
                await expect(page.get_by_role("button", name="Wróć do czatu")).to_be_visible()
                assert problems == []
            [group] = [g for gid, g in emulator[0].state.groups.items() if gid]
            assert group.get("email") == "ola.nowak@example.com"
            assert stored_step(db, ola) == "docs.group"
        finally:
            await service.stop()


@pytest.mark.exact_emulator_only("about the page's init data; the replies of the order test before it")
async def test_forged_stale_and_other_customers_init_data_get_nothing(
    emulator: tuple[Sandbox, str], tmp_path: Path, chromium_path: str
) -> None:
    db = tmp_path / "bot.db"
    async with FakeTelegram() as telegram:
        service = await start_bot(telegram, emulator, db)
        try:
            ann = telegram.user(first_name="Ann", language_code="en")
            bob = telegram.user(first_name="Bob", language_code="en")
            await to_the_documents_form(telegram, ann, ("Any number", "New document group"))
            await act(telegram, ann, lambda: telegram.press(ann, "Ms"))
            await act(telegram, ann, functools.partial(telegram.send_text, ann, "Annabelle"))
            await act(telegram, bob, lambda: telegram.send_command(bob, "start"))
            good = signed(telegram.token, ann)
            forged = good.replace("Ann", "Bob")  # another name under Ann's hash
            refused = {
                "forged": forged,
                "another bot's": signed("42:another-bots-token", ann),
                "stale": signed(telegram.token, ann, age=2 * 3600),
            }
            async with chromium(chromium_path) as browser:
                for what, init_data in refused.items():
                    page, _ = await open_page(browser, launch_url(service.base, init_data))
                    alert = page.get_by_role("alert")
                    await expect(alert).to_contain_text("opened from the bot's button", timeout=10_000)
                    content = await page.content()
                    assert "Annabelle" not in content and "Kraków" not in content, what
                    await page.close()
                # Bob's own, valid init data: Bob's conversation, nothing of Ann's
                page, problems = await open_page(
                    browser, launch_url(service.base, signed(telegram.token, bob))
                )
                await expect(page.get_by_role("button", name="Back to the chat")).to_be_visible()
                assert "Annabelle" not in await page.content()
                assert problems == []
            assert stored_step(db, ann) == "order.form"
            assert not [m for m in telegram.bot_messages(bob.chat_id) if "Annabelle" in m.text]
        finally:
            await service.stop()
