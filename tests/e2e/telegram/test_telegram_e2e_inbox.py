"""The update inbox and the gate end to end: an update is kept before Telegram is told it
arrived, begun and finished around its handler, handled again after a stop cut it off, and
given up after :data:`~adapters.telegram.inbox.MAX_ATTEMPTS` attempts; what the webhook answers."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

import adapters.telegram.part as part_module
from adapters.telegram.inbox import MAX_ATTEMPTS
from bot.storage import UserRef, utc_now
from tests.e2e.telegram.telegram_helpers import PDF, WEBHOOK_PATH, WEBHOOK_SECRET, TelegramHarness
from tests.fakes.telegram_api import SECRET_HEADER, FakeUser, Injected


@pytest.fixture
def quick_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopping cuts off an update still running after 0.3 s (as a kill would), not after 10 s."""
    monkeypatch.setattr(part_module, "DRAIN_TIMEOUT", 0.3)


def prefix(h: TelegramHarness) -> str:
    return f"telegram:{h.part.bot.id}:update:"


def gate_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "telegram update"]


async def send_held_scan(h: TelegramHarness, ann: FakeUser, downloads: int = 1) -> Injected:
    """Ann sends a PDF whose download hangs: its handler is running when the bot stops."""
    h.fake.hold_downloads()
    scan = h.fake.send_document(ann, PDF, "scan.pdf", "application/pdf")
    await h.fake.delivered(scan)
    await h.fake.wait_for(lambda: len(h.fake.downloads) == downloads, what="the download to start")
    return scan


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_an_update_cut_off_by_a_stop_is_kept_and_handled_once_after_the_restart(
    harness: TelegramHarness, quick_stop: None, caplog: pytest.LogCaptureFixture, webhook: bool
) -> None:
    caplog.set_level(logging.INFO)
    h, fake = harness, harness.fake
    await h.start(webhook=webhook)
    ann = fake.user()
    scan = await send_held_scan(h, ann)

    # Telegram has been told it arrived (next offset / the 200), and the store has it.
    [entry] = await h.storage.inbox.unfinished(prefix(h))
    assert entry.key == f"{prefix(h)}{scan.update_id}"
    assert entry.attempts == 1
    assert entry.payload is not None
    assert json.loads(entry.payload)["message"]["document"]["file_name"] == "scan.pdf"
    assert json.loads(entry.payload) == scan.payload  # the update as Telegram sent it

    await h.stop()
    assert fake.bot_messages(ann.chat_id) == []
    assert [(r.outcome, r.attempt) for r in gate_lines(caplog)] == [("cancelled", 1)]  # type: ignore[attr-defined]

    fake.release_downloads()
    await h.start(webhook=webhook)
    await h.part.drain()
    answers = fake.texts(ann.chat_id)
    assert answers, "the replayed scan is answered"
    assert len(fake.downloads) == 2
    assert [(r.outcome, r.attempt) for r in gate_lines(caplog)][-1] == ("handled", 2)  # type: ignore[attr-defined]
    assert await h.storage.inbox.unfinished(prefix(h)) == []

    await h.restart()  # finished: not handled a third time
    await h.part.drain()
    assert fake.texts(ann.chat_id) == answers
    assert len(fake.downloads) == 2


async def test_an_update_that_never_finishes_is_given_up_after_its_last_attempt(
    harness: TelegramHarness, quick_stop: None, caplog: pytest.LogCaptureFixture
) -> None:
    h, fake = harness, harness.fake
    await h.start()
    ann = fake.user()
    scan = await send_held_scan(h, ann)
    for attempt in range(2, MAX_ATTEMPTS + 1):
        await h.restart()  # handled again, and cut off again
        await fake.wait_for(lambda n=attempt: len(fake.downloads) == n, what=f"attempt {attempt}")  # type: ignore[misc]
    caplog.set_level(logging.WARNING)
    await h.restart()
    await h.part.drain()

    [given_up] = [r for r in caplog.records if r.getMessage() == "an unfinished update is given up"]
    assert (given_up.update_id, given_up.reason) == (str(scan.update_id), f"begun {MAX_ATTEMPTS} times")  # type: ignore[attr-defined]
    assert len(fake.downloads) == MAX_ATTEMPTS
    assert await h.storage.inbox.unfinished(prefix(h)) == []
    fake.release_downloads()
    shown = await h.say(ann, "/start")  # Ann's chat is not stuck behind it
    assert "Welcome" in shown[0].text


async def test_each_update_is_begun_and_finished_and_its_sender_recorded(
    polling: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    h, fake = polling, polling.fake
    ann = fake.user()
    hello = fake.send_text(ann, "/start")
    await h.settle(hello)

    [line] = gate_lines(caplog)
    assert (line.update_id, line.kind, line.user, line.outcome, line.attempt) == (  # type: ignore[attr-defined]
        hello.update_id,
        "message",
        str(ann.id),
        "handled",
        1,
    )
    assert isinstance(line.ms, float) and line.ms >= 0  # type: ignore[attr-defined]
    assert await h.storage.inbox.unfinished(prefix(h)) == []
    assert await h.storage.inbox.begin(f"{prefix(h)}{hello.update_id}", utc_now()) is None
    user = await h.storage.users.get(UserRef("telegram", str(ann.id)))
    assert user is not None and user.chat_id == str(ann.chat_id)  # alerts can reach the private chat

    press = fake.press(ann, "Help")
    await h.settle(press)
    [answered] = fake.calls_to("answerCallbackQuery")
    assert answered.params["callback_query_id"] == press.payload["callback_query"]["id"]


async def _post(h: TelegramHarness, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    sent = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"} if headers is None else headers
    async with (
        aiohttp.ClientSession() as http,
        http.post(h.web_url + WEBHOOK_PATH, data=body, headers=sent) as r,
    ):
        return r.status, await r.text()


async def test_the_webhook_answers_each_kind_of_request(
    harness: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    h = harness
    await h.start(webhook=True)
    refused = (400, "not a Telegram update")

    assert await _post(h, b"{}", {SECRET_HEADER: "wrong"}) == (401, "unauthorized")
    assert await _post(h, b"{}", {}) == (401, "unauthorized")
    assert await _post(h, b"{") == refused  # not JSON
    assert await _post(h, json.dumps({"update_id": "abc"}).encode()) == refused  # not an update
    assert await _post(h, json.dumps({"update_id": 11, "future_update": {}}).encode()) == (200, "")
    channel = {
        "update_id": 12,
        "channel_post": {"message_id": 1, "date": 1, "chat": {"id": -5, "type": "channel"}},
    }
    assert await _post(h, json.dumps(channel).encode()) == (200, "")  # nobody listens to it
    # A message with no sender (Telegram may omit "from") is handled and finished like any other.
    anonymous = {
        "update_id": 13,
        "message": {"message_id": 1, "date": 1, "chat": {"id": -7, "type": "group"}},
    }
    assert await _post(h, json.dumps(anonymous).encode()) == (200, "")
    await h.part.drain()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [(r.update_id, r.outcome) for r in gate_lines(caplog)] == [(13, "handled")]  # type: ignore[attr-defined]
    assert await h.storage.inbox.unfinished(prefix(h)) == []

    await h.part.stop()
    assert await _post(h, json.dumps({"update_id": 14, "message": anonymous["message"]}).encode()) == (
        503,
        "not running",
    )


async def test_a_webhook_without_a_secret_takes_requests_without_the_header(harness: TelegramHarness) -> None:
    await harness.start(webhook=True, secret="")
    ann = harness.fake.user()
    shown = await harness.say(ann, "/start")
    assert "Welcome" in shown[0].text
    assert harness.fake.webhook_responses[-1][1] == 200


async def test_a_press_is_answered_first_and_a_slow_answer_does_not_hold_the_reply_back(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await h.say(ann, "/start")
    fake.fail_next("answerCallbackQuery", status=429, retry_after=1)  # the answer waits out a flood limit

    await h.settle(fake.press(ann, "Help"))

    answers = fake.calls_to("answerCallbackQuery")
    assert [c.status for c in answers] == [429, 200]  # the spinner is still stopped
    changes = [
        c for c in fake.calls if c.method in {"editMessageText", "sendMessage"} and c.at > answers[0].at
    ]
    assert changes, "the press changed the screen, after the answer was first asked for"
    # The reply did not sit out the answer's flood wait (a second): it came before the answer's retry.
    assert min(c.at for c in changes) < answers[1].at


async def test_an_answer_applied_before_a_stop_is_not_applied_again_when_replayed(
    harness: TelegramHarness, quick_stop: None
) -> None:
    h, fake = harness, harness.fake
    await h.start()
    ann = fake.user()
    await h.say(ann, "/order")
    for method in ("sendMessage", "editMessageText"):
        fake.fail_next(method, status=429, retry_after=3)  # the reply waits out a flood limit...
    country = fake.send_text(ann, "PL")
    await fake.delivered(country)
    await fake.wait_for(
        lambda: any(c.status == 429 for c in fake.calls if c.method in {"sendMessage", "editMessageText"}),
        what="the reply to wait",
    )
    await h.stop()  # ...and the stop cuts it off after "PL" was applied

    await h.start()
    await h.part.drain()
    screen = h.screen(ann)
    assert "2. Kraków" in screen.labels, screen.text  # the city step, shown again...
    assert not [t for t in fake.texts(ann.chat_id) if "“PL”" in t]  # ...with "PL" not taken as a city search


async def test_an_update_whose_handler_fails_is_finished_and_logged_as_an_error(
    polling: TelegramHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    h, fake = polling, polling.fake
    ann = fake.user()

    async def store_down(*_: object, **__: object) -> None:
        raise ConnectionError("the store is down")

    monkeypatch.setattr(h.storage.users, "mark_blocked", store_down)
    block = fake.block_bot(ann)
    await h.settle(block)

    [line] = gate_lines(caplog)
    assert (line.update_id, line.outcome, line.attempt) == (block.update_id, "failed", 1)  # type: ignore[attr-defined]
    assert await h.storage.inbox.unfinished(prefix(h)) == []  # a retry would fail the same way


def update_lines(caplog: pytest.LogCaptureFixture, update_id: int, level: int) -> list[str]:
    """The loggers of the lines at ``level`` about ``update_id`` (the gate's by field, aiogram's by text)."""
    return [
        r.name
        for r in caplog.records
        if r.levelno == level
        and (getattr(r, "update_id", None) == update_id or f"Update id={update_id} " in r.getMessage())
    ]


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_at_info_each_update_is_one_line_and_aiograms_errors_still_show(
    harness: TelegramHarness, caplog: pytest.LogCaptureFixture, webhook: bool
) -> None:
    caplog.set_level(logging.INFO)  # the production default, set before the bot starts
    await harness.start(webhook=webhook)
    fake, ann = harness.fake, harness.fake.user()
    hello = fake.send_text(ann, "/start")
    await harness.settle(hello)
    press = fake.press(ann, "Help")
    await harness.settle(press)

    for update in (hello, press):
        assert update_lines(caplog, update.update_id, logging.INFO) == ["adapters.kit.gate"]
    aiogram_event = logging.getLogger("aiogram.event")
    aiogram_event.error("an error of aiogram's")
    assert [r.getMessage() for r in caplog.records if r.name == "aiogram.event"] == ["an error of aiogram's"]

    await harness.stop()
    assert aiogram_event.level == logging.NOTSET  # as it was before the bot started


async def test_at_debug_aiograms_own_line_per_update_is_kept(
    harness: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await harness.start()
    hello = harness.fake.send_text(harness.fake.user(), "/start")
    await harness.settle(hello)
    both = ["adapters.kit.gate", "aiogram.event"]
    assert sorted(update_lines(caplog, hello.update_id, logging.INFO)) == both
