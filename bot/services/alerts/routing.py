"""Where alerts go: each platform's sink and audience, never its name.

A platform serves one audience. ``customers``: its people own numbers, and an
alert about a number goes to its owner there, privately (the destination is a
person, whose stored record says their language, chat and whether they block
the bot). ``team``: its people are the operators, and the account's alerts,
the daily digest and the money checks go to the platform's team chat
(``team_target``, e.g. a channel id; none: that platform gets no team alerts).

The composition root registers the platforms; the scheduler and the outbox
read only :class:`AlertRoutes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from bot.services.alerts.delivery import AlertSink

Audience = Literal["customers", "team"]
CUSTOMERS: Final[Audience] = "customers"
TEAM: Final[Audience] = "team"


@dataclass(frozen=True)
class AlertRoute:
    """One platform as alert routing sees it.

    ``platform`` is the destination prefix (the platform string of its users'
    ``UserRef``); ``team_target`` is where a team platform's team alerts go.
    """

    platform: str
    audience: Audience
    sink: AlertSink
    team_target: str = ""

    def __post_init__(self) -> None:
        if not self.platform or ":" in self.platform:
            raise ValueError("a platform name is non-empty and has no ':'")
        if self.audience not in (CUSTOMERS, TEAM):
            raise ValueError(f"unknown audience {self.audience!r}")
        if self.team_target and self.audience != TEAM:
            raise ValueError("only a team platform has a team chat")


class AlertRoutes:
    """Every platform alerts can reach, by audience (each platform at most once)."""

    def __init__(self, routes: Iterable[AlertRoute] = ()) -> None:
        self._routes: dict[str, AlertRoute] = {}
        for route in routes:
            if route.platform in self._routes:
                raise ValueError(f"platform {route.platform!r} is registered twice")
            self._routes[route.platform] = route

    def __repr__(self) -> str:
        return f"AlertRoutes({list(self._routes.values())!r})"

    @property
    def sinks(self) -> Mapping[str, AlertSink]:
        """The sink of every platform, by destination prefix."""
        return {name: route.sink for name, route in self._routes.items()}

    @property
    def platforms(self) -> frozenset[str]:
        """Every platform with a sink (whose people alerts and outcomes can reach)."""
        return frozenset(self._routes)

    @property
    def customers(self) -> frozenset[str]:
        """The platforms whose number owners get their numbers' alerts themselves."""
        return frozenset(name for name, route in self._routes.items() if route.audience == CUSTOMERS)

    @property
    def team(self) -> tuple[str, ...]:
        """The team's destinations (``platform:target``), in registration order; may be empty."""
        return tuple(
            f"{name}:{route.team_target}"
            for name, route in self._routes.items()
            if route.audience == TEAM and route.team_target
        )

    @property
    def team_destination(self) -> str | None:
        """The first team destination (where single-destination notices go), or ``None``."""
        return self.team[0] if self.team else None

    def addresses_people(self, platform: str) -> bool:
        """Whether destinations on ``platform`` are customers (a person with a stored record)."""
        route = self._routes.get(platform)
        return route is not None and route.audience == CUSTOMERS
