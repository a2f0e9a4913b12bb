"""Every event asks "which network, and who is this?"; the answers are remembered but never stale."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text, update

from adapters.memory import Chat, MemoryAdapter
from bot.app import build_bot
from bot.events import Conversation, User
from storage import lookups
from storage.db import Database
from storage.models.core import Member, Role
from storage.repositories.core import Members, Networks
from tests.support import eventually

SETTING = "/samskap leder innstilling oppfolging 7"
REFUSED = "nettverksledere"


async def test_an_answer_read_before_a_change_is_not_remembered(network_chat: Chat, monkeypatch) -> None:
    chat = network_chat
    original = Networks.with_member_by_channel
    race = {"armed": True}

    async def read_then_someone_promotes_ola(self, conv, user):  # type: ignore[no-untyped-def]
        found = await original(self, conv, user)
        if race.pop("armed", False) and user.id == "ola":
            # Committed after our read and before we could remember it.
            async with chat.bot.db.session() as s:
                await s.execute(update(Member).where(Member.user_id == "ola").values(role=Role.NETWORK_LEADER))
        return found

    monkeypatch.setattr(Networks, "with_member_by_channel", read_then_someone_promotes_ola)
    chat.bot.db.lookups.forget_all()
    assert REFUSED in (await chat.say("ola", SETTING))[0].text  # read as a participant, just before the promotion
    assert "oppfolging = 7" in (await chat.say("ola", SETTING))[0].text


@pytest.fixture
async def workers(postgres_url: str) -> AsyncIterator[tuple[Chat, Chat]]:
    """Two workers on one PostgreSQL database, where kari (leader) and ola have joined."""
    first = await Chat.start(postgres_url)
    bot = await build_bot(first.bot.config, clock=first.clock, adapters=[MemoryAdapter()], migrate=False)
    second = Chat(bot, bot.adapters["memory"], first.clock)
    await first.say("kari", "/samskap bli-med Nordby")
    await first.say("ola", "/samskap bli-med Sørby")
    yield first, second
    await first.close()
    await second.close()


async def second_sees_ola_as_leader(second: Chat) -> bool:
    return REFUSED not in (await second.say("ola", SETTING))[0].text


@pytest.mark.postgres
async def test_a_change_by_another_worker_is_seen_at_once(workers: tuple[Chat, Chat]) -> None:
    first, second = workers
    assert REFUSED in (await second.say("ola", SETTING))[0].text  # the second worker now remembers ola
    await first.say("kari", "/samskap leder rolle @ola nettverksleder")
    await eventually(lambda: second_sees_ola_as_leader(second), every=0.05, what="the second worker seeing ola lead")

    await first.say("ola", "/samskap slett-meg")
    await first.click("ola", "membership.erase")

    async def second_knows_ola_left() -> bool:
        return "bli-med" in (await second.say("ola", "/ideer"))[0].text

    await eventually(second_knows_ola_left, every=0.05, what="the second worker knowing ola left")


@pytest.mark.postgres
async def test_a_worker_that_cannot_hear_the_others_forgets_what_it_knew(workers: tuple[Chat, Chat]) -> None:
    first, second = workers
    await second.say("ola", "/ideer")
    # The connection that hears the other workers is cut (a restart of PostgreSQL, a network blip).
    async with first.bot.db.session() as s:
        await s.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
            )
        )
    await first.say("kari", "/samskap leder rolle @ola nettverksleder")
    # Not heard, but not remembered either: the second worker forgot all when it lost the line.
    await eventually(lambda: second_sees_ola_as_leader(second), within=3, every=0.05,
                     what="the second worker seeing ola lead")  # fmt: skip


@pytest.mark.postgres
async def test_a_worker_that_hears_nothing_remembers_nothing(workers: tuple[Chat, Chat], monkeypatch) -> None:
    first, second = workers
    # As through a pooler in transaction mode: LISTEN succeeds, but no notification ever arrives.
    # (The second worker has not listened yet: it starts on its first event.)
    monkeypatch.setattr(lookups, "PROBE_SECONDS", 0.2)
    monkeypatch.setattr(lookups.ChannelLookups, "_heard", lambda self, *args: None)
    assert REFUSED in (await second.say("ola", SETTING))[0].text
    await first.say("kari", "/samskap leder rolle @ola nettverksleder")
    assert await second_sees_ola_as_leader(second)


async def test_who_writes_in_a_direct_message_is_remembered_until_it_changes(network_chat: Chat) -> None:
    chat = network_chat
    dm = chat.adapter.dm_conversation("ola")
    assert REFUSED in (await chat.say("ola", SETTING, conversation=dm))[0].text
    assert any(key[0] == "direct" for key in chat.bot.db.lookups.remembered_keys())
    await chat.say("kari", "/samskap leder rolle @ola nettverksleder")
    assert "oppfolging = 7" in (await chat.say("ola", SETTING, conversation=dm))[0].text
    await chat.say("ola", "/samskap slett-meg bekreft")
    assert "bli-med" in (await chat.say("ola", "/ideer", conversation=dm))[0].text


async def test_a_channel_outside_the_network_is_remembered_until_it_is_linked(network_chat: Chat) -> None:
    chat = network_chat
    chat.adapter.auto_setup = False  # like Discord: channels are linked explicitly
    other = Conversation("memory", "demo", "pauserommet")
    assert REFUSED in (await chat.say("ola", SETTING, conversation=other))[0].text
    assert any(key[0] == "unlinked:pauserommet" for key in chat.bot.db.lookups.remembered_keys())
    await chat.say("kari", "/samskap leder rolle @ola nettverksleder")
    assert "oppfolging = 7" in (await chat.say("ola", SETTING, conversation=other))[0].text


async def test_a_users_first_membership_is_the_one_they_joined_first(any_database_url: str) -> None:
    """What a direct message, Slack's home tab and the adapters' own notices go by, on both databases."""
    db = Database(any_database_url)
    await db.migrate()
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    ola = User("discord", "dm", "ola", "ola")
    try:
        async with db.session() as s:
            ids = []
            for workspace in ("discord:nord", "discord:sor"):
                network = await Networks(s).create(
                    name=workspace, language="nb", timezone="Europe/Oslo", workspace_key=workspace, now=now
                )
                ids.append((await Members(s).add(network, ola, "Sørby", Role.PARTICIPANT, now)).network_id)
        async with db.session() as s:  # a changed row moves on PostgreSQL's disk: "first" must not follow it
            await s.execute(update(Member).where(Member.network_id == ids[0]).values(language="nn"))
        async with db.read() as s:
            first = await Members(s).first_membership(ola)
        assert first is not None and first.network_id == ids[0]
    finally:
        await db.dispose()


async def test_what_is_remembered_is_handed_out_as_copies_a_session_can_use(network_chat: Chat) -> None:
    db = network_chat.bot.db
    event = network_chat.adapter.command_event("kari", "/ideer")
    db.lookups.forget_all()
    network, member = await db.lookups.find(event.conversation, event.user)  # read, and remembered
    assert member is not None
    member.opt_ins["changed_in_place"] = True
    network.settings["changed_in_place"] = 1
    for _ in range(2):
        hits = db.lookups.hits
        network, member = await db.lookups.find(event.conversation, event.user)
        assert db.lookups.hits == hits + 1 and member is not None
        assert "changed_in_place" not in member.opt_ins and "changed_in_place" not in network.settings
        member.opt_ins["changed_in_place"] = True
    # As if loaded by a session that has closed: another session takes it and writes what changed.
    member.display_name = "Kari Nordby"
    async with db.session() as s:
        s.add(member)
    async with db.read() as s:
        stored = await s.get(Member, member.id)
        assert stored is not None and stored.display_name == "Kari Nordby"
