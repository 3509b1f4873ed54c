"""The console adapter's pure translation of lines and screens."""

from __future__ import annotations

from pathlib import Path

from adapters.console.translate import Problem, Quit, SendFile, SendSample, file_event, parse, render
from conversations.events import Command, FileUpload, Press, Text
from conversations.screens import Button, Screen


def test_only_the_last_screens_buttons_are_numbered() -> None:
    screens = [
        Screen("Note", ((Button("old", "t0"),),), "none"),
        Screen("Menu", ((Button("A", "t1"), Button("B", "t2")), (Button("C", "t3"),))),
    ]
    rendered = render(screens)
    assert rendered.text == "Note\n\nMenu\n[1] A\n[2] B\n[3] C"
    assert rendered.actions == ("t1", "t2", "t3")


def test_lines_become_events() -> None:
    actions = ("t1", "t2")
    assert parse("2", actions) == Press("t2")
    assert parse("3", actions) == Text("3")  # no such button: typed input
    assert parse(" hello ", actions) == Text("hello")
    assert parse("/order PL", actions) == Command("order", "PL")
    assert parse("/quit", actions) == Quit()
    assert parse("/sample", actions) == SendSample()
    assert parse("/file ~/scan.pdf", actions) == SendFile(Path("~/scan.pdf").expanduser())
    assert isinstance(parse("/file", actions), Problem)
    assert isinstance(parse("/nope", actions), Problem)


def test_files_are_read_or_reported(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4")
    event = file_event(path)
    assert isinstance(event, FileUpload) and event.content == b"%PDF-1.4" and event.declared_size == 8
    assert isinstance(file_event(tmp_path / "missing.pdf"), Problem)
