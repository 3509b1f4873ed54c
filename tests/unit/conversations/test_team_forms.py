"""The team console's document-group forms: New document group and Edit details as engine steps.

``team.form`` and ``team.edit`` are the customers' form steps run for an
operator: the screens carry the form (with its open button) and ask one
question at a time; a whole submission is checked at once, refused with
errors by field, or applied; both end on the group (``team.group``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.storage import ConversationKey, UserRef
from conversations.events import FormSubmitted, Press
from conversations.screens import Form
from conversations.state import ConversationState, FormField, FormState
from tests.unit.conversations.support import Chat, World, open_world, t
from tests.unit.conversations.test_group_edit import GERMAN

OPERATOR = UserRef("slack", "UOPS1")
MISSING = 987_654  # no group has this id


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with open_world(operators=frozenset({OPERATOR})) as built:
        yield built


@pytest.fixture
def chat(world: World) -> Chat:
    """The operator's console (as the Slack adapter keys it)."""
    return Chat(world, ConversationKey(OPERATOR.platform, "team", OPERATOR.user_id), "en")


def form_of(chat: Chat) -> Form:
    form = chat.screen.form
    assert form is not None and form.open is not None and form.open.role == "form"
    return form


def token_of(form: Form) -> str:
    """The form's open button token (a platform sends it back with the submission)."""
    assert form.open is not None
    return form.open.action


async def new_group_form(chat: Chat) -> Form:
    """``/numbers docs``, then New document group."""
    await chat.command("team", "docs")
    await chat.press(t("team.docs.new"))
    assert await chat.step() == "team.form"
    return form_of(chat)


async def audit_actions(world: World) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.target) for e in await world.storage.audit.list(limit=50)]


async def test_a_new_group_submitted_whole_is_checked_then_created_for_the_operator(
    world: World, chat: Chat
) -> None:
    form = await new_group_form(chat)
    assert chat.screen.replaces_pressed is False  # the list pressed stays
    assert chat.labels[-1] == t("button.back")  # no Cancel to a customer's menu in the console
    groups_before = len(world.sandbox.state.groups)

    await chat.send(FormSubmitted({**GERMAN, "email": "nope", "zip_code": ""}, token_of(form)))
    assert await chat.step() == "team.form"
    assert chat.notes[0].startswith(t("form.refused"))
    errors = form_of(chat).errors
    assert set(errors) == {"email", "zip_code"}
    assert len(world.sandbox.state.groups) == groups_before

    await chat.send(FormSubmitted(dict(GERMAN), token_of(form_of(chat))))
    assert await chat.step() == "team.group"
    created = max(world.sandbox.state.groups)
    assert len(world.sandbox.state.groups) == groups_before + 1
    assert chat.notes == [t("form.created", name="Anna Nowak")]
    assert chat.screen.text.startswith(f"Document group #{created} Anna Nowak")
    assert (await chat.state()).form is None  # the answers are with Zadarma only
    assert await world.storage.ownership.owner_of_group(created) == OPERATOR
    assert ("slack:UOPS1", "group_create", f"group:{created}") in await audit_actions(world)


async def test_back_at_the_first_question_returns_to_the_list(chat: Chat) -> None:
    await new_group_form(chat)
    await chat.press(t("button.back"))
    assert await chat.step() == "team.docs"
    assert (await chat.state()).form is None


async def test_a_new_group_answered_one_question_at_a_time_is_created_by_create(
    world: World, chat: Chat
) -> None:
    fields = [FormField(name=name, required=True) for name in GERMAN]
    state = ConversationState(
        step="team.form",
        form=FormState(origin="team", fields=fields, index=len(fields), answers=dict(GERMAN)),
    )
    await world.seed(chat.key, state)
    await chat.current()
    await chat.press(t("form.create"))
    assert await chat.step() == "team.group"
    assert chat.notes == [t("form.created", name="Anna Nowak")]


async def test_a_console_command_leaves_a_form_being_filled_in(chat: Chat) -> None:
    await new_group_form(chat)
    await chat.press("Ms")
    assert (await chat.state()).form is not None
    await chat.command("team", "list")
    assert (await chat.state()).form is None


async def test_edit_details_saves_a_whole_submission_and_writes_the_audit(world: World, chat: Chat) -> None:
    group = world.sandbox.state.create_group(dict(GERMAN))
    await chat.command("team", f"docs {group.id}")
    await chat.press(t("team.group.edit"))
    assert await chat.step() == "team.edit"
    form = form_of(chat)
    values = {f.name: f.value for f in form.fields}
    assert values["city"] == "Berlin"
    token = token_of(form)

    await chat.send(FormSubmitted({**values, "email": "nope", "city": ""}, token))
    assert set(form_of(chat).errors) == {"email", "city"}
    assert world.sandbox.call_count("documents.groups.update") == 0

    await chat.send(FormSubmitted({**values, "city": "Hamburg", "zip_code": "20095"}, token))
    assert await chat.step() == "team.group"
    assert chat.notes == [t("docs.edit.saved", name="Anna Nowak")]
    assert world.sandbox.call_count("documents.groups.update") == 1
    fields = world.sandbox.state.groups[group.id].fields
    assert (fields["city"], fields["zip_code"], fields["street"]) == ("Hamburg", "20095", "Unter den Linden")
    assert ("slack:UOPS1", "group_update", f"group:{group.id}") in await audit_actions(world)


async def test_back_from_edit_details_returns_to_the_group(world: World, chat: Chat) -> None:
    group = world.sandbox.state.create_group(dict(GERMAN))
    await chat.command("team", f"docs {group.id}")
    await chat.press(t("team.group.edit"))
    await chat.press(t("button.back"))
    assert await chat.step() == "team.group"
    assert (await chat.state()).team.group_id == group.id
    assert world.sandbox.call_count("documents.groups.update") == 0


async def test_edit_details_of_a_group_gone_shows_the_group_and_why(world: World, chat: Chat) -> None:
    state = ConversationState(
        step="team.edit", form=FormState(origin="team", fields=[], group_id=MISSING, answers={"city": "X"})
    )
    await world.seed(chat.key, state)
    await chat.current()
    assert await chat.step() == "team.group"
    assert f"Document group {MISSING} does not exist" in chat.screen.text
    saved = await chat.state()
    assert saved.team.group_id == MISSING and saved.form is None


async def test_a_non_operator_cannot_submit_a_team_form(world: World) -> None:
    customer = world.chat("1001")
    fields = [FormField(name=name, required=True) for name in GERMAN]
    state = ConversationState(step="team.form", form=FormState(origin="team", fields=fields))
    await world.seed(customer.key, state)
    groups_before = len(world.sandbox.state.groups)
    await customer.send(FormSubmitted(dict(GERMAN)))
    assert customer.notes == [t("team.refused")]
    await customer.send(Press("forged"))
    assert len(world.sandbox.state.groups) == groups_before
