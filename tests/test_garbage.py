"""Handling an event leaves no reference cycles: what it built is freed by reference counting as soon
as it is done, not left for the garbage collector, which a running bot asks to pass rarely
(`bot.app.tune_garbage_collector`)."""

import gc
from collections import Counter

from adapters.memory import Chat


async def test_commands_answers_and_refusals_leave_no_reference_cycles(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Vennskapsbenk i friminuttet #friminutt")
    lines = [
        ("ola", "/ide Uteskole hver fredag"),
        ("ola", "/ideer"),
        ("per", "/ideer benk"),
        ("per", "/ide prøv 1"),
        ("ola", "/ide vis 1"),
        ("ola", "/ide vis tolv"),  # refused: not a number
        ("per", "/ide prøv 99"),  # refused: no such idea
        ("kari", "/samskap innstillinger"),
        ("ola", "/finnesikke"),
        ("ukjent", "/ide Ikke medlem"),  # refused: not a member
    ]
    for name, line in lines:  # once first: caches and compiled statements are filled, not garbage
        await chat.say(name, line)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for name, line in lines:
            await chat.say(name, line)
        await chat.click("per", "ideas.adopt")
        gc.collect()
        kinds = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not kinds, kinds.most_common(12)
