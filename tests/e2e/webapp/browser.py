"""Driving the Mini App in headless Chromium (Debian's, through Playwright) against ``python -m bot run``.

The browser is never downloaded: Playwright starts the executable the
``chromium_path`` fixture names. The page is opened as Telegram opens it, with
the signed init data and the theme in the URL's fragment.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

from PIL import Image, ImageDraw
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from tests.fakes.init_data import sign_init_data
from tests.fakes.telegram_api import FakeUser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "webapp"
"""Where the screenshots go (git ignores it); the tests print each path."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
    "section_bg_color": "#ffffff",
    "destructive_text_color": "#e53935",
}
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
    "section_bg_color": "#17212b",
    "destructive_text_color": "#ec3942",
}
"""Telegram's own theme parameters (its default light and night themes)."""


@asynccontextmanager
async def chromium(executable: str) -> AsyncIterator[Browser]:
    """Headless Chromium from ``executable``, closed afterwards."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def launch_url(base: str, init_data: str, theme: dict[str, str] | None = None) -> str:
    """The page's URL as Telegram opens it: init data, version, platform and theme in the fragment."""
    fragment = (
        f"tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=android"
        f"&tgWebAppThemeParams={quote(json.dumps(theme or LIGHT), safe='')}"
    )
    return f"{base}/webapp/#{fragment}"


def signed(token: str, user: FakeUser, *, age: float = 5) -> str:
    """Init data for ``user`` signed with the bot's ``token``, ``age`` seconds ago."""
    return sign_init_data(token, user, auth_date=time.time() - age)


async def open_page(browser: Browser, url: str, locale: str = "en-GB") -> tuple[Page, list[str]]:
    """A phone-sized page at ``url`` in a browser set to ``locale``, and the list its script errors and
    console errors (a resource the policy refused among them) are collected in; a refused request's
    own 401/409/422 is not one."""
    page = await browser.new_page(
        viewport={"width": 420, "height": 860}, device_scale_factor=1, locale=locale
    )
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and "the server responded with a status of" not in message.text:
            problems.append(message.text)

    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", console)
    await page.goto(url)
    return page, problems


async def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot saved as ``tests/artifacts/webapp/<name>.png``; its path is printed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def passport_photo(width: int = 1400, height: int = 900) -> bytes:
    """A camera-like JPEG of an identity card (with sensor noise, so it weighs what a photo weighs)."""
    card = Image.new("RGB", (width, height), (214, 222, 228))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((60, 60, width - 60, height - 60), radius=40, fill=(238, 240, 235))
    draw.rectangle((120, 200, 470, 660), fill=(150, 160, 170))
    draw.text((120, 110), "PASSPORT  ·  PASZPORT", fill=(40, 50, 90), font_size=48)
    for row, text in enumerate(("NOWAK", "ANNA", "POL", "ABC123456")):
        draw.text((540, 220 + row * 110), text, fill=(30, 30, 30), font_size=56)
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    out = BytesIO()
    Image.blend(card, noise, 0.18).save(out, "JPEG", quality=92)
    return out.getvalue()
