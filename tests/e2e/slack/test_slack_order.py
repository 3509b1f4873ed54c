"""One user's Slack requests are worked on in arrival order (another user's meanwhile), and timed."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.slack.slack_helpers import ADMIN, OTHER_ADMIN, SlackStack


def _answered(stack: SlackStack) -> list[str]:
    """The response URLs answered (or being answered), in call order."""
    return [call.path.rsplit("/", 1)[1] for call in stack.fake.calls_to("response_url")]


def _tail(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def test_a_users_second_request_waits_for_the_work_of_the_first(stack: SlackStack) -> None:
    first, second, other = (stack.fake.response_url() for _ in range(3))
    stack.fake.hold("response_url")  # the first answer hangs: its work is not done
    try:
        assert (await stack.slack.command("list", response_url=first)).status == 200
        # Acknowledged at once, although its work waits for the first's.
        assert (await stack.slack.command(f"info {stack.owned()}", response_url=second)).status == 200
        assert (await stack.slack.command("list", user=OTHER_ADMIN, response_url=other)).status == 200
        await stack.fake.wait_for("response_url", 2)
        await asyncio.sleep(0.1)  # time enough for the second to overtake, were it not held back
        assert sorted(_answered(stack)) == sorted([_tail(first), _tail(other)])
    finally:
        stack.fake.release("response_url")
    await stack.idle()

    answered = _answered(stack)
    assert answered.index(_tail(first)) < answered.index(_tail(second))
    assert len(answered) == 3


async def test_the_handling_time_of_a_request_covers_its_work(stack: SlackStack) -> None:
    assert stack.metrics is not None
    url = stack.fake.response_url()
    stack.fake.hold("response_url")
    try:
        assert (await stack.slack.command("list", user=ADMIN, response_url=url)).status == 200
        await stack.fake.wait_for("response_url")
        await asyncio.sleep(0.2)  # the answer to Slack hangs for this long
    finally:
        stack.fake.release("response_url")
    await stack.idle()

    text = (await stack.metrics.render()).decode()
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("platform") == "slack" and sample.name.startswith("zadarma_bot_update_handling")
    }
    assert samples["zadarma_bot_update_handling_seconds_count"] == 1
    assert samples["zadarma_bot_update_handling_seconds_sum"] >= 0.2
