"""The console adapter's own words come from the catalogs; page keys do not shift between pages."""

from __future__ import annotations

from pathlib import Path

from adapters.console.translate import Problem, file_event, parse, render
from conversations.events import Press, Text
from conversations.i18n import translator
from conversations.screens import Button, Screen


def _page(prev: bool, next_: bool, items: int) -> Screen:
    rows = [(Button(f"item {i}", f"i{i}"),) for i in range(items)]
    paging = []
    if prev:
        paging.append(Button("◀️ Previous", "p", "prev"))
    if next_:
        paging.append(Button("Next ▶️", "n", "next"))
    return Screen("list", (*rows, tuple(paging), (Button("↩️ Back", "b"),)))


def test_previous_and_next_keep_their_keys_whatever_the_page() -> None:
    first = render([_page(False, True, 8)])
    middle = render([_page(True, True, 8)])
    last = render([_page(True, False, 3)])
    assert "[>] Next ▶️" in first.text and "[>] Next ▶️" in middle.text
    assert "[<] ◀️ Previous" in middle.text and "[<] ◀️ Previous" in last.text
    assert parse(">", first.actions, first.expects, first.paging) == Press("n")
    assert parse("<", last.actions, last.expects, last.paging) == Press("p")
    assert parse("/<", middle.actions, middle.expects, middle.paging) == Press("p")
    # Numbers are left to the items and the other buttons.
    assert "[9] ↩️ Back" in first.text and "[4] ↩️ Back" in last.text


def test_at_a_text_question_a_bare_arrow_is_text() -> None:
    screen = Screen("search", ((Button("Next ▶️", "n", "next"),),), "text")
    rendered = render([screen])
    assert "[/>] Next ▶️" in rendered.text
    assert parse(">", rendered.actions, rendered.expects, rendered.paging) == Text(">")
    assert parse("/>", rendered.actions, rendered.expects, rendered.paging) == Press("n")


def test_problems_speak_polish() -> None:
    pl = translator("pl")
    unknown = parse("/foo", ())
    assert isinstance(unknown, Problem)
    assert unknown.text(pl).startswith("Nieznane polecenie /foo")
    assert "/sample" in unknown.text(pl)
    usage = parse("/file", ())
    assert isinstance(usage, Problem) and usage.text(pl).startswith("Użycie")
    assert isinstance(no_button := parse("/5", ()), Problem) and "[5]" in no_button.text(pl)


def test_unreadable_files_are_explained_in_the_language(tmp_path: Path) -> None:
    pl = translator("pl")
    missing = file_event(tmp_path / "missing.pdf")
    folder = file_event(tmp_path)
    bad_name = file_event(Path("/tmp/a\x00b"))
    assert isinstance(missing, Problem) and "nie ma takiego pliku" in missing.text(pl)
    assert isinstance(folder, Problem) and "folder" in folder.text(pl)
    assert isinstance(bad_name, Problem) and "poprawna nazwa" in bad_name.text(pl)
