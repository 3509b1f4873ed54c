"""Back and Cancel from every step, as a table: (seeded state, press) -> next step."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.services import Actor
from conversations.state import (
    ConversationState,
    DocsState,
    FormField,
    FormState,
    ManageState,
    OrderDraft,
    StepName,
    UploadState,
)
from tests.unit.conversations.support import World, t

GROUP_ANSWERS = {
    "salutation": "MR",
    "first_name": "Jan",
    "last_name": "Kowalski",
    "email": "jan@example.com",
    "phone": "48601234567",
    "country": "PL",
    "city": "Warszawa",
    "zip_code": "00-001",
    "street": "Prosta",
    "building_number": "5",
    "address": "Prosta 5, 00-001 Warszawa",
}


@dataclass
class Ids:
    number: str
    group: int
    free_id: str
    free_number: str


async def ids_for(world: World) -> Ids:
    actor = Actor(world.chat("1001").key.user)
    number = await world.own_number("1001", 3301)
    group = await world.services.documents.create_group(actor, GROUP_ANSWERS)
    free = (await world.services.catalog.free_numbers(3004))[0]
    return Ids(number, group.id, free.id, free.number)


def seeded(step: StepName, ids: Ids) -> ConversationState:
    """A state at ``step`` holding what that step needs."""
    with_docs = step in {"order.group", "order.doc_status", "order.form", "order.upload", "order.edit"}
    order = OrderDraft(
        iso="PL",
        direction_id=3001 if with_docs else 3004,
        number_id=ids.free_id,
        number=ids.free_number,
        group_id=ids.group if with_docs else None,
    )
    state = ConversationState(step=step, order=order if step.startswith("order.") else None)
    state.manage = ManageState(number=ids.number)
    state.docs = DocsState(group_id=ids.group)
    if step.endswith(".form"):
        origin = "order" if step == "order.form" else "docs"
        state.form = FormState(origin=origin, fields=[FormField(name="email", required=True)])
    if step.endswith(".edit"):
        origin = "order" if step == "order.edit" else "docs"
        state.form = FormState(origin=origin, fields=[], group_id=ids.group)
    if step.endswith(".upload"):
        origin = "order" if step == "order.upload" else "docs"
        state.upload = UploadState(origin=origin, group_id=ids.group, types=["passport"])
    return state


BACK: list[tuple[StepName, StepName]] = [
    ("language", "menu"),
    ("order.country", "menu"),
    ("order.direction", "order.country"),
    ("order.number", "order.direction"),
    ("order.group", "order.number"),
    ("order.form", "order.group"),
    ("order.upload", "order.group"),
    ("order.doc_status", "order.group"),
    ("order.confirm", "order.number"),
    ("numbers.card", "numbers.list"),
    ("numbers.caller_name", "numbers.card"),
    ("numbers.sip", "numbers.card"),
    ("numbers.prolong", "numbers.card"),
    ("numbers.prolong_confirm", "numbers.prolong"),
    ("docs.group", "docs.list"),
    ("docs.upload_type", "docs.group"),
    ("docs.upload", "docs.upload_type"),
    ("docs.form", "docs.list"),
    ("docs.edit", "docs.group"),
    ("order.edit", "order.doc_status"),
]


@pytest.mark.parametrize(("step", "previous"), BACK)
async def test_back(world: World, step: StepName, previous: StepName) -> None:
    ids = await ids_for(world)
    chat = world.chat("1001")
    await world.seed(chat.key, seeded(step, ids))
    await chat.current()
    assert await chat.step() == step, chat.text
    await chat.press("Back")
    assert await chat.step() == previous
    assert chat.notes == []


CANCELLABLE: list[StepName] = [
    "order.country",
    "order.direction",
    "order.number",
    "order.group",
    "order.form",
    "order.upload",
    "order.doc_status",
    "order.edit",
    "order.confirm",
]


@pytest.mark.parametrize("step", CANCELLABLE)
async def test_cancel(world: World, step: StepName) -> None:
    ids = await ids_for(world)
    chat = world.chat("1001")
    await world.seed(chat.key, seeded(step, ids))
    await chat.current()
    await chat.press("Cancel")
    state = await chat.state()
    assert (state.step, state.order, state.form, state.upload) == ("menu", None, None, None)
    assert chat.notes == [t("flow.cancelled")]


@pytest.mark.parametrize(
    ("step", "expects"),
    [
        ("order.country", "text"),
        ("order.direction", "text"),
        ("order.number", "text"),
        ("order.group", "choice"),
        ("order.form", "text"),
        ("order.upload", "file"),
        ("order.confirm", "choice"),
        ("numbers.caller_name", "text"),
        ("numbers.sip", "text"),
        ("docs.upload", "file"),
        ("menu", "choice"),
    ],
)
async def test_what_each_step_expects(world: World, step: StepName, expects: str) -> None:
    ids = await ids_for(world)
    chat = world.chat("1001")
    await world.seed(chat.key, seeded(step, ids))
    await chat.current()
    assert chat.screen.expects == expects
