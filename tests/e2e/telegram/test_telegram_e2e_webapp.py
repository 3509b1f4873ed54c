"""The Mini App's API on the real Telegram stack: the page's form and uploads move the conversation.

The bot runs its real Dispatcher against the fake Bot API and serves ``/webapp/`` on
127.0.0.1; the tests call the API over HTTP with init data signed as Telegram signs it.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.services.types import ConversationKey
from conversations.state import load_state
from tests.e2e.telegram.telegram_helpers import (
    JPEG,
    PDF,
    WEBAPP_URL,
    TelegramHarness,
    fill_group_form,
    start_kraków_order,
    text_of,
)
from tests.fakes.init_data import forge, sign_init_data
from tests.fakes.telegram_api import Button, FakeTelegram, FakeUser
from tests.waiting import eventually

ANSWERS = {
    "salutation": "MS",
    "first_name": "Anna",
    "last_name": "Nowak",
    "email": "ann@example.com",
    "phone": "+48600100200",
    "country": "PL",
    "city": "Kraków",
    "zip_code": "30-001",
    "street": "Floriańska",
    "building_number": "12",
    "address": "Floriańska 12, 30-001 Kraków",
    "id_number": "ABC123456",
    "middle_name": "",
    "organization": "",
}
"""The Kraków order's document group, by field name."""

Result = tuple[int, dict[str, Any]]


@pytest.fixture
async def webapp(harness: TelegramHarness) -> TelegramHarness:
    """The bot polling, with the Mini App on and its routes served."""
    await harness.start(webapp=True)
    return harness


def tma(fake: FakeTelegram, user: FakeUser, *, age: float = 5) -> str:
    return "tma " + sign_init_data(fake.token, user, auth_date=time.time() - age)


async def call(
    h: TelegramHarness,
    path: str,
    *,
    auth: str | None,
    json: dict[str, Any] | None = None,
    upload: tuple[str, bytes, str] | None = None,
    screen: str = "",
    headers: dict[str, str] | None = None,
) -> Result:
    """One API request; ``upload`` is (file name, content, content type) sent as multipart."""
    sent = dict(headers or {})
    if auth is not None:
        sent["Authorization"] = auth
    async with aiohttp.ClientSession() as http:
        url = h.web_url + "/webapp/api/" + path
        if upload is not None:
            form = aiohttp.FormData()
            form.add_field("screen", screen)
            form.add_field("file", io.BytesIO(upload[1]), filename=upload[0], content_type=upload[2])
            request = http.post(url, data=form, headers=sent)
        elif json is not None:
            request = http.post(url, json=json, headers=sent)
        else:
            request = http.get(url, headers=sent)
        async with request as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Cache-Control"] == "no-store"
            return response.status, await response.json()


def web_app_buttons(fake: FakeTelegram, user: FakeUser) -> list[Button]:
    return [b for row in fake.menu(user.chat_id).buttons for b in row if b.web_app is not None]


async def step_of(h: TelegramHarness, user: FakeUser) -> str:
    stored = await h.services.conversations.get(ConversationKey("telegram", str(user.id), str(user.id)))
    assert stored is not None
    state = load_state(stored.data)
    assert state is not None
    return state.step


async def test_an_order_is_filled_in_and_its_documents_sent_through_the_mini_app(
    webapp: TelegramHarness,
) -> None:
    h, fake = webapp, webapp.fake
    ann = fake.user(first_name="Ann", language_code="en")
    await start_kraków_order(h, ann)
    [opener] = web_app_buttons(fake, ann)
    assert opener.web_app == WEBAPP_URL and opener.text == text_of("form.fill_in")
    auth = tma(fake, ann)

    status, state = await call(h, "state", auth=auth)
    assert status == 200 and state["kind"] == "form" and state["language"] == "en"
    form = state["form"]
    assert sorted(f["name"] for f in form["fields"]) == sorted(ANSWERS)
    assert form["title"] == text_of("form.modal_title") and form["token"]

    # an error: refused beside its field, nothing applied, nothing said in the chat
    chat_before = fake.texts(ann.chat_id)
    wrong = {**ANSWERS, "email": "ann-at-example", "zip_code": ""}
    status, refused = await call(h, "form", auth=auth, json={"form": form["token"], "answers": wrong})
    assert status == 422
    assert set(refused["errors"]) == {"email", "zip_code"}
    assert refused["errors"]["zip_code"] == text_of("invalid.empty")
    assert fake.texts(ann.chat_id) == chat_before and await step_of(h, ann) == "order.form"

    # fixed: the group is created as by the chat's Create, and the chat shows the next step too
    status, state = await call(h, "form", auth=auth, json={"form": form["token"], "answers": ANSWERS})
    assert status == 200 and state["kind"] == "upload"
    assert state["notes"] == [text_of("form.created", name="Anna Nowak")]
    assert "Passport" in state["text"] and "(1 of 2)" in state["text"]
    assert await step_of(h, ann) == "order.upload"
    assert any(text_of("form.created", name="Anna Nowak") == t for t in fake.texts(ann.chat_id))
    assert fake.menu(ann.chat_id).text == state["text"]
    [uploader] = web_app_buttons(fake, ann)
    assert uploader.text == text_of("webapp.open_upload") and uploader.web_app == WEBAPP_URL

    status, state = await call(
        h, "upload", auth=auth, upload=("passport.jpg", JPEG, "image/jpeg"), screen=state["upload"]["screen"]
    )
    assert status == 200 and state["kind"] == "upload" and "(2 of 2)" in state["text"]
    assert state["notes"] == [text_of("upload.done", document=text_of("doctype.passport"))]
    status, state = await call(
        h, "upload", auth=auth, upload=("bill.pdf", PDF, "application/pdf"), screen=state["upload"]["screen"]
    )
    assert status == 200 and state["kind"] == "chat"
    assert await step_of(h, ann) == "order.doc_status"
    files = sorted(h.sandbox.state.files, key=lambda f: f.sequence)
    assert [(f.document_type, f.file_type, f.size) for f in files] == [
        ("passport", "jpeg", len(JPEG)),
        ("receipt", "pdf", len(PDF)),
    ]

    # the chat carries on from where the page left it
    assert "Continue to the order" in " ".join(fake.menu(ann.chat_id).labels)
    assert not web_app_buttons(fake, ann)
    await h.press(ann, "Continue to the order")
    done = await h.press(ann, "Confirm and pay")
    assert "is yours" in done[0].text
    assert h.sandbox.call_count("direct_numbers.order") == 1


async def test_the_api_refuses_missing_forged_stale_and_foreign_init_data(webapp: TelegramHarness) -> None:
    h, fake = webapp, webapp.fake
    ann = fake.user(first_name="Ann", language_code="en")
    await start_kraków_order(h, ann)
    good = tma(fake, ann)
    refusals = {
        "missing": None,
        "another scheme": "Bearer " + good[4:],
        "forged user": "tma " + forge(good[4:], user='{"id":1,"first_name":"Eve"}'),
        "forged date": "tma " + forge(good[4:], auth_date=str(int(time.time()) + 10)),
        "another bot's": "tma " + sign_init_data("1:another-bots-token", ann),
        "stale": tma(fake, ann, age=3700),
    }
    for what, auth in refusals.items():
        for path, body in (("state", None), ("form", {"form": "x", "answers": {}})):
            status, answer = await call(h, path, auth=auth, json=body)
            assert (status, answer["error"]) == (401, "unauthorized"), what
            assert "first_name" not in str(answer) and "Kraków" not in str(answer)
        status, _ = await call(h, "upload", auth=auth, upload=("a.jpg", JPEG, "image/jpeg"), screen="s")
        assert status == 401, what
    status, answer = await call(h, "state", auth=None, headers={"Accept-Language": "pl-PL,pl;q=0.9"})
    assert answer["message"] == text_of("webapp.unauthorized", "pl")
    assert await step_of(h, ann) == "order.form"  # nothing of it touched the conversation


async def test_a_customer_reaches_only_their_own_conversation(webapp: TelegramHarness) -> None:
    h, fake = webapp, webapp.fake
    ann = fake.user(first_name="Ann", language_code="en")
    bob = fake.user(first_name="Bob", language_code="pl")
    await start_kraków_order(h, ann)
    await h.press(ann, "Ms")
    await h.say(ann, "Annabelle")
    _, anns = await call(h, "state", auth=tma(fake, ann))
    assert {f["name"]: f["value"] for f in anns["form"]["fields"]}["first_name"] == "Annabelle"

    await h.say(bob, "/start")
    status, bobs = await call(h, "state", auth=tma(fake, bob))
    assert status == 200 and bobs["kind"] == "chat" and bobs["language"] == "pl"
    assert "Annabelle" not in str(bobs)
    # Ann's form token means nothing in Bob's conversation
    status, answer = await call(
        h, "form", auth=tma(fake, bob), json={"form": anns["form"]["token"], "answers": ANSWERS}
    )
    assert status == 409 and answer["state"]["kind"] == "chat"
    assert await step_of(h, ann) == "order.form" and not h.sandbox.state.groups.keys() - {0}
    # a body naming Ann changes nothing: the user is the init data's
    status, _ = await call(
        h,
        "form",
        auth=tma(fake, bob),
        json={"form": anns["form"]["token"], "answers": ANSWERS, "user": ann.id},
    )
    assert status == 409


async def test_what_is_no_longer_on_screen_is_refused_with_the_current_page(webapp: TelegramHarness) -> None:
    h, fake = webapp, webapp.fake
    ann = fake.user(first_name="Ann", language_code="en")
    await start_kraków_order(h, ann)
    auth = tma(fake, ann)
    _, state = await call(h, "state", auth=auth)
    old = state["form"]["token"]
    await h.press(ann, "Ms")  # answered in the chat meanwhile: the form on screen is a new one
    status, answer = await call(h, "form", auth=auth, json={"form": old, "answers": ANSWERS})
    assert status == 409 and answer["message"] == text_of("webapp.changed")
    assert answer["state"]["form"]["token"] != old
    assert {f["name"]: f["value"] for f in answer["state"]["form"]["fields"]}["salutation"] == "MS"
    assert await step_of(h, ann) == "order.form" and not h.sandbox.state.groups.keys() - {0}

    status, answer = await call(h, "upload", auth=auth, upload=("a.jpg", JPEG, "image/jpeg"), screen="x" * 24)
    assert status == 409 and answer["state"]["kind"] == "form"  # no upload is asked for now
    assert not h.sandbox.state.files


async def test_uploads_get_the_chat_attachments_checks(webapp: TelegramHarness) -> None:
    h, fake = webapp, webapp.fake
    ann = fake.user(first_name="Ann", language_code="en")
    await start_kraków_order(h, ann)
    await fill_group_form(h, ann)
    await h.press(ann, "Create")
    auth = tma(fake, ann)
    _, state = await call(h, "state", auth=auth)
    assert state["kind"] == "upload"
    screen = state["upload"]["screen"]

    status, answer = await call(
        h, "upload", auth=auth, upload=("scan.pdf", b"%PDF-1.4 not really", "application/pdf"), screen=screen
    )
    assert status == 422 and answer["message"] == text_of("invalid.file_unreadable_pdf")
    status, answer = await call(
        h, "upload", auth=auth, upload=("scan.pdf", b"hello, this is text", "application/pdf"), screen=screen
    )
    assert status == 422 and answer["message"] == text_of("invalid.file_type")
    big = JPEG + b"\0" * (20 * 1024 * 1024)
    status, answer = await call(h, "upload", auth=auth, upload=("big.jpg", big, "image/jpeg"), screen=screen)
    assert status == 413 and "20 MB" in answer["message"]
    assert not h.sandbox.state.files and await step_of(h, ann) == "order.upload"

    # Zadarma failing: the document is not taken, the page is told what the chat was told
    passport = ("passport.jpg", JPEG, "image/jpeg")
    h.sandbox.set_faults(error_rate=1.0, paths=["/v1/documents/upload"])
    status, answer = await call(h, "upload", auth=auth, upload=passport, screen=screen)
    h.sandbox.set_faults()
    assert status == 422 and answer["error"] == "not_taken" and answer["message"]
    assert answer["message"] in fake.texts(ann.chat_id) and answer["state"]["upload"]["screen"] == screen
    assert not h.sandbox.state.files and await step_of(h, ann) == "order.upload"
    status, _ = await call(h, "upload", auth=auth, upload=passport, screen=screen)
    assert status == 200 and len(h.sandbox.state.files) == 1

    status, state = await call(h, "upload", auth=auth, upload=("scan.png", b"junk", "image/png"), screen="")
    assert status == 400
    status, _ = await call(h, "upload", auth=auth, json={"screen": screen, "file": "not multipart"})
    assert status == 400
    status, _ = await call(h, "upload", auth=auth, upload=("a.jpg", JPEG, "image/jpeg"), screen="s" * 300)
    assert status == 400  # a fingerprint field far over its size


async def test_my_documents_edit_details_opens_the_edit_form_in_the_mini_app(webapp: TelegramHarness) -> None:
    h, fake = webapp, webapp.fake
    ann = fake.user(first_name="Ann", language_code="en")
    await start_kraków_order(h, ann)
    await fill_group_form(h, ann)
    await h.press(ann, "Create")
    await h.say(ann, "/documents")
    await h.press(ann, "Anna Nowak")
    await h.press(ann, text_of("docs.edit"))
    [opener] = web_app_buttons(fake, ann)
    assert opener.web_app == WEBAPP_URL

    auth = tma(fake, ann)
    _, state = await call(h, "state", auth=auth)
    assert state["kind"] == "form" and state["form"]["title"] == text_of("docs.edit.modal_title")
    values = {f["name"]: f["value"] for f in state["form"]["fields"]}
    assert values["email"] == "ann@example.com" and values["city"] == "Kraków"
    changed = {**values, "email": "anna.nowak@example.com"}
    status, state = await call(
        h, "form", auth=auth, json={"form": state["form"]["token"], "answers": changed}
    )
    assert status == 200 and state["kind"] == "chat"
    [group] = [g for gid, g in h.sandbox.state.groups.items() if gid]
    assert group.get("email") == "anna.nowak@example.com"
    assert await step_of(h, ann) == "docs.group"


async def test_without_the_mini_app_the_chat_is_as_before(harness: TelegramHarness) -> None:
    await harness.start(webhook=True)
    h, fake = harness, harness.fake
    ann = fake.user(first_name="Ann", language_code="en")
    await start_kraków_order(h, ann)
    assert not web_app_buttons(fake, ann)
    await fill_group_form(h, ann)
    await h.press(ann, "Create")
    assert not web_app_buttons(fake, ann)
    async with aiohttp.ClientSession() as http:
        for path in ("/webapp/", "/webapp/api/state"):
            async with http.get(h.web_url + path) as response:
                assert response.status == 404


async def test_the_page_and_its_assets_are_served_with_a_strict_policy(webapp: TelegramHarness) -> None:
    async with aiohttp.ClientSession() as http:
        for path, kind in (
            ("/webapp/", "text/html"),
            ("/webapp/app.js", "text/javascript"),
            ("/webapp/app.css", "text/css"),
        ):
            async with http.get(webapp.web_url + path) as response:
                assert response.status == 200 and response.content_type == kind
                policy = response.headers["Content-Security-Policy"]
                assert "default-src 'self'" in policy and "script-src 'self';" in policy
                assert "frame-ancestors https://web.telegram.org" in policy and "unsafe" not in policy
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                body = await response.text()
        async with http.get(webapp.web_url + "/webapp/", allow_redirects=False) as response:
            page = await response.text()
        assert "<script>" not in page and "telegram.org" not in page and 'src="app.js"' in page
        for path in ("/webapp/../bot/config.py", "/webapp/secret.txt", "/webapp/index.htm"):
            async with http.get(webapp.web_url + path) as response:
                assert response.status == 404
        async with http.get(webapp.web_url + "/webapp", allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/webapp/"
    assert "telegram.org/js" not in body


async def test_one_upload_at_a_time_per_customer(webapp: TelegramHarness) -> None:
    """A second upload while the first is still arriving is refused (429), another customer's is not."""
    h, fake = webapp, webapp.fake
    ann = fake.user(first_name="Ann", language_code="en")
    bob = fake.user(first_name="Bob", language_code="en")
    for user in (ann, bob):
        await start_kraków_order(h, user)
        await fill_group_form(h, user)
        await h.press(user, "Create")
    screens: dict[int, str] = {}
    for user in (ann, bob):
        _, state = await call(h, "state", auth=tma(fake, user))
        screens[user.id] = state["upload"]["screen"]

    boundary = "slowboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="screen"\r\n\r\n{screens[ann.id]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="passport.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield head + JPEG[:100]
        await release.wait()
        yield JPEG[100:] + tail

    async with aiohttp.ClientSession() as http:
        first = asyncio.create_task(
            http.post(
                h.web_url + "/webapp/api/upload",
                data=slow_body(),
                headers={
                    "Authorization": tma(fake, ann),
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
        )
        api = h.part.webapp
        assert api is not None
        await eventually(lambda: api.receiving(ann.id))  # the first upload is on its way
        passport = ("passport.jpg", JPEG, "image/jpeg")
        status, answer = await call(h, "upload", auth=tma(fake, ann), upload=passport, screen=screens[ann.id])
        assert status == 429 and answer == {"error": "busy", "message": text_of("webapp.busy")}
        status, _ = await call(h, "upload", auth=tma(fake, bob), upload=passport, screen=screens[bob.id])
        assert status == 200  # another customer is not held up
        release.set()
        async with await first as response:
            assert response.status == 200
        assert not api.receiving(ann.id)
    assert len(h.sandbox.state.files) == 2
