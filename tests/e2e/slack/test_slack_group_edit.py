"""``/numbers docs GROUP`` → Edit details → Fill in the form: the console's edit step (``team.edit``)
as a modal filled in with the group, checked per field by the engine, then groups/update with the
whole record (the emulator refuses partial updates)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack import actions
from conversations.i18n import translator
from tests.e2e.slack.slack_helpers import (
    SlackStack,
    answers_to,
    button_labelled,
    open_form_modal,
    press_labelled,
    text_of,
)
from tests.e2e.slack.test_slack_commands import run

PL = translator("pl")
GROUP = {
    "email": "anna@example.com",
    "salutation": "MS",
    "first_name": "Anna",
    "last_name": "Nowak",
    "country": "PL",
    "city": "Warszawa",
    "address": "Prosta 5, 00-001 Warszawa",
    "zip_code": "00-001",
    "street": "Prosta",
    "building_number": "5",
    "phone": "48601234567",
    "middle_name": "Maria",
}


def prefilled(view: dict[str, Any]) -> dict[str, str]:
    """What Slack would submit for an untouched modal: each input's initial value."""
    values: dict[str, str] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        value = (
            element.get("initial_value")
            or element.get("initial_date")
            or (element.get("initial_option") or {}).get("value")
        )
        if value:
            values[block["block_id"]] = value
    return values


async def open_edit(stack: SlackStack, group_id: int) -> tuple[dict[str, Any], str]:
    """The group's Edit details (an engine button), then its form as a modal; and the form message's url."""
    answer = await run(stack, f"docs {group_id}")
    edit = button_labelled(answer["blocks"], "Edit details")
    assert actions.WIZARD_PATTERN.match(edit["action_id"]) and edit["value"].startswith("team|")
    editing = await press_labelled(stack, answer["blocks"], "Edit details")
    return await open_form_modal(stack, editing["blocks"])


async def test_the_edit_modal_corrects_a_group(stack: SlackStack) -> None:
    group = stack.sandbox.state.create_group(GROUP)
    view, url = await open_edit(stack, group.id)
    values = prefilled(view)
    assert (
        values["f.city"] == "Warszawa"
        and values["f.salutation"] == "MS"
        and values["f.middle_name"] == "Maria"
    )
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert {"f.date_of_birth", "f.type_of_id", "f.id_number", "f.nationality", "f.issuing_date"} <= inputs

    # each field is checked as in the documents form; errors go back into the modal, nothing is sent
    bad = {**values, "f.email": "nope", "f.city": "", "f.date_of_birth": "1985-02-30"}
    reply = await stack.slack.submit_view(view, bad)
    assert reply.json()["response_action"] == "errors"
    assert set(reply.json()["errors"]) == {"f.email", "f.city", "f.date_of_birth"}
    assert stack.sandbox.call_count("documents.groups.update") == 0

    changed = {**values, "f.city": "Kraków", "f.date_of_birth": "1985-04-12", "f.type_of_id": "PASSPORT"}
    del changed["f.middle_name"]  # emptied in the modal: cleared
    reply = await stack.slack.submit_view(view, changed)
    assert reply.status == 200 and reply.text == ""
    await stack.idle()
    assert stack.sandbox.call_count("documents.groups.update") == 1
    fields = stack.sandbox.state.groups[group.id].fields
    assert (fields["city"], fields["date_of_birth"], fields["type_of_id"]) == (
        "Kraków",
        "1985-04-12",
        "PASSPORT",
    )
    assert fields["middle_name"] is None and fields["street"] == "Prosta"
    said = answers_to(stack.fake, url)[-1]
    assert said["replace_original"] is True  # the form's message becomes the group
    assert "✅ The details of Anna Nowak were saved." in text_of(said["blocks"])
    assert f"Document group #{group.id} Anna Nowak" in text_of(said["blocks"])
    audit = await stack.storage.audit.list(limit=50)
    assert any(e.action == "group_update" and e.target == f"group:{group.id}" for e in audit)


async def test_a_company_must_name_its_organization(stack: SlackStack) -> None:
    group = stack.sandbox.state.create_group(GROUP)
    view, url = await open_edit(stack, group.id)
    values = {**prefilled(view), "f.salutation": "COMPANY"}
    reply = await stack.slack.submit_view(view, values)
    assert reply.json()["response_action"] == "errors"
    assert set(reply.json()["errors"]) == {"f.organization"}
    reply = await stack.slack.submit_view(view, {**values, "f.organization": "Nowak Sp. z o.o."})
    await stack.idle()
    said = answers_to(stack.fake, url)[-1]["text"]
    assert stack.sandbox.state.groups[group.id].fields["organization"] == "Nowak Sp. z o.o.", said


async def test_a_forged_or_stale_modal_changes_nothing(stack: SlackStack) -> None:
    group = stack.sandbox.state.create_group(GROUP)
    view, url = await open_edit(stack, group.id)
    forged = {**view, "private_metadata": actions.ModalContext("team", "C1", url, form="forged").encode()}
    reply = await stack.slack.submit_view(forged, prefilled(view))
    assert reply.json()["response_action"] == "update"  # closed: no such form on screen
    closed = {**view, "private_metadata": "{}"}
    reply = await stack.slack.submit_view(closed, prefilled(view))
    assert reply.json()["response_action"] == "update"
    # The conversation moved on (another command): the open modal's form is no longer on screen.
    await run(stack, "list")
    reply = await stack.slack.submit_view(view, prefilled(view))
    assert reply.json()["response_action"] == "update"
    await stack.idle()
    assert stack.sandbox.call_count("documents.groups.update") == 0


@pytest.mark.slack_setup(locale="pl-PL")
async def test_a_polish_operator_gets_the_form_and_the_slack_texts_in_polish(stack: SlackStack) -> None:
    listing = await run(stack, "docs")
    step = await press_labelled(stack, listing["blocks"], PL.gettext("team.docs.new"))
    view, _ = await open_form_modal(stack, step["blocks"], PL.gettext("form.fill_in"))
    [opened] = stack.fake.calls_to("views.open")
    loading = opened.args["view"]
    assert loading["title"]["text"] == "Proszę czekać" and text_of(loading["blocks"]) == "Wczytywanie…"
    assert view["title"]["text"] == PL.gettext("form.modal_title")

    await run(stack, "list")  # the console moves on: the open modal's form is gone
    reply = await stack.slack.submit_view(view, {"f.first_name": "Anna"})
    closed = reply.json()["view"]
    assert reply.json()["response_action"] == "update"
    assert closed["title"]["text"] == "Formularz zamknięty" and closed["close"]["text"] == "Zamknij"
    assert text_of(closed["blocks"]) == "To menu wygasło. Uruchom polecenie ponownie."
