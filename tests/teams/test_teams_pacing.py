"""Pacing to Teams' limits, on a simulated clock: no real time passes."""

from __future__ import annotations

import asyncio

from adapters.teams.pacing import CONVERSATION_LIMITS, Limit, Pacer


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_a_conversation_gets_seven_a_second_and_eight_in_two() -> None:
    time = SimulatedTime()
    pacer = Pacer(CONVERSATION_LIMITS, clock=time.clock, sleep=time.sleep)
    moments = []
    for _ in range(10):
        await pacer.wait("19:channel")
        moments.append(time.now)
    assert moments[:7] == [0.0] * 7
    assert moments[7] == 1.0  # the eighth waits for the one-second window
    assert moments[8] == 2.0  # and the ninth for the two-second one (8 in 2 s)
    assert moments[9] == 2.0


async def test_conversations_do_not_wait_for_each_other_and_long_windows_hold() -> None:
    time = SimulatedTime()
    pacer = Pacer((Limit(60, 30.0),), clock=time.clock, sleep=time.sleep)
    for _ in range(60):
        await pacer.wait("a")
    await pacer.wait("b")
    assert time.now == 0.0
    await pacer.wait("a")
    assert time.now == 30.0


async def test_waiting_sends_to_one_conversation_go_out_one_at_a_time() -> None:
    time = SimulatedTime()
    pacer = Pacer((Limit(1, 1.0),), clock=time.clock, sleep=time.sleep)
    await asyncio.gather(*(pacer.wait("a") for _ in range(3)))
    assert time.now == 2.0
