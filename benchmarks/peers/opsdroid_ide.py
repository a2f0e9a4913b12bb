"""opsdroid modules for the comparison: a skill that stores each idea, and a connector in memory.

Loaded by opsdroid's own loader from the configuration (`module: opsdroid_ide`) in the driver's
process, inside opsdroid's virtualenv.
"""

from __future__ import annotations

from typing import Any

from opsdroid.connector import Connector, register_event
from opsdroid.events import Message
from opsdroid.matchers import match_regex
from opsdroid.skill import Skill


class IdeSkill(Skill):  # type: ignore[misc]
    """`/ide <words>`: the words stored under the message's id in opsdroid's memory (its database)."""

    @match_regex(r"/ide (?P<text>.+)", matching_condition="fullmatch")  # type: ignore[misc]
    async def post_idea(self, message: Message) -> None:
        text = message.entities["text"]["value"]
        idea = {"text": text, "author": message.user_id, "network": message.target}
        await self.opsdroid.memory.put(f"idea:{message.event_id}", idea)
        await message.respond("Idé lagret")


class MemoryConnector(Connector):  # type: ignore[misc]
    """A chat service in this process: `said` hands a message to opsdroid's parser, as a
    connector's listener does, and returns the answer the skill sent back."""

    def __init__(self, config: dict[str, Any], opsdroid: Any = None) -> None:
        super().__init__(config, opsdroid=opsdroid)
        self.name = "memory"
        self.answers: dict[str, str] = {}

    async def connect(self) -> None:
        pass

    async def listen(self) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    async def said(self, member: str, command_id: str, text: str) -> str | None:
        message = Message(text, user_id=member, user=member, target="network", connector=self, event_id=command_id)
        await self.opsdroid.parse(message)  # returns once the skill it chose has answered
        return self.answers.pop(command_id, None)

    @register_event(Message)  # type: ignore[misc]
    async def send_message(self, message: Message) -> None:
        self.answers[message.linked_event.event_id] = message.text
