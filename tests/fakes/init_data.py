"""Signing Mini App init data as Telegram does, for tests (the page's ``tgWebAppData``).

Per https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app:
the secret key is HMAC-SHA256 of the bot token keyed with ``"WebAppData"``; the
hash is HMAC-SHA256 of the sorted ``key=value`` lines under that key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl, urlencode

from tests.fakes.telegram_api import FakeUser


def sign_init_data(
    token: str, user: FakeUser | None, *, auth_date: float | None = None, extra: dict[str, str] | None = None
) -> str:
    """Init data for ``user`` (None: without one) signed with ``token`` at ``auth_date`` (default now)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "auth_date": str(int(auth_date if auth_date is not None else time.time())),
        **(extra or {}),
    }
    if user is not None:
        fields["user"] = json.dumps(user.to_json(), separators=(",", ":"), ensure_ascii=False)
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def forge(init_data: str, **changes: str) -> str:
    """``init_data`` with fields changed but its hash kept (what a forger can make without the token)."""
    fields = dict(parse_qsl(init_data))
    fields.update(changes)
    return urlencode(fields)
