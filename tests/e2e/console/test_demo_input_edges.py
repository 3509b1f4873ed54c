"""The demo's input at its edges: odd lines never crash it, text questions take text, forms are not lost."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from tests.e2e.console.driver import Demo
from tests.e2e.console.test_demo_flows import GROUP_ANSWERS, order_lodz

ODD_LINES = [
    "²",
    "9" * 5000,
    "٣",  # an Arabic-Indic digit
    "¹²³",
    "-1",
    "0",
    "99999",
    "/0",
    "/99999",
    "/²",
    "/" + "9" * 5000,
    "/ 1",
    "\x00",
    "\x1b[2J",
    "\u202e1",
    "😀" * 100,
    "/frobnicate " + "€" * 3000,
    "/file",
    "/file /nonexistent/\x00",
    "/file /",
    "/file " + "x" * 5000,
]


def _question(screen: str) -> str:
    match = re.search(r"question (\d+) of (\d+)", screen)
    assert match, screen
    return match.group(1)


def _start_form(demo: Demo) -> None:
    demo.press("Order a number")
    demo.send("+48")
    demo.press("Warsaw")
    demo.press("Any number")
    demo.press("New document group")
    demo.press("Mr")


def _any_number(demo: Demo) -> None:
    if not any("Any number" in label for label in demo.buttons):
        demo.press("Show all numbers")  # an odd line searched the numbers for its digits
    demo.press("Any number")


def test_odd_lines_at_every_step_never_crash_the_demo(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    rng = random.Random(14)
    steps: list[Callable[[], object]] = [
        lambda: demo.press("Order a number"),
        lambda: demo.send("+48"),
        lambda: demo.press("Warsaw"),
        lambda: _any_number(demo),
        lambda: demo.press("New document group"),
        lambda: demo.press("Mr"),
        lambda: demo.send("Jan"),
    ]
    for step in [lambda: None, *steps]:
        step()
        for line in ODD_LINES + [
            "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(12)) for _ in range(5)
        ]:
            demo.send(line)
            assert demo.proc.poll() is None, f"the demo exited on {line[:20]!r}"
            assert "Traceback" not in demo.screen
    # Commands that move elsewhere, with odd arguments.
    for line in ("/order " + "€" * 3000, "/order ²", "/language xx", "/language " + "9" * 5000, "/numbers ²"):
        demo.send(line)
        assert demo.proc.poll() is None, f"the demo exited on {line[:20]!r}"
        if "throws away" in demo.screen:
            demo.send("yes")
    code, err = demo.quit()
    assert code == 0
    assert "Traceback" not in err and "Error" not in err


def test_a_building_number_at_a_text_question_is_the_answer(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    _start_form(demo)
    answers = list(GROUP_ANSWERS)
    answers[8] = "2"  # the building number; [2] would be Cancel on a choice screen
    for answer in answers[:8]:
        demo.send(answer)
    at = _question(demo.screen)
    assert "[/2]" in demo.screen  # buttons at a text question are pressed with /N
    demo.send("2")
    assert _question(demo.screen) == str(int(at) + 1)
    demo.send(answers[9])
    demo.press("Skip")
    assert "Please check the details" in demo.screen
    assert ": 2" in demo.screen
    assert demo.quit()[0] == 0


def test_a_sip_login_of_digits_is_not_a_button(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    order_lodz(demo)
    assert "Test mode: off" in demo.screen
    demo.send("00004")
    assert "Test mode: on" not in demo.screen
    assert demo.quit()[0] == 0


def test_a_form_is_discarded_only_after_a_yes(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    _start_form(demo)
    for answer in GROUP_ANSWERS[:5]:
        demo.send(answer)
    at = _question(demo.screen)

    assert "throws away the 6 answers" in demo.press("Cancel")
    demo.send("no")
    assert _question(demo.screen) == at  # back at the same question, answers kept
    assert "throws away" in demo.send("/start")
    demo.send("")  # an empty line is not a yes either
    assert _question(demo.screen) == at
    assert "throws away" in demo.send("/cancel")
    assert "Cancelled" in demo.send("yes")
    assert any("Order a number" in label for label in demo.buttons)
    assert demo.quit()[0] == 0
