"""Typed access to request parameters, with readable 400 errors."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from bot.sandbox.catalog import DirectionId, parse_direction_id
from bot.sandbox.errors import ApiError

_INT = re.compile(r"^-?[0-9]+$")


class RequestParams(Mapping[str, str]):
    """The flat parameter map of a request (query, form fields or multipart fields)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def text(self, name: str) -> str | None:
        """The value, stripped; ``None`` when absent or empty."""
        value = self._values.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def require(self, name: str) -> str:
        """A non-empty value or 400 ``<name> is required``."""
        value = self.text(name)
        if value is None:
            raise ApiError(f"{name} is required")
        return value

    @staticmethod
    def to_int(name: str, value: str) -> int:
        """Parse a whole number or raise 400 naming the parameter."""
        if not _INT.match(value.strip()):
            raise ApiError(f"{name} must be a whole number, got {value!r}")
        return int(value)

    def require_int(self, name: str) -> int:
        """A required whole number."""
        return self.to_int(name, self.require(name))

    def optional_int(self, name: str) -> int | None:
        """An optional whole number (absent or empty gives ``None``)."""
        value = self.text(name)
        return None if value is None else self.to_int(name, value)

    @staticmethod
    def to_direction_id(name: str, value: str) -> DirectionId:
        """A direction id: a whole number or a short code such as ``ru495``; 400 naming the parameter."""
        parsed = parse_direction_id(value)
        if parsed is None:
            raise ApiError(f"{name} must be a direction id (a number or a code such as ru495), got {value!r}")
        return parsed

    def require_direction_id(self, name: str = "direction_id") -> DirectionId:
        """A required direction id."""
        return self.to_direction_id(name, self.require(name))

    def optional_direction_id(self, name: str = "direction_id") -> DirectionId | None:
        """An optional direction id (absent or empty gives ``None``)."""
        value = self.text(name)
        return None if value is None else self.to_direction_id(name, value)

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        """A value from ``choices`` (``default`` when absent, 400 when absent without default)."""
        value = self.text(name)
        if value is None:
            if default is None:
                raise ApiError(f"{name} is required (one of {', '.join(choices)})")
            return default
        if value not in choices:
            raise ApiError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value
