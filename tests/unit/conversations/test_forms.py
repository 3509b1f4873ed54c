"""Forms as part of the screen: the description a form step carries, and ``FormSubmitted`` checked at once.

Table style: a conversation on a step, one submission -> the next step and the
errors by field (or none), with the real services over the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bot.services import Actor
from bot.services.errors import InvalidInput
from bot.services.validation import FIELD_MAX_LENGTHS, group_field
from bot.storage import UserRef
from conversations.events import FormSubmitted, Press
from conversations.forms import check_form, edit_group_form, group_changes, new_group_form
from conversations.screens import Form
from tests.unit.conversations.support import EN, PL, Chat, World, t

ME = Actor(UserRef("telegram", "1001"))
PERSON: dict[str, str] = {
    "salutation": "MR",
    "first_name": "Jan",
    "last_name": "Kowalski",
    "email": "jan@example.com",
    "phone": "+48 601 234 567",
    "country": "PL",
    "city": "Warszawa",
    "zip_code": "00-001",
    "street": "Marszałkowska",
    "building_number": "12",
    "address": "Marszałkowska 12, 00-001 Warszawa",
}


def form_of(chat: Chat) -> Form:
    form = chat.screen.form
    assert form is not None, chat.screen.text
    return form


async def at_docs_form(chat: Chat) -> None:
    await chat.command("documents")
    await chat.press((PL if chat.locale == "pl" else EN).gettext("docs.new_group"))
    assert await chat.step() == "docs.form"


async def at_order_form(chat: Chat) -> None:
    await chat.command("order", "PL")
    await chat.type("Warsaw")
    await chat.press("Warsaw")
    await chat.press("Any number")
    await chat.press("New document group")
    assert await chat.step() == "order.form"


# -- the description -------------------------------------------------------------------------


def test_the_new_group_form_describes_every_field_translated() -> None:
    form = new_group_form(EN)
    names = [f.name for f in form.fields]
    assert names[:3] == ["salutation", "organization", "first_name"] and "middle_name" in names
    salutation = form.field("salutation")
    assert salutation is not None and salutation.kind == "choice"
    assert [(c.value, c.label) for c in salutation.choices] == [
        ("MR", "Mr"),
        ("MS", "Ms"),
        ("COMPANY", "Company"),
    ]
    organization = form.field("organization")
    assert organization is not None
    assert not organization.required and organization.required_if == ("salutation", "COMPANY")
    middle = form.field("middle_name")
    assert middle is not None and not middle.required and middle.required_if is None
    address = form.field("address")
    assert address is not None and address.kind == "multiline" and address.max_length == 200
    email = form.field("email")
    assert email is not None and email.kind == "email" and email.label == "E-mail" and email.hint

    polish = new_group_form(PL)
    assert [f.name for f in polish.fields] == names
    for pl_field in polish.fields:
        assert pl_field.label == PL.gettext(f"field.{pl_field.name}")
    labels = {f.name: f.label for f in polish.fields}
    assert labels["organization"] == "Nazwa firmy" and labels["first_name"] != "First name"
    assert polish.title == PL.gettext("form.modal_title") and polish.submit == PL.gettext("form.create")
    pl_salutation = polish.field("salutation")
    assert pl_salutation is not None and pl_salutation.choices[0].label == PL.gettext("choice.MR")


def test_the_edit_form_holds_the_groups_values_and_dates() -> None:
    form = edit_group_form(EN, {"city": "Berlin", "date_of_birth": "1985-04-12"})
    city, born = form.field("city"), form.field("date_of_birth")
    assert city is not None and city.value == "Berlin" and city.required
    assert born is not None and born.kind == "date" and born.value == "1985-04-12" and not born.required
    assert form.submit == EN.gettext("docs.edit.save")


@pytest.mark.parametrize("name", sorted(set(FIELD_MAX_LENGTHS) - {"email"}))
def test_each_limit_is_the_one_the_rule_enforces(name: str) -> None:
    limit = FIELD_MAX_LENGTHS[name]
    with pytest.raises(InvalidInput) as refused:
        group_field(name, "1" * (limit + 1))
    assert refused.value.code == "invalid.too_long" and refused.value.params["max"] == limit


# -- checking a whole submission (pure) ------------------------------------------------------

CHECKS: list[tuple[str, dict[str, str], str, dict[str, str]]] = [
    ("complete", PERSON, "", {}),
    (
        "one bad, one empty",
        {**PERSON, "email": "nope", "phone": ""},
        "",
        {"email": t("invalid.email"), "phone": t("invalid.empty")},
    ),
    (
        "a company names its organization",
        {**PERSON, "salutation": "COMPANY"},
        "",
        {"organization": t("invalid.empty")},
    ),
    (
        "the country the number insists on, and the postcode against the country typed",
        {**PERSON, "country": "DE"},
        "PL",
        {
            "country": t("form.country_mismatch", iso="PL"),
            "zip_code": t("invalid.zip_code_country", country="DE", example="26133"),
        },
    ),
    (
        "hidden characters",
        {**PERSON, "last_name": "Nowak\u202e"},
        "",
        {"last_name": t("invalid.hidden_characters")},
    ),
]


@pytest.mark.parametrize(
    ("answers", "country_must_be", "expected"), [c[1:] for c in CHECKS], ids=[c[0] for c in CHECKS]
)
def test_check_form_gives_every_fields_error_at_once(
    answers: dict[str, str], country_must_be: str, expected: dict[str, str]
) -> None:
    cleaned, errors = check_form(EN, new_group_form(EN), answers, country_must_be=country_must_be)
    assert errors == expected
    if not expected:
        assert cleaned["phone"] == "48601234567" and cleaned["country"] == "PL"


def test_check_form_speaks_the_forms_language() -> None:
    _, errors = check_form(PL, new_group_form(PL), {**PERSON, "zip_code": "10115"})
    assert errors == {"zip_code": "To nie jest kod pocztowy używany w kraju PL. Wpisz kod w postaci 00-950."}


def test_an_edit_changes_what_differs_and_clears_what_was_emptied() -> None:
    form = edit_group_form(EN, {})
    current = {"city": "Berlin", "middle_name": "Maria", "street": "Prosta"}
    changes = group_changes(form, current, {"city": "Hamburg", "street": "Prosta"})
    assert changes == {"city": "Hamburg", "middle_name": ""}


# -- FormSubmitted through the engine (state x event -> next step + errors) ------------------

DOCS_CASES: list[tuple[str, dict[str, str], str, set[str]]] = [
    ("valid: created as by Create", PERSON, "docs.group", set()),
    ("refused: every error at once", {**PERSON, "email": "nope", "city": ""}, "docs.form", {"email", "city"}),
    ("company without organization", {**PERSON, "salutation": "COMPANY"}, "docs.form", {"organization"}),
    (
        "company with organization",
        {**PERSON, "salutation": "COMPANY", "organization": "Kowalski S.A."},
        "docs.group",
        set(),
    ),
]


@pytest.mark.parametrize(
    ("answers", "step", "errors"), [c[1:] for c in DOCS_CASES], ids=[c[0] for c in DOCS_CASES]
)
async def test_a_submission_of_the_docs_form(
    world: World, chat: Chat, answers: dict[str, str], step: str, errors: set[str]
) -> None:
    await at_docs_form(chat)
    groups_before = len(world.sandbox.state.groups)
    opener = form_of(chat).open
    assert opener is not None
    await chat.send(FormSubmitted(answers, opener.action))
    assert await chat.step() == step
    if errors:
        form = form_of(chat)
        assert set(form.errors) == errors
        assert chat.notes[0].startswith(t("form.refused"))
        assert len(world.sandbox.state.groups) == groups_before
        first = form.field("first_name")
        assert first is not None and first.value == answers["first_name"]  # shown again as submitted
    else:
        assert len(world.sandbox.state.groups) == groups_before + 1
        created = world.sandbox.state.groups[max(world.sandbox.state.groups)]
        assert created.get("email") == "jan@example.com" and created.get("phone") == "48601234567"
        assert created.get("organization") == answers.get("organization")
        names = {t("form.created", name="Jan Kowalski"), t("form.created", name="Kowalski S.A.")}
        assert len(chat.notes) == 1 and chat.notes[0] in names
        assert (await chat.state()).form is None


async def test_a_person_does_not_send_an_organization(world: World, chat: Chat) -> None:
    await at_docs_form(chat)
    await chat.send(FormSubmitted({**PERSON, "organization": "Typed anyway"}))
    assert await chat.step() == "docs.group"
    created = world.sandbox.state.groups[max(world.sandbox.state.groups)]
    assert not created.get("organization")


async def test_the_order_form_checks_the_country_once_and_moves_on(world: World, chat: Chat) -> None:
    await at_order_form(chat)
    form = form_of(chat)
    assert t("form.country_must_be", country="Poland", iso="PL") in form.intro
    await chat.send(FormSubmitted({**PERSON, "country": "DE"}))
    assert await chat.step() == "order.form"
    assert form_of(chat).errors == {
        "country": t("form.country_mismatch", iso="PL"),
        "zip_code": t("invalid.zip_code_country", country="DE", example="26133"),
    }
    await chat.send(FormSubmitted(PERSON))
    state = await chat.state()
    assert state.step == "order.upload" and state.order is not None and state.order.group_id is not None
    assert t("form.created", name="Jan Kowalski") in chat.notes


async def test_a_refused_submission_keeps_the_form_and_its_token(chat: Chat) -> None:
    await at_docs_form(chat)
    token = form_of(chat).open
    assert token is not None and token.role == "form"
    await chat.send(FormSubmitted({**PERSON, "email": ""}, token.action))
    again = form_of(chat).open
    assert again is not None and again.action == token.action
    await chat.send(FormSubmitted(PERSON, token.action))
    assert await chat.step() == "docs.group"


async def test_the_one_question_is_built_from_the_description(chat: Chat) -> None:
    chat.locale = "pl"
    await at_docs_form(chat)
    salutation = form_of(chat).field("salutation")
    assert salutation is not None
    assert chat.labels[:3] == [c.label for c in salutation.choices]
    assert salutation.label in chat.screen.text and chat.screen.expects == "choice"
    await chat.press(salutation.choices[2].label)  # Firma: a company is asked its name next
    organization = form_of(chat).field("organization")
    assert organization is not None and organization.label == "Nazwa firmy"
    assert f"{organization.label}: {organization.hint}" in chat.screen.text


EXPIRED_CASES: list[tuple[str, str]] = [("menu", "menu"), ("numbers", "numbers.list")]


@pytest.mark.parametrize(("command", "step"), EXPIRED_CASES)
async def test_a_form_where_none_is_asked_has_expired(chat: Chat, command: str, step: str) -> None:
    await chat.command(command if command != "menu" else "start")
    before = await chat.state()
    await chat.send(FormSubmitted(PERSON))
    assert chat.notes == [t("menu.expired")]
    after = await chat.state()
    assert after.step == before.step == step and after.actions == before.actions


async def test_a_form_no_longer_on_screen_has_expired(world: World, chat: Chat) -> None:
    await at_docs_form(chat)
    opener = form_of(chat).open
    assert opener is not None
    await chat.press("Back")
    await chat.press("New document group")  # a new form, with a new open button
    groups_before = len(world.sandbox.state.groups)
    await chat.send(FormSubmitted(PERSON, opener.action))
    assert chat.notes == [t("menu.expired")] and await chat.step() == "docs.form"
    assert len(world.sandbox.state.groups) == groups_before
    assert await world.engine.form(chat.key, opener.action) is None


async def test_checking_and_opening_a_form_change_nothing(world: World, chat: Chat) -> None:
    await at_docs_form(chat)
    opener = form_of(chat).open
    assert opener is not None
    stored = await world.storage.conversations.get(chat.key)
    assert stored is not None
    form = await world.engine.form(chat.key, opener.action)
    assert form is not None and [f.name for f in form.fields] == [f.name for f in form_of(chat).fields]
    errors = await world.engine.check_form(chat.key, FormSubmitted({**PERSON, "phone": "12"}, opener.action))
    assert errors == {"phone": t("invalid.phone")}
    assert await world.engine.check_form(chat.key, FormSubmitted(PERSON, opener.action)) == {}
    assert await world.engine.check_form(chat.key, FormSubmitted(PERSON, "stale")) is None
    after = await world.storage.conversations.get(chat.key)
    assert after is not None and after.revision == stored.revision and after.data == stored.data
    await chat.press("Mr")  # the buttons on screen still work
    assert chat.notes == []


async def test_the_edit_form_saves_as_save_does(world: World, chat: Chat) -> None:
    group = await world.services.documents.create_group(ME, {**PERSON, "middle_name": "Maria"})
    await chat.command("documents")
    await chat.press("Jan Kowalski")
    await chat.press("Edit details")
    assert await chat.step() == "docs.edit"
    form = form_of(chat)
    values: Mapping[str, str] = {f.name: f.value for f in form.fields}
    assert values["city"] == "Warszawa" and values["middle_name"] == "Maria"

    await chat.send(FormSubmitted({**values, "city": "", "date_of_birth": "1985-02-30"}))
    assert await chat.step() == "docs.edit"
    assert set(form_of(chat).errors) == {"city", "date_of_birth"}
    assert world.sandbox.call_count("documents.groups.update") == 0

    await chat.send(FormSubmitted({**values, "city": "Kraków", "middle_name": "", "type_of_id": "passport"}))
    assert await chat.step() == "docs.group"
    assert chat.notes == [t("docs.edit.saved", name="Jan Kowalski")]
    fields = world.sandbox.state.groups[group.id].fields
    assert (fields["city"], fields["type_of_id"], fields["middle_name"]) == ("Kraków", "PASSPORT", None)


async def test_a_press_of_the_open_button_itself_changes_nothing(chat: Chat) -> None:
    await at_docs_form(chat)
    opener = form_of(chat).open
    assert opener is not None
    await chat.send(Press(opener.action))
    assert await chat.step() == "docs.form" and chat.notes == []
