"""The order wizard in Slack: button actions, the answer modal, the form modal and a file in a DM."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.console.samples import sample_scan_png
from adapters.slack import actions, texts
from bot.storage import ConversationKey
from conversations.state import load_state
from tests.e2e.slack.slack_helpers import ADMIN, CHANNEL, DM, SlackStack, button_labelled, buttons, text_of

# The test stack has no Slack locale and its users chose no language: English.
EXPIRED = texts.say("en", texts.EXPIRED)
FILE_STEP_HINT = texts.say("en", texts.FILE_STEP_HINT, max_mb=20)
NOTHING_WAITING_FOR_FILE = texts.say("en", texts.NOTHING_WAITING_FOR_FILE, command="/numbers")


class Driver:
    """Clicks through the wizard like an operator, always on the message last shown."""

    def __init__(self, stack: SlackStack) -> None:
        self.stack = stack
        self.blocks: list[dict[str, Any]] = []
        self.channel = CHANNEL
        self.ephemeral = True
        self.answers: list[dict[str, Any]] = []

    @property
    def text(self) -> str:
        return text_of(self.blocks)

    async def _shown_at(self, url: str) -> None:
        await self.stack.idle()
        self.answers = self.answered(url)
        assert len(self.answers) == 1 or [a["text"][:1] for a in self.answers] == [
            "⏳",
            self.answers[-1]["text"][:1],
        ]
        self.blocks = self.answers[-1]["blocks"]

    def answered(self, url: str) -> list[dict[str, Any]]:
        """What was sent to ``url`` (a slow press: "⏳" first, then its answer)."""
        name = url.rsplit("/", 1)[1]
        return [c.args for c in self.stack.fake.calls_to("response_url") if c.path.endswith("/" + name)]

    async def start(self) -> None:
        url = self.stack.fake.response_url()
        reply = await self.stack.slack.command("order", response_url=url, channel=self.channel)
        assert reply.status == 200
        await self._shown_at(url)

    async def press(self, label: str) -> None:
        await self.press_button(button_labelled(self.blocks, label))

    async def press_button(self, element: dict[str, Any]) -> None:
        url = self.stack.fake.response_url()
        await self.stack.slack.press(
            element, response_url=url, channel=self.channel, ephemeral=self.ephemeral
        )
        await self._shown_at(url)

    async def modal_from(self, label: str) -> dict[str, Any]:
        """Press a button that opens a modal; returns the modal as Slack shows it last."""
        self.url = self.stack.fake.response_url()
        element = button_labelled(self.blocks, label)
        opened_before = len(self.stack.fake.calls_to("views.open"))
        await self.stack.slack.press(element, response_url=self.url, channel=self.channel)
        await self.stack.idle()
        opened = self.stack.fake.calls_to("views.open")
        assert len(opened) == opened_before + 1
        callback_id = opened[-1].args["view"]["callback_id"]
        return next(v for v in reversed(self.stack.fake.views.values()) if v["callback_id"] == callback_id)

    async def type_answer(self, text: str) -> None:
        view = await self.modal_from("Type an answer")
        assert view["callback_id"] == actions.TEXT_VIEW
        reply = await self.stack.slack.submit_view(view, {actions.TEXT_BLOCK: text})
        assert reply.status == 200 and reply.text == ""
        await self._shown_at(self.url)


async def test_the_whole_order_wizard_in_slack(stack: SlackStack) -> None:
    wizard = Driver(stack)
    await wizard.start()
    assert "country" in wizard.text
    await wizard.type_answer("Poland")  # a step that expects text: the one-field modal
    assert "Warsaw" in wizard.text and "Passport" in wizard.text

    await wizard.press("Warsaw")
    await wizard.press("+48 22")
    assert "document group" in wizard.text.lower()
    await wizard.press("New document group")
    assert "question 1 of" in wizard.text

    # The form step offers the whole form as a modal: a loading view first, then the questions.
    opener = button_labelled(wizard.blocks, "Fill in the form")
    chat, token = opener["value"].split("|")
    assert opener["action_id"] == actions.FORM_OPEN and chat == CHANNEL
    stored = await stack.storage.conversations.get(ConversationKey("slack", CHANNEL, ADMIN))
    state = load_state(stored.data) if stored is not None else None
    assert state is not None and state.actions[token].op == "form"  # an engine token, like every button
    view = await wizard.modal_from("Fill in the form")
    assert view["callback_id"] == actions.FORM_VIEW
    assert "Loading" in text_of(stack.fake.calls_to("views.open")[-1].args["view"]["blocks"])
    asked = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert asked[0] == "f.salutation" and "f.address" in asked and "f.middle_name" in asked
    answers = {
        "f.salutation": "MS",
        "f.first_name": "Anna",
        "f.last_name": "Nowak",
        "f.email": "anna@example.com",
        "f.phone": "+48 600 100 200",
        "f.country": "DE",
        "f.city": "Warsaw",
        "f.zip_code": "00-001",
        "f.street": "Marszałkowska",
        "f.building_number": "1",
        "f.address": "Marszałkowska 1, 00-001 Warsaw",
    }
    reply = await stack.slack.submit_view(view, answers)
    assert reply.json() == {
        "response_action": "errors",
        "errors": {
            "f.country": (
                "For this number the address must be in PL. "
                "Please type PL, or go back and choose another number."
            ),
            "f.zip_code": "That is not a postcode used in DE. Please type one like 26133.",
        },
    }
    groups_before = len(stack.sandbox.state.groups)
    reply = await stack.slack.submit_view(view, answers | {"f.country": "PL"})
    assert reply.text == ""
    await wizard._shown_at(wizard.url)
    assert len(stack.sandbox.state.groups) == groups_before + 1
    assert "Anna Nowak" in wizard.text
    assert FILE_STEP_HINT in wizard.text  # the passport: share it in a DM with the bot

    # The file, shared in the bot's DM, reaches the waiting conversation.
    file_id = stack.fake.add_file(sample_scan_png(), name="passport.png")
    await stack.slack.event({"type": "file_shared", "file_id": file_id, "user_id": ADMIN, "channel_id": DM})
    await stack.idle()
    [download] = stack.fake.calls_to("download")
    assert download.token == stack.part.client.token
    [posted] = stack.fake.calls_to("chat.postMessage")
    assert posted.args["channel"] == DM
    assert len(stack.sandbox.state.files) == 1
    wizard.blocks, wizard.channel, wizard.ephemeral = posted.args["blocks"], DM, False
    assert "Continue" in buttons(wizard.blocks)[0]["text"]["text"]

    # Buttons on the DM's message still drive the conversation started in the channel.
    await wizard.press("Continue")
    confirm = button_labelled(wizard.blocks, "Confirm and pay")
    orders_before = stack.sandbox.call_count("direct_numbers.order")
    await wizard.press("Confirm and pay")
    await stack.idle()
    assert stack.sandbox.call_count("direct_numbers.order") == orders_before + 1
    # "⏳" replaced the pressed confirmation (no buttons left) while the order ran, then the outcome did.
    hourglass, outcome = wizard.answers
    assert hourglass["text"].startswith("⏳") and buttons(hourglass["blocks"]) == []
    assert hourglass["replace_original"] and outcome["replace_original"]
    assert "is yours" in text_of(outcome["blocks"])
    ordered = [n for n in stack.sandbox.state.numbers.values() if n.kind == "order"]
    assert len(ordered) == 1 and ordered[0].group_id == max(stack.sandbox.state.groups)
    owner = await stack.storage.ownership.owner_of_number(ordered[0].number)
    assert owner is not None and owner.user_id == ADMIN

    # A second click on the confirmation orders nothing more.
    await wizard.press_button(confirm)
    assert stack.sandbox.call_count("direct_numbers.order") == orders_before + 1

    # Connect it to a SIP login.
    await wizard.press("00001")
    assert ordered[0].sip == "00001", wizard.text


async def test_a_too_big_file_is_refused_before_downloading(stack: SlackStack) -> None:
    await _to_the_upload_step(stack)
    file_id = stack.fake.add_file(b"\x89PNG big", name="huge.png", reported_size=21 * 1024 * 1024)
    await stack.slack.event({"type": "file_shared", "file_id": file_id, "user_id": ADMIN, "channel_id": DM})
    await stack.idle()
    assert stack.fake.calls_to("files.info")
    assert stack.fake.calls_to("download") == []
    assert "larger than 20 MB" in stack.fake.calls_to("chat.postMessage")[-1].args["text"]
    assert stack.sandbox.state.files == []


async def test_a_file_nobody_waits_for_is_declined(stack: SlackStack) -> None:
    file_id = stack.fake.add_file(sample_scan_png())
    await stack.slack.event({"type": "file_shared", "file_id": file_id, "user_id": ADMIN, "channel_id": DM})
    # A file shared in a channel is not for the bot.
    await stack.slack.event(
        {"type": "file_shared", "file_id": file_id, "user_id": ADMIN, "channel_id": CHANNEL}
    )
    await stack.idle()
    assert stack.fake.calls_to("download") == []
    [said] = stack.fake.calls_to("chat.postMessage")
    assert said.args["channel"] == DM and said.args["text"] == NOTHING_WAITING_FOR_FILE


async def test_text_typed_in_the_dm_answers_a_dm_conversation(stack: SlackStack) -> None:
    url = stack.fake.response_url()
    await stack.slack.command("order", channel=DM, response_url=url)
    await stack.idle()
    await stack.slack.event(
        {"type": "message", "channel_type": "im", "channel": DM, "user": ADMIN, "text": "DE"}
    )
    await stack.idle()
    [posted] = stack.fake.calls_to("chat.postMessage")
    assert posted.args["channel"] == DM and "Berlin" in text_of(posted.args["blocks"])


async def test_text_typed_in_the_dm_where_a_button_is_expected_leaves_the_buttons_working(
    stack: SlackStack,
) -> None:
    """Regression: looking at the current screen for typed text minted new tokens and expired the menu."""
    wizard = Driver(stack)
    wizard.channel = DM
    await wizard.start()
    await wizard.type_answer("Poland")
    await wizard.press("Warsaw")
    await wizard.press("+48 22")
    assert button_labelled(wizard.blocks, "Account Owner")  # a step that takes no typed answer
    await stack.slack.event(
        {"type": "message", "channel_type": "im", "channel": DM, "user": ADMIN, "text": "hello"}
    )
    await stack.idle()
    assert "press *Type an answer*" in text_of(stack.fake.calls_to("chat.postMessage")[-1].args["blocks"])

    await wizard.press("Account Owner")

    assert "expired" not in wizard.text.lower()
    assert FILE_STEP_HINT in wizard.text


async def test_a_forged_or_stale_wizard_button_changes_nothing(stack: SlackStack) -> None:
    wizard = Driver(stack)
    await wizard.start()
    stale = button_labelled(wizard.blocks, "Poland")
    await wizard.press("Germany")
    await stack.slack.press(stale)
    await stack.idle()
    expired = stack.fake.calls_to("response_url")[-1].args
    assert "expired" in text_of(expired["blocks"]).lower()
    # posted as a new message: the pressed one (which may tell a payment's outcome) stays as it was
    assert expired["replace_original"] is False
    await stack.slack.press({"action_id": "zb.w.0.0", "value": "no-separator"})
    await stack.idle()
    assert "expired" in stack.fake.calls_to("response_url")[-1].args["text"].lower()


async def _to_the_upload_step(stack: SlackStack) -> Driver:
    wizard = Driver(stack)
    await wizard.start()
    await wizard.type_answer("Poland")
    await wizard.press("Warsaw")
    await wizard.press("+48 22")
    await wizard.press("Account Owner")
    assert FILE_STEP_HINT in wizard.text
    return wizard


async def test_a_modal_slack_would_not_open_is_reported(stack: SlackStack) -> None:
    wizard = Driver(stack)
    await wizard.start()
    stack.fake.fail_next("views.open", "expired_trigger_id")
    url = stack.fake.response_url()
    await stack.slack.press(button_labelled(wizard.blocks, "Type an answer"), response_url=url)
    await stack.idle()
    assert "did not open the form in time" in stack.fake.calls_to("response_url")[-1].args["text"]
    assert stack.part.health()["last_error"] == "views.open: expired_trigger_id"


async def test_a_form_modal_whose_form_left_the_screen_is_closed(stack: SlackStack) -> None:
    wizard = Driver(stack)
    await wizard.start()
    await wizard.type_answer("Poland")
    await wizard.press("Warsaw")
    await wizard.press("+48 22")
    await wizard.press("New document group")
    opener = button_labelled(wizard.blocks, "Fill in the form")
    view = await wizard.modal_from("Fill in the form")
    await wizard.press("Back")  # the conversation leaves the form while the modal is open
    assert "Fill in the form" not in text_of(wizard.blocks)

    groups_before = len(stack.sandbox.state.groups)
    reply = await stack.slack.submit_view(view, {"f.salutation": "MS", "f.first_name": "Anna"})
    assert reply.json()["response_action"] == "update"
    assert EXPIRED in text_of(reply.json()["view"]["blocks"])
    await stack.slack.press(opener, response_url=stack.fake.response_url())
    await stack.idle()
    expired = stack.fake.views[stack.fake.calls_to("views.update")[-1].args["view_id"]]
    assert EXPIRED in text_of(expired["blocks"])
    assert len(stack.sandbox.state.groups) == groups_before


async def test_a_press_that_fails_after_the_hourglass_replaces_it_with_the_failure(
    stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    wizard = Driver(stack)
    await wizard.start()
    await wizard.type_answer("Poland")
    await wizard.press("Gdańsk")
    await wizard.press("Any number")

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the store broke")  # not a service error: the press fails as a whole

    monkeypatch.setattr(stack.storage.intents, "create", broken)
    url = stack.fake.response_url()
    await stack.slack.press(
        button_labelled(wizard.blocks, "Confirm and pay"), response_url=url, channel=CHANNEL
    )
    await stack.idle()

    hourglass, failure = wizard.answered(url)
    assert hourglass["text"].startswith("⏳") and hourglass["replace_original"]
    assert failure["replace_original"] and failure["text"] == texts.say("en", texts.GENERIC_FAILURE)
    assert stack.sandbox.call_count("direct_numbers.order") == 0
