"""Alerts and the digest in the team's channel, the App Home tab, and the document-group modal."""

from __future__ import annotations

from adapters.slack import DeliveryOutcome, SlackAlertSink, SlackPart, actions
from bot.services.alerts import AlertKind, AlertMessage, DeliveryResult
from conversations.engine import ConversationEngine
from conversations.formatting import format_phone
from conversations.i18n import translator
from conversations.notices import Notice, render_notice_text
from tests.e2e.slack.slack_helpers import (
    ADMIN,
    ALERTS,
    SlackStack,
    answers_to,
    button_labelled,
    buttons,
    open_form_modal,
    press_labelled,
    text_of,
)


async def test_an_alert_lands_in_the_channel_with_one_tap_actions(stack: SlackStack) -> None:
    number = stack.owned()
    notice = Notice("expiry_warning", number, {"days_left": "3", "stop_date": "2026-12-01"})
    outcome = await stack.part.post_alert(notice, language="en")
    assert outcome.sent and outcome.ts

    [post] = stack.fake.calls_to("chat.postMessage")
    assert post.args["channel"] == ALERTS
    assert post.args["text"] == render_notice_text(notice, "en")
    labels = [b["text"]["text"] for b in buttons(post.args["blocks"])]
    assert labels == ["⏩ Prolong 1 month", "🔁 Turn auto-renewal on", "Show number"]

    # "Turn auto-renewal on" on the channel's message: done, said to the clicker, noted on the alert.
    stack.sandbox.state.numbers[number].autorenew = False
    message = {"ts": outcome.ts, "text": post.args["text"], "blocks": post.args["blocks"]}
    await stack.slack.press(
        button_labelled(post.args["blocks"], "auto-renewal"), channel=ALERTS, message=message, ephemeral=False
    )
    await stack.idle()
    assert stack.sandbox.state.numbers[number].autorenew is True
    done = translator("en").gettext("card.autorenew_done", number=format_phone(number), value="on")
    assert done in stack.fake.calls_to("response_url")[-1].args["text"]
    [update] = stack.fake.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (ALERTS, outcome.ts)
    assert f"<@{ADMIN}>: {done}" in text_of(update.args["blocks"])

    # "Prolong 1 month": the price first, then one payment on confirmation.
    await stack.slack.press(button_labelled(post.args["blocks"], "Prolong"), channel=ALERTS, ephemeral=False)
    await stack.idle()
    confirmation = stack.fake.calls_to("response_url")[-1].args
    assert confirmation["response_type"] == "ephemeral" and "Price:" in text_of(confirmation["blocks"])
    assert stack.sandbox.call_count("prolong") == 0
    await stack.slack.press(button_labelled(confirmation["blocks"], "Pay"), channel=ALERTS)
    await stack.idle()
    assert stack.sandbox.call_count("prolong") == 1

    await stack.slack.press(button_labelled(post.args["blocks"], "Show number"), channel=ALERTS)
    await stack.idle()
    assert "Paid until" in text_of(stack.fake.calls_to("response_url")[-1].args["blocks"])


async def test_alerts_without_number_actions_and_the_digest(stack: SlackStack) -> None:
    outcome = await stack.part.post_alert(Notice("balance_low", None, {"balance": "3", "currency": "USD"}))
    assert outcome.sent
    assert buttons(stack.fake.calls_to("chat.postMessage")[-1].args["blocks"]) == []

    outcome = await stack.part.post_alert(Notice("renewed", stack.owned(), {"stop_date": "2027-01-01"}))
    labels = [b["text"]["text"] for b in buttons(stack.fake.calls_to("chat.postMessage")[-1].args["blocks"])]
    assert labels == ["Show number"]

    outcome = await stack.part.post_digest(["3 numbers expire this week", "Balance: 12.00 USD"])
    assert outcome.sent
    digest = stack.fake.calls_to("chat.postMessage")[-1].args
    assert digest["channel"] == ALERTS and "3 numbers expire this week" in text_of(digest["blocks"])


async def test_failed_posts_say_when_to_try_again(stack: SlackStack) -> None:
    stack.fake.fail_next("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "7"})
    outcome = await stack.part.post_digest(["x"])
    assert outcome == DeliveryOutcome(False, "ratelimited", 7.0)

    stack.fake.fail_next("chat.postMessage", "channel_not_found")
    outcome = await stack.part.post_alert(Notice("parked", stack.owned(), {"kept_days": "7"}))
    assert outcome == DeliveryOutcome(False, "channel_not_found", None)
    assert stack.part.health()["last_error"] == "chat.postMessage: channel_not_found"

    stack.fake.fail_next("chat.postMessage", "internal_error", status=500)
    outcome = await stack.part.post_digest(["x"])
    assert not outcome.sent and outcome.retry_after is not None


async def test_without_an_alert_channel_nothing_is_posted(stack: SlackStack) -> None:
    part = SlackPart(
        bot_token="xoxb-other",
        signing_secret="secret",
        api_base=stack.fake.api_base,
        admin_users=frozenset(),
        engine=ConversationEngine(stack.services),
        services=stack.services,
        storage=stack.storage,
    )
    assert await part.post_digest(["x"]) == DeliveryOutcome(False, "no_alert_channel", None)
    assert stack.fake.calls_to("chat.postMessage") == []


async def test_the_home_tab_shows_what_needs_attention(stack: SlackStack) -> None:
    await stack.slack.event({"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"})
    await stack.idle()
    [publish] = stack.fake.calls_to("views.publish")
    assert publish.args["user_id"] == ADMIN
    view = publish.args["view"]
    assert view["type"] == "home"
    text = text_of(view["blocks"])
    assert "Balance: $500.00" in text
    assert "Expiring within 14 days" in text and "494076321223"[-6:] in text.replace(" ", "")
    assert (
        "Waiting for documents* (1)" in text and "Documents needed" in text and "checking_upload" not in text
    )

    await stack.slack.event({"type": "app_home_opened", "user": ADMIN, "tab": "messages", "channel": "D1"})
    await stack.idle()
    assert len(stack.fake.calls_to("views.publish")) == 1


async def test_a_document_group_from_the_modal(stack: SlackStack) -> None:
    url = stack.fake.response_url()
    await stack.slack.command("docs", response_url=url)
    await stack.idle()
    listing = stack.fake.calls_to("response_url")[-1].args
    # New document group moves the console to its form step; its screen offers the whole form.
    step = await press_labelled(stack, listing["blocks"], "New document group")
    view, form_url = await open_form_modal(stack, step["blocks"])
    [opened] = stack.fake.calls_to("views.open")
    assert "Loading" in text_of(opened.args["view"]["blocks"])  # at once, then the form in its place
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    # a company's organization is part of the form (required when the salutation is COMPANY)
    assert inputs[:4] == ["f.salutation", "f.organization", "f.first_name", "f.last_name"]

    answers = {
        "f.salutation": "MS",
        "f.first_name": "Anna",
        "f.last_name": "Nowak",
        "f.email": "not-an-email",
        "f.phone": "12",
        "f.country": "PL",
        "f.city": "Warsaw",
        "f.zip_code": "00-001",
        "f.street": "Marszałkowska",
        "f.building_number": "1",
        "f.address": "Marszałkowska 1, 00-001 Warsaw",
    }
    reply = await stack.slack.submit_view(view, answers)
    assert reply.json()["response_action"] == "errors"
    assert set(reply.json()["errors"]) == {"f.email", "f.phone"}
    groups_before = len(stack.sandbox.state.groups)

    answers |= {"f.email": "anna@example.com", "f.phone": "+48 600 100 200"}
    reply = await stack.slack.submit_view(view, answers)
    assert reply.status == 200 and reply.text == ""
    await stack.idle()
    assert len(stack.sandbox.state.groups) == groups_before + 1
    created = max(stack.sandbox.state.groups)
    assert stack.sandbox.state.groups[created].get("email") == "anna@example.com"
    said = answers_to(stack.fake, form_url)[-1]
    assert said["replace_original"] is True
    assert "Anna Nowak" in said["text"] and f"Document group #{created} Anna Nowak" in text_of(said["blocks"])
    owner = await stack.storage.ownership.owner_of_group(created)
    assert owner is not None and owner.user_id == ADMIN

    audit = await stack.storage.audit.list(limit=50)
    assert any(e.action == "group_create" and e.target == f"group:{created}" for e in audit)
    # The form's answers are nowhere in the adapter's own records.
    for entry in await stack.storage.audit.list(limit=50):
        assert "anna@example.com" not in str(entry.details)


async def test_the_alert_schedulers_sink_posts_to_its_destination_channel(stack: SlackStack) -> None:
    sink = SlackAlertSink(stack.part)
    number = stack.owned()
    alert = AlertMessage(
        "expiry:1",
        AlertKind.EXPIRY_WARNING,
        number,
        {"stop_date": "2026-12-01T10:00:00+00:00", "days_left": "3", "currency": "USD"},
        actions=("prolong", "autorenew_on"),
    )
    assert await sink.deliver("CTEAM", alert) == DeliveryResult.sent()
    post = stack.fake.calls_to("chat.postMessage")[-1]
    assert post.args["channel"] == "CTEAM" and "expires in 3 days" in post.args["text"]
    alert_buttons = buttons(post.args["blocks"])
    assert [b["text"]["text"] for b in alert_buttons] == [
        "⏩ Prolong 1 month",
        "🔁 Turn auto-renewal on",
        "Show number",
    ]
    for button in alert_buttons:  # engine tokens kept with the channel's alerts, never the number
        assert actions.WIZARD_PATTERN.match(button["action_id"])
        assert button["value"].startswith("alerts:CTEAM|") and number[-6:] not in button["value"]

    # Any operator may press them; the answer comes beside the alert, which stays.
    await stack.slack.press(alert_buttons[0], channel="CTEAM", ephemeral=False)
    await stack.idle()
    quote = stack.fake.calls_to("response_url")[-1].args
    assert quote["replace_original"] is False and "Price:" in text_of(quote["blocks"])
    assert stack.sandbox.call_count("prolong") == 0
    await stack.slack.press(button_labelled(quote["blocks"], "Confirm and pay"))
    await stack.idle()
    assert stack.sandbox.call_count("prolong") == 1

    digest = AlertMessage("digest:1", AlertKind.DIGEST, None, {"date": "2026-11-29", "count": "0"})
    assert await sink.deliver("CTEAM", digest) == DeliveryResult.sent()
    assert "2026-11-29: 0 numbers expire" in text_of(
        stack.fake.calls_to("chat.postMessage")[-1].args["blocks"]
    )

    stack.fake.fail_next("chat.postMessage", "not_in_channel")
    assert await sink.deliver("CTEAM", alert) == DeliveryResult.blocked("not_in_channel")
