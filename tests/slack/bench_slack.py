"""Slack adapter benchmark: signed slash commands over HTTP through the real bolt app.

    .venv/bin/python tests/slack/bench_slack.py --members 50 --commands 10

Measures, against the fake Slack on 127.0.0.1:
- time to ack (Slack's limit is 3 s): p50/p99 of the HTTP response to a signed `/samskap` command;
- time to answer: from sending the command until its response_url post arrives;
- renderer throughput: Block Kit payloads per second for a 120-part message.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fake_slack import FakeSlack
from slack_harness import start_harness

from adapters.slack.render import render_message
from bot.messages import Button, Buttons, Message, Section, Text


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def run(members: int, commands: int) -> None:
    fake = await FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        slack = await start_harness(Path(tmp), fake)
        ack_ms: list[float] = []
        answer_ms: list[float] = []

        async def member(index: int) -> None:
            user = f"U{index:04d}"
            await slack.command("/samskap", f"bli-med Skole {index % 12}", user=user,
                                response_url=fake.hook_url(f"{user}-join"))  # fmt: skip
            for n in range(commands):
                hook = f"{user}-{n}"
                started = time.perf_counter()
                response = await slack.command("/samskap", "innstillinger", user=user, response_url=fake.hook_url(hook))
                ack_ms.append((time.perf_counter() - started) * 1000)
                assert response.status == 200
                await fake.wait_for_hook(hook)
                answer_ms.append((time.perf_counter() - started) * 1000)

        # The first use sets the workspace up as a network; the rest then come at once.
        await slack.command("/samskap", "", user="U9999", response_url=fake.hook_url("first"))
        await fake.wait_for_hook("first")
        started = time.perf_counter()
        await asyncio.gather(*(member(i) for i in range(members)))
        elapsed = time.perf_counter() - started
        total = members * commands
        print(f"{members} members x {commands} commands = {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
        print(f"ack:    p50 {statistics.median(ack_ms):.1f} ms, p99 {percentile(ack_ms, 0.99):.1f} ms, "
              f"max {max(ack_ms):.1f} ms")  # fmt: skip
        print(f"answer: p50 {statistics.median(answer_ms):.1f} ms, p99 {percentile(answer_ms, 0.99):.1f} ms")
        await slack.close()
    await fake.close()

    message = Message.of(
        *(Section(f"Idé {i}: vennskapsbenk i friminuttet " * 5, (("Skole", "Nordby"),)) for i in range(60)),
        *(Text("Hvordan gikk det? " * 100) for _ in range(40)),
        Buttons(tuple(Button(f"Jeg prøver idé {i}", "ideas.adopt", str(i)) for i in range(30))),
    )
    rounds = 300
    started = time.perf_counter()
    for _ in range(rounds):
        render_message(message)
    per_second = rounds / (time.perf_counter() - started)
    print(f"render: {per_second:.0f} large messages/s ({len(render_message(message).payloads)} payloads each)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--commands", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.members, args.commands))


if __name__ == "__main__":
    main()
