"""The team console through signed Slack requests: engine tokens, one payment, refusals, Polish."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack import actions
from bot.storage import UserRef
from conversations.formatting import format_phone
from conversations.i18n import translator
from conversations.notices import Notice
from conversations.team_commands import usage_line
from tests.e2e.slack.slack_helpers import (
    ADMIN,
    ALERTS,
    OTHER_ADMIN,
    SlackStack,
    button_labelled,
    buttons,
    text_of,
)

EN = translator("en")
PL = translator("pl")


async def run(stack: SlackStack, text: str, *, user: str = ADMIN) -> dict[str, Any]:
    """``/numbers TEXT`` answered through ``response_url``; returns that answer."""
    url = stack.fake.response_url()
    reply = await stack.slack.command(text, response_url=url, user=user)
    assert reply.status == 200 and reply.text == ""
    await stack.idle()
    [answer] = [c for c in stack.fake.calls_to("response_url") if c.path.endswith(url.rsplit("/", 1)[1])]
    assert answer.args["response_type"] == "ephemeral"
    args: dict[str, Any] = answer.args
    return args


async def press(stack: SlackStack, button: dict[str, Any], *, user: str = ADMIN) -> dict[str, Any]:
    """Press a button; returns what the adapter answered through the press's ``response_url``."""
    url = stack.fake.response_url()
    await stack.slack.press(button, response_url=url, user=user)
    await stack.idle()
    [answer] = [c for c in stack.fake.calls_to("response_url") if c.path.endswith(url.rsplit("/", 1)[1])]
    args: dict[str, Any] = answer.args
    return args


async def test_list_info_prolong_confirm_and_press_charges_once(stack: SlackStack) -> None:
    listing = text_of((await run(stack, "list"))["blocks"])
    number = stack.owned()
    assert format_phone(number) in listing
    balance = stack.sandbox.state.balance
    before = stack.sandbox.state.numbers[number].stop_date

    card = await run(stack, f"info {number}")
    assert "Paid until" in text_of(card["blocks"])
    for button in buttons(card["blocks"]):  # opaque engine tokens of the operator's console
        assert actions.WIZARD_PATTERN.match(button["action_id"])
        assert button["value"].startswith("team|") and number[-4:] not in button["value"]

    confirmation = await press(stack, button_labelled(card["blocks"], "Prolong 1 month"))
    assert confirmation["replace_original"] is False  # beside the card, which stays
    assert f"Prolong {format_phone(number)} by 1 month" in text_of(confirmation["blocks"])
    pay = button_labelled(confirmation["blocks"], "Confirm and pay")
    assert "." not in pay["value"]  # no price travels in the button
    assert stack.sandbox.call_count("prolong") == 0

    done = await press(stack, pay)
    assert done["replace_original"] is True and "is paid until" in done["text"]
    assert stack.sandbox.call_count("prolong") == 1
    assert stack.sandbox.state.numbers[number].stop_date > before
    charged = balance - stack.sandbox.state.balance
    assert charged > 0

    again = await press(stack, pay)
    assert "already done" in again["text"]
    assert stack.sandbox.call_count("prolong") == 1
    assert balance - stack.sandbox.state.balance == charged
    entries = text_of((await run(stack, f"audit {number}"))["blocks"])
    assert f"slack:{ADMIN}" in entries


async def test_a_forged_stale_or_borrowed_token_is_refused(stack: SlackStack) -> None:
    number = stack.owned()
    expired = EN.gettext("menu.expired")

    forged = stack.slack.action_payload(actions.wizard_action_id(0, 0), actions.wizard_value("team", "x1"))
    await stack.slack.interaction(forged)
    await stack.idle()
    assert expired in stack.fake.calls_to("response_url")[-1].args["text"]

    confirmation = await run(stack, f"prolong {number} 1")
    pay = button_labelled(confirmation["blocks"], "Confirm and pay")
    # Another operator's press of it reaches their own console, where that token means nothing.
    borrowed = await press(stack, pay, user=OTHER_ADMIN)
    assert expired in borrowed["text"] and borrowed["replace_original"] is False
    # Cancelled, the confirmation is gone; its Pay button is stale.
    cancelled = await press(stack, button_labelled(confirmation["blocks"], "Cancel"))
    assert cancelled.get("delete_original") is True
    stale = await press(stack, pay)
    assert expired in stale["text"]
    assert stack.sandbox.call_count("prolong") == 0


@pytest.mark.slack_setup(engine_operators=frozenset({ADMIN}))
async def test_a_slack_user_the_engine_does_not_take_for_an_operator_is_refused(stack: SlackStack) -> None:
    refused = EN.gettext("team.refused")
    answer = await run(stack, "list", user=OTHER_ADMIN)
    assert refused in text_of(answer["blocks"])
    assert format_phone(stack.owned()) not in text_of(answer["blocks"])
    reply = await stack.slack.command("help", user=OTHER_ADMIN)
    assert reply.json() == {"response_type": "ephemeral", "text": refused}

    # A button of an operator's card, pressed by them, changes nothing either.
    number = stack.owned()
    card = await run(stack, f"info {number}")
    await press(stack, button_labelled(card["blocks"], "auto-renewal"), user=OTHER_ADMIN)
    assert stack.sandbox.state.numbers[number].autorenew is True


@pytest.mark.slack_setup(locale="pl-PL")
async def test_the_console_speaks_the_teams_slack_locale(stack: SlackStack) -> None:
    reply = await stack.slack.command("prolong 48221234567 13")
    assert reply.json()["text"].startswith("MIESIĄCE musi być liczbą całkowitą od 1 do 12")
    assert reply.json()["text"].endswith(f"Użycie: `{usage_line(PL, 'prolong')}`")
    assert "Zarządzanie numerami wirtualnymi konta:" in (await stack.slack.command("help")).json()["text"]

    number = stack.owned()
    card = await run(stack, f"info {number}")
    assert PL.gettext("number.paid_until", date="").strip() in text_of(card["blocks"])
    confirmation = await press(stack, button_labelled(card["blocks"], "Przedłuż o 1 miesiąc"))
    assert "Saldo" in text_of(confirmation["blocks"]) or "saldo" in text_of(confirmation["blocks"])
    done = await press(stack, button_labelled(confirmation["blocks"], "Potwierdź i zapłać"))
    assert done["text"].startswith(f"✅ Numer {format_phone(number)} jest opłacony do ")
    assert stack.sandbox.call_count("prolong") == 1


async def test_an_operators_own_language_wins(stack: SlackStack) -> None:
    await stack.storage.users.upsert(UserRef("slack", OTHER_ADMIN), default_language="pl")
    polish = text_of((await run(stack, "expiring 7", user=OTHER_ADMIN))["blocks"])
    english = text_of((await run(stack, "expiring 7"))["blocks"])
    assert polish.startswith("Wygasające w ciągu 7 dni") and english.startswith("Expiring within 7 days")
    home = await stack.slack.event({"type": "app_home_opened", "user": OTHER_ADMIN, "tab": "home"})
    assert home.status == 200
    await stack.idle()
    [publish] = stack.fake.calls_to("views.publish")
    assert "Czekają na dokumenty" in text_of(publish.args["view"]["blocks"])


async def test_an_alert_is_noted_only_when_its_button_changed_something(stack: SlackStack) -> None:
    number = stack.owned()
    stack.sandbox.state.numbers[number].autorenew = False
    notice = Notice("expiry_warning", number, {"days_left": "3", "stop_date": "2026-12-01"})
    outcome = await stack.part.post_alert(notice)
    [post] = stack.fake.calls_to("chat.postMessage")
    message = {"ts": outcome.ts, "text": post.args["text"], "blocks": post.args["blocks"]}
    switch = button_labelled(post.args["blocks"], "auto-renewal")
    forged = {**switch, "value": switch["value"].rsplit("|", 1)[0] + "|forged"}

    await stack.slack.press(forged, channel=ALERTS, message=message, ephemeral=False)
    await stack.idle()
    assert EN.gettext("menu.expired") in stack.fake.calls_to("response_url")[-1].args["text"]
    assert stack.fake.calls_to("chat.update") == []

    await stack.slack.press(switch, channel=ALERTS, message=message, ephemeral=False, user=OTHER_ADMIN)
    await stack.idle()
    assert stack.sandbox.state.numbers[number].autorenew is True
    [update] = stack.fake.calls_to("chat.update")
    assert f"<@{OTHER_ADMIN}>: " in text_of(update.args["blocks"])
