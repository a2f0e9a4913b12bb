"""`/samskap mine-data` and `/samskap slett-meg` cover every table (GDPR articles 15 and 17).

The schema tests walk every table and column: each must be classified in `storage/personal.py`,
and every reference to a member must be one the erasure handles. The marker test drives one member
through every feature with a marker in everything they write (and as their name and platform id),
checks that the export holds all of it, erases them, and then finds the marker 0 times in a dump
of the whole database, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import JSON, select

from adapters.memory import Chat
from bot.adapter import DeliveryError
from bot.config import Config
from bot.events import Conversation, User
from bot.messages import Attachment
from storage.models import Base
from storage.personal import COLUMNS, Holds, classification, columns_of_members
from storage.repositories.personal import Traces, names_member
from tests.support import channel_posts, dms_to

# The member who leaves: their name and platform id are the marker, and so is part of every text.
MARK = "zqxmærk"  # not ASCII: stored JSON escapes it
QUOTED = quote(MARK)  # as it is written in an address


def marked(text: str) -> bool:
    return MARK in text or QUOTED in text


# Columns the conversation below cannot reach, with where they are tested instead.
NOT_DRIVEN = {
    "members.opt_ins": "options are on/off and time zones; no free text to mark",
    "discord_stash.user_id": "Discord only: tests/discord (open forms are erased with the member)",
    "discord_stash.data": "Discord only: tests/discord",
    "slack_installations.installer_user_id": "Slack only: tests/slack/test_slack_storage.py",
    "teams_people.user_id": "Teams only: tests/teams/test_teams_my_data.py",
    "teams_people.teams_id": "Teams only: tests/teams/test_teams_my_data.py",
    "teams_people.conversation_id": "Teams only: tests/teams/test_teams_my_data.py",
    "teams_stash.user_id": "Teams only: tests/teams/test_teams_my_data.py",
    "teams_stash.data": "Teams only: tests/teams/test_teams_my_data.py",
    "mail_subscriptions.last_error": "a mail server's answer: tests/test_mail.py bounces an address",
}


def all_columns() -> Iterator[tuple[str, str]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not (column.primary_key and column.name == "id"):
                yield table.name, column.name


# -- the schema ---------------------------------------------------------------------------------------
def test_every_column_is_classified() -> None:
    unclassified = [f"{t}.{c}" for t, c in all_columns() if classification(t, c) is None]
    assert not unclassified, f"say in storage/personal.py what these hold about a member: {unclassified}"
    existing = set(all_columns())
    stale = [f"{t}.{c}" for t, columns in COLUMNS.items() for c in columns if (t, c) not in existing]
    assert not stale, f"storage/personal.py classifies columns that do not exist: {stale}"


def test_every_reference_to_a_member_is_erased_by_the_database_or_by_the_erasure() -> None:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            personal = classification(table.name, column.name)
            if personal is None:  # a primary key; the test above finds any other
                continue
            to_members = [fk for fk in column.foreign_keys if fk.column.table.name == "members"]
            name = f"{table.name}.{column.name}"
            if to_members:
                assert personal.holds == Holds.MEMBER, f"{name} refers to a member"
                assert personal.erase == "database", f"{name} is erased by its foreign key"
                assert to_members[0].ondelete in ("CASCADE", "SET NULL"), f"{name} must not block an erasure"
            elif personal.holds == Holds.MEMBER:
                assert personal.erase != "database", f"{name} has no foreign key: say how it is erased"


def test_what_is_not_exported_says_why() -> None:
    for column, personal in columns_of_members():
        if not personal.exported:
            assert personal.why, f"{column.table.name}.{column.name} is not in mine-data: say why"
        if personal.owner is not None:
            assert personal.owner in column.table.columns, f"{column.table.name}.{personal.owner} is not a column"


# -- the whole conversation ---------------------------------------------------------------------------
async def page_server() -> tuple[asyncio.Server, str]:
    """A web page whose title, description and site name are the marker (what a share fetches)."""
    body = (
        f'<html><head><title>{MARK} tittel</title><meta property="og:description" content="{MARK} beskrivelse">'
        f'<meta property="og:site_name" content="{MARK} nettsted"></head><body>Tekst</body></html>'
    ).encode()

    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Skolenytt</title></channel></rss>'

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        is_feed = request.split(b" ")[1].endswith(b".xml")
        kind, content = ("application/rss+xml", feed) if is_feed else ("text/html; charset=utf-8", body)
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(content)}\r\n"
        writer.write(head.encode() + b"Connection: close\r\n\r\n" + content)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture
async def chat(any_database_url: str) -> AsyncIterator[Chat]:
    sections = {
        "digest": {"allow_private_addresses": True, "fetch_timeout": 2.0},
        "web": {"base_url": "https://samskap.example.no"},
        "mail": {"host": "127.0.0.1", "from_address": "samskap@skole.example.no"},  # nothing sends there
    }
    chat = await Chat.start(any_database_url, config=Config(sections=sections))
    numbered = iter(range(1, 1000))

    # On a real platform a group's id carries nobody's name; the memory adapter's would.
    async def open_group(users: list[User], topic: str) -> Conversation:
        group_id = f"group-{next(numbered)}"
        chat.adapter.groups[group_id] = list(users)
        return Conversation(chat.adapter.platform, chat.adapter.workspace_id, group_id, is_direct=True)

    chat.adapter.open_group = open_group  # type: ignore[method-assign]
    yield chat
    await chat.close()


def thread_of(chat: Chat, marker: str) -> Conversation:
    post = channel_posts(chat, marker)[0]
    assert post.conversation is not None
    return post.conversation.in_thread(post.message_id)


async def live_everywhere(chat: Chat, site: str) -> None:
    """kari leads; the marked member joins and uses every feature, with the marker in every text."""
    say, click, submit = chat.say, chat.click, chat.submit
    for name, school in (("kari", "Nordby skole"), (MARK, f"{MARK} skole"), ("ola", "Sørby skole")):
        await say(name, f"/samskap bli-med {school}")
    await say("per", "/samskap bli-med Vestby skole")

    # Settings, and leader actions that the audit log keeps.
    await say(MARK, "/samskap innstillinger nettverksbrev på")
    await say(MARK, "/samskap innstillinger språk en")
    await say("kari", f"/samskap leder rolle @{MARK} nettverksleder")
    await say(MARK, f"/samskap leder innstilling velkomst Velkommen fra {MARK} til nettverket")
    await say(MARK, "/samskap leder rolle @ola skoleleder")
    await say("kari", "/samskap leder innstilling velkomst Velkommen til nettverket")

    # Ideas: one of their own that ola tries, and kari's that they try and report on.
    await say("kari", "/ide Vennskapsbenk i friminuttet")
    await say(MARK, f"/ide {MARK} idé: klassemøter hver fredag #{MARK}")
    await say("ola", "/ide prøv 2")
    await say(MARK, "/ide prøv 1")
    await chat.advance(timedelta(days=14, minutes=1))
    await click(MARK, "ideas.report", sent=[s for s in dms_to(chat, MARK) if s.buttons][-1])
    await submit(MARK, {"did": f"{MARK} gjorde", "changed": f"{MARK} endret", "happened": f"{MARK} skjedde"})

    # Samsnakk: a round pairs them, they avoid someone and are avoided, a call with a topic, a note.
    for name in ("kari", MARK, "ola", "per"):
        await say(name, "/samsnakk på")
    await say(MARK, "/samsnakk unngå @per")
    await say("ola", f"/samsnakk unngå @{MARK}")
    await say("kari", "/samsnakk runde kjør")
    await say(MARK, f"/samsnakk nå {MARK} tema om elevsamtaler")
    await click("ola", "Jeg kan")
    await say(MARK, "/samsnakk @per i morgen 14")
    await click("per", "Godta")
    await say("per", f"/samsnakk @{MARK} i morgen 16")
    await say("ola", f"/samsnakk @per @{MARK} i morgen 15")
    await chat.advance(timedelta(days=1, hours=6))
    await say(MARK, f"/samsnakk notat {MARK} lærte at elevene vil bli spurt")
    await say(MARK, "/samsnakk kalender")  # a calendar link of their own
    await say(MARK, f"/samskap epost {QUOTED}@skole.example.no")  # the digest by e-mail, and an invitation
    await say(MARK, "/digest epost inviter rektor@skole.example.no")

    # Kritisk venn: a friend in kari's round (with a question in the thread), and a round of their own.
    await say("kari", "/kritiskvenn")
    await submit("kari", {**ROUND, "names": f"@{MARK} @ola", "friends": "2"})
    await click(MARK, "Yes, I'll join")
    await click("ola", "Ja, jeg blir med")
    await say("kari", "/kritiskvenn neste 1")
    await say(MARK, f"{MARK} spør: hvor mange voksne er ute?", conversation=thread_of(chat, "Kritisk venn #1"))
    await say(MARK, "/kritiskvenn", conversation=chat.adapter.dm_conversation(MARK))
    practice = {"practice": f"{MARK} praksis med trygghetsvandring", "focus": f"{MARK} fokusspørsmål om voksne"}
    await submit(MARK, {**ROUND, **practice, "names": "@ola @per", "friends": "2"})
    await click("ola", "Ja, jeg blir med")
    await say("per", "/kritiskvenn")
    await submit("per", {**ROUND, "names": f"@{MARK} @kari", "friends": "2"})  # they do not answer

    # The digest: a link they share, which kari publishes with their idea and note.
    await say(MARK, f"/digest kilde legg-til {site}/skolenytt.xml")
    await say(MARK, f"/del {site}/{MARK}-side {MARK} kommentar til lenken")
    await chat.advance(timedelta(seconds=1))
    await say("kari", "/digest publiser")


ROUND = {"kind": "practice", "practice": "Trygghetsvandring i friminuttene, men de voksne snakker mest sammen.",
         "focus": "Hvordan får jeg de voksne til å oppsøke elevene?", "pace": "live", "venue": "thread"}  # fmt: skip


async def dump(chat: Chat) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, every value as text."""
    out: dict[str, list[dict[str, Any]]] = {}
    async with chat.bot.db.read() as s:
        for table in Base.metadata.sorted_tables:
            rows = (await s.execute(select(table))).mappings().all()
            out[table.name] = [dict(row) for row in rows]
    return out


def holds_id(value: Any, member_id: int) -> bool:
    """A member id column, or a JSON value naming a member the way jobs and the audit log do."""
    return names_member(value, member_id) if isinstance(value, dict) else value == member_id


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


async def my_data(chat: Chat, name: str) -> dict[str, Any]:
    await chat.say(name, "/samskap mine-data")
    attachment = next(p for p in dms_to(chat, name)[-1].message.parts if isinstance(p, Attachment))
    return json.loads(attachment.content)


@pytest.mark.timeout(120)
async def test_a_member_marked_in_every_feature_is_exported_whole_and_erased_without_trace(chat: Chat) -> None:
    server, site = await page_server()
    try:
        await live_everywhere(chat, site)
    finally:
        server.close()
    async with chat.bot.db.read() as s:
        member_id = await s.scalar(select(Base.metadata.tables["members"].c.id).where(
            Base.metadata.tables["members"].c.user_id == MARK))  # fmt: skip
    before = await dump(chat)

    # Every column about a member was reached, so what follows proves something for each.
    for column, personal in columns_of_members():
        name, values = f"{column.table.name}.{column.name}", [row[column.name] for row in before[column.table.name]]
        if name in NOT_DRIVEN:
            continue
        if personal.holds == Holds.MEMBER:
            assert any(holds_id(v, member_id) for v in values), f"the conversation never put the member's id in {name}"
        else:
            assert any(marked(as_text(v)) for v in values), f"the conversation never put the marker in {name}"

    # mine-data holds every marked value of every exported column.
    exported = "\n".join(strings(await my_data(chat, MARK)))
    for column, personal in columns_of_members():
        if personal.holds == Holds.MEMBER or not personal.exported:
            continue
        for row in before[column.table.name]:
            for text in strings(row[column.name]):
                if marked(text):
                    assert text in exported, f"mine-data lacks {column.table.name}.{column.name}: {text!r}"

    replies = await chat.say(MARK, "/samskap slett-meg bekreft")
    assert "blir liggende der" not in replies[-1].text  # the member chose English
    assert "stay there" in replies[-1].text
    await chat.advance(timedelta(minutes=1))  # the notices the erasure queued go out

    after = await dump(chat)
    found = [
        f"{table}.{column}: {as_text(value)[:120]}"
        for table, rows in after.items() for row in rows for column, value in row.items()
        if marked(as_text(value))
    ]  # fmt: skip
    assert not found, "the erased member is still in the database:\n" + "\n".join(found)
    for column, personal in columns_of_members():
        if personal.holds == Holds.MEMBER or isinstance(column.type, JSON):
            for row in after[column.table.name]:
                held = holds_id(row[column.name], member_id)
                assert not held, f"{column.table.name}.{column.name} still holds the erased member's id: {row}"

    # The round they presented is cancelled, and its friend is told.
    assert dms_to(chat, "ola", "Kritisk venn #2 er avlyst: den som la fram, har forlatt nettverket")


# -- the network's leader -----------------------------------------------------------------------------
async def test_the_only_leader_must_name_another_before_erasing_herself(chat: Chat) -> None:
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("ola", "/samskap bli-med Sørby skole")
    asked = await chat.say("kari", "/samskap slett-meg")
    assert "eneste lederen" in asked[-1].text and "/samskap leder rolle @navn nettverksleder" in asked[-1].text
    assert not asked[-1].buttons
    refused = await chat.say("kari", "/samskap slett-meg bekreft")
    assert "eneste lederen" in refused[-1].text
    assert "Nettverksinnstillinger" in (await chat.say("kari", "/samskap leder"))[-1].text  # still leads

    await chat.say("kari", "/samskap leder rolle @ola nettverksleder")
    done = await chat.say("kari", "/samskap slett-meg bekreft")
    assert "Ferdig" in done[-1].text
    assert "Nettverksinnstillinger" in (await chat.say("ola", "/samskap leder"))[-1].text


async def test_a_leader_alone_in_the_network_may_leave_and_the_next_to_join_leads(chat: Chat) -> None:
    await chat.say("kari", "/samskap bli-med Nordby skole")
    assert "Ferdig" in (await chat.say("kari", "/samskap slett-meg bekreft"))[-1].text
    welcome = await chat.say("ola", "/samskap bli-med Sørby skole")
    assert "Du er nettverksleder" in welcome[-1].text


# -- kritisk venn -------------------------------------------------------------------------------------
async def join_four(chat: Chat) -> None:
    for name, school in (("kari", "Nordby"), ("ola", "Sørby"), ("per", "Vestby"), ("lise", "Østby")):
        await chat.say(name, f"/samskap bli-med {school} skole")


async def test_a_running_round_whose_presenter_leaves_is_cancelled_in_its_thread_and_to_its_friends(
    chat: Chat,
) -> None:
    await join_four(chat)
    await chat.say("per", "/kritiskvenn")
    await chat.submit("per", {**ROUND, "names": "@ola @lise", "friends": "2"})
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("lise", "Ja, jeg blir med")
    thread = thread_of(chat, "Kritisk venn #1")
    await chat.say("per", "/samskap slett-meg bekreft")
    await chat.advance(timedelta(seconds=1))

    posts = [s.text for s in chat.adapter.in_conversation(thread.id, thread.thread_id)]
    assert posts[-1] == "Denne runden er avlyst: den som la fram, har forlatt nettverket. Takk alle sammen."
    for friend in ("ola", "lise"):
        assert dms_to(chat, friend)[-1].text.startswith("Kritisk venn #1 er avlyst: den som la fram, har forlatt")
    await chat.advance(timedelta(hours=2))  # the round's own deadlines find nothing to do
    assert posts == [s.text for s in chat.adapter.in_conversation(thread.id, thread.thread_id)]


async def test_a_round_waiting_for_a_friend_who_leaves_asks_someone_else(chat: Chat) -> None:
    await join_four(chat)
    await chat.say("nils", "/samskap bli-med Lien skole")
    await chat.say("per", "/kritiskvenn")
    await chat.submit("per", {**ROUND, "names": "@ola @lise", "friends": "2"})
    await chat.click("ola", "Ja, jeg blir med")
    asked_before = invitations(chat)
    await chat.say("lise", "/samskap slett-meg bekreft")
    await chat.advance(timedelta(seconds=1))
    assert len(invitations(chat) - asked_before) == 1, "kari or nils is asked instead"


def invitations(chat: Chat) -> set[str]:
    return {
        s.destination.user.id
        for s in chat.sent
        if s.destination.kind == "dm" and s.destination.user and any(
            b.action_id == "kritisk_venn.accept" for b in s.buttons)
    }  # fmt: skip


# -- copies in the outbox -----------------------------------------------------------------------------
async def test_a_message_with_the_members_words_not_sent_yet_is_never_sent_after_the_erasure(chat: Chat) -> None:
    for name, school in (("kari", "Nordby"), ("ola", "Sørby"), ("per", "Vestby")):
        await chat.say(name, f"/samskap bli-med {school} skole")
    await chat.say("kari", "/ide Vennskapsbenk i friminuttet")
    await chat.say("ola", "/ide prøv 1")
    await chat.advance(timedelta(days=14, minutes=1))
    await chat.click("ola", "ideas.report", sent=dms_to(chat, "ola")[-1])
    # The platform is busy: the report's post in the idea's thread and the note to kari wait.
    chat.adapter.failures = [DeliveryError("rate_limited", retryable=True) for _ in range(2)]
    await chat.submit("ola", {"did": "Benk ved ballbingen hver dag", "changed": "", "happened": ""})
    assert not [s for s in chat.sent if "Benk ved ballbingen" in s.text and not s.to("ola")]

    await chat.say("ola", "/samskap slett-meg bekreft")
    erased = len(chat.sent)
    await chat.advance(timedelta(hours=2))
    assert not [s for s in chat.sent if "Benk ved ballbingen" in s.text and not s.to("ola")]
    assert not [s for s in chat.sent[erased:] if s.to("kari") or s.destination.kind == "channel"], "nor sent empty"
    assert "Vennskapsbenk" in (await chat.say("per", "/ideer"))[0].text  # kari's idea stays


def test_names_are_recognised_as_whole_words_and_short_lines_are_not_looked_for() -> None:
    traces = Traces.of("slack", "T1", "U0LA", ["Ola"], ["Ja takk", "Vi prøvde klassemøter\nJa"])
    assert traces.found_in({"text": "Ola fra Sørby prøver idé 3"})
    assert traces.found_in({"text": "Rapport: Vi prøvde klassemøter med rollekort"})
    assert traces.found_in({"user": {"id": "U0LA"}})
    assert not traces.found_in({"text": "Olav fra Nordby"}, {"text": "Skolarbeid"})
    assert not traces.found_in({"text": "Ja takk, jeg blir med"})  # too short to say who wrote it
    assert traces.maybe_in('{"text": "Ola fra S\\u00f8rby"}') and not traces.maybe_in('{"text": "Kari"}', None)


async def test_a_digest_waiting_to_be_posted_goes_out_without_the_erased_member(chat: Chat) -> None:
    for name, school in (("kari", "Nordby"), ("ola", "Sørby"), ("per", "Vestby")):
        await chat.say(name, f"/samskap bli-med {school} skole")
    await chat.say("ola", "/ide Klassemøter hver fredag med rollekort")
    await chat.say("per", "/ide Elevrådet planlegger friminuttene")
    chat.adapter.failures = [DeliveryError("rate_limited", retryable=True)]  # the channel is busy
    await chat.say("kari", "/digest publiser")
    assert not [s for s in chat.sent if s.message.summary.startswith("Nettverksbrev")]

    await chat.say("ola", "/samskap slett-meg bekreft")
    await chat.advance(timedelta(minutes=11))  # retries, and the digest's own redelivery
    [digest] = [s for s in chat.sent if s.message.summary.startswith("Nettverksbrev")]
    assert "Elevrådet planlegger" in digest.text and "Klassemøter" not in digest.text and "ola" not in digest.text
