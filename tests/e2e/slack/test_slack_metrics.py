"""Every Slack request is counted in /metrics under its outcome."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.slack.slack_helpers import SlackStack

FORM = "application/x-www-form-urlencoded"


async def _scrape(stack: SlackStack) -> dict[str, float]:
    """Updates by outcome for the slack platform."""
    assert stack.metrics is not None
    text = (await stack.metrics.render()).decode()
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "zadarma_bot_updates_total" and sample.labels.get("platform") == "slack"
    }


async def test_each_request_is_counted_under_its_outcome(stack: SlackStack) -> None:
    command = stack.slack.command_body("help")
    assert (await stack.slack.post(command, FORM)).status == 200
    assert (await stack.slack.post(command, FORM, retry_num=1)).status == 200  # Slack's retry
    assert (await stack.slack.command("help", user="USTRANGER")).status == 200  # not an admin
    assert (await stack.slack.event({"type": "app_home_opened", "tab": "home"})).status == 200  # no user
    assert (await stack.slack.post("payload=%5B1%5D", FORM)).status == 400  # a list, not an object
    await stack.idle()

    outcomes = await _scrape(stack)

    assert outcomes == {"handled": 1, "duplicate": 1, "refused": 1, "ignored": 1, "malformed": 1}
