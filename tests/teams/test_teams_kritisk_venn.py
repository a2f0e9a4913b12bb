"""A kritisk venn round through Teams: invitations in 1:1 chats, the round in the announcement's
reply chain (people @mention samskap there), a restart in the middle, and a round in a group."""

from __future__ import annotations

from typing import Any

from fake_connector import CHANNEL, FakeConnector
from teams_harness import TeamsHarness, buttons_of, text_of

from bot.i18n import translator

nb = translator("nb")
PRACTICE = {
    "kind": "practice",
    "practice": "Vi har innført trygghetsvandring i friminuttene, men de voksne snakker mest med hverandre.",
    "focus": "Hvordan får jeg de voksne til å oppsøke elevene som står alene?",
    "friends": "2", "pace": "live", "venue": "thread", "names": "",
}  # fmt: skip


async def join(teams: TeamsHarness) -> None:
    for name, school in (("kari", "Nordby"), ("ola", "Sørby"), ("per", "Vestby")):
        assert await teams.say_in_channel(name, f"bli-med {school} skole") == 202


async def start_round(teams: TeamsHarness, **values: str) -> None:
    await teams.say_in_personal_chat("kari", "kritiskvenn")
    form = teams.dms_to("kari")[-1]
    await teams.submit("kari", form, {**PRACTICE, **values}, teams.in_personal_chat("kari"))


def last_with(messages: list[dict[str, Any]], text: str) -> dict[str, Any]:
    return next(m for m in reversed(messages) if text in text_of(m))


async def accept(teams: TeamsHarness, name: str) -> None:
    invitation = last_with(teams.dms_to(name), nb.t("Yes, I'll join"))
    await teams.click(name, invitation, nb.t("Yes, I'll join"), teams.in_personal_chat(name))


async def test_a_live_round_runs_in_the_announcements_reply_chain_across_a_restart(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await join(teams)
    await start_round(teams)
    await accept(teams, "ola")
    await accept(teams, "per")

    announcement = last_with(connector.messages[CHANNEL], "Kritisk venn #1")
    chain = connector.in_chain(announcement["id"])
    assert "Fase 1 av 6: Presentasjon" in text_of(chain[-1]) and "trygghetsvandring" in text_of(chain[-1])

    here = teams.in_channel(announcement["id"])
    await teams.click("kari", chain[-1], nb.t("Next phase"), here)
    assert "Fase 2 av 6" in text_of(connector.in_chain(announcement["id"])[-1])

    await teams.restart()  # a new process in the middle of the round

    await teams.say_in_channel("ola", "Hvor mange voksne har inspeksjon samtidig?", root=announcement["id"])
    await teams.say_in_channel("per", "Del av spørsmålet: hvor lenge varer friminuttet?", root=announcement["id"])
    # Both asked (the second starts with "Del", which is no command in a reply chain); the phase waits
    # for the presenter's answer to the last question, then moves on: phase 3.
    assert "Fase 2 av 6" in text_of(connector.in_chain(announcement["id"])[-1])
    await teams.say_in_channel("kari", "Tre voksne, og friminuttet varer tjue minutter.", root=announcement["id"])
    assert "Fase 3 av 6" in text_of(connector.in_chain(announcement["id"])[-1])


async def test_a_round_in_a_group_is_a_new_post_that_mentions_everyone(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await join(teams)
    await start_round(teams, venue="group", names="@Ola @Per")
    await accept(teams, "ola")
    await accept(teams, "per")
    group_post = connector.messages[CHANNEL][-1]
    mentioned = {e["mentioned"]["id"] for e in group_post["entities"]}
    assert mentioned == {"29:kari", "29:ola", "29:per"} and "<at>Ola</at>" in group_post["text"]
    assert "Fase 1 av 6" in text_of(connector.in_chain(group_post["id"])[-1])
    assert buttons_of(connector.in_chain(group_post["id"])[-1])
