"""A whole feature through Teams and the real Agents SDK: share an idea in a channel, try it, get
asked two weeks later in a 1:1 chat, and report back into the idea's reply chain."""

from __future__ import annotations

from datetime import timedelta

from fake_connector import CHANNEL, FakeConnector
from teams_harness import TeamsHarness, inputs_of, text_of

from bot.app import tick
from bot.i18n import translator

nb = translator("nb")


async def test_idea_is_tried_followed_up_and_reported_in_its_reply_chain(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    assert await teams.say_in_channel("kari", "bli-med Nordby skole") == 202
    assert await teams.say_in_channel("ola", "/samskap bli-med Sørby skole") == 202
    # Answers meant for one person come in their 1:1 chat, created for them.
    assert any("Nordby skole" in text_of(m) for m in teams.dms_to("kari"))
    assert [c["members"][0]["id"] for c in connector.created] == ["29:kari", "29:ola"]

    assert await teams.say_in_channel("kari", "ide Vennskapsbenk i friminuttet #friminutt") == 202
    card = connector.messages[CHANNEL][-1]  # a new post in the channel: the idea card
    assert "Vennskapsbenk" in text_of(card)

    await teams.click("ola", card, nb.t("I'll try this"), teams.in_channel(card["id"]))
    assert not connector.in_chain(card["id"])  # the click is answered privately, not under the card

    teams.clock.advance(timedelta(days=15))
    await tick(teams.bot)
    follow_up = teams.dms_to("ola")[-1]
    assert nb.t("How did it go?") in text_of(follow_up)

    await teams.click("ola", follow_up, nb.t("Write a report"), teams.in_personal_chat("ola"))
    form = teams.dms_to("ola")[-1]
    assert inputs_of(form) == ["did", "changed", "happened"]

    values = {"did": "Benk ved fotballbanen", "changed": "Faste verter", "happened": "Færre alene"}
    await teams.submit("ola", form, values, teams.in_personal_chat("ola"))
    # The report lands in the reply chain under the idea card, and the idea's author hears of it.
    assert "Benk ved fotballbanen" in text_of(connector.in_chain(card["id"])[-1])
    assert any("Benk ved fotballbanen" in text_of(m) for m in teams.dms_to("kari"))
    # The sent form's card says so, and has no inputs left to send twice.
    assert inputs_of(form) == [] and nb.t("Sent.") in text_of(form)
    assert [(cid, aid) for cid, aid, _ in connector.updates] == [(teams.in_personal_chat("ola")["id"], form["id"])]
