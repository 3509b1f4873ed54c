"""The demo speaks the chosen language throughout and keeps its log out of the conversation."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path

from adapters.kit.commands import command_catalog
from tests.e2e.console.driver import Demo


def _log_path(screen: str) -> Path:
    match = re.search(r"(/\S+demo\.log)", screen)
    assert match, screen
    return Path(match.group(1))


def test_everything_the_demo_itself_says_is_polish(start_demo: Callable[..., Demo], tmp_path: Path) -> None:
    demo = start_demo("--lang", "pl")
    intro = demo.screen.split("\n\n")[0]
    assert "Wpisz numer przycisku" in intro and "Type the number" not in intro
    assert "Dziennik demo" in demo.screen
    unknown = demo.send("/foo")
    assert "Nieznane polecenie /foo" in unknown and "Unknown command" not in unknown
    assert "/sample" in unknown and "/file" in unknown and "/quit" in unknown
    assert "Użycie: /file" in demo.send("/file")
    missing = demo.send(f"/file {tmp_path / 'missing.pdf'}")
    assert "nie ma takiego pliku" in missing and "No such file" not in missing
    assert "to folder" in demo.send(f"/file {tmp_path}")
    assert "Nie ma tu przycisku [77]" in demo.send("/77")
    code, err = demo.quit()
    assert code == 0 and err == ""
    assert demo.farewell.strip().endswith("Do widzenia.")
    assert "Bye." not in demo.farewell


def test_the_unknown_command_list_names_sample_in_english(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo("--lang", "en")
    answer = demo.send("/foo")
    assert "Unknown command /foo" in answer and "/sample" in answer
    assert demo.quit()[0] == 0 and demo.farewell.strip().endswith("Bye.")


def test_an_explicit_lang_wins_over_the_language_of_a_resumed_conversation(
    start_demo: Callable[..., Demo], tmp_path: Path
) -> None:
    db = str(tmp_path / "demo.db")
    first = start_demo("--db", db, "--lang", "en")
    assert "Order a number" in first.screen
    first.press("Order a number")
    assert first.quit()[0] == 0
    again = start_demo("--db", db, "--lang", "pl")
    assert "Wpisz numer przycisku" in again.screen
    assert "Order a number" not in again.screen and "Country" not in again.screen
    assert again.quit()[0] == 0


def test_log_lines_go_to_the_named_file_not_into_the_conversation(start_demo: Callable[..., Demo]) -> None:
    with socket.socket() as probe:  # a port nothing listens on: every API call fails and is retried
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = Demo(
        "--lang",
        "pl",
        env={
            "ZADARMA_API_URL": f"http://127.0.0.1:{port}",
            "ZADARMA_KEY": "demo-key-123",
            "ZADARMA_SECRET": "demo-secret-456",
        },
    )
    try:
        log = _log_path(demo.screen)
        answer = demo.send("/order")
        assert "zadarma retry" not in answer
        code, err = demo.quit()
        assert code == 0
        assert "zadarma retry" not in err and "Traceback" not in err
        assert "zadarma retry" not in demo.farewell
        assert "zadarma retry" in log.read_text(encoding="utf-8")
    finally:
        demo.kill()


def test_page_keys_stay_the_same_on_every_page(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo("--lang", "en")
    demo.press("Order a number")
    demo.send("PL")
    assert "Page 1 of 2" in demo.screen
    assert demo.buttons.get("Next ▶️") == "/>"
    assert "◀️ Previous" not in demo.buttons
    second = demo.send("/>")
    assert "Page 2 of 2" in second
    assert demo.buttons.get("◀️ Previous") == "/<"
    assert "Page 1 of 2" in demo.send("/<")
    assert demo.buttons.get("Next ▶️") == "/>"
    assert demo.quit()[0] == 0


def test_the_introduction_lists_the_commands_from_the_catalog_in_the_users_language(
    start_demo: Callable[..., Demo],
) -> None:
    demo = start_demo("--lang", "pl")
    for info in command_catalog("pl"):
        assert f"/{info.name}: {info.description}" in demo.screen
    assert command_catalog("pl") != command_catalog("en")
    assert demo.quit()[0] == 0
