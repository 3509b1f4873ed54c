"""The console's line parsing at its edges, and when leaving a form must be confirmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.translate import Problem, answers_at_stake, confirms, file_event, parse, render
from conversations.events import Command, FileUpload, Press, Text
from conversations.screens import Button, Screen
from conversations.state import Action, ConversationState, FormField, FormState

ACTIONS = ("t1", "t2", "t3")


@pytest.mark.parametrize("line", ["²", "¹²", "٣", "9" * 5000, "-1", "+2", "2.0", "0", "4"])
def test_anything_but_a_short_ascii_number_of_a_button_is_text(line: str) -> None:
    assert parse(line, ACTIONS) == Text(line)


def test_at_a_text_question_a_number_is_the_answer_and_slash_n_presses() -> None:
    assert parse("2", ACTIONS, "text") == Text("2")
    assert parse("00004", ACTIONS, "text") == Text("00004")
    assert parse("/2", ACTIONS, "text") == Press("t2")
    assert parse("/2", ACTIONS, "choice") == Press("t2")
    assert parse("2", ACTIONS, "choice") == Press("t2")
    assert isinstance(parse("/9", ACTIONS, "text"), Problem)
    assert isinstance(parse("/" + "9" * 5000, ACTIONS, "text"), Problem)
    assert isinstance(parse("/²", ACTIONS, "text"), Problem)


def test_buttons_at_a_text_question_are_shown_as_slash_n() -> None:
    screen = Screen("Building number?", ((Button("Back", "t1"), Button("Cancel", "t2")),), "text")
    rendered = render([screen])
    assert rendered.text == "Building number?\n[/1] Back\n[/2] Cancel"
    assert rendered.expects == "text"


def _in_form(answers: dict[str, str], index: int) -> ConversationState:
    state = ConversationState(step="order.form")
    fields = [FormField(name=n, required=True) for n in ("first_name", "last_name", "email")]
    state.form = FormState(origin="order", fields=fields, index=index, answers=answers)
    state.actions = {
        "b": Action(op="back"),
        "c": Action(op="nav.cancel"),
        "m": Action(op="nav.menu"),
        "s": Action(op="skip"),
    }
    return state


def test_leaving_a_form_with_answers_is_counted() -> None:
    state = _in_form({"first_name": "Jan", "last_name": "Kowalski"}, 2)
    assert answers_at_stake(state, Press("c")) == 2
    assert answers_at_stake(state, Press("m")) == 2
    assert answers_at_stake(state, Command("start")) == 2
    assert answers_at_stake(state, Press("b")) == 0  # back one question keeps the answers
    assert answers_at_stake(state, Press("s")) == 0
    assert answers_at_stake(state, Text("x")) == 0
    assert answers_at_stake(state, Press("stale")) == 0
    assert answers_at_stake(_in_form({"first_name": "Jan"}, 0), Press("b")) == 1
    assert answers_at_stake(_in_form({}, 0), Press("c")) == 0
    assert answers_at_stake(None, Press("c")) == 0


def test_only_a_yes_confirms() -> None:
    assert confirms("yes\n") and confirms(" Y ") and confirms("tak")
    assert not confirms("") and not confirms("no") and not confirms("2") and not confirms("yes please")


def test_files_that_cannot_be_read_are_problems(tmp_path: Path) -> None:
    assert isinstance(file_event(Path("/nonexistent/\x00")), Problem)
    assert isinstance(file_event(tmp_path), Problem)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-" + b"0" * 100)
    event = file_event(big, limit=10)
    assert isinstance(event, FileUpload)
    # Refused by its size before it is read (as every platform's bounded download does).
    assert event.content == b"" and event.declared_size == 105
    small = file_event(big, limit=105)
    assert isinstance(small, FileUpload)
    assert len(small.content) == 105 and small.declared_size == 105
