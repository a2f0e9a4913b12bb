"""A samsnakk booking through Teams: a colleague @mentioned in the channel, the proposal and the
booking in 1:1 chats, and the `.ics` invitation offered as a file and uploaded when accepted."""

from __future__ import annotations

from typing import Any

from fake_connector import CHANNEL, FakeConnector
from teams_harness import TeamsHarness, text_of

from bot.i18n import translator

nb = translator("nb")
CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


def offers(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if (m.get("attachments") or [{}])[0].get("contentType") == CONSENT]


async def test_booking_a_talk_offers_the_invitation_file_in_each_1_1_chat(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    for name, school in (("kari", "Nordby"), ("ola", "Sørby")):
        assert await teams.say_in_channel(name, f"bli-med {school} skole") == 202
    assert await teams.say_with_mention("kari", "samsnakk", "ola", "i morgen 14") == 202
    proposal = next(m for m in teams.dms_to("ola") if nb.t("Accept") in text_of(m))
    await teams.click("ola", proposal, nb.t("Accept"), teams.in_personal_chat("ola"))

    for name in ("kari", "ola"):
        booked = [m for m in teams.dms_to(name) if "Booket" in text_of(m)]
        assert len(booked) == 1, name
        assert "samsnakk.ics" in text_of(booked[0])  # the message names the file that follows
        (offer,) = offers(teams.dms_to(name))
        assert offer["attachments"][0]["name"] == "samsnakk.ics"
    assert not offers(connector.messages.get(CHANNEL, []))

    kari_offer = offers(teams.dms_to("kari"))[0]
    assert await teams.accept_file("ola", kari_offer) == 200  # not ola's file: nothing is uploaded
    assert connector.uploads == {}
    connector.fail("PUT", r"^/onedrive/", 503)
    assert await teams.accept_file("kari", kari_offer) == 200  # OneDrive fails: the offer stays open
    assert connector.uploads == {} and not connector.deleted
    assert await teams.accept_file("kari", kari_offer) == 200
    ics = connector.uploads["samsnakk.ics"].decode()
    assert ics.startswith("BEGIN:VCALENDAR") and "DTSTART:" in ics
    info = teams.dms_to("kari")[-1]["attachments"][0]
    assert info["contentType"] == FILE_INFO and info["contentUrl"].endswith("/samsnakk.ics")
    assert (teams.in_personal_chat("kari")["id"], kari_offer["id"]) in connector.deleted  # the offer is answered

    ola_offer = offers(teams.dms_to("ola"))[0]
    assert await teams.accept_file("ola", ola_offer, accept=False) == 200
    assert len(connector.uploads) == 1 and (teams.in_personal_chat("ola")["id"], ola_offer["id"]) in connector.deleted
    assert await teams.accept_file("ola", ola_offer) == 200  # declined is declined
    assert len(connector.uploads) == 1
