"""The document-group modal: fields, submitted values, and checking each answer."""

from __future__ import annotations

from adapters.slack import actions, forms
from bot.services.documents import FormField, group_form


def test_the_form_asks_the_services_fields_with_fitting_inputs() -> None:
    view = forms.group_form_view(group_form(None), actions.ModalContext("C1", "C1", "https://x"))
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == [forms.field_block_id(f.name) for f in group_form(None)]
    assert inputs["f.salutation"]["element"]["type"] == "static_select"
    assert inputs["f.middle_name"]["optional"] is True and inputs["f.email"]["optional"] is False
    assert actions.ModalContext.decode(view["private_metadata"]).chat_id == "C1"
    dated = forms.group_form_view([FormField("date_of_birth", True)], actions.ModalContext())
    assert dated["blocks"][1]["element"]["type"] == "datepicker"
    assert len(view["title"]["text"]) <= 24


def test_submitted_values_of_every_input_kind() -> None:
    view = {
        "state": {
            "values": {
                "f.email": {"v": {"type": "plain_text_input", "value": "a@b.cd"}},
                "f.salutation": {"v": {"type": "static_select", "selected_option": {"value": "MS"}}},
                "f.date_of_birth": {"v": {"type": "datepicker", "selected_date": "1990-01-02"}},
                "f.middle_name": {"v": {"type": "plain_text_input", "value": None}},
            }
        }
    }
    assert forms.submitted_values(view) == {
        "f.email": "a@b.cd",
        "f.salutation": "MS",
        "f.date_of_birth": "1990-01-02",
        "f.middle_name": "",
    }


def test_each_field_is_checked_and_errors_go_to_its_block() -> None:
    fields = [FormField("email", True), FormField("phone", True), FormField("middle_name", False)]
    result = forms.validate_group_form(fields, {"f.email": "nope", "f.phone": ""})
    assert result.answers == {}
    assert set(result.errors) == {"f.email", "f.phone"}
    assert "e-mail" in result.errors["f.email"] and "empty" in result.errors["f.phone"]

    result = forms.validate_group_form(fields, {"f.email": " a@b.cd ", "f.phone": "+48 600-100-200"})
    assert result.errors == {}
    assert result.answers == {"email": "a@b.cd", "phone": "48600100200"}


def test_the_answer_modal_and_message_views() -> None:
    view = forms.text_answer_view(actions.ModalContext("C1"), "Which country?")
    assert view["callback_id"] == actions.TEXT_VIEW
    assert view["blocks"][-1]["block_id"] == actions.TEXT_BLOCK
    assert forms.loading_view(actions.GROUP_VIEW)["callback_id"] == actions.GROUP_VIEW
    assert forms.message_view("A very long title indeed, more than 24", "x")["title"]["text"] == (
        "A very long title indeed"
    )


def test_the_modal_applies_the_same_rules_and_catalog_messages_as_the_chat_form() -> None:
    fields = [FormField(n, True) for n in ("first_name", "last_name", "country", "zip_code", "id_number")]
    typed = {
        "f.first_name": "😀😀",
        "f.last_name": "Nowak\u202e",
        "f.country": "pl",
        "f.zip_code": "10115",
        "f.id_number": "-5",
    }
    english = forms.validate_group_form(fields, typed)
    assert english.answers == {}
    assert english.errors == {
        "f.first_name": (
            "Please type the name in letters (of any alphabet); "
            "spaces, hyphens and apostrophes are allowed, digits and symbols are not."
        ),
        "f.last_name": (
            "The text contains invisible or control characters (often left by copying and pasting). "
            "Please type it again without them."
        ),
        "f.zip_code": "That is not a postcode used in PL. Please type one like 00-950.",
        "f.id_number": (
            "Please type the document number: 4 to 30 letters and digits, at least one of them a digit, "
            "e.g. ABC123456."
        ),
    }
    polish = forms.validate_group_form(fields, typed, language="pl")
    assert (
        polish.errors["f.zip_code"]
        == "To nie jest kod pocztowy używany w kraju PL. Wpisz kod w postaci 00-950."
    )
    assert polish.errors["f.first_name"].startswith("Wpisz imię lub nazwisko literami")


def test_a_postcode_asked_in_the_modal_is_checked_against_the_country_the_chat_already_has() -> None:
    fields = [FormField("zip_code", True)]
    refused = forms.validate_group_form(fields, {"f.zip_code": "10115"}, given={"country": "PL"})
    assert set(refused.errors) == {"f.zip_code"}
    accepted = forms.validate_group_form(fields, {"f.zip_code": "31-001"}, given={"country": "PL"})
    assert accepted.errors == {} and accepted.answers == {"zip_code": "31-001"}
