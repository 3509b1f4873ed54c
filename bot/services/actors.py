"""Who is acting: a customer or an operator, on some platform."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import UserRef


@dataclass(frozen=True)
class Actor:
    """The person behind a request. Operators see and act on the whole account."""

    user: UserRef
    is_operator: bool = False

    @property
    def label(self) -> str:
        """``platform:user_id`` for audit records."""
        return f"{self.user.platform}:{self.user.user_id}"
