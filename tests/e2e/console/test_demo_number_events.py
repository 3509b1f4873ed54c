"""``/sms``, ``/call`` in the demo: signed events reach the terminal as a chat shows them."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.console.driver import Demo
from tests.e2e.console.test_demo_flows import order_lodz

SENDER = "+48 501 234 567"


def test_sms_and_calls_arrive_on_the_newest_number(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    menu = demo.screen
    screen = demo.send("/sms hello")
    assert "You have no number yet" in screen
    assert "📩" not in screen
    assert "🛒 Order a number" in demo.buttons  # the menu stays live
    assert "You have no number yet" in demo.send("/call")
    assert menu.splitlines()[-1] in demo.screen

    number = order_lodz(demo)
    screen = demo.send("/sms hello")
    assert f"📩 SMS to {number} from {SENDER}: hello" in screen
    assert "⏭ Skip for now" in demo.buttons  # the SIP question is still the live screen

    # the same text again within the hour is taken as Zadarma's retry: said, not delivered twice
    screen = demo.send("/sms hello")
    assert "📩 SMS to" not in screen and "taken" not in screen
    assert "does not deliver it twice" in screen

    # calls reach the chat only when the customer asked for them on the number card
    screen = demo.send("/call 120")
    assert "“Calls to chat” is off" in screen and number in screen
    assert "lasted" not in screen
    demo.press("Skip for now")
    demo.press("Manage this number")
    demo.press("Calls to chat: off")
    assert f"Calls to {number} shown in this chat: on" in demo.screen
    screen = demo.send("/call 120")
    assert f"📞 Call from {SENDER} lasted 2 min (to {number})" in screen
    screen = demo.send("/call 0")
    assert f"📞 Missed call from {SENDER} at " in screen and f"(to {number})" in screen

    screen = demo.send("/sms Your code is 4821")
    assert f"📩 SMS to {number} from {SENDER}: Your code is 4821" in screen
    assert "Calls to chat: on" in " ".join(demo.buttons)  # the number card the user was on is live

    assert "Usage: /call [SECONDS]" in demo.send("/call soon")
    assert "Usage: /sms TEXT" in demo.send("/sms")
    assert demo.quit()[0] == 0


def test_sms_notice_in_polish(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo("--lang", "pl")
    assert "Nie masz jeszcze numeru" in demo.send("/sms cześć")
    demo.press("Zamów numer")
    demo.send("PL")
    demo.press("Łódź")
    chosen = next(label for label in demo.buttons if label.startswith("+48 42"))
    demo.press(chosen)
    demo.press("Potwierdź")
    screen = demo.send("/sms cześć")
    assert f"📩 SMS na {chosen} od {SENDER}: cześć" in screen
    assert demo.quit()[0] == 0
