"""Modals rendered from the conversations' form descriptions (en and pl), and what a submission gives back.

Replaces the tests of the Slack-side form (``group_form_view``/``validate_group_form``, removed):
the rules and their messages are tested with :func:`conversations.forms.check_form` in
``tests/unit/conversations/test_forms.py``.
"""

from __future__ import annotations

from typing import Any

from adapters.slack import actions, forms
from conversations.forms import check_form, edit_group_form, new_group_form
from conversations.i18n import translator
from conversations.screens import Button

EN = translator("en")
PL = translator("pl")


def inputs_of(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_the_modal_asks_the_descriptions_fields_with_fitting_inputs() -> None:
    form = new_group_form(EN)
    context = actions.ModalContext("C1", "C1", "https://x", form="tok1")
    view = forms.form_view(form, actions.FORM_VIEW, context)
    inputs = inputs_of(view)
    assert list(inputs) == [forms.field_block_id(f.name) for f in form.fields]
    assert inputs["f.salutation"]["element"]["type"] == "static_select"
    assert [o["value"] for o in inputs["f.salutation"]["element"]["options"]] == ["MR", "MS", "COMPANY"]
    assert inputs["f.address"]["element"]["multiline"] is True
    assert inputs["f.address"]["element"]["max_length"] == 200
    assert inputs["f.middle_name"]["optional"] is True and inputs["f.email"]["optional"] is False
    assert inputs["f.organization"]["optional"] is True  # required only for a company: checked on submission
    email = form.field("email")
    assert email is not None and inputs["f.email"]["hint"]["text"] == email.hint
    decoded = actions.ModalContext.decode(view["private_metadata"])
    assert (decoded.chat_id, decoded.form) == ("C1", "tok1")
    assert view["callback_id"] == actions.FORM_VIEW
    assert all(len(view[k]["text"]) <= 24 for k in ("title", "submit", "close"))


def test_the_modal_is_in_the_forms_language() -> None:
    english = inputs_of(forms.form_view(new_group_form(EN), actions.FORM_VIEW, actions.ModalContext()))
    polish_view = forms.form_view(new_group_form(PL), actions.FORM_VIEW, actions.ModalContext())
    polish = inputs_of(polish_view)
    assert english["f.organization"]["label"]["text"] == "Company name"
    assert polish["f.organization"]["label"]["text"] == "Nazwa firmy"
    assert english["f.first_name"]["label"]["text"] != polish["f.first_name"]["label"]["text"]
    assert [o["text"]["text"] for o in polish["f.salutation"]["element"]["options"]] == [
        PL.gettext("choice.MR"),
        PL.gettext("choice.MS"),
        PL.gettext("choice.COMPANY"),
    ]
    assert polish_view["title"]["text"] == "Nowa grupa dokumentów"
    assert polish_view["close"]["text"] == PL.gettext("button.cancel")


def test_an_edit_modal_is_filled_in_and_shows_errors_beside_their_fields() -> None:
    values = {"salutation": "MS", "city": "Berlin", "date_of_birth": "1985-04-12", "issuing_date": "soon"}
    form = edit_group_form(EN, values, errors={"city": "Not a city"})
    view = forms.form_view(form, actions.FORM_VIEW, actions.ModalContext("team", form="tok7"))
    inputs = inputs_of(view)
    assert inputs["f.salutation"]["element"]["initial_option"]["value"] == "MS"
    assert inputs["f.city"]["element"]["initial_value"] == "Berlin"
    assert inputs["f.date_of_birth"]["element"] == {
        "type": "datepicker",
        "action_id": forms.VALUE_ACTION,
        "initial_date": "1985-04-12",
    }
    assert "initial_date" not in inputs["f.issuing_date"]["element"]  # not a date Slack could show
    after_city = view["blocks"][view["blocks"].index(inputs["f.city"]) + 1]
    assert after_city["type"] == "context" and "Not a city" in after_city["elements"][0]["text"]


def test_the_open_button_does_not_become_an_input() -> None:
    form = new_group_form(EN, open_button=Button("Fill in", "tok", "form"))
    view = forms.form_view(form, actions.FORM_VIEW, actions.ModalContext())
    assert len(inputs_of(view)) == len(form.fields)


def test_submitted_values_of_every_input_kind() -> None:
    view = {
        "state": {
            "values": {
                "f.email": {"v": {"type": "plain_text_input", "value": "a@b.cd"}},
                "f.salutation": {"v": {"type": "static_select", "selected_option": {"value": "MS"}}},
                "f.date_of_birth": {"v": {"type": "datepicker", "selected_date": "1990-01-02"}},
                "f.middle_name": {"v": {"type": "plain_text_input", "value": None}},
                actions.TEXT_BLOCK: {"value": {"type": "plain_text_input", "value": "x"}},
            }
        }
    }
    values = forms.submitted_values(view)
    assert values == {
        "f.email": "a@b.cd",
        "f.salutation": "MS",
        "f.date_of_birth": "1990-01-02",
        "f.middle_name": "",
        actions.TEXT_BLOCK: "x",
    }
    assert forms.form_answers(values) == {
        "email": "a@b.cd",
        "salutation": "MS",
        "date_of_birth": "1990-01-02",
        "middle_name": "",
    }


def test_the_conversations_errors_go_back_by_block_id_in_the_forms_language() -> None:
    answers = {"email": "nope", "country": "pl", "zip_code": "10115"}
    _, english = check_form(EN, new_group_form(EN), answers)
    _, polish = check_form(PL, new_group_form(PL), answers)
    assert (
        forms.block_errors(english)["f.zip_code"]
        == "That is not a postcode used in PL. Please type one like 00-950."
    )
    assert forms.block_errors(polish)["f.zip_code"] == (
        "To nie jest kod pocztowy używany w kraju PL. Wpisz kod w postaci 00-950."
    )
    assert set(forms.block_errors(english)) == {forms.field_block_id(n) for n in english}


def test_the_answer_modal_and_message_views() -> None:
    view = forms.text_answer_view(actions.ModalContext("C1"), "en", "Which country?")
    assert view["callback_id"] == actions.TEXT_VIEW
    assert view["blocks"][-1]["block_id"] == actions.TEXT_BLOCK
    assert (view["title"]["text"], view["submit"]["text"]) == ("Answer", "Send")
    polish = forms.text_answer_view(actions.ModalContext("C1"), "pl")
    assert (polish["title"]["text"], polish["submit"]["text"]) == ("Odpowiedź", "Wyślij")
    assert polish["blocks"][-1]["label"]["text"] == "Twoja odpowiedź"
    loading = forms.loading_view(actions.FORM_VIEW, "en")
    assert loading["callback_id"] == actions.FORM_VIEW and loading["title"]["text"] == "Please wait"
    loading = forms.loading_view(actions.FORM_VIEW, "pl")
    assert loading["title"]["text"] == "Proszę czekać"
    assert loading["blocks"][0]["text"]["text"] == "Wczytywanie…"
    long = forms.message_view("A very long title indeed, more than 24", "x", "en")
    assert long["title"]["text"] == "A very long title indeed" and long["close"]["text"] == "Close"
    assert forms.message_view("Zamknięty", "x", "pl")["close"]["text"] == "Zamknij"
