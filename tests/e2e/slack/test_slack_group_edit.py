"""``/numbers docs GROUP`` → Edit details: a modal filled in with the group, checked per field,
then groups/update with the whole record (the emulator refuses partial updates)."""

from __future__ import annotations

from typing import Any

from adapters.slack import actions
from tests.e2e.slack.slack_helpers import SlackStack, button_labelled, text_of
from tests.e2e.slack.test_slack_commands import run

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


async def open_edit(stack: SlackStack, group_id: int) -> dict[str, Any]:
    answer = await run(stack, f"docs {group_id}")
    edit = button_labelled(answer["blocks"], "Edit details")
    assert edit["action_id"] == actions.GROUP_EDIT and edit["value"] == str(group_id)
    await stack.slack.press(edit, response_url=stack.fake.response_url())
    await stack.idle()
    [opened] = stack.fake.calls_to("views.open")
    assert opened.args["view"]["callback_id"] == actions.GROUP_EDIT_VIEW
    [updated] = stack.fake.calls_to("views.update")
    view: dict[str, Any] = stack.fake.views[updated.args["view_id"]]
    return view


async def test_the_edit_modal_corrects_a_group(stack: SlackStack) -> None:
    group = stack.sandbox.state.create_group(GROUP)
    view = await open_edit(stack, group.id)
    assert view["callback_id"] == actions.GROUP_EDIT_VIEW
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
    said = text_of(stack.fake.calls_to("response_url")[-1].args["blocks"])
    assert f"Document group *#{group.id}* saved." in said and "Document group #" in said


async def test_a_company_must_name_its_organization(stack: SlackStack) -> None:
    group = stack.sandbox.state.create_group(GROUP)
    view = await open_edit(stack, group.id)
    values = {**prefilled(view), "f.salutation": "COMPANY"}
    reply = await stack.slack.submit_view(view, values)
    assert reply.json()["response_action"] == "errors"
    assert set(reply.json()["errors"]) == {"f.organization"}
    reply = await stack.slack.submit_view(view, {**values, "f.organization": "Nowak Sp. z o.o."})
    await stack.idle()
    said = stack.fake.calls_to("response_url")[-1].args["text"]
    assert stack.sandbox.state.groups[group.id].fields["organization"] == "Nowak Sp. z o.o.", said


async def test_a_forged_or_stale_modal_changes_nothing(stack: SlackStack) -> None:
    group = stack.sandbox.state.create_group(GROUP)
    view = await open_edit(stack, group.id)
    url = stack.fake.response_url()
    forged = {**view, "private_metadata": actions.ModalContext("", "C1", url, 4242).encode()}
    reply = await stack.slack.submit_view(forged, prefilled(view))
    assert reply.status == 200
    await stack.idle()
    [answer] = [c for c in stack.fake.calls_to("response_url") if c.path.endswith(url.rsplit("/", 1)[1])]
    assert "Document group 4242 does not exist" in answer.args["text"]
    assert stack.sandbox.call_count("documents.groups.update") == 0
    closed = {**view, "private_metadata": "{}"}
    reply = await stack.slack.submit_view(closed, prefilled(view))
    assert reply.json()["response_action"] == "update"
