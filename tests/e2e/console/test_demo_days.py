"""``/days N`` shows a number's life in the demo; ``⏳`` lines while a call is retried."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.e2e.console.driver import Demo
from tests.e2e.console.test_demo_flows import order_lodz
from tests.emulator_process import start_emulator


def test_days_brings_the_renewal_alert_and_its_button_works(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    number = order_lodz(demo)
    demo.press("Skip for now")
    screen = demo.send("/days 40")  # a month's number with auto-renewal on: renewed meanwhile
    assert "clock moved 40 days ahead" in screen
    assert "🔔 1 alert arrived" in screen
    assert f"{number} was renewed and is paid until" in screen
    demo.press("Open the number")
    assert number in demo.screen and "Status:" in demo.screen
    assert demo.quit()[0] == 0


def test_days_without_alerts_goes_back_to_the_same_screen(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo("--lang", "pl")
    demo.press("Zamów numer")
    before = demo.screen
    screen = demo.send("/days 1")
    assert "Zegar emulatora przesunięto o 1 dzień" in screen
    assert "W tym czasie nie było powiadomień." in screen
    assert before.splitlines()[0] in screen  # the screen the user was on, live again
    assert "Użycie: /days N" in demo.send("/days 0")
    assert "Użycie: /days N" in demo.send("/days ²")
    assert demo.quit()[0] == 0


def test_documents_get_checked_when_the_days_pass(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    demo.press("Order a number")
    demo.send("+48")
    demo.press("Warsaw")
    demo.press("Any number")
    demo.press("New document group")
    demo.press("Mr")
    for answer in [
        "Jan",
        "Kowalski",
        "jan@example.com",
        "+48 22 123 45 67",
        "PL",
        "Warszawa",
        "00-001",
        "Marszałkowska",
        "10",
        "Marszałkowska 10, 00-001 Warszawa",
    ]:
        demo.send(answer)
    demo.press("Skip")
    demo.press("Create the group")
    demo.send("/sample")
    demo.press("Continue to the order")
    demo.press("Confirm and pay")
    assert "is yours" in demo.screen
    number = next(word for word in demo.screen.split("\n") if "is yours" in word).split(" is yours")[0]
    screen = demo.send("/days 5")  # the emulator checks the documents; the number waited for them
    assert "🔔 1 alert arrived" in screen
    assert "is active now and ready for calls" in screen and number.split()[-1] in screen
    assert demo.quit()[0] == 0


@pytest.fixture
def failing_emulator() -> Iterator[str]:
    """The standalone emulator whose country list always fails with 5xx (retried by the client)."""
    started = start_emulator("--key", "k1", "--secret", "s1~x")
    try:
        faults = {"error_rate": 1.0, "paths": ["/v1/direct_numbers/countr"]}
        httpx.post(started.url + "/_sandbox/faults", json=faults, timeout=5).raise_for_status()
        yield started.url
    finally:
        started.stop()


def test_retries_show_progress_and_days_needs_the_builtin_emulator(failing_emulator: str) -> None:
    env = {"ZADARMA_API_URL": failing_emulator, "ZADARMA_KEY": "k1", "ZADARMA_SECRET": "s1~x"}
    demo = Demo(env=env)
    try:
        screen = demo.press("Order a number")
        waits = [line for line in screen.splitlines() if line.startswith("⏳ ")]
        assert len(waits) == 3, screen  # one line per retry of the GET, before the error is shown
        assert "trying again in" in waits[0]
        assert "not available against an external API" in demo.send("/days 3")
        assert demo.quit()[0] == 0
    finally:
        demo.kill()
