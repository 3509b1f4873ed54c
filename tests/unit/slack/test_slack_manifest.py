"""``deploy/slack-manifest.yaml`` asks for what the Slack adapter uses: its command, events and scopes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from adapters.slack.part import EVENTS_PATH
from conversations.team_commands import COMMAND

ROOT = Path(__file__).resolve().parents[3]
SLACK = ROOT / "adapters" / "slack"

# The scope each Web API method the adapter calls needs (views.* need none); a method not listed
# here fails the test until its scope is added to this table and to the manifest.
METHOD_SCOPES = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "files_info": {"files:read"},
    "views_open": set(),
    "views_update": set(),
    "views_publish": set(),
}
# Bolt listener event name -> the subscription and scope it needs (the message handler answers DMs only).
EVENT_SUBSCRIPTIONS = {
    "app_home_opened": ("app_home_opened", set()),
    "file_shared": ("file_shared", {"files:read"}),
    "message": ("message.im", {"im:history"}),
}


def manifest() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "deploy" / "slack-manifest.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(SLACK.glob("*.py")))


def methods_called() -> set[str]:
    return set(re.findall(r"\b_?client\.([a-z]+_[A-Za-z]+)\(", source()))


def events_listened() -> set[str]:
    return set(re.findall(r'app\.event\("([a-z_.]+)"\)', source()))


def test_the_code_is_read_the_way_this_test_expects() -> None:
    assert {"chat_postMessage", "files_info", "views_open"} <= methods_called()
    assert {"file_shared", "message"} <= events_listened()


def test_the_slash_command_is_the_one_the_code_registers() -> None:
    commands = manifest()["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND]


def test_scopes_are_exactly_what_the_calls_and_events_need() -> None:
    unknown = methods_called() - METHOD_SCOPES.keys()
    assert unknown == set(), f"add the scopes of {sorted(unknown)} to METHOD_SCOPES and the manifest"
    needed = {"commands"}
    for method in methods_called():
        needed |= METHOD_SCOPES[method]
    for event in events_listened():
        needed |= EVENT_SUBSCRIPTIONS[event][1]
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_events_and_interactivity_go_to_the_events_path() -> None:
    data = manifest()
    subscribed = set(data["settings"]["event_subscriptions"]["bot_events"])
    assert subscribed == {EVENT_SUBSCRIPTIONS[e][0] for e in events_listened()}
    urls = [
        data["settings"]["event_subscriptions"]["request_url"],
        data["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in data["features"]["slash_commands"]),
    ]
    assert data["settings"]["interactivity"]["is_enabled"] is True
    for url in urls:
        assert url.startswith("https://") and url.endswith(EVENTS_PATH)
    assert data["features"]["app_home"]["messages_tab_enabled"] is True  # DMs carry typed answers


def test_the_readme_scopes_match_the_manifest() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/slack-manifest.yaml" in readme
    for scope in manifest()["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in readme
