"""The digest through the in-memory adapter: capture, /del, feeds, preview, publish, exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from digest_server import DigestWebServer

from adapters.memory import Chat, Sent
from bot.adapter import DeliveryError
from bot.config import Config
from bot.events import Conversation
from bot.features.digest.service import DigestService
from storage.models.digest import DigestArticle, DigestShare
from storage.repositories.core import Members, Notes
from tests.support import dms_to, ephemeral

# The FakeClock starts Monday 7 September 2026, 10:00 in Oslo; the first digest is Monday 14th, 08:00.
FIRST_DIGEST = datetime(2026, 9, 14, 6, 0, tzinfo=UTC)


@pytest.fixture
async def server() -> AsyncIterator[DigestWebServer]:
    async with DigestWebServer(slow_seconds=0.8) as web:
        yield web


async def start_chat(database_url: str, **digest: object) -> Chat:
    section = {"allow_private_addresses": True, "fetch_timeout": 0.5, **digest}
    return await Chat.start(database_url, config=Config(sections={"digest": section}))


async def joined_chat(database_url: str) -> Chat:
    chat = await start_chat(database_url)
    await chat.say("kari", "/samskap bli-med Nordby skole")  # the first to join leads the network
    await chat.say("ola", "/samskap bli-med Sørby skole")
    await chat.say("per", "/samskap bli-med Vestby skole")
    return chat


@pytest.fixture
async def chat(database_url: str) -> AsyncIterator[Chat]:
    chat = await joined_chat(database_url)
    yield chat
    await chat.close()


@pytest.fixture
async def any_chat(any_database_url: str) -> AsyncIterator[Chat]:
    """The same, on SQLite and on PostgreSQL."""
    chat = await joined_chat(any_database_url)
    yield chat
    await chat.close()


def digests(chat: Chat, conversation_id: str = "general") -> list[Sent]:
    return [s for s in chat.adapter.in_conversation(conversation_id) if s.message.summary.startswith("Nettverksbrev")]


def dm_digests(chat: Chat, name: str) -> list[Sent]:
    return dms_to(chat, name, "Nettverksbrev")


async def articles(chat: Chat) -> list[DigestArticle]:
    from sqlalchemy import select

    async with chat.bot.db.session() as s:
        return list((await s.scalars(select(DigestArticle).order_by(DigestArticle.id))).all())


async def shares(chat: Chat) -> list[DigestShare]:
    from sqlalchemy import select

    async with chat.bot.db.session() as s:
        return list((await s.scalars(select(DigestShare).order_by(DigestShare.id))).all())


async def until_first_digest(chat: Chat) -> None:
    chat.clock.set(FIRST_DIGEST + timedelta(minutes=1))
    await chat.tick()


# -- capturing --------------------------------------------------------------------------------------
async def test_a_link_posted_in_the_channel_is_captured_with_the_comment(chat: Chat, server: DigestWebServer) -> None:
    replies = await chat.say("ola", f"Denne om relasjoner var god: {server.link('/article')}?utm_source=x")
    assert replies == []  # capture is silent
    await chat.tick()  # the metadata job
    [article] = await articles(chat)
    assert article.url == server.link("/article")
    assert article.fetch_status == "ok" and article.title == "Trygt og godt skolemiljø"
    [share] = await shares(chat)
    assert share.comment == "Denne om relasjoner var god" and not share.recommended and not share.explicit


async def test_with_capture_off_only_explicit_shares_count(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("kari", "/samskap leder innstilling lenkefangst av")
    await chat.say("ola", f"Se {server.link('/plain')}")
    assert await articles(chat) == []
    replies = await chat.say("ola", f"/del {server.link('/plain')} Fin om relasjoner")
    assert "neste nettverksbrev" in replies[0].text
    [share] = await shares(chat)
    assert share.explicit and share.comment == "Fin om relasjoner"
    await chat.say("per", f"/del Om tillit: {server.link('/article')}")
    assert (await shares(chat))[-1].comment == "Om tillit"


async def test_the_same_article_from_two_members_is_one_entry_with_both(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("ola", f"/del {server.link('/article')}#avsnitt-2 Bra om tillit")
    second = await chat.say("per", f"/share {server.link('/article')}?utm_campaign=uke37&fbclid=1 Enig!")
    again = await chat.say("per", f"/del {server.link('/article')} Leste den igjen")
    assert "andre har også delt" in second[0].text.lower()
    assert "allerede" in again[0].text
    assert len(await articles(chat)) == 1
    _ola, per = await shares(chat)
    assert per.comment == "Enig! / Leste den igjen"


async def test_a_leaders_share_is_marked_recommended(chat: Chat, server: DigestWebServer) -> None:
    replies = await chat.say("kari", f"/del {server.link('/article')} Les før samlingen")
    assert "anbefalt" in replies[0].text
    [share] = await shares(chat)
    assert share.recommended


async def test_malformed_addresses_get_a_clear_message_and_keep_the_text(chat: Chat) -> None:
    replies = await chat.say("ola", "/del ftp://fil.no/dok Viktig")
    assert len(replies) == 1 and replies[0].destination.kind == "ephemeral"
    assert "http://" in replies[0].text and "ftp://fil.no/dok Viktig" in replies[0].text
    assert "/del" in (await chat.say("ola", "/del"))[0].text
    await chat.say("ola", "se http://[zz/ og http://udir.no:99999/ her")  # captured text that is not a URL
    assert await articles(chat) == []


async def test_a_page_that_cannot_be_fetched_still_appears_with_its_url(database_url: str) -> None:
    chat = await start_chat(database_url, allow_private_addresses=False)
    try:
        await chat.say("kari", "/samskap bli-med Nordby skole")
        await chat.say("ola", "/samskap bli-med Sørby skole")
        await chat.say("ola", "/del http://127.0.0.1:9/internt/rapport-om-skolemiljo Intern?")
        await chat.tick()
        [article] = await articles(chat)
        assert article.fetch_status == "failed" and article.fetch_error == "blocked_address"
        await until_first_digest(chat)
        [digest] = digests(chat)
        assert "http://127.0.0.1:9/internt/rapport-om-skolemiljo" in digest.text
        assert "Rapport om skolemiljo" in digest.text
    finally:
        await chat.close()


async def test_one_odd_page_never_keeps_the_other_previews_or_the_digest_back(
    any_chat: Chat, server: DigestWebServer
) -> None:
    chat = any_chat
    await chat.say("ola", f"/del {server.link('/filer/rapport%00')} Denne finnes ikke")  # titled from its address
    await chat.say("per", f"/del {server.link('/control-characters')}")  # NUL and escapes in the head
    await chat.say("per", f"/del {server.link('/ancient')}")  # a date no datetime holds in UTC
    await chat.say("ola", f"/del {server.link('/odd-charset')}")  # a charset that cannot replace bad bytes
    await chat.say("kari", f"/del {server.link('/article')} Les før samlingen")
    await chat.tick()
    by_url = {article.url: article for article in await articles(chat)}
    assert [a.fetch_status for a in by_url.values()] == ["failed", "ok", "ok", "ok", "ok"]
    assert by_url[server.link("/filer/rapport%00")].title == "Rapport"
    assert by_url[server.link("/control-characters")].title == "Mobbing og trivsel"
    assert by_url[server.link("/control-characters")].description == "Om relasjoner[31m"
    assert by_url[server.link("/ancient")].title == "Gammel side"
    assert by_url[server.link("/odd-charset")].title == "Relasjoner i klasserommet"
    assert by_url[server.link("/article")].title == "Trygt og godt skolemiljø"
    await until_first_digest(chat)
    [digest] = digests(chat)
    for title in ("Rapport", "Mobbing og trivsel", "Gammel side", "Relasjoner i klasserommet", "Trygt og godt"):
        assert title in digest.text


# -- the digest -------------------------------------------------------------------------------------
async def test_weekly_digest_has_sections_in_the_networks_language(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("kari", f"/del {server.link('/article')} Les før samlingen")
    await chat.say("ola", f"Denne! {server.link('/plain')}")
    await chat.say("per", f"/del {server.link('/plain')} Enig")
    await chat.say("ola", f"/del {server.link('/doc.pdf')}")
    await chat.say("per", "/ide Vennskapsbenk i friminuttet")
    async with chat.bot.db.session() as s:
        ola = await Members(s).by_platform_id(1, "ola")
        assert ola is not None
        await Notes(s).add(1, ola.id, "kritisk_venn", "Å spørre før jeg gir råd åpnet samtalen.", chat.clock.now())
    await chat.tick()
    await chat.advance(timedelta(days=6))
    assert digests(chat) == []
    await until_first_digest(chat)
    [digest] = digests(chat)
    text = digest.text
    assert "Nettverksbrev for" in text and "uke 37" in text  # sent on Monday the 14th (week 38), covers week 37
    assert "fra 7. september til 14. september 2026" in text
    order = ["Anbefalt av nettverkslederne", "Mest delt og diskutert", "Nye praksisideer", "Læringsnotater"]
    assert [text.index(h) for h in order] == sorted(text.index(h) for h in order)
    assert "Trygt og godt skolemiljø" in text and "Delt av kari: «Les før samlingen»" in text
    assert "Relasjoner i klasserommet" in text and "ola: «Denne!»; per: «Enig»" in text
    assert "Veileder mot mobbing" in text
    assert "Vennskapsbenk i friminuttet" in text
    assert "Å spørre før jeg gir råd" in text and "fra en kritisk venn-samtale" in text
    assert "3. sep. 2026" in text  # the article's published date, in Norwegian


async def test_an_empty_week_sends_nothing(chat: Chat) -> None:
    await until_first_digest(chat)
    await chat.advance(timedelta(days=7))
    assert digests(chat) == []
    replies = await chat.say("ola", "/digest")
    assert "Ingen nettverksbrev er publisert ennå" in replies[0].text


async def test_leader_previews_edits_and_publishes_privately_first(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("ola", f"/del {server.link('/article')} God")
    await chat.say("per", f"/del {server.link('/plain')} Også god")
    await chat.tick()
    assert "nettverksledere" in (await chat.say("ola", "/digest forhåndsvis"))[0].text
    await chat.say("kari", "/digest intro Hei alle! Her er ukas lesestoff før samlingen.")
    [preview] = await chat.say("kari", "/digest forhåndsvis")
    assert preview.destination.kind == "ephemeral" and preview.destination.user.id == "kari"  # type: ignore[union-attr]
    assert "Hei alle!" in preview.text and "1. Trygt og godt skolemiljø" in preview.text
    assert "2. Relasjoner i klasserommet" in preview.text
    assert digests(chat) == []
    [removed] = await chat.say("kari", "/digest fjern 2")
    assert "Relasjoner i klasserommet" in removed.text
    [bad] = await chat.say("kari", "/digest fjern 9")
    assert "9" in bad.text
    [published] = ephemeral(await chat.click("kari", "Publiser nå"))
    assert "1 sted" in published.text
    [digest] = digests(chat)
    assert "Hei alle!" in digest.text and "Trygt og godt" in digest.text and "Relasjoner" not in digest.text
    # The Monday job finds it published and sends nothing twice; /digest shows it to anyone.
    await until_first_digest(chat)
    await chat.advance(timedelta(minutes=15))
    assert len(digests(chat)) == 1
    [latest] = await chat.say("per", "/digest")
    assert "Trygt og godt" in latest.text and latest.destination.kind == "ephemeral"


async def test_the_digest_points_to_the_next_network_meeting(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("ola", f"/del {server.link('/article')} God")
    await chat.tick()
    await chat.say("kari", "/samling ny 14.12.2026 12:00 Rådhuset")
    [preview] = await chat.say("kari", "/digest forhåndsvis")
    assert "Neste samling: mandag 14. desember kl. 12:00 — Rådhuset" in preview.text


async def test_skipping_a_week_rolls_its_links_into_the_next(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("ola", f"/del {server.link('/article')}")
    [reply] = await chat.say("kari", "/digest hopp-over")
    assert "uke 37" in reply.text  # the digest of Monday the 14th would have covered week 37
    await until_first_digest(chat)
    assert digests(chat) == []
    await chat.advance(timedelta(days=7))
    [digest] = digests(chat)
    # Sent on the 21st, it covers the skipped weeks too (from the week before the skip).
    assert "uke 36–38" in digest.text and server.link("/article") in digest.text


async def test_removing_an_item_after_publishing_updates_what_was_sent(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("ola", f"/del {server.link('/article')}")
    await chat.say("per", f"/del {server.link('/plain')}")
    await chat.tick()
    await chat.say("kari", "/digest publiser")
    [digest] = digests(chat)
    [numbered] = await chat.say("kari", "/digest")
    assert "1. Trygt og godt skolemiljø" in numbered.text and "/digest fjern siste" in numbered.text
    [reply] = await chat.say("kari", "/digest fjern siste 1")
    assert "Trygt og godt skolemiljø" in reply.text and "1 melding" in reply.text
    assert "Trygt og godt" not in digest.text and "Relasjoner" in digest.text  # updated in place
    assert "Trygt og godt" not in (await chat.say("per", "/digest"))[0].text
    assert len(await articles(chat)) == 2  # the link itself is kept


async def test_the_schedule_can_be_changed_by_a_leader(chat: Chat, server: DigestWebServer) -> None:
    [reply] = await chat.say("kari", "/digest tid fredag 14:30")
    assert "fredag 11. september kl. 14:30" in reply.text
    [bad] = await chat.say("kari", "/digest tid blåmandag 25:00")
    assert "/digest tid" in bad.text
    await chat.say("ola", f"/del {server.link('/article')}")
    chat.clock.set(datetime(2026, 9, 11, 12, 31, tzinfo=UTC))
    await chat.tick()
    [digest] = digests(chat)
    assert "uke 37" in digest.text


async def test_members_who_opt_in_get_the_digest_by_direct_message(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("per", "/samskap innstillinger nettverksbrev på")
    await chat.say("ola", f"/del {server.link('/article')}")
    await until_first_digest(chat)
    assert len(dm_digests(chat, "per")) == 1 and dm_digests(chat, "ola") == []


# -- exactly once -----------------------------------------------------------------------------------
async def test_each_destination_gets_the_digest_once_across_failure_and_restart(
    any_chat: Chat, server: DigestWebServer
) -> None:
    chat = any_chat
    research = Conversation("memory", "demo", "forskning")
    await chat.say("ola", f"Se denne {server.link('/article')}", conversation=research)  # links the channel too
    await chat.say("per", "/samskap innstillinger nettverksbrev på")
    chat.adapter.failures.append(DeliveryError("server_error", retryable=True))
    await until_first_digest(chat)
    delivered = len(digests(chat)) + len(digests(chat, "forskning")) + len(dm_digests(chat, "per"))
    assert delivered == 2  # one destination failed and waits for a retry

    await chat.restart()
    await chat.bot.services.get(DigestService).issues.publish(1, "2026-W38")  # a second worker runs the same job
    await chat.advance(timedelta(minutes=5))  # the outbox retries the failed destination
    await chat.restart()
    await chat.advance(timedelta(hours=1))
    assert len(digests(chat)) == 1
    assert len(digests(chat, "forskning")) == 1
    assert len(dm_digests(chat, "per")) == 1


# -- feeds ------------------------------------------------------------------------------------------
async def test_a_feed_with_control_characters_is_added_clean_and_reaches_the_digest(
    any_chat: Chat, server: DigestWebServer
) -> None:
    chat = any_chat
    [added] = await chat.say("kari", f"/digest kilde legg-til {server.link('/control-feed.xml')}")
    assert "Kilde med[0m tegn" in added.text
    titles = {article.url: article.title for article in await articles(chat)}
    assert titles == {server.link("/news/nul%00"): "Sak om trivsel", server.link("/news/3"): "Sak om relasjoner"}
    await until_first_digest(chat)
    [digest] = digests(chat)
    assert "Sak om trivsel" in digest.text and "Sak om relasjoner" in digest.text


async def test_leader_adds_a_feed_that_is_polled_with_conditional_requests(chat: Chat, server: DigestWebServer) -> None:
    [added] = await chat.say("kari", f"/digest kilde legg-til {server.link('/feed.xml')}")
    assert "Læringsmiljøsenteret" in added.text
    [listing] = await chat.say("kari", "/digest kilde liste")
    assert "1. Læringsmiljøsenteret" in listing.text
    # Only the recent item is imported, with the feed's own title and summary.
    [article] = await articles(chat)
    assert article.url == server.link("/news/1") and article.title == "Nytt om skolemiljø"

    await chat.advance(timedelta(hours=1, minutes=1))
    assert server.requests[-1].path == "/feed.xml" and "If-None-Match" in server.requests[-1].headers
    assert len(await articles(chat)) == 1  # 304: nothing new

    server.feed_date, server.feed_has_second_item = "Mon, 07 Sep 2026 09:00:00 GMT", True
    await chat.advance(timedelta(hours=1, minutes=1))
    assert [a.url for a in await articles(chat)] == [server.link("/news/1"), server.link("/news/2")]  # not the old

    server.feed_fails = True
    await chat.advance(timedelta(hours=1, minutes=1))
    [listing] = await chat.say("kari", "/digest kilde liste")
    assert "feilet 1 gang på rad (http_503)" in listing.text
    polls = server.hits("/feed.xml")
    await chat.advance(timedelta(hours=1, minutes=1))
    assert server.hits("/feed.xml") == polls  # backed off to two hours

    await until_first_digest(chat)
    [digest] = digests(chat)
    assert "Nytt fra kildene våre" in digest.text and "Fra Læringsmiljøsenteret" in digest.text


async def test_feed_commands_refuse_what_is_not_a_feed(chat: Chat, server: DigestWebServer) -> None:
    [not_feed] = await chat.say("kari", f"/digest kilde legg-til {server.link('/not-a-feed')}")
    assert "ikke en RSS- eller Atom-strøm" in not_feed.text
    [failing] = await chat.say("kari", f"/digest kilde legg-til {server.link('/fail')}")
    assert "serveren svarte med feil 500" in failing.text
    [missing] = await chat.say("kari", "/digest kilde fjern 3")
    assert "3" in missing.text
    await chat.say("kari", f"/digest kilde legg-til {server.link('/feed.xml')}")
    [twice] = await chat.say("kari", f"/digest kilde legg-til {server.link('/feed.xml')}")
    assert "allerede" in twice.text
    [removed] = await chat.say("kari", "/digest kilde fjern 1")
    assert "Læringsmiljøsenteret" in removed.text
    assert "Ingen kilder" in (await chat.say("kari", "/digest kilde"))[0].text
    assert "nettverksledere" in (await chat.say("ola", "/digest kilde liste"))[0].text


# -- personal data ----------------------------------------------------------------------------------
async def test_shared_links_are_exported_and_erased_from_published_digests(chat: Chat, server: DigestWebServer) -> None:
    import json

    await chat.say("ola", f"/del {server.link('/article')} Min kommentar")
    await chat.say("per", f"/del {server.link('/plain')} Pers kommentar")
    await chat.say("kari", "/digest publiser")
    [export] = dms_to(await chat.say("ola", "/samskap mine-data"), "ola")
    attachment = export.message.parts[-1]
    data = json.loads(attachment.content)  # type: ignore[union-attr]
    assert data["digest"]["shared_links"][0]["comment"] == "Min kommentar"
    await chat.say("ola", "/samskap slett-meg bekreft")
    latest = (await chat.say("per", "/digest"))[0].text
    assert "Min kommentar" not in latest and "ola" not in latest and "Pers kommentar" in latest


async def test_the_members_home_shows_the_latest_digest_and_waiting_links(chat: Chat, server: DigestWebServer) -> None:
    async with chat.bot.db.session() as s:
        ola = await Members(s).by_platform_id(1, "ola")
    assert ola is not None
    assert "Nettverksbrevet" not in (await chat.bot.home(ola)).plain_text()
    await chat.say("ola", f"/del {server.link('/article')}")
    await chat.say("kari", "/digest publiser")
    await chat.say("ola", f"/del {server.link('/plain')}")
    home = (await chat.bot.home(ola)).plain_text()
    assert "Siste nettverksbrev: uke 36 — se det med /digest" in home  # published early, on Monday the 7th
    assert "Lenkene dine til neste nettverksbrev: 1" in home


async def test_a_network_that_changes_time_zone_gets_its_digest_at_local_time(chat: Chat) -> None:
    await chat.say("kari", "/samskap leder innstilling tidssone America/New_York")
    await chat.say("ola", "/digest")  # the next event re-arms the schedule
    job = await chat.bot.scheduler.get("digest.weekly:1")
    assert job is not None and job.timezone == "America/New_York"
    assert job.run_at == datetime(2026, 9, 7, 12, 0, tzinfo=UTC)  # 08:00 in New York, later today


async def test_two_workers_publishing_at_once_send_each_channel_one_digest(
    any_chat: Chat, server: DigestWebServer
) -> None:
    chat = any_chat
    await chat.say("ola", f"/del {server.link('/article')}")
    other = Conversation("memory", "demo", "forskning")
    await chat.say("per", f"Se {server.link('/plain')}", conversation=other)
    service = chat.bot.services.get(DigestService)
    first, second = await asyncio.gather(service.issues.publish(1, "2026-W38"), service.issues.publish(1, "2026-W38"))
    assert sorted([first.status, second.status]) == ["already", "published"]
    assert len(digests(chat)) == 1 and len(digests(chat, "forskning")) == 1
    [digest] = digests(chat)
    assert "Trygt og godt skolemiljø" in digest.text or server.link("/article") in digest.text
    assert server.link("/plain") in digest.text


async def test_an_english_network_gets_its_digest_in_english(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("kari", "/samskap leder innstilling språk en")
    await chat.say("ola", f"/del {server.link('/article')} Useful before we meet")
    await chat.tick()
    await until_first_digest(chat)
    [digest] = [s for s in chat.adapter.in_conversation("general") if s.message.summary.startswith("Digest for")]
    assert "week 37" in digest.text and "from 7 September to 14 September 2026" in digest.text
    assert "Most shared and discussed in the network" in digest.text
    assert 'Shared by ola: "Useful before we meet"' in digest.text and "3 Sep 2026" in digest.text


async def test_a_crash_in_the_middle_of_sending_loses_nothing_and_repeats_nothing(
    chat: Chat, server: DigestWebServer
) -> None:
    await chat.say(
        "ola", f"Se denne {server.link('/article')}", conversation=Conversation("memory", "demo", "forskning")
    )
    await chat.say("per", "/samskap innstillinger nettverksbrev på")
    real_send, calls = chat.adapter.send, []

    async def dies_on_the_second_send(destination, message, **kw):  # type: ignore[no-untyped-def]
        calls.append(destination)
        if len(calls) == 2:
            raise asyncio.CancelledError  # the process is stopped mid-way
        return await real_send(destination, message, **kw)

    chat.adapter.send = dies_on_the_second_send  # type: ignore[method-assign]
    chat.clock.set(FIRST_DIGEST + timedelta(minutes=1))
    with pytest.raises(asyncio.CancelledError):
        await chat.tick()
    chat.adapter.send = real_send  # type: ignore[method-assign]
    before = len(digests(chat)) + len(digests(chat, "forskning")) + len(dm_digests(chat, "per"))
    assert before < 3
    await chat.restart()
    await chat.advance(timedelta(minutes=10))  # leases run out; the job and the outbox pick up again
    await chat.advance(timedelta(minutes=10))
    assert len(digests(chat)) == 1 and len(digests(chat, "forskning")) == 1 and len(dm_digests(chat, "per")) == 1


async def test_an_article_from_a_member_and_a_feed_is_one_entry_and_not_news_twice(
    chat: Chat, server: DigestWebServer
) -> None:
    await chat.say("ola", f"/del {server.link('/news/1')}?utm_medium=e-post Viktig for oss")
    await chat.say("kari", f"/digest kilde legg-til {server.link('/feed.xml')}")
    assert len(await articles(chat)) == 1
    await until_first_digest(chat)
    [digest] = digests(chat)
    assert digest.text.count(server.link("/news/1")) == 1
    assert "Delt av ola: «Viktig for oss»" in digest.text and "Fra Læringsmiljøsenteret" in digest.text


async def test_a_feed_item_a_digest_already_carried_is_not_news_again(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("ola", f"/del {server.link('/news/1')}")
    await chat.say("kari", "/digest publiser")
    await chat.say("kari", f"/digest kilde legg-til {server.link('/feed.xml')}")
    await chat.say("per", f"/del {server.link('/plain')}")
    await chat.advance(timedelta(days=7))  # Monday the 14th: week 38 went out early already
    await chat.advance(timedelta(days=7))  # Monday the 21st: week 39
    [_, second] = digests(chat)
    assert server.link("/plain") in second.text and server.link("/news/1") not in second.text


async def test_after_a_skip_or_an_early_publish_the_preview_gives_the_real_send_time(
    chat: Chat, server: DigestWebServer
) -> None:
    await chat.say("ola", f"/del {server.link('/article')} God")
    await chat.tick()
    [preview] = await chat.say("kari", "/digest forhåndsvis")
    assert "Sendes mandag 14. september kl. 08:00" in preview.text
    await chat.say("kari", "/digest hopp-over")
    [preview] = await chat.say("kari", "/digest forhåndsvis")
    assert "Sendes mandag 21. september kl. 08:00" in preview.text  # the 14th sends nothing now
    await chat.say("kari", "/digest publiser")
    await chat.say("per", f"/del {server.link('/plain')} Også god")
    await chat.tick()
    [preview] = await chat.say("kari", "/digest forhåndsvis")
    assert "Sendes mandag 28. september kl. 08:00" in preview.text
    [reply] = await chat.say("kari", "/digest tid")
    assert "mandag 28. september kl. 08:00" in reply.text


async def test_a_second_publish_says_when_the_digest_went_out(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("ola", f"/del {server.link('/article')} God")
    await chat.tick()
    await chat.say("kari", "/digest publiser")
    await chat.advance(timedelta(hours=1))
    [again] = ephemeral(await chat.say("kari", "/digest publiser"))
    assert "ble publisert mandag 7. september kl. 10:00" in again.text
    assert "ingenting til nettverksbrevet ennå" not in again.text
    assert len(digests(chat)) == 1


async def test_a_digest_of_one_day_names_the_day_once(chat: Chat, server: DigestWebServer) -> None:
    await chat.say("ola", f"/del {server.link('/article')} God")
    await chat.tick()
    await chat.say("kari", "/digest publiser")
    await chat.advance(timedelta(hours=1))
    await chat.say("per", f"/del {server.link('/plain')} Også god")
    await chat.tick()
    await chat.say("kari", "/digest publiser")
    second = digests(chat)[-1].text
    assert "Dette skjedde 7. september 2026" in second and "fra 7. september til" not in second
