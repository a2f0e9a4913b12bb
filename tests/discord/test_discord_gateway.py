"""The real discord.py client against the fake Discord: commands, buttons, forms, threads, failures."""

from __future__ import annotations

from discord_harness import Harness, text_of
from fake_discord import FakeDiscord

from bot.i18n import translator

nb = translator("nb")


async def test_samskap_shows_help_as_an_ephemeral_interaction_response(discord_bot: Harness, fake: FakeDiscord) -> None:
    answers = await discord_bot.slash("kari", "samskap", "start")
    assert answers[0]["type"] == 4  # the first part answers the interaction, the rest follow up
    assert all((a.get("data", a)).get("flags") == 64 for a in answers)
    assert "/samskap bli-med" in "\n".join(text_of(a) for a in answers)
    assert fake.requests_to("GET", "^/users/@me$") and fake.requests_to("GET", "^/oauth2/applications/@me$")
