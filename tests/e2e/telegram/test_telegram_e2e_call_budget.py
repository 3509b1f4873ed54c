"""The Bot API calls an order makes, each one for something the customer sees.

The budget is part of the product: every call costs the bot CPU and counts against
Telegram's flood limits, and ``bench/order_flow.py``'s mirror makes exactly these
calls (16 an order) to price them. What each call is for:

* a typed text (``/order``, a country) is answered with a new menu below it, and the
  menu above loses its buttons, so that only one menu in the chat can be pressed;
* every press is answered (``answerCallbackQuery``: Telegram's spinner on the button
  stops) and edits the pressed message into the next screen;
* a step that waits on Zadarma first edits the pressed message to "⏳", so the first
  visible reply never waits for a Zadarma round trip (a city whose free numbers were not
  read in the last seconds); a press whose answer is at hand (a number from the list on
  screen) shows no "⏳";
* paying and choosing where calls go leave their outcome in the pressed message, a
  record that stays in the chat, and bring the next menu as a new message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

from tests.e2e.telegram.telegram_helpers import TelegramHarness
from tests.fakes.telegram_api import ApiCall, ChatMessage, FakeUser

NOT_PER_UPDATE = {"getUpdates", "setMyCommands", "deleteWebhook", "setWebhook", "getMe"}

NEW_MENU = ("sendMessage", "a new message", "with buttons")
OLD_MENU_OFF = ("editMessageReplyMarkup", "the menu above", "buttons off")
NEXT_SCREEN = ("editMessageText", "the pressed message", "with buttons")
WAIT = ("editMessageText", "the pressed message", "⏳")
OUTCOME = ("editMessageText", "the pressed message", "no buttons")

TYPED = [NEW_MENU, OLD_MENU_OFF]
PRESSED_AT_HAND = [NEXT_SCREEN]
PRESSED_ASKING_ZADARMA = [WAIT, NEXT_SCREEN]
PRESSED_SETTLING = [WAIT, OUTCOME, NEW_MENU]

Call = tuple[str, str, str]


def described(call: ApiCall, pressed: int | None, menu_above: int | None) -> Call:
    """What ``call`` does, in the customer's terms."""
    params = call.params
    message_id = int(params["message_id"]) if "message_id" in params else None
    if call.method == "sendMessage":
        which = "a new message"
    elif message_id is not None and message_id == pressed:
        which = "the pressed message"
    elif message_id is not None and message_id == menu_above:
        which = "the menu above"
    else:
        which = f"message {message_id}"
    markup = params.get("reply_markup") or {}
    if call.method == "editMessageReplyMarkup":
        look = "buttons off" if not markup.get("inline_keyboard") else "buttons changed"
    elif str(params.get("text", "")).startswith("⏳"):
        look = "⏳"
    else:
        look = "with buttons" if markup.get("inline_keyboard") else "no buttons"
    return call.method, which, look


class Steps:
    """Drives one customer and records the calls each update of theirs caused."""

    def __init__(self, h: TelegramHarness, user: FakeUser) -> None:
        self.h = h
        self.user = user
        self.answers: list[int] = []

    def menu(self) -> ChatMessage | None:
        """The newest bot message with buttons in the chat, if any."""
        with_buttons = [m for m in self.h.fake.bot_messages(self.user.chat_id) if m.buttons]
        return with_buttons[-1] if with_buttons else None

    async def typed(self, text: str) -> list[Call]:
        above = self.menu()
        return await self._calls(lambda: self.h.say(self.user, text), None, above)

    async def pressed(self, label: str) -> list[Call]:
        menu = self.menu()
        assert menu is not None, "nothing to press"
        return await self._calls(lambda: self.h.press(self.user, label), menu.message_id, None)

    async def pressed_first_number(self) -> list[Call]:
        menu = self.menu()
        assert menu is not None, "no number list"
        [first, *_] = [label for label in menu.labels if label.startswith("+")]
        return await self.pressed(first)

    async def _calls(
        self, act: Callable[[], Awaitable[object]], pressed: int | None, above: ChatMessage | None
    ) -> list[Call]:
        fake = self.h.fake
        start = len(fake.calls)
        await act()
        made = [c for c in fake.calls[start:] if c.method not in NOT_PER_UPDATE]
        self.answers.append(sum(c.method == "answerCallbackQuery" for c in made))
        above_id = above.message_id if above is not None else None
        return [described(c, pressed, above_id) for c in made if c.method != "answerCallbackQuery"]


async def order(steps: Steps, city: str) -> list[list[Call]]:
    """One order of a number in a US ``city``, from ``/order`` to the SIP login; each update's calls."""
    return [
        await steps.typed("/order"),
        await steps.typed("US"),
        await steps.pressed(city),
        await steps.pressed_first_number(),
        await steps.pressed("Confirm and pay"),
        await steps.pressed("00001"),
    ]


async def test_an_order_makes_only_the_calls_the_customer_sees(polling: TelegramHarness) -> None:
    h = polling
    steps = Steps(h, h.fake.user(first_name="Ann", language_code="en"))

    first = await order(steps, "New York")
    assert first == [
        [NEW_MENU],  # nothing above to take the buttons off yet
        TYPED,
        PRESSED_ASKING_ZADARMA,  # the city's free numbers are not known yet
        PRESSED_AT_HAND,  # the number pressed is one on screen
        PRESSED_SETTLING,
        PRESSED_SETTLING,
    ]

    fake = h.fake
    start = len(fake.calls)
    again = await order(steps, "Los Angeles")
    assert again == [
        TYPED,  # the last order's card loses its buttons
        TYPED,
        PRESSED_ASKING_ZADARMA,
        PRESSED_AT_HAND,
        PRESSED_SETTLING,
        PRESSED_SETTLING,
    ]
    assert steps.answers == [0, 0, 1, 1, 1, 1] * 2, "every press is answered once, a typed text never"

    # bench/order_flow.py's mirror makes 16 calls an order, as an order whose city's numbers are
    # at hand does; this one also had the city's numbers read, behind one "⏳" more
    made = Counter(c.method for c in fake.calls[start:] if c.method not in NOT_PER_UPDATE)
    assert made == {
        "sendMessage": 4,
        "answerCallbackQuery": 4,
        "editMessageText": 6 + 1,
        "editMessageReplyMarkup": 2,
    }
    assert h.sandbox.call_count("direct_numbers.order") == 2
