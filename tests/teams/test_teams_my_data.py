"""`mine-data` and `slett-meg` on Teams: the export arrives as a file in the 1:1 chat, holds what
the adapter keeps about the member, and erasure removes it."""

from __future__ import annotations

import json

from fake_connector import TENANT, FakeConnector, aad_id
from teams_harness import TeamsHarness, text_of

from storage.repositories.teams import People, Stash


async def test_the_export_is_a_file_with_what_teams_keeps_and_erasure_removes_it(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await teams.say_in_channel("kari", "bli-med Nordby skole")
    await teams.say_in_channel("kari", "ide")  # no text: a form, left unsent
    await teams.say_in_channel("kari", "samskap mine-data")
    offer = next(m for m in teams.dms_to("kari") if m.get("attachments", [{}])[0].get("name"))
    assert offer["attachments"][0]["name"] == "samskap-mine-data.json"
    await teams.accept_file("kari", offer)
    exported = json.loads(connector.uploads["samskap-mine-data.json"])
    teams_part = json.dumps(exported["teams"])
    assert "29:kari" in teams_part and "a:personal-kari" in teams_part and "open_form" in teams_part

    await teams.say_in_personal_chat("kari", "samskap slett-meg bekreft")
    assert any("slett" in text_of(m).lower() for m in teams.dms_to("kari")[-2:])
    async with teams.bot.db.read() as s:
        assert await People(s).get(TENANT, aad_id("29:kari")) is None
        assert await Stash(s).of(aad_id("29:kari")) == []
