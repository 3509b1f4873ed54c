"""The platform registry: every chat platform registered once, in the composition root.

A platform is declared by a :class:`PlatformEntry` in ``bot.app.PLATFORMS``:
its name (the destination prefix and the platform string of its users), its
audience (``customers`` or ``team``, :mod:`bot.services.alerts.routing`), and
three readings of the settings (is it on, who are its operators, where do
team alerts go) plus how to build it over the core (its runtime part and
alert sink). Everything else follows from the registry: the operators the
conversations know, the parts the runner starts, where alerts go. Nothing
below the composition root names a platform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from bot.runtime import Part
from bot.services.alerts import TEAM, AlertRoute, AlertRoutes, AlertSink, Audience
from bot.storage import UserRef

if TYPE_CHECKING:
    from bot.config import Settings

C = TypeVar("C")


@dataclass(frozen=True)
class Platform:
    """A built platform: its runtime part (``None`` when something else runs it, as the demo's
    terminal), its alert sink, its operators' user ids and, for a team platform, its team chat."""

    name: str
    audience: Audience
    sink: AlertSink
    part: Part | None = None
    operators: frozenset[str] = frozenset()
    team_target: str = ""


@dataclass(frozen=True)
class PlatformEntry(Generic[C]):
    """How the composition root builds one platform from the settings over a context ``C`` (the core)."""

    name: str
    audience: Audience
    enabled: Callable[[Settings], bool]
    operators: Callable[[Settings], Iterable[str]]
    build: Callable[[C, Settings], tuple[Part, AlertSink]]
    team_target: Callable[[Settings], str] = lambda _settings: ""

    def create(self, context: C, settings: Settings) -> Platform:
        """Build the platform (its part is not started)."""
        part, sink = self.build(context, settings)
        return Platform(
            self.name,
            self.audience,
            sink,
            part,
            frozenset(self.operators(settings)),
            self.team_target(settings),
        )


def operators_of(entries: Iterable[PlatformEntry[C]], settings: Settings) -> frozenset[UserRef]:
    """Every configured operator, on every platform."""
    return frozenset(UserRef(entry.name, i) for entry in entries for i in entry.operators(settings))


class PlatformRegistry:
    """The platforms this process runs, each registered once."""

    def __init__(self) -> None:
        self._platforms: dict[str, Platform] = {}

    def register(self, platform: Platform) -> None:
        """Add ``platform``; a second platform of the same name is a ``ValueError``."""
        if platform.name in self._platforms:
            raise ValueError(f"platform {platform.name!r} is registered twice")
        self._platforms[platform.name] = platform

    @property
    def names(self) -> frozenset[str]:
        """The registered platforms' names."""
        return frozenset(self._platforms)

    def parts(self) -> list[Part]:
        """The runtime parts, in registration order."""
        return [p.part for p in self._platforms.values() if p.part is not None]

    def operators(self) -> frozenset[UserRef]:
        """Every registered platform's operators."""
        return frozenset(UserRef(p.name, i) for p in self._platforms.values() for i in p.operators)

    def alert_routes(self) -> AlertRoutes:
        """Where alerts go: each platform's sink, audience and team chat."""
        return AlertRoutes(
            AlertRoute(p.name, p.audience, p.sink, p.team_target if p.audience == TEAM else "")
            for p in self._platforms.values()
        )
