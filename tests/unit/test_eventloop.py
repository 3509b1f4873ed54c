"""``EVENT_LOOP``: the service's event loop, uvloop where it can be imported."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot import eventloop
from bot.config import ConfigError, Settings
from tests.unit.test_config import BASE, settings


async def which() -> tuple[str, str]:
    """The loop's own class and the name the service logs for it, from inside a coroutine."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0)
    return type(loop).__module__, eventloop.running_loop_name()


def test_uvloop_is_installed_with_the_product() -> None:
    # a dependency on every platform uvloop supports: the default loop of this machine
    assert sys.platform != "win32" and eventloop.uvloop_available()


@pytest.mark.parametrize("name", ["auto", "uvloop"])
def test_auto_and_uvloop_run_on_uvloop(name: eventloop.LoopName) -> None:
    module, logged = eventloop.run(which(), name)
    assert module.startswith("uvloop") and logged == "uvloop"


def test_asyncio_runs_on_pythons_own_loop() -> None:
    module, logged = eventloop.run(which(), "asyncio")
    assert module.startswith("asyncio") and logged == "asyncio"
    assert eventloop.loop_factory("asyncio") is None


def test_the_loop_is_closed_and_the_result_returned() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def main() -> int:
        loops.append(asyncio.get_running_loop())
        return 42

    assert eventloop.run(main(), "uvloop") == 42
    assert loops[0].is_closed()


def test_without_uvloop_auto_falls_back_and_uvloop_is_a_configuration_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # what `import uvloop` meets where it is not installed
    assert not eventloop.uvloop_available()
    assert eventloop.run(which(), "auto") == ("asyncio.unix_events", "asyncio")
    with pytest.raises(RuntimeError, match="uvloop is not installed"):
        eventloop.loop_factory("uvloop")
    problems = settings(monkeypatch, **BASE, EVENT_LOOP="uvloop").run_problems()
    assert [p for p in problems if "EVENT_LOOP" in p] == [
        "EVENT_LOOP=uvloop but uvloop is not installed (pip install uvloop, or use auto)"
    ]
    assert settings(monkeypatch, **BASE, EVENT_LOOP="auto").run_problems() == []


def test_the_setting_defaults_to_auto_and_refuses_other_names(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings(monkeypatch, **BASE).event_loop == "auto"
    assert Settings.model_fields["event_loop"].default == "auto"
    with pytest.raises(ConfigError, match="EVENT_LOOP"):
        settings(monkeypatch, **BASE, EVENT_LOOP="trio")
