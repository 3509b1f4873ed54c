"""What the Mini App page is sent, and the chat's Mini App button (pure functions)."""

from __future__ import annotations

from adapters.telegram.render import WebAppLink, render_screen, render_screens, web_app_label
from adapters.telegram.webapp.payload import UI_TEXTS, page_state, screen_fingerprint, ui_texts
from bot.services.file_check import MAX_UPLOAD_BYTES
from conversations.forms import new_group_form
from conversations.i18n import translator
from conversations.screens import Button, Screen

OPEN = Button("📝 Fill in the form", "t7", role="form")
LINK = WebAppLink("https://bot.example.test/webapp/", "📝 Fill in the form")


def test_a_form_screen_becomes_the_whole_form_with_its_token_errors_and_conditions() -> None:
    tr = translator("pl")
    form = new_group_form(tr, values={"first_name": "Anna"}, errors={"email": "zły adres"}, open_button=OPEN)
    state = page_state(tr, [Screen("note", (), "none"), Screen("Pytanie 1 z 12", form=form)])
    assert state["kind"] == "form" and state["language"] == "pl" and state["text"] == ""
    assert state["notes"] == ["note"]
    data = state["form"]
    assert data["token"] == "t7" and data["title"] == form.title and data["submit"] == form.submit
    assert data["errors"] == {"email": "zły adres"}
    fields = {f["name"]: f for f in data["fields"]}
    assert [f["name"] for f in data["fields"]] == [f.name for f in form.fields]
    assert fields["first_name"]["value"] == "Anna" and fields["first_name"]["required"] is True
    assert fields["salutation"]["kind"] == "choice"
    assert {c["value"] for c in fields["salutation"]["choices"]} >= {"MR", "MS", "COMPANY"}
    # the organization is required only for a company, and the page says so in Polish
    organization = fields["organization"]
    assert organization["required"] is False
    company = next(c["label"] for c in fields["salutation"]["choices"] if c["value"] == "COMPANY")
    assert organization["required_when"] == f"Wymagane dla: {company}"
    assert fields["email"]["kind"] == "email" and fields["phone"]["kind"] == "phone"
    assert fields["first_name"]["max_length"] is not None


def test_an_upload_screen_is_named_by_a_fingerprint_of_what_it_asks() -> None:
    tr = translator("en")
    passport = Screen("Please send: Passport (1 of 2)", expects="file")
    receipt = Screen("Please send: Proof of address (2 of 2)", expects="file")
    state = page_state(tr, [passport])
    assert state["kind"] == "upload" and state["text"] == passport.text
    assert state["upload"] == {
        "screen": screen_fingerprint(passport),
        "max_bytes": MAX_UPLOAD_BYTES,
        "accept": "application/pdf,image/jpeg,image/png",
    }
    assert screen_fingerprint(passport) != screen_fingerprint(receipt)
    assert screen_fingerprint(passport) == screen_fingerprint(Screen(passport.text, expects="file"))


def test_any_other_screen_is_only_shown_with_the_way_back_to_the_chat() -> None:
    state = page_state(translator("en"), [Screen("Your order", (), "choice")])
    assert (state["kind"], state["text"]) == ("chat", "Your order")
    assert "form" not in state and "upload" not in state


def test_the_pages_own_words_come_from_both_catalogs() -> None:
    english, polish = ui_texts(translator("en")), ui_texts(translator("pl"))
    assert set(english) == set(UI_TEXTS) | {"wrong_type"} == set(polish)
    for name in english:
        assert english[name] and polish[name] and english[name] != polish[name], name
    assert "{percent}" in english["uploading"] and "{percent}" in polish["uploading"]
    assert polish["back_to_chat"] == "Wróć do czatu"


def test_the_mini_app_button_leads_the_keyboard_of_a_form_or_upload_screen_only() -> None:
    form = new_group_form(translator("en"), open_button=OPEN)
    asking = Screen("Question 1", ((Button("Back", "b1"),),), "text", form=form)
    upload = Screen("Please send: Passport", ((Button("Back", "b2"),),), "file")
    menu = Screen("Menu", ((Button("Order", "o1"),),))
    assert web_app_label(asking, "upload") == OPEN.label
    assert web_app_label(upload, "📷 Upload in the app") == "📷 Upload in the app"
    assert web_app_label(menu, "upload") is None
    [message] = render_screen(asking, LINK)
    markup = message.markup()
    assert markup is not None
    first, back = markup.inline_keyboard
    assert first[0].web_app is not None and first[0].web_app.url == LINK.url
    assert first[0].callback_data is None and back[0].callback_data == "b1"
    # only the current menu (the last screen) carries it; without a link nothing changes
    note, last = render_screens([Screen("Saved", (), "none"), upload], LINK)
    last_markup, plain_markup = last.markup(), render_screen(upload)[0].markup()
    assert note.keyboard is None and last_markup is not None
    assert last_markup.inline_keyboard[0][0].web_app is not None
    assert plain_markup is not None and all(
        b.web_app is None for row in plain_markup.inline_keyboard for b in row
    )
