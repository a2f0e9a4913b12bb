"""A whole feature through Discord: share an idea, try it, get asked two weeks later, report back."""

from __future__ import annotations

from datetime import timedelta

from discord_harness import Harness, buttons_of, text_of
from fake_discord import CHANNEL_ID, FakeDiscord

from bot.app import tick
from bot.i18n import translator

nb = translator("nb")


async def test_idea_is_tried_followed_up_and_reported_in_its_thread(discord_bot: Harness, fake: FakeDiscord) -> None:
    await discord_bot.slash("rektor", "samskap", "oppsett", admin=True)
    await discord_bot.slash("kari", "samskap", "bli-med", "Nordby skole")
    await discord_bot.slash("ola", "samskap", "bli-med", "Sørby skole")

    shared = await discord_bot.slash("kari", "ide", "start", "Vennskapsbenk i friminuttet #friminutt")
    card = shared[0]["message"]  # the idea card answers the command, in the channel
    assert not shared[0]["data"].get("flags") and "Vennskapsbenk" in text_of(card)
    assert card in fake.messages[CHANNEL_ID]

    adopted = await discord_bot.click("ola", buttons_of(card)[nb.t("I'll try this")], message=card)
    assert adopted[0]["type"] == 4 and adopted[0]["data"]["flags"] == 64

    discord_bot.clock.advance(timedelta(days=15))
    await tick(discord_bot.bot)
    follow_up = discord_bot.dms_to("ola")[-1]
    assert nb.t("How did it go?") in text_of(follow_up)

    opened = await discord_bot.click("ola", buttons_of(follow_up)[nb.t("Write a report")], message=follow_up, dm=True)
    modal = opened[0]
    assert modal["type"] == 9
    assert [c["component"]["custom_id"] for c in modal["data"]["components"] if "component" in c] == [
        "did", "changed", "happened",
    ]  # fmt: skip

    await discord_bot.submit("ola", modal["data"]["custom_id"],
                             {"did": "Benk ved fotballbanen", "changed": "Faste verter", "happened": "Færre alene"},
                             dm=True)  # fmt: skip
    # The report lands in a thread under the idea card (created on first use, with the card's id).
    assert card["id"] in fake.threads and fake.threads[card["id"]]["parent_id"] == CHANNEL_ID
    assert "Benk ved fotballbanen" in text_of(fake.messages[card["id"]][-1])
    assert any("Benk ved fotballbanen" in text_of(m) for m in discord_bot.dms_to("kari"))
