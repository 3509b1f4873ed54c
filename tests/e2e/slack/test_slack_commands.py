"""Every ``/numbers`` subcommand over the real HTTP endpoint, against the emulator."""

from __future__ import annotations

from typing import Any

from adapters.slack import actions
from bot.storage import UserRef
from conversations.formatting import format_phone, status_text
from conversations.i18n import translator
from conversations.team_commands import SUBCOMMANDS, usage_line
from tests.e2e.slack.slack_helpers import ADMIN, CHANNEL, SlackStack, button_labelled, buttons, text_of

EN = translator("en")
USAGE = {name: usage_line(EN, name) for name in SUBCOMMANDS}


def switched(key: str, number: str, value: str) -> str:
    """The English answer of switching auto-renewal or SMS (``card.autorenew_done``...)."""
    return EN.gettext(key, number=format_phone(number), value=value)


async def run(stack: SlackStack, text: str) -> dict[str, Any]:
    """Run a subcommand that answers through ``response_url``; returns that answer."""
    url = stack.fake.response_url()
    reply = await stack.slack.command(text, response_url=url)
    assert reply.status == 200
    assert reply.text == ""  # acknowledged at once, with nothing to show yet
    await stack.idle()
    [answer] = [c for c in stack.fake.calls_to("response_url") if c.path.endswith(url.rsplit("/", 1)[1])]
    assert answer.args["response_type"] == "ephemeral"
    return answer.args


async def test_help_and_usage_answer_ephemerally_at_once(stack: SlackStack) -> None:
    reply = await stack.slack.command("")
    assert reply.json()["response_type"] == "ephemeral"
    assert USAGE["prolong"] in reply.json()["text"]

    reply = await stack.slack.command("prolong 123")
    assert reply.json()["response_type"] == "ephemeral"
    assert f"Usage: `{USAGE['prolong']}`" in reply.json()["text"]

    reply = await stack.slack.command("frobnicate")
    assert "Usage:" in reply.json()["text"]
    assert "is not a subcommand" in reply.json()["text"]

    reply = await stack.slack.command("autorenew 48227260181 maybe")
    assert USAGE["autorenew"] in reply.json()["text"]
    await stack.idle()
    assert stack.fake.calls_to("response_url") == []


async def test_list_shows_every_number_and_filters(stack: SlackStack) -> None:
    everything = text_of((await run(stack, "list"))["blocks"])
    assert "(12)" in everything
    for number in stack.sandbox.state.numbers:
        assert number[-6:] in everything.replace(" ", "")

    parked = text_of((await run(stack, "list parking"))["blocks"])
    assert "(2)" in parked
    assert parked.count(status_text(EN, "parking")) == 2 and status_text(EN, "on") not in parked

    germany = text_of((await run(stack, "list DE"))["blocks"])
    assert "(5)" in germany
    assert "Germany" in germany and "Poland" not in germany

    by_name = text_of((await run(stack, "list poland"))["blocks"])
    assert "(7)" in by_name

    digits = text_of((await run(stack, "list +48227"))["blocks"])
    assert "(1)" in digits

    nothing = text_of((await run(stack, "list 999999"))["blocks"])
    assert "No numbers match." in nothing


async def test_expiring_lists_numbers_ending_soon(stack: SlackStack) -> None:
    text = text_of((await run(stack, "expiring 7"))["blocks"])
    assert "Expiring within 7 days" in text
    assert "494076321223"[-6:] in text.replace(" ", "")  # ends in two days
    assert "parking" not in text  # already parked numbers are not "expiring"
    wide = text_of((await run(stack, "expiring 365"))["blocks"])
    assert "(10)" in wide


async def test_info_shows_the_card_with_actions(stack: SlackStack) -> None:
    number = stack.owned()
    await stack.storage.ownership.assign_number(number, UserRef("telegram", "777"), assigned_by="test")
    answer = await run(stack, f"info +{number}")
    text = text_of(answer["blocks"])
    assert "Paid until" in text and "telegram:777" in text and "Auto-renewal" in text
    prolong = button_labelled(answer["blocks"], "Prolong 1 month")
    assert actions.WIZARD_PATTERN.match(prolong["action_id"])
    assert number[-6:] not in prolong["value"]  # an engine token, never the number

    missing = text_of((await run(stack, "info 4812345678"))["blocks"])
    assert "no such number" in missing


async def test_autorenew_callername_sip_and_sms_change_the_account(stack: SlackStack) -> None:
    number = stack.owned()
    state = stack.sandbox.state.numbers[number]

    off = switched("card.autorenew_done", number, "off")
    assert off in text_of((await run(stack, f"autorenew {number} off"))["blocks"])
    assert state.autorenew is False
    on = switched("card.autorenew_done", number, "on")
    assert on in text_of((await run(stack, f"autorenew {number} on"))["blocks"])
    assert state.autorenew is True

    assert "Front Desk" in text_of((await run(stack, f"callername {number} Front Desk"))["blocks"])
    assert state.caller_name == "Front Desk"
    refused = text_of((await run(stack, f"callername {number} Zażółć"))["blocks"])
    assert "Latin letters" in refused and state.caller_name == "Front Desk"
    assert "cleared" in text_of((await run(stack, f"callername {number} -"))["blocks"])
    assert state.caller_name == ""

    assert "in test mode" in text_of((await run(stack, f"sip {number} 00001 test"))["blocks"])
    assert (state.sip, state.test_mode) == ("00001", True)
    assert "rings office@pbx.example.com" in text_of(
        (await run(stack, f"sip {number} office@pbx.example.com"))["blocks"]
    )
    assert (state.sip, state.test_mode) == ("office@pbx.example.com", False)
    bad = text_of((await run(stack, f"sip {number} 99999"))["blocks"])
    assert "no such SIP login" in bad

    sms_number = stack.owned("checking_upload")  # a direction with SMS
    sms_off = switched("card.sms_done", sms_number, "off")
    assert sms_off in text_of((await run(stack, f"sms {sms_number} off"))["blocks"])
    assert stack.sandbox.state.numbers[sms_number].receive_sms is False
    cannot = text_of((await run(stack, f"sms {number} on"))["blocks"])
    assert "cannot receive SMS" in cannot

    audit = text_of((await run(stack, f"audit {number}"))["blocks"])
    assert f"slack:{ADMIN}" in audit
    for action in ("autorenew", "caller_name", "sip"):
        assert f" {action} {number}" in audit


async def test_assign_gives_a_number_to_a_telegram_customer(stack: SlackStack) -> None:
    number = stack.owned()
    text = text_of((await run(stack, f"assign {number} 123456789"))["blocks"])
    assert "Telegram user 123456789" in text
    assert await stack.storage.ownership.owner_of_number(number) == UserRef("telegram", "123456789")
    unknown = text_of((await run(stack, "assign 4811111111 5"))["blocks"])
    assert "no such number" in unknown
    assert f" assign {number}" in text_of((await run(stack, "audit"))["blocks"])


async def test_docs_lists_groups_and_shows_one(stack: SlackStack) -> None:
    answer = await run(stack, "docs")
    text = text_of(answer["blocks"])
    assert "#0" in text and "Account Owner" in text
    new = button_labelled(answer["blocks"], "New document group")
    assert actions.WIZARD_PATTERN.match(new["action_id"]) and new["value"].startswith("team|")

    group = text_of((await run(stack, "docs 0"))["blocks"])
    assert "Document group #0" in group and "No documents uploaded." in group
    assert "Document group 4242 does not exist" in text_of((await run(stack, "docs 4242"))["blocks"])


async def test_prolong_asks_first_and_pays_once_per_confirmation(stack: SlackStack) -> None:
    number = stack.owned()
    before = stack.sandbox.state.numbers[number].stop_date
    balance = stack.sandbox.state.balance
    confirmation = await run(stack, f"prolong {number} 2")
    text = text_of(confirmation["blocks"])
    assert "Price:" in text and "→" in text and "Your balance:" in text
    assert stack.sandbox.call_count("prolong") == 0  # nothing paid before the click

    confirm = button_labelled(confirmation["blocks"], "Pay")
    assert actions.WIZARD_PATTERN.match(confirm["action_id"])
    assert number[-6:] not in confirm["value"] and "prolong" not in confirm["value"]
    payload = stack.slack.action_payload(confirm["action_id"], confirm["value"])
    assert (await stack.slack.interaction(payload)).status == 200
    await stack.idle()
    assert stack.sandbox.call_count("prolong") == 1
    assert stack.sandbox.state.numbers[number].stop_date > before
    assert stack.sandbox.state.balance < balance
    done = stack.fake.calls_to("response_url")[-1].args
    assert done["replace_original"] is True and "is paid until" in done["text"]

    # Slack delivers the same click again (X-Slack-Retry-Num): dropped.
    assert (await stack.slack.interaction(payload, retry_num=1)).status == 200
    # A second click on the same button (a new delivery): the idempotency key pays once.
    await stack.slack.press(confirm)
    await stack.idle()
    assert stack.sandbox.call_count("prolong") == 1
    assert "already done" in stack.fake.calls_to("response_url")[-1].args["text"]

    # Cancel removes the confirmation and pays nothing.
    second = await run(stack, f"prolong {number} 1")
    await stack.slack.press(button_labelled(second["blocks"], "Cancel"))
    await stack.idle()
    assert stack.fake.calls_to("response_url")[-1].args.get("delete_original") is True
    assert stack.sandbox.call_count("prolong") == 1


async def test_the_card_buttons_prolong_and_switch_autorenew(stack: SlackStack) -> None:
    number = stack.owned()
    card = await run(stack, f"info {number}")
    await stack.slack.press(button_labelled(card["blocks"], "Prolong 1 month"))
    await stack.idle()
    quote = stack.fake.calls_to("response_url")[-1].args
    assert f"Prolong {format_phone(number)} by 1 month" in text_of(quote["blocks"])
    assert stack.sandbox.call_count("prolong") == 0

    toggle = button_labelled(card["blocks"], "auto-renewal")
    await stack.slack.press(toggle)
    await stack.idle()
    assert stack.sandbox.state.numbers[number].autorenew is False
    toggled = stack.fake.calls_to("response_url")[-1].args
    assert switched("card.autorenew_done", number, "off") in toggled["text"]
    assert toggled["replace_original"] is False  # the card stays; the answer comes beside it
    assert all(actions.WIZARD_PATTERN.match(b["action_id"]) for b in buttons(card["blocks"]))


async def test_a_failing_response_url_falls_back_to_an_ephemeral_message(stack: SlackStack) -> None:
    reply = await stack.slack.command("list", response_url="http://127.0.0.1:9/nowhere")
    assert reply.status == 200
    await stack.idle()
    [ephemeral] = stack.fake.calls_to("chat.postEphemeral")
    assert ephemeral.args["channel"] == CHANNEL and ephemeral.args["user"] == ADMIN
