"""A burst of requests: each is acknowledged at once, a few are handled at a time, and a bot that
stops waits for every request it acknowledged, those still waiting for their turn too."""

import asyncio

from slack_harness import SlackHarness

from adapters.slack.app import HANDLING_AT_ONCE
from tests.support import eventually


async def test_a_burst_is_acknowledged_at_once_handled_a_few_at_a_time_and_finished_before_stopping(
    slack: SlackHarness,
) -> None:
    answering = 0
    most = 0
    go_on = asyncio.Event()

    async def slow_answers(hook: str, body: dict[str, object]) -> None:
        nonlocal answering, most
        answering += 1
        most = max(most, answering)
        await go_on.wait()  # Slack holds every answer until the test lets them through
        answering -= 1

    slack.fake.on_hook = slow_answers
    burst = HANDLING_AT_ONCE + 8
    commands = [
        slack.command("/samskap", user=f"U{n}", response_url=slack.fake.hook_url(f"h{n}")) for n in range(burst)
    ]
    acknowledged = await asyncio.wait_for(asyncio.gather(*commands), 10)  # while no answer can get out
    assert [response.status for response in acknowledged] == [200] * burst
    await eventually(lambda: answering == HANDLING_AT_ONCE, what="a full set of requests being handled")
    await asyncio.sleep(0.2)
    assert most == HANDLING_AT_ONCE, "more requests were handled at once than the limit"

    stopping = asyncio.create_task(slack.bot.finish_handling(10))
    await asyncio.sleep(0.2)
    assert not stopping.done(), "the bot stopped with acknowledged requests not yet handled"
    go_on.set()
    assert await stopping == 0
    assert sorted(hook for hook, _ in slack.fake.hooks) == sorted(f"h{n}" for n in range(burst))
