"""Installing samskap in a team: a welcome in the channel in the network's language, a personal
welcome for whoever added it, and for each person who joins the team later."""

from __future__ import annotations

from fake_connector import BOT_ID, CHANNEL, TENANT, FakeConnector, aad_id
from teams_harness import TeamsHarness, buttons_of, text_of

from bot.i18n import translator
from storage.repositories.core import Networks

nb = translator("nb")


async def test_the_team_is_welcomed_when_samskap_is_added(teams: TeamsHarness, connector: FakeConnector) -> None:
    assert await teams.install("rektor") == 202
    (welcome,) = connector.messages[CHANNEL]
    assert "Hei alle sammen! Jeg er samskap." in text_of(welcome)
    assert list(buttons_of(welcome)) == [nb.t("Join")]
    async with teams.bot.db.read() as s:
        network = await Networks(s).by_workspace(f"teams:{TENANT}")
    assert network is not None and network.name in text_of(welcome)
    assert any("Velkommen, Rektor!" in text_of(m) for m in teams.dms_to("rektor"))

    await teams.click("lise", welcome, nb.t("Join"), teams.in_channel(welcome["id"]))
    assert "bli-med" in text_of(teams.dms_to("lise")[-1])


async def test_someone_who_joins_the_team_is_welcomed_by_name(teams: TeamsHarness, connector: FakeConnector) -> None:
    await teams.install("rektor")
    connector.names["29:nina"] = "Nina Nordmann"
    activity = teams.activity("rektor", {"id": CHANNEL, "conversationType": "channel", "tenantId": TENANT},
                              type="conversationUpdate",
                              membersAdded=[{"id": "29:nina", "aadObjectId": aad_id("29:nina")}])  # fmt: skip
    assert await teams.post(activity) == 202
    assert any("Velkommen, Nina Nordmann!" in text_of(m) for m in teams.dms_to("nina"))
    assert len(connector.messages[CHANNEL]) == 1  # the channel is welcomed once, on install


async def test_adding_samskap_for_oneself_opens_the_1_1_chat_with_its_help(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    activity = teams.activity("kari", teams.in_personal_chat("kari"), type="conversationUpdate",
                              membersAdded=[{"id": BOT_ID}])  # fmt: skip
    assert await teams.post(activity) == 202
    (hello,) = teams.dms_to("kari")
    assert "bli-med" in text_of(hello) and connector.created == []
